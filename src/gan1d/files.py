"""Files written whole or not at all: atomic writes, standard JSON, CSV that reads back exactly.

Every file is written to a temporary name beside its final one and renamed into
place when complete, so an interrupted write never leaves a half-written file
under a final name. The ground floor of the package: it imports nothing of gan1d.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import secrets
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "read_csv", "strict_json", "write_csv", "write_json", "write_text"]


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yields a temporary path beside `final`, renamed onto it only on success.

    The temporary name keeps `final`'s suffix (Keras picks the format from it) and
    contains `.tmp.`; on any error, Ctrl-C included, it is removed and an older
    file under the final name is left as it was.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    # A random name in the same folder: the rename is then atomic, and writers
    # create the file with the usual permissions (mkstemp would force 0600).
    tmp = final.with_name(f".{final.stem}.{secrets.token_hex(4)}.tmp{final.suffix}")
    try:
        yield tmp
        if tmp.is_dir():
            raise OSError(f"{tmp} is a folder")
        tmp.replace(final)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def strict_json(value: Any) -> Any:
    """`value` with every non-finite float replaced by None, so the JSON is standard."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(v) for v in value]
    return value


def write_text(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return path


def write_json(path: Path, value: Any) -> Path:
    """Standard JSON (NaN and infinities become null), indented, atomically."""
    return write_text(path, json.dumps(strict_json(value), indent=2, allow_nan=False) + "\n")


def write_csv(path: Path, columns: Mapping[str, Sequence[Any]]) -> Path:
    """One column per entry; floats written with `repr` so they read back exactly."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(columns)
        for row in zip(*columns.values(), strict=True):
            writer.writerow([value if isinstance(value, int | str | bool) else repr(float(value)) for value in row])
    return path


def read_csv(path: Path) -> dict[str, list[str]]:
    """The columns of a CSV file that `write_csv` wrote, as strings."""
    with open(path, newline="") as stream:
        rows = list(csv.reader(stream))
    if not rows:
        return {}
    return {name: [row[i] for row in rows[1:]] for i, name in enumerate(rows[0])}
