"""`python -m gan1d` runs the command line."""

from gan1d.cli import run

run()
