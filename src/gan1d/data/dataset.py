"""A user's own points as the target: `DataTarget`, read from a `.npy` or `.csv` file.

GAN Lab lets a learner draw a distribution by hand; this takes the points people
already have. A file holds a sample of 1-D values (one column, or a 1-D array),
drawn on the x axis as points `(v, 0)`, or of 2-D points `(x, y)` (two columns).
Training draws rows of the file at random, with replacement, as it draws points
of the built-in targets.

A `.npy` file is read with `allow_pickle=False`, so a file someone hands over is
never run as code. A `.csv` file holds comma separated numbers, one point per
row, after an optional header row of names. Anything else, and any file that
would not train well (NaN, too few or too many points, huge values), is refused
with one `Gan1dError` that says what is wrong and what is allowed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from gan1d.data.distribution import MAX_ABS_VALUE, Bounds, Target, sample_rows_tensor
from gan1d.errors import Gan1dError

__all__ = [
    "DATA_SUFFIXES",
    "MAX_DATA_BYTES",
    "MAX_DATA_POINTS",
    "MIN_DATA_POINTS",
    "DataTarget",
    "is_data_path",
    "load_data",
]

DATA_SUFFIXES = (".npy", ".csv")
"""The file suffixes read as data (in any case)."""

MAX_DATA_POINTS = 1_000_000
"""Most points a data file may hold."""

MIN_DATA_POINTS = 2
"""Fewest points a data file may hold."""

MAX_DATA_BYTES = 100 * 2**20
"""Largest data file read, checked before reading: a million rows of two numbers
at full precision fit in a `.csv` of about 50 MB, and in a `.npy` of 16 MB."""

_CSV_FORMAT = "comma separated numbers, one point per row (1 or 2 columns), after an optional header row of names"
_SHAPES = "(n,) or (n, 1) values, or (n, 2) points"


def is_data_path(spec: str) -> bool:
    """Whether a target spec names a data file: it ends in `.npy` or `.csv`, in any case."""
    return spec.strip().lower().endswith(DATA_SUFFIXES)


@dataclasses.dataclass(frozen=True)
class DataTarget(Target):
    """The points of a `.npy` or `.csv` file, drawn at random with replacement.

    Read and checked on construction. Two targets are equal when they come from the
    same path with the same bytes (`sha256`).

    Attributes:
        path: The file, as given.
        name: The file's stem, e.g. `"heights"` for `data/heights.csv`.
        columns: 1 for values (drawn as points `(v, 0)`), 2 for points `(x, y)`.
        sha256: Hex digest of the file's bytes, which `config.json` records so a
            replay can tell when the file changed.
        points: `(n, 2)` float32 array of the file's points, read-only.

    Raises:
        Gan1dError: If the file is missing, too large, not a `.npy` or `.csv`, cannot
            be parsed, holds Python objects, has the wrong shape, fewer than
            `MIN_DATA_POINTS` or more than `MAX_DATA_POINTS` points, a value that is
            not finite or whose size passes `MAX_ABS_VALUE`.
    """

    path: str
    name: str = dataclasses.field(init=False)
    columns: int = dataclasses.field(init=False)
    sha256: str = dataclasses.field(init=False)
    points: np.ndarray = dataclasses.field(init=False, repr=False, compare=False)
    _bounds: Bounds = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.path, os.PathLike):
            object.__setattr__(self, "path", os.fspath(self.path))
        if not isinstance(self.path, str):
            raise Gan1dError(f"a data file's path must be a string, got {type(self.path).__name__}")
        data = _read_bytes(self.path)
        where: Callable[[int], str] = _index
        if self.path.lower().endswith(".npy"):
            values = _npy_values(self.path, data)
        else:
            values, lines = _csv_values(self.path, data)
            where = _on_line(lines)
        _check_values(self.path, values, where)
        columns = values.shape[1]
        points = values if columns == 2 else np.pad(values, ((0, 0), (0, 1)))
        points = points.astype(np.float32)
        points.setflags(write=False)
        object.__setattr__(self, "name", Path(self.path).stem)
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "sha256", hashlib.sha256(data).hexdigest())
        object.__setattr__(self, "points", points)
        low, high = points.min(axis=0), points.max(axis=0)
        object.__setattr__(self, "_bounds", ((float(low[0]), float(high[0])), (float(low[1]), float(high[1]))))

    @property
    def bounds(self) -> Bounds:
        """((xmin, xmax), (ymin, ymax)) of the file's points; y is (0, 0) for values."""
        return self._bounds

    @property
    def spread(self) -> tuple[float, float]:
        """Width and height of the sample, the units of its metrics, never 0.

        A flat side (values on the x axis, points on a line) takes the other side's
        width, and a single repeated point takes `scale`, as the pictures widen a
        flat plane.
        """
        (x0, x1), (y0, y1) = self.bounds
        width = (x1 - x0) or (y1 - y0) or self.scale
        return width, (y1 - y0) or width

    def describe(self) -> dict[str, object]:
        """JSON-able description, e.g. `{"kind": "data", "name": "heights", "path": ..., "sha256": ...}`."""
        return {
            "kind": "data",
            "name": self.name,
            "path": self.path,
            "points": int(self.points.shape[0]),
            "columns": self.columns,
            "sha256": self.sha256,
        }

    def _sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.points[rng.integers(0, self.points.shape[0], size=n)]

    def _sample_tensor(self, n: int, seed: Any) -> Any:
        return sample_rows_tensor(self.points, n, seed)


