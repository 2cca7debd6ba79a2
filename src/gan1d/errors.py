"""The exceptions gan1d raises: bad input, and a run that diverged."""

from __future__ import annotations

from typing import Any

__all__ = ["Gan1dError", "TrainingDiverged"]


class Gan1dError(ValueError):
    """Bad input from a user: an unknown name, an unsafe expression, a bad option.

    The message says what was wrong and what is allowed; the CLI prints it as one
    line on stderr and exits with status 2.
    """


class TrainingDiverged(RuntimeError):
    """A step's losses or weights became non-finite; `result` holds the run up to the last good step."""

    def __init__(self, message: str, result: Any) -> None:
        super().__init__(message)
        self.result = result
