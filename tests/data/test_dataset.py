"""gan1d.data.dataset: a user's `.npy` or `.csv` file as the target, read right or refused in one line."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

from gan1d.data import dataset
from gan1d.data.dataset import MAX_DATA_BYTES, DataTarget, load_data
from gan1d.data.targets import target
from gan1d.errors import Gan1dError

BACKEND = keras.backend.backend()


def _write(path: Path, content: str | bytes | np.ndarray) -> Path:
    if isinstance(content, np.ndarray):
        with path.open("wb") as file:  # np.save would add .npy to a name ending in .NPY
            np.save(file, content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode("utf-8"))
    return path


class _Unpickled:
    """Leaves a file behind if it is ever unpickled: a stand-in for code hidden in a pickled array."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def _pickled(path: Path) -> Path:
    np.save(path, np.array([_Unpickled(path.with_name("ran")), 1.0], dtype=object), allow_pickle=True)
    return path


# File name -> what the file holds; a function of the path for files that need one.
BAD_FILES: dict[str, tuple[str | bytes | np.ndarray | Callable[[Path], Path], str]] = {
    "values.txt": ("1\n2\n", "must end in .npy or .csv"),
    "empty.csv": ("", "is empty"),
    "blank.csv": ("\n  \n", "holds no points"),
    "header.csv": ("x,y\n", "holds no points"),
    "latin1.csv": ("h\xf6he\n1\n2\n".encode("latin-1"), "not UTF-8 text"),
    "word.csv": ("x,y\n1,2\n\n3,abc\n", "line 4 of data file 'word.csv': 'abc' is not a number"),
    "semicolons.csv": ("1;2\n3;4\n", "'3;4' is not a number"),
    "ragged.csv": ("1,2\n3,4,5\n", "line 2 of data file 'ragged.csv' has 3 values where line 1 has 2"),
    "three.csv": ("a,b,c\n1,2,3\n4,5,6\n", "has 3 columns"),
    "nan.csv": ("x,y\n1,2\n\n3,nan\n", "holds (3, nan) on line 4; every value must be a finite number"),
    "inf.csv": ("1\n-inf\n", "holds -inf on line 2"),
    "huge.csv": ("1\n2e6\n", "values must lie in [-1e+06, 1e+06]"),
    "single.csv": ("x\n1.5\n", "holds 1 point; it must hold at least 2"),
    "text.npy": ("1,2\n3,4\n", "is not a NumPy .npy file"),
    "pickled.npy": (_pickled, "holds Python objects"),
    "strings.npy": (np.array(["1", "2"]), "holds <U1 values"),
    "flags.npy": (np.array([True, False]), "holds bool values"),
    "complex.npy": (np.array([1j, 2.0]), "holds complex128 values"),
    "wide.npy": (np.zeros((4, 3)), "shape (4, 3); allowed: (n,) or (n, 1) values, or (n, 2) points"),
    "cube.npy": (np.zeros((2, 2, 2)), "shape (2, 2, 2)"),
    "scalar.npy": (np.array(1.0), "shape ()"),
    "none.npy": (np.zeros((0, 2)), "holds no points"),
    "one.npy": (np.zeros((1, 2)), "holds 1 point"),
    "nan.npy": (np.array([[0.0, 1.0], [2.0, np.nan]]), "holds (2, nan) at index 1"),
    "huge.npy": (np.array([1.0, -3e6]), "holds -3e+06 at index 1"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_is_refused_in_one_line_that_says_what_is_allowed(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    content, fragment = BAD_FILES[name]
    path = content(Path(name)) if callable(content) else _write(Path(name), content)
    with pytest.raises(Gan1dError) as refused:
        DataTarget(str(path))
    message = str(refused.value)
    assert fragment in message
    assert "\n" not in message
    assert message.isascii()  # a terminal in any locale prints it
    assert not Path("ran").exists()  # the pickled object was never unpickled


def test_a_missing_file_a_folder_and_a_cut_npy_are_refused(tmp_path):
    with pytest.raises(Gan1dError, match="does not exist"):
        target(str(tmp_path / "missing.csv"))
    (tmp_path / "folder.npy").mkdir()
    with pytest.raises(Gan1dError, match="is not a file"):
        target(str(tmp_path / "folder.npy"))
    whole = _write(tmp_path / "whole.npy", np.arange(100.0)).read_bytes()
    (tmp_path / "cut.npy").write_bytes(whole[:-16])
    with pytest.raises(Gan1dError, match="cut short"):
        target(str(tmp_path / "cut.npy"))


def test_a_file_too_large_is_refused_before_it_is_read(tmp_path, monkeypatch):
    big = tmp_path / "big.csv"
    with big.open("wb") as file:
        file.truncate(MAX_DATA_BYTES + 1)  # sparse: costs no disk

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", never)
    with pytest.raises(Gan1dError, match=r"is 100\.0 MiB; the limit is 100 MiB"):
        DataTarget(str(big))


def test_too_many_points_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset, "MAX_DATA_POINTS", 3)
    _write(tmp_path / "four.csv", "1\n2\n3\n4\n")
    _write(tmp_path / "four.npy", np.arange(4.0))
    for name in ("four.csv", "four.npy"):
        with pytest.raises(Gan1dError, match="holds 4 points; the limit is 3"):
            DataTarget(str(tmp_path / name))


def test_a_data_file_takes_no_domain(tmp_path):
    path = _write(tmp_path / "p.csv", "1,2\n3,4\n")
    with pytest.raises(Gan1dError, match="takes no domain"):
        target(str(path), domain=(0, 1))


POINTS = np.array([[0.5, -1.0], [2.0, 3.0], [-1.5, 0.25]])


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("points.npy", POINTS),
        ("points32.NPY", POINTS.astype(np.float32)),
        ("points.csv", "0.5,-1\n2,3\n-1.5,0.25\n"),
        ("named.csv", "\ufeffx, y\r\n0.5, -1\r\n\r\n2e0,3\r\n-1.5,+0.25\r\n"),
    ],
)
def test_points_are_read_as_the_file_holds_them(tmp_path, monkeypatch, name, content):
    monkeypatch.chdir(tmp_path)
    _write(Path(name), content)
    data = target(name)
    assert isinstance(data, DataTarget)
    np.testing.assert_array_equal(data.points, POINTS.astype(np.float32))
    assert data.points.dtype == np.float32
    assert data.columns == 2
    assert data.bounds == ((-1.5, 2.0), (-1.0, 3.0))
    assert data.spread == (3.5, 4.0)
    described = data.describe()
    assert described == {
        "kind": "data",
        "name": Path(name).stem,
        "path": name,
        "points": 3,
        "columns": 2,
        "sha256": hashlib.sha256(Path(name).read_bytes()).hexdigest(),
    }
    assert json.loads(json.dumps(described)) == described


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("values.npy", np.array([3, 1, 2], dtype=np.int16)),
        ("column.npy", np.array([[3.0], [1.0], [2.0]])),
        ("values.csv", "3\n1\n2\n"),
        ("height.csv", "height\n3\n1\n2\n"),
    ],
)
def test_values_are_points_on_the_x_axis(tmp_path, name, content):
    data = target(_write(tmp_path / name, content))
    assert isinstance(data, DataTarget)
    np.testing.assert_array_equal(data.points, [[3, 0], [1, 0], [2, 0]])
    assert data.columns == 1
    assert data.bounds == ((1.0, 3.0), (0.0, 0.0))
    assert data.spread == (2.0, 2.0)  # the flat y takes the width
    assert data.describe()["columns"] == 1