# (path as given, the file's identity and stat) -> the target read from it, newest last.
_LOADED: dict[tuple[str, str, int, int, int], DataTarget] = {}


def load_data(path: str) -> DataTarget:
    """`DataTarget(path)`, read once while the file keeps its size and modification time.

    A config is built and checked more than once (the command line, then the run;
    each variant of a study), and a file may hold a million points.

    Raises:
        Gan1dError: As `DataTarget` does.
    """
    file = Path(path)
    try:
        stat = file.stat()
    except (OSError, ValueError):
        return DataTarget(path)  # which says what is wrong
    key = (path, str(file.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if key not in _LOADED:
        _LOADED[key] = DataTarget(path)
        while len(_LOADED) > 8:
            _LOADED.pop(next(iter(_LOADED)))
    return _LOADED[key]


def _read_bytes(path: str) -> bytes:
    """The file's bytes, after checking its suffix and size without reading it."""
    if not is_data_path(path):
        raise Gan1dError(f"data file {path!r} must end in .npy or .csv (any case), got {Path(path).suffix or 'none'}")
    file = Path(path)
    data = b""
    try:
        size = file.stat().st_size
        is_file = file.is_file()
        if is_file and 0 < size <= MAX_DATA_BYTES:
            with file.open("rb") as opened:
                data = opened.read(MAX_DATA_BYTES + 1)
            size = len(data)  # it may have changed since
    except FileNotFoundError:
        raise Gan1dError(f"data file {path!r} does not exist") from None
    except (OSError, ValueError) as error:  # ValueError: a path the system cannot take (a NUL byte)
        raise Gan1dError(f"cannot read data file {path!r}: {getattr(error, 'strerror', None) or error}") from None
    if not is_file:
        raise Gan1dError(f"data file {path!r} is not a file; give a .npy or .csv file")
    if size > MAX_DATA_BYTES:
        raise Gan1dError(
            f"data file {path!r} is {size / 2**20:.1f} MiB; the limit is {MAX_DATA_BYTES // 2**20} MiB "
            f"(at most {MAX_DATA_POINTS} points)"
        )
    if size == 0:
        raise Gan1dError(f"data file {path!r} is empty; it must hold at least {MIN_DATA_POINTS} points")
    return data


def _npy_values(path: str, data: bytes) -> np.ndarray:
    """A `.npy` file's array as `(n, columns)` float64, its header checked before its data is read."""
    buffer = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(buffer)
    except ValueError:
        raise Gan1dError(
            f"data file {path!r} is not a NumPy .npy file (no .npy header); save it with np.save"
        ) from None
    read_header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    if version not in read_header:
        raise Gan1dError(f"data file {path!r} uses .npy format {version}; save an array of numbers with np.save")
    try:
        shape, _, dtype = read_header[version](buffer)
    except ValueError:
        raise Gan1dError(f"data file {path!r} has a damaged .npy header; save it again with np.save") from None
    if dtype.hasobject:
        raise Gan1dError(
            f"data file {path!r} holds Python objects, which would be unpickled (run as code), so gan1d never loads "
            "them; save an array of numbers"
        )
    if dtype.kind not in "iuf":
        raise Gan1dError(f"data file {path!r} holds {dtype} values; it must hold real numbers (integers or floats)")
    if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] not in (1, 2)):
        raise Gan1dError(f"data file {path!r} holds an array of shape {shape}; allowed: {_SHAPES}")
    _check_count(path, shape[0])
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, EOFError):
        raise Gan1dError(f"data file {path!r} is cut short or damaged; save it again with np.save") from None
    return np.asarray(array, dtype=np.float64).reshape(shape[0], -1)


