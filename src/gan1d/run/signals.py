"""Stopping cleanly on Ctrl-C and SIGTERM.

While a run trains, the first SIGINT or SIGTERM only asks training to stop at the
end of the compiled call under way (a fraction of a second), so the run keeps every
step it finished; Python's own KeyboardInterrupt could be raised, and lost, inside
a framework callback instead. While the trained model is being saved, signals wait
until it is on disk. After that, a signal stops at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType
from typing import Any, Literal, Self

__all__ = ["SignalGuard"]

HANDLED = (signal.SIGINT, signal.SIGTERM)


class SignalGuard:
    """Handles SIGINT and SIGTERM for the length of a `with` block (main thread only).

    Args:
        on_stop: Called with the signal number on the first signal while `mode` is
            "stop" (training asks to finish its compiled call).

    Attributes:
        received: The first signal received, or None.
        count: How many signals were received.
        mode: "stop" (ask to stop, raise on a second signal), "defer" (remember,
            raise when the deferral ends) or "raise" (raise KeyboardInterrupt now).
    """

    def __init__(self, on_stop: Callable[[int], None] | None = None) -> None:
        self.on_stop = on_stop
        self.received: int | None = None
        self.count = 0
        self.mode: Literal["stop", "defer", "raise"] = "stop"
        self._previous: dict[int, Any] = {}

    @property
    def active(self) -> bool:
        """Whether the handlers are installed (only the main thread can install them)."""
        return bool(self._previous)

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():
            for number in HANDLED:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()

    def _handle(self, number: int, frame: FrameType | None) -> None:
        self.count += 1
        first = self.received is None
        if first:
            self.received = number
        if self.mode == "raise" or (self.mode == "stop" and not first):
            raise KeyboardInterrupt
        if self.mode == "stop" and self.on_stop is not None:
            self.on_stop(number)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Holds signals back for the block; one that came raises KeyboardInterrupt after it."""
        before = self.count
        self.mode = "defer"
        try:
            yield
        finally:
            self.mode = "raise"
        if self.count > before:
            raise KeyboardInterrupt

    def raising(self) -> None:
        """From now on a signal stops at once."""
        self.mode = "raise"
