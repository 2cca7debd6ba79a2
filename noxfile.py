#!/usr/bin/env -S uv run --script
# /// script
# dependencies = ["nox>=2024.10.9"]
# ///
"""Test, lint, type-check and benchmark gan1d under each Keras backend.

nox                       # tests under JAX and TensorFlow, lint, typecheck, docs
nox -s "tests(jax)" -- -k cli
nox -s slow               # long checks: convergence, every training method resumed, further cases
nox -s faults             # fault injection: signals, full disks, concurrent runs
nox -s both_backends      # JAX beside TensorFlow: TensorFlow never imported
nox -s "browser(jax)"      # the run report in headless Chromium
nox -s "notebook(jax)"     # runs docs/tutorial.ipynb
nox -s "bench(jax, cpu)"
nox -s "planar(jax)" -- --trials 10   # ring and grid, scored like the papers
nox -s "studies(jax)"      # studies, on a real local Ray cluster
nox -s docs               # the documentation site, into site/
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"

# Compiled bytecode at install time: tests start fresh interpreters that import
# TensorFlow and Keras, which is several times slower from source alone.
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")

BACKENDS = ["jax", "tensorflow"]
GPU_EXTRAS = {"jax": "jax-cuda", "tensorflow": "tensorflow-cuda"}


def _install(session: nox.Session, extra: str, *groups: str) -> None:
    session.install(f".[{extra}]", *(arg for group in groups for arg in ("--group", group)))


def _use_backend(session: nox.Session, backend: str, *, cpu_only: bool = False) -> None:
    session.env["KERAS_BACKEND"] = backend
    session.env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    if cpu_only:
        session.env["CUDA_VISIBLE_DEVICES"] = ""
        session.env["JAX_PLATFORMS"] = "cpu"


@nox.session(default=True)
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def tests(session: nox.Session, backend: str) -> None:
    """Fast test suite under one backend, spread over the machine's cores (pytest-xdist)."""
    _install(session, backend, "test")
    _use_backend(session, backend)
    markers = "not slow and not studies and not faults and not browser and not both_backends"
    session.run("pytest", "-n", "auto", "-m", markers, *session.posargs)


@nox.session(default=True)
def both_backends(session: nox.Session) -> None:
    """JAX and TensorFlow installed together, run under JAX: a run, a second `train()`, saving and a sweep
    never import TensorFlow."""
    _install(session, "jax,tensorflow", "test")
    _use_backend(session, "jax")
    session.run("pytest", "-n", "auto", "-m", "both_backends", *session.posargs)


@nox.session(default=False)
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def slow(session: nox.Session, backend: str) -> None:
    """Long convergence checks under one backend."""
    _install(session, backend, "test")
    _use_backend(session, backend)
    session.run("pytest", "-m", "slow", *session.posargs)


@nox.session(default=False)
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def studies(session: nox.Session, backend: str) -> None:
    """Studies with the `ray` extra: the local executor, and a real Ray cluster on this machine."""
    _install(session, f"{backend},ray", "test")
    # The tests find the cluster's workers by process (to stop one in the middle of a block).
    session.install("psutil")
    _use_backend(session, backend, cpu_only=True)
    session.run("pytest", "tests/experiments/studies", *session.posargs)


@nox.session(default=False)
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def faults(session: nox.Session, backend: str) -> None:
    """Fault injection: signals to real processes, full and read-only disks (tmpfs needs root)."""
    _install(session, backend, "test")
    _use_backend(session, backend)
    session.run("pytest", "-m", "faults", *session.posargs)


@nox.session(default=False)
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def browser(session: nox.Session, backend: str) -> None:
    """The run report in a real headless browser: Playwright driving the system's Chromium.

    Installs Debian's chromium where it can (as root with apt-get); the test skips,
    saying why, where no browser can be found. Playwright's own browser downloads
    are not used.
    """
    _install(session, backend, "test")
    session.install("playwright")
    if not any(shutil.which(name) for name in ("chromium", "chromium-browser")) and shutil.which("apt-get"):
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            anything = list(range(256))  # a failed install is reported by the skipping test
            session.run("apt-get", "update", external=True, success_codes=anything)
            session.run("apt-get", "install", "-y", "chromium", external=True, success_codes=anything)
        else:
            session.warn("no chromium on PATH and not root: the browser test will skip")
    _use_backend(session, backend)
    session.run("pytest", "-m", "browser", *session.posargs)


@nox.session(default=False)
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def notebook(session: nox.Session, backend: str) -> None:
    """Runs the tutorial notebook from top to bottom (nbclient), in a scratch folder."""
    _install(session, backend)
    session.install("nbclient", "ipykernel")
    _use_backend(session, backend)
    notebook = Path("docs/tutorial.ipynb").resolve()
    scratch = Path(session.create_tmp()) / "tutorial"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    shutil.copy(notebook, scratch / notebook.name)
    with session.chdir(scratch):
        session.run("jupyter-execute", "--timeout=1200", notebook.name, *session.posargs)


@nox.session(default=True)
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install("--group", "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(default=True)
def typecheck(session: nox.Session) -> None:
    """Mypy over the package and the benchmarks (with the `ray` extra, whose types the Ray executor uses).

    TensorFlow ships no type information, so the TensorFlow benchmarks check the same
    without it installed.
    """
    _install(session, "jax,ray", "typecheck")
    session.run("mypy")


@nox.session(default=True)
def docs(session: nox.Session) -> None:
    """Builds the documentation site into site/, failing on any warning (a broken link or reference).

    mkdocstrings reads the docstrings from src/ without importing gan1d, and the
    tutorial is rendered as saved, so neither gan1d nor a backend is installed: the
    session takes seconds, and so runs by default. To preview the site while editing,
    run `.nox/docs/bin/mkdocs serve` after it.
    """
    session.install("--group", "docs")
    session.env["NO_MKDOCS_2_WARNING"] = "1"  # Material's notice about MkDocs 2, printed on every build
    session.run("mkdocs", "build", "--strict")


@nox.session(default=False)
@nox.parametrize("device", ["cpu", "gpu"], ids=["cpu", "gpu"])
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def bench(session: nox.Session, backend: str, device: str) -> None:
    """Benchmarks under one backend and device; arguments after -- go to the script."""
    _install(session, GPU_EXTRAS[backend] if device == "gpu" else backend)
    _use_backend(session, backend, cpu_only=device == "cpu")
    session.run("python", "benchmarks/loop_speed.py", "--device", device, *session.posargs)


@nox.session(default=False)
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def planar(session: nox.Session, backend: str) -> None:
    """The planar mode-collapse benchmarks on the CPU; arguments after -- go to the script."""
    _install(session, backend)
    _use_backend(session, backend, cpu_only=True)
    session.run("python", "benchmarks/mode_collapse.py", *session.posargs)


if __name__ == "__main__":
    nox.main()
