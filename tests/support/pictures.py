"""What the picture tests share: a curve, real points on it, snapshots, and checks of image files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from gan1d.core.views import Views
from gan1d.core.views import plane as gan1d_plane

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


def views(snaps: list[tuple[int, np.ndarray]], cells: int = 24) -> Views:
    """Layers for `snaps` as a run would capture them: the discriminator ever surer near the curve,
    pushes towards the curve, and a manifold that folds onto it."""
    plane = gan1d_plane(BOUNDS)
    (x0, x1), (y0, y1) = plane
    xs = x0 + (np.arange(cells) + 0.5) * (x1 - x0) / cells
    ys = y0 + (np.arange(cells) + 0.5) * (y1 - y0) / cells
    gx, gy = np.meshgrid(xs, ys)
    verdict, push, manifold = [], [], []
    t = np.linspace(-0.5, 0.5, 41)
    for i, (_, points) in enumerate(snaps):
        sharp = 5.0 + 10.0 * min(i, 20)
        verdict.append(1 / (1 + np.exp(np.clip(sharp * (np.abs(gy - gx**2) - 0.05), -50, 50))))
        push.append(np.c_[np.zeros(len(points)), points[:, 0] ** 2 - points[:, 1]])
        lines = np.stack([np.c_[t, t**2 + 0.05 * k] for k in range(3)])
        manifold.append(lines)
    return Views(plane, np.array(verdict), np.array(push), np.array(manifold))


def history(epochs: int) -> dict[str, list[float]]:
    """Losses of `epochs` epochs settling towards ln 2, as a balanced GAN's do."""
    e = np.arange(1, epochs + 1)
    return {"d_loss": list(0.69 - 0.3 * np.exp(-e / 50)), "g_loss": list(0.69 + 0.6 * np.exp(-e / 50))}


def share_near(image: Image.Image, color: tuple[int, int, int] | np.ndarray, tolerance: int = 6) -> float:
    """The share of an image's pixels within `tolerance` of `color` in every channel."""
    pixels = np.asarray(image.convert("RGB")).astype(int)
    return float((np.abs(pixels - np.asarray(color, dtype=int)).max(axis=-1) <= tolerance).mean())


def frames(path: Path) -> list[Image.Image]:
    """Every frame of an animated GIF, as RGB images (what a viewer shows)."""
    with Image.open(path) as gif:
        shown = []
        for i in range(gif.n_frames):
            gif.seek(i)
            shown.append(gif.convert("RGB"))
    return shown
