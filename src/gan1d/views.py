"""What the teaching pictures show besides the points, captured at every snapshot.

The layers of GAN Lab's view, for any target: the discriminator's verdict over a
fixed grid of the visible plane (a heatmap), the push the generator's loss gives
each generated point (minus its gradient with respect to the point), and the
generator's manifold (a grid of latent points mapped through the generator).
`capture` computes them in `keras.ops` from a GAN's state, inside the compiled
training loop; `Views` holds what a run captured, for the pictures to draw.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from gan1d.errors import Gan1dError

if TYPE_CHECKING:
    from gan1d.backend import GANState
    from gan1d.gan import GAN

__all__ = ["CAPTURED", "Views", "capture", "latent_grid", "plane", "plane_grid"]

Bounds = tuple[tuple[float, float], tuple[float, float]]

# What `capture` adds to a snapshot.
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
    never empty.
    """
    (x0, x1), (y0, y1) = ((float(a), float(b)) for a, b in bounds)
    x_span, y_span = x1 - x0, y1 - y0
    largest = max(x_span, y_span, abs(x0), abs(x1), abs(y0), abs(y1), 1e-6)
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


def latent_grid(latent_dim: int) -> np.ndarray:
    """Latent points whose images draw the generator's manifold, `(lines * MANIFOLD_SAMPLES, latent_dim)`.

    A 1-D latent gives one line; otherwise `MANIFOLD_LINES` lines along each of the
    first two latent directions (the others held at 0), a square mesh.
    """
    t = np.linspace(-LATENT_REACH, LATENT_REACH, MANIFOLD_SAMPLES)
    if latent_dim == 1:
        return t[:, None].astype("float32")
    levels = np.linspace(-LATENT_REACH, LATENT_REACH, MANIFOLD_LINES)
    along_second = [np.stack([np.full_like(t, level), t], axis=1) for level in levels]
    along_first = [np.stack([t, np.full_like(t, level)], axis=1) for level in levels]
    mesh = np.concatenate([*along_second, *along_first])
    return np.pad(mesh, ((0, 0), (0, latent_dim - 2))).astype("float32")


def capture(gan: GAN, state: GANState, inputs: Mapping[str, Any], points: Any) -> dict[str, Any]:
    """The layers of one snapshot, as pure `keras.ops` of the GAN's state.

    Args:
        gan: The GAN.
        state: Its state (values), as the compiled loop carries it.
        inputs: `grid` (the plane's cell centres, `(cells * cells, 2)`) and
            `latent_grid` (from `latent_grid`).
        points: The snapshot's generated points, `(n, 2)`.

    Returns:
        `verdict`: the probability that the discriminator calls each cell centre
        real, `(cells * cells,)` (a pack of copies of the point when it judges
        packs); `push`: minus the generator loss's gradient with respect to each
        point, `(n, 2)` (where the generator's loss pushes it; a point left out of
        a last partial pack gets 0); `manifold`: the generator's image of the
        latent grid, `(k, 2)`.
    """
    from keras import ops

    from gan1d.backend import value_and_grad
    from gan1d.losses import generator_loss

    grid = ops.convert_to_tensor(inputs["grid"], "float32")
    packs = ops.tile(grid, (1, gan.pack)) if gan.pack > 1 else grid
    scores, _ = gan.discriminator.stateless_call(state.d_weights, state.d_state, packs)
    scores = ops.cast(ops.reshape(scores, (-1,)), "float32")
    verdict = ops.sigmoid(scores) if gan.score_threshold == 0.0 else scores

    def loss(weights: list[Any], aux: Any) -> tuple[Any, Any]:
        judged = gan.packed(weights[0], whole=True)
        fake_scores, _ = gan.discriminator.stateless_call(state.d_weights, state.d_state, judged)
        # The loss is a mean over packs; times their number, each point's gradient
        # is that of its own pack's loss, whatever the snapshot's size.
        return generator_loss(gan.loss_fn, fake_scores) * ops.cast(ops.shape(judged)[0], "float32"), aux

    (_, _), (gradient,) = value_and_grad(loss)([ops.cast(points, "float32")], ops.zeros(()))
    manifold, _ = gan.generator.stateless_call(state.g_weights, state.g_state, inputs["latent_grid"])
    return {"verdict": verdict, "push": -ops.cast(gradient, "float32"), "manifold": ops.cast(manifold, "float32")}


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
    def stack(cls, bounds: Bounds, captured: Sequence[Mapping[str, Any]]) -> Views:
        """Views from what `capture` returned at each snapshot (NumPy arrays)."""
        if not captured:
            raise Gan1dError("no captured snapshots to stack")
        verdict = np.stack([np.asarray(c["verdict"], dtype=np.float32) for c in captured])
        cells = round(verdict.shape[1] ** 0.5)
        manifold = np.stack([np.asarray(c["manifold"], dtype=np.float32) for c in captured])
        samples = MANIFOLD_SAMPLES if manifold.shape[1] % MANIFOLD_SAMPLES == 0 else manifold.shape[1]
        return cls(
            plane=bounds,
            verdict=verdict.reshape(len(captured), cells, cells),
            push=np.stack([np.asarray(c["push"], dtype=np.float32) for c in captured]),
            manifold=manifold.reshape(len(captured), -1, samples, 2),
        )

    def rows(self) -> list[dict[str, np.ndarray]]:
        """One `capture`-like dict per snapshot (flat arrays), as `stack` takes them."""
        return [
            {"verdict": v.reshape(-1), "push": p, "manifold": m.reshape(-1, 2)}
            for v, p, m in zip(self.verdict, self.push, self.manifold, strict=True)
        ]

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
