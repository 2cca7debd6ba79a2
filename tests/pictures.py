"""What the picture tests share: a curve, real points on it, snapshots, and checks of image files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

RNG = np.random.default_rng(0)
XS = RNG.uniform(-0.5, 0.5, 100)
REAL = np.c_[XS, XS**2]
CURVE_X = np.linspace(-0.5, 0.5, 200)
CURVE = (CURVE_X, CURVE_X**2)
BOUNDS = ((-0.5, 0.5), (0.0, 0.25))


def snapshots(n: int, points: int = 100) -> list[tuple[int, np.ndarray]]:
    """n snapshots drifting from noise onto the curve, as training would."""
    rng = np.random.default_rng(1)
    noise = rng.uniform(-0.5, 0.5, (points, 2))
    out = []
    for i in range(n):
        t = i / max(n - 1, 1)
        x = noise[:, 0]
        out.append(((i + 1) * 20, np.c_[x, (1 - t) * noise[:, 1] + t * x**2]))
    return out


def assert_real_image(path: Path, size: tuple[int, int] | None = None) -> None:
    """The file opens, has the size, and is a picture rather than one flat colour."""
    assert path.is_file()
    with Image.open(path) as image:
        if size is not None:
            assert image.size == size
        colors = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colors is not None
    assert len(colors) > 8


def no_leftovers(directory: Path) -> bool:
    return not [p for p in directory.iterdir() if ".tmp" in p.name]
