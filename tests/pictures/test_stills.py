"""Tests for gan1d.pictures.stills: real artifacts, written and opened again with Pillow."""

from __future__ import annotations

import ast
import gc
import weakref
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from gan1d.errors import Gan1dError
from gan1d.pictures import stills
from support.pictures import BOUNDS, CURVE, REAL, assert_real_image, no_leftovers


def test_plot_target(tmp_path: Path) -> None:
    out = stills.plot_target(REAL, CURVE, tmp_path / "target.png", title="x**2")
    assert out == tmp_path / "target.png"
    assert_real_image(out, (500, 500))
    assert no_leftovers(tmp_path)


def test_plot_target_planar_without_curve(tmp_path: Path) -> None:
    blob = np.random.default_rng(2).normal(size=(100, 2))
    assert_real_image(stills.plot_target(blob, None, str(tmp_path / "blob.png")))


def test_plot_target_creates_missing_directory(tmp_path: Path) -> None:
    assert_real_image(stills.plot_target(REAL, CURVE, tmp_path / "a" / "b" / "target.png"))


def test_plot_losses_long_run_with_gaps(tmp_path: Path) -> None:
    n = 5000
    d = 0.7 + np.random.default_rng(3).normal(0, 0.05, n)
    g = 0.9 + np.random.default_rng(4).normal(0, 0.1, n)
    d[100:110] = np.nan  # a diverged stretch must not blank the moving average
    out = stills.plot_losses(d.tolist(), g.tolist(), tmp_path / "losses.png")
    assert_real_image(out, (700, 400))


def test_plot_losses_short_with_epochs(tmp_path: Path) -> None:
    out = stills.plot_losses([1.0, 0.8, 0.7], [0.5, 0.9, 0.8], tmp_path / "l.png", epochs=[10, 20, 30])
    assert_real_image(out)


@pytest.mark.parametrize(
    ("d", "g", "epochs"),
    [
        ([], [], None),
        ([1.0, 2.0], [1.0], None),
        ([1.0], [1.0], [1, 2]),
        ([[1.0]], [[1.0]], None),
    ],
)
def test_plot_losses_rejects_bad_input(
    tmp_path: Path, d: list[float], g: list[float], epochs: list[int] | None
) -> None:
    with pytest.raises(Gan1dError):
        stills.plot_losses(d, g, tmp_path / "l.png", epochs=epochs)
    assert not (tmp_path / "l.png").exists()


def test_plot_samples_same_limits_as_bounds(tmp_path: Path) -> None:
    generated = REAL + np.random.default_rng(5).normal(0, 0.02, REAL.shape)
    out = stills.plot_samples(REAL, generated, tmp_path / "s.png", curve=CURVE, bounds=BOUNDS)
    assert_real_image(out, (500, 500))
    assert_real_image(stills.plot_samples(REAL, generated, tmp_path / "t.png"))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bounds": ((1.0, 0.0), (0.0, 1.0))},
        {"bounds": ((0.0, np.inf), (0.0, 1.0))},
        {"bounds": (0.0, 1.0)},
        {"curve": (np.zeros(3), np.zeros(4))},
    ],
)
def test_plot_samples_rejects_bad_bounds_and_curve(tmp_path: Path, kwargs: dict[str, object]) -> None:
    with pytest.raises(Gan1dError):
        stills.plot_samples(REAL, REAL, tmp_path / "s.png", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("points", [np.zeros((0, 2)), np.zeros((5, 3)), np.zeros(5), [["a", "b"]]])
def test_bad_point_arrays_raise(tmp_path: Path, points: object) -> None:
    with pytest.raises(Gan1dError):
        stills.plot_target(points, None, tmp_path / "t.png")  # type: ignore[arg-type]


def test_plot_quality(tmp_path: Path) -> None:
    epochs = list(range(20, 1001, 20))
    curves = {
        "distance": np.exp(-np.arange(50) / 10),
        "coverage": 1 - np.exp(-np.arange(50) / 8),
    }
    out = stills.plot_quality(epochs, curves, tmp_path / "q.png")
    assert_real_image(out)
    with pytest.raises(Gan1dError):
        stills.plot_quality(epochs, {}, tmp_path / "q2.png")
    with pytest.raises(Gan1dError):
        stills.plot_quality(epochs, {"distance": [1.0, 2.0]}, tmp_path / "q2.png")


def test_unsupported_image_suffix_raises(tmp_path: Path) -> None:
    for name in ("target.xyz", "target"):
        with pytest.raises(Gan1dError, match="unsupported image format"):
            stills.plot_target(REAL, CURVE, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_other_image_formats(tmp_path: Path) -> None:
    out = stills.plot_target(REAL, CURVE, tmp_path / "target.svg")
    assert out.read_text().lstrip().startswith("<?xml")


def test_interrupted_png_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    final = tmp_path / "target.png"

    def half_write(self: Figure, fname: Path, **kwargs: object) -> None:
        Path(fname).write_bytes(b"\x89PNG half")
        raise KeyboardInterrupt

    monkeypatch.setattr(Figure, "savefig", half_write)
    with pytest.raises(KeyboardInterrupt):
        stills.plot_target(REAL, CURVE, final)
    assert list(tmp_path.iterdir()) == []

    # An older file under the final name survives a failed rewrite untouched.
    final.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        stills.plot_losses([1.0], [2.0], final)
    assert final.read_bytes() == b"old"
    assert no_leftovers(tmp_path)


def test_figures_are_released(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[weakref.ref[Figure]] = []

    class TrackedFigure(Figure):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            made.append(weakref.ref(self))

    monkeypatch.setattr(stills, "Figure", TrackedFigure)
    for i in range(3):
        stills.plot_target(REAL, CURVE, tmp_path / f"t{i}.png")
        stills.plot_losses([1.0, 0.5], [0.5, 1.0], tmp_path / f"l{i}.png")
        stills.plot_samples(REAL, REAL, tmp_path / f"s{i}.png", curve=CURVE)
        stills.plot_quality([1, 2], {"m": [0.1, 0.2]}, tmp_path / f"q{i}.png")
    gc.collect()
    assert len(made) == 12
    assert all(ref() is None for ref in made)
    assert plt.get_fignums() == []


def test_module_is_headless_and_framework_free() -> None:
    # Checked on the source so the package __init__ (other modules) cannot interfere.
    source = Path(stills.__file__).read_text()
    tree = ast.parse(source)
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    forbidden = ("matplotlib.pyplot", "keras", "tensorflow", "jax", "torch")
    assert not [m for m in imported if m.split(".")[0] in forbidden or m in forbidden]
    assert "matplotlib.use(" not in source
    assert "pyplot" not in imported