def test_one_repeated_point_is_a_point_mass(tmp_path):
    at_three = target(_write(tmp_path / "three.csv", "3\n3\n3\n"))
    assert isinstance(at_three, DataTarget)
    assert at_three.bounds == ((3.0, 3.0), (0.0, 0.0))
    assert at_three.spread == (3.0, 3.0)
    at_origin = target(_write(tmp_path / "origin.npy", np.zeros((4, 2))))
    assert isinstance(at_origin, DataTarget)
    assert at_origin.spread == (1.0, 1.0)
    np.testing.assert_array_equal(at_origin.sample(5, seed=0), np.zeros((5, 2)))


def test_a_target_is_its_file_read_once_until_the_file_changes(tmp_path):
    path = _write(tmp_path / "p.csv", "1,2\n3,4\n")
    first = load_data(str(path))
    assert load_data(str(path)) is first
    assert DataTarget(str(path)) == first
    assert hash(DataTarget(str(path))) == hash(first)
    path.write_text("1,2\n3,5\n")
    os.utime(path, ns=(0, 0))  # a new modification time even on a coarse clock
    changed = load_data(str(path))
    assert changed != first
    assert changed.sha256 != first.sha256
    np.testing.assert_array_equal(changed.points, [[1, 2], [3, 5]])


def _rows(points: np.ndarray) -> set[tuple[float, float]]:
    return {(float(x), float(y)) for x, y in np.asarray(points, dtype=np.float32)}


@pytest.fixture
def spiral(tmp_path) -> DataTarget:
    t = np.linspace(0, 12, 500)
    points = np.stack([t * np.cos(t), t * np.sin(t)], axis=1)
    data = target(_write(tmp_path / "spiral.npy", points))
    assert isinstance(data, DataTarget)
    return data


def test_numpy_sampling_draws_rows_of_the_file_with_replacement(spiral):
    drawn = spiral.sample(2000, seed=1)
    assert drawn.shape == (2000, 2)
    assert drawn.dtype == np.float32
    assert _rows(drawn) <= _rows(spiral.points)
    assert len(_rows(drawn)) > 400  # spread over the file, not stuck on a few rows
    np.testing.assert_array_equal(drawn, spiral.sample(2000, seed=1))


def test_device_sampling_draws_rows_of_the_file(spiral):
    generator = keras.random.SeedGenerator(3)
    first = keras.ops.convert_to_numpy(spiral.sample_tensor(1000, generator))
    assert first.shape == (1000, 2)
    assert first.dtype == np.float32
    assert _rows(first) <= _rows(spiral.points)
    assert len(_rows(first)) > 400
    second = keras.ops.convert_to_numpy(spiral.sample_tensor(1000, generator))
    assert not np.array_equal(first, second)


def test_device_sampling_inside_a_compiled_function_draws_rows_of_the_file(spiral):
    if BACKEND == "jax":
        import jax

        compiled = jax.jit(lambda key: spiral.sample_tensor(1000, key))
        drawn = compiled(jax.random.PRNGKey(0))
    else:
        import tensorflow as tf

        generator = keras.random.SeedGenerator(0)
        drawn = tf.function(lambda: spiral.sample_tensor(1000, generator))()
    points = keras.ops.convert_to_numpy(drawn)
    assert points.shape == (1000, 2)
    assert _rows(points) <= _rows(spiral.points)
    assert len(_rows(points)) > 400