def _csv_values(path: str, data: bytes) -> tuple[np.ndarray, list[int]]:
    """A `.csv` file's numbers as `(n, columns)` float64, and the file's line number of each row."""
    try:
        text = data.decode("utf-8-sig")  # the byte order mark spreadsheets write is no header
    except UnicodeDecodeError:
        raise Gan1dError(f"data file {path!r} is not UTF-8 text; a .csv holds {_CSV_FORMAT}") from None
    numbered = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if numbered and not any(_is_number(field) for field in numbered[0][1].split(",")):
        numbered = numbered[1:]  # the header row of names
    if not numbered:
        raise Gan1dError(f"data file {path!r} holds no points; a .csv holds {_CSV_FORMAT}")
    if len(numbered) > MAX_DATA_POINTS:
        _check_count(path, len(numbered))
    columns = numbered[0][1].count(",") + 1
    if columns > 2:
        raise Gan1dError(
            f"data file {path!r} has {columns} columns (line {numbered[0][0]}); allowed: 1 (values) or 2 (points x, y)"
        )
    try:
        values = np.loadtxt([line for _, line in numbered], delimiter=",", dtype=np.float64, ndmin=2, comments=None)
    except ValueError as error:
        raise Gan1dError(
            _first_bad_line(path, numbered, columns) or f"cannot parse data file {path!r}: {error}"
        ) from None
    _check_count(path, len(numbered))
    return values, [number for number, _ in numbered]


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def _first_bad_line(path: str, numbered: list[tuple[int, str]], columns: int) -> str | None:
    """What is wrong with the first row NumPy could not read, naming its line."""
    for number, line in numbered:
        fields = line.split(",")
        if len(fields) != columns:
            return (
                f"line {number} of data file {path!r} has {len(fields)} values where line {numbered[0][0]} has "
                f"{columns}; a .csv holds {_CSV_FORMAT}"
            )
        for field in fields:
            if not _is_number(field):
                shown = field.strip() if len(field.strip()) <= 40 else field.strip()[:37] + "..."
                return f"line {number} of data file {path!r}: {shown!r} is not a number; a .csv holds {_CSV_FORMAT}"
    return None


def _check_count(path: str, count: int) -> None:
    if count == 0:
        raise Gan1dError(f"data file {path!r} holds no points; it must hold at least {MIN_DATA_POINTS}")
    if count < MIN_DATA_POINTS:
        raise Gan1dError(f"data file {path!r} holds {count} point; it must hold at least {MIN_DATA_POINTS}")
    if count > MAX_DATA_POINTS:
        raise Gan1dError(f"data file {path!r} holds {count} points; the limit is {MAX_DATA_POINTS}")


def _index(row: int) -> str:
    return f"at index {row}"


def _on_line(lines: list[int]) -> Callable[[int], str]:
    return lambda row: f"on line {lines[row]}"


def _check_values(path: str, values: np.ndarray, where: Callable[[int], str]) -> None:
    """Refuses a value that is not finite or too large, naming the first row that holds one."""
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        row = int(np.argmax(bad))
        raise Gan1dError(
            f"data file {path!r} holds {_shown(values[row])} {where(row)}; every value must be a finite number "
            "(no NaN or infinity)"
        )
    big = (np.abs(values) > MAX_ABS_VALUE).any(axis=1)
    if big.any():
        row = int(np.argmax(big))
        raise Gan1dError(
            f"data file {path!r} holds {_shown(values[row])} {where(row)}; values must lie in "
            f"[-{MAX_ABS_VALUE:g}, {MAX_ABS_VALUE:g}], so rescale them"
        )


def _shown(row: np.ndarray) -> str:
    """A row as the file holds it: a value, or a point `(x, y)`."""
    text = ", ".join(f"{value:.6g}" for value in row)
    return text if len(row) == 1 else f"({text})"
