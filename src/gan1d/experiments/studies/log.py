"""`trials.jsonl`: one JSON line per finished trial, appended as blocks finish.

Read back first by every run of a study: a trial whose line is there is never
trained again, so a rerun of the same command finishes an interrupted study, and
a study whose file gained seeds, targets or variants trains only what is new.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from gan1d.errors import Gan1dError
from gan1d.files import strict_json

__all__ = ["TrialLog", "trial_key"]


def trial_key(trial: Mapping[str, Any]) -> tuple[str, str, int, str, str]:
    """What makes a trial the same trial: variant, target, seed, backend and configuration."""
    return (trial["variant"], trial["target"], int(trial["seed"]), trial["backend"], trial["config_id"])


class TrialLog:
    """`trials.jsonl`: one JSON line per finished trial, append-only.

    Lines are appended with one `write` per block to a file opened for appending,
    then flushed to disk, so a finished block survives anything that stops the
    process after it. A process killed during a write can leave a partial last
    line; opening the log drops it (those trials are trained again).

    Attributes:
        path: The file.
        trials: Every trial it holds, in order.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.trials: list[dict[str, Any]] = []
        self._keys: set[tuple[str, str, int, str, str]] = set()
        if not path.exists():
            return
        data = path.read_bytes()
        complete = data.rfind(b"\n") + 1
        if complete < len(data):
            with open(path, "r+b") as stream:
                stream.truncate(complete)
        for number, line in enumerate(data[:complete].decode().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                trial = json.loads(line)
                key = trial_key(trial)
            except (ValueError, KeyError, TypeError):
                raise Gan1dError(
                    f"line {number} of {str(path)!r} is not a trial; move the file away to start over"
                ) from None
            if key not in self._keys:
                self._keys.add(key)
                self.trials.append(trial)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def append(self, trials: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Appends the trials not yet in the log; returns those appended."""
        new = []
        for trial in trials:
            key = trial_key(trial)
            if key not in self._keys:
                self._keys.add(key)
                new.append(dict(trial))
        if new:
            data = "".join(json.dumps(strict_json(t), allow_nan=False) + "\n" for t in new).encode()
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                written = 0
                while written < len(data):
                    written += os.write(descriptor, data[written:])
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            self.trials.extend(new)
        return new
