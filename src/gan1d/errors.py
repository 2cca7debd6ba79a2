"""The exceptions gan1d raises: bad input, a run that diverged, was interrupted, or could not be written."""

from __future__ import annotations

from typing import Any

__all__ = ["Gan1dError", "RunInterrupted", "RunWriteError", "TrainingDiverged"]


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


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a run; `result` holds what it trained, already written to its folder.

    A `KeyboardInterrupt`, so code that stops on Ctrl-C keeps doing so.

    Attributes:
        result: The run up to where it stopped.
        signal_number: The signal that stopped it (`signal.SIGINT`, `signal.SIGTERM`).
    """

    def __init__(self, result: Any, signal_number: int) -> None:
        super().__init__(f"interrupted by signal {signal_number}")
        self.result = result
        self.signal_number = signal_number


class RunWriteError(OSError):
    """A file of a run could not be written; `result` holds the run, whose model files were written first."""

    def __init__(self, message: str, result: Any) -> None:
        super().__init__(message)
        self.result = result
