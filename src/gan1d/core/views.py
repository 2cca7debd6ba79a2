"""What the teaching pictures show besides the points, captured at every snapshot.

The layers of GAN Lab's view, for any target: the discriminator's verdict over a
fixed grid of the visible plane (a heatmap), the push the generator's loss gives
each generated point (minus its gradient with respect to the point), and the
generator's manifold (a grid of latent points mapped through the generator).
`gan1d.core.capture` computes them in `keras.ops` inside the compiled training
loop, already in the shapes `Views` holds; `Views` keeps what a run captured, one
row per snapshot, from the device to `snapshots.npz` and to the pictures.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from gan1d.errors import Gan1dError

if TYPE_CHECKING:
    from gan1d.data.distribution import Bounds

__all__ = ["CAPTURED", "MANIFOLD_SAMPLES", "Views", "latent_grid", "plane", "plane_grid"]

# The layers a snapshot adds to its points, in the shapes `Views` holds per row.
CAPTURED = ("verdict", "push", "manifold")
# The visible plane reaches this share of the target's span beyond it on every side,
# so points arriving from outside are seen while the target fills most of the view.
PLANE_MARGIN = 0.25
# Heatmap cells per side: fine enough for a smooth boundary, cheap to score.
HEATMAP_CELLS = 48
# The manifold: lines of latent points through [-REACH, REACH] standard deviations.
MANIFOLD_LINES = 9
MANIFOLD_SAMPLES = 41
LATENT_REACH = 2.0


def plane(bounds: Bounds) -> Bounds:
    """The visible plane around a target's `((xmin, xmax), (ymin, ymax))`, widened on every side.

    A flat side (a constant function) gets the other side's span, so the plane is
    never empty; a single point (a data file of one repeated point) gets its
    largest absolute coordinate as its span, or 1 at the origin.
    """
    (x0, x1), (y0, y1) = ((float(a), float(b)) for a, b in bounds)
    x_span, y_span = x1 - x0, y1 - y0
    # A point at the origin has no size at all: give it a unit window.
    largest = max(max(x_span, y_span, abs(x0), abs(x1), abs(y0), abs(y1)) or 1.0, 1e-6)
    x_span = x_span if x_span > 1e-9 * largest else max(y_span, largest)
    y_span = y_span if y_span > 1e-9 * largest else max(x_span, largest)
    x_mid, y_mid = (x0 + x1) / 2, (y0 + y1) / 2
    x_half, y_half = (0.5 + PLANE_MARGIN) * x_span, (0.5 + PLANE_MARGIN) * y_span
    return (x_mid - x_half, x_mid + x_half), (y_mid - y_half, y_mid + y_half)


def plane_grid(bounds: Bounds, cells: int = HEATMAP_CELLS) -> np.ndarray:
    """The centres of `cells x cells` equal cells covering `bounds`, `(cells * cells, 2)` float32.

    Row-major from the bottom row: point `r * cells + c` is the centre of row `r`
    (from y min), column `c` (from x min).
    """
    (x0, x1), (y0, y1) = bounds
    xs = x0 + (np.arange(cells) + 0.5) * (x1 - x0) / cells
    ys = y0 + (np.arange(cells) + 0.5) * (y1 - y0) / cells
    grid_x, grid_y = np.meshgrid(xs, ys)
    return np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype("float32")


def latent_grid(latent_dim: int, reach: float = LATENT_REACH) -> np.ndarray:
    """Latent points whose images draw the generator's manifold, `(lines * MANIFOLD_SAMPLES, latent_dim)`.

    A 1-D latent gives one line; otherwise `MANIFOLD_LINES` lines along each of the
    first two latent directions (the others held at 0), a square mesh, through
    [-reach, reach] (2 standard deviations of normal noise; 1 for uniform noise on [-1, 1]).
    """
    t = np.linspace(-reach, reach, MANIFOLD_SAMPLES)
    if latent_dim == 1:
        return t[:, None].astype("float32")
    levels = np.linspace(-reach, reach, MANIFOLD_LINES)
    along_second = [np.stack([np.full_like(t, level), t], axis=1) for level in levels]
    along_first = [np.stack([t, np.full_like(t, level)], axis=1) for level in levels]
    mesh = np.concatenate([*along_second, *along_first])
    return np.pad(mesh, ((0, 0), (0, latent_dim - 2))).astype("float32")


@dataclasses.dataclass(frozen=True)
class Views:
    """The layers a run captured at its snapshots, one row per snapshot.

    Attributes:
        plane: `((xmin, xmax), (ymin, ymax))`: the visible plane the heatmap covers.
        verdict: `(frames, cells, cells)` float32 in [0, 1]: the discriminator's
            probability that a point is real, at each cell's centre; row 0 is the
            bottom row (y min).
        push: `(frames, n, 2)` float32: minus the generator loss's gradient with
            respect to each snapshot point, in data units per unit of loss.
        manifold: `(frames, lines, samples, 2)` float32: the generator's image of
            the latent grid, line by line.
    """

    plane: Bounds
    verdict: np.ndarray
    push: np.ndarray
    manifold: np.ndarray

    def __post_init__(self) -> None:
        try:
            (x0, x1), (y0, y1) = ((float(a), float(b)) for a, b in self.plane)
        except (TypeError, ValueError):
            raise Gan1dError(f"views.plane must be ((xmin, xmax), (ymin, ymax)), got {self.plane!r}") from None
        if not (np.isfinite([x0, x1, y0, y1]).all() and x0 < x1 and y0 < y1):
            raise Gan1dError(f"views.plane must be finite with min < max, got {self.plane!r}")
        object.__setattr__(self, "plane", ((x0, x1), (y0, y1)))
        shapes = {"verdict": 3, "push": 3, "manifold": 4}
        for name, ndim in shapes.items():
            array = np.asarray(getattr(self, name), dtype=np.float32)
            if array.ndim != ndim or (name != "verdict" and array.shape[-1] != 2):
                raise Gan1dError(f"views.{name} has shape {array.shape}, which is not one row per snapshot")
            object.__setattr__(self, name, array)
        if not len(self.verdict) == len(self.push) == len(self.manifold):
            raise Gan1dError("views.verdict, views.push and views.manifold differ in their number of snapshots")

    def __len__(self) -> int:
        return len(self.verdict)

    @classmethod
    def stack(cls, plane: Bounds, rows: Sequence[Mapping[str, np.ndarray]]) -> Views:
        """Views from one row per snapshot, each holding `CAPTURED` in a row's shape."""
        if not rows:
            raise Gan1dError("no captured snapshots to stack")
        return cls(plane, *(np.stack([row[name] for row in rows]) for name in CAPTURED))

    def rows(self) -> list[dict[str, np.ndarray]]:
        """One dict per snapshot, as `stack` takes them."""
        return [{name: getattr(self, name)[i] for name in CAPTURED} for i in range(len(self))]

    def arrays(self) -> dict[str, np.ndarray]:
        """The views as named arrays, for `np.savez` (`from_arrays` reads them back)."""
        return {
            "view_plane": np.asarray(self.plane, dtype=np.float64),
            "view_verdict": self.verdict,
            "view_push": self.push,
            "view_manifold": self.manifold,
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Views | None:
        """The views `arrays` wrote, or None where they are absent."""
        if "view_verdict" not in arrays:
            return None
        plane_array = np.asarray(arrays["view_plane"], dtype=float)
        bounds = (
            (float(plane_array[0, 0]), float(plane_array[0, 1])),
            (float(plane_array[1, 0]), float(plane_array[1, 1])),
        )
        return cls(bounds, arrays["view_verdict"], arrays["view_push"], arrays["view_manifold"])
