"""What each frame of a run's pictures shows, worked out once for every renderer.

A `Scene` holds a run's snapshots with the layers captured beside them, checked,
and answers what a frame draws: the points inside the view and those beyond its
edges, the push arrows scaled for reading, the heatmap's 0.5 contour, the loss
curves up to the frame's epoch. The animation (matplotlib) and the run report's
player (a canvas in the browser) draw the same scene.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from gan1d.core.views import Views
from gan1d.errors import Gan1dError
from gan1d.pictures.arrays import as_curve, as_points, resolve_bounds
from gan1d.pictures.style import DEFAULT_LAYERS, LAYERS, PENALTY_LABELS, VERDICT_LABELS, Curve, layer_names

if TYPE_CHECKING:
    from gan1d.data.distribution import Bounds

__all__ = ["EDGES", "HIDDEN", "Scene"]

# The four edges beyond which points are drawn as markers, and the marker each uses.
EDGES = {"left": "<", "right": ">", "bottom": "v", "top": "^"}
# The typical push arrow (the 90th percentile of a frame) spans this share of the view.
ARROW_LENGTH = 0.07
# No arrow is longer than this share of the view.
ARROW_LIMIT = 0.14
# The kind of a point `Scene.placed` cannot draw (not finite).
HIDDEN = 5
# Edge markers sit this share of the view inside the edge, so they are seen whole.
EDGE_INSET = 0.012
# Most points of a drawn loss curve (two per pixel of the panel); longer histories
# are averaged down to it.
LOSS_POINTS = 300


@dataclasses.dataclass(frozen=True)
class Scene:
    """A run's frames and everything drawn over them, checked.

    Build one with `Scene.build`.

    Attributes:
        epochs: The epoch of each frame.
        points: Each frame's generated points, `(n, 2)` each.
        real: The real points, `(m, 2)`.
        curve: The target's curve `(x, y)`, or None.
        limits: The view, `((xmin, xmax), (ymin, ymax))`.
        views: The captured layers, one row per frame, or None.
        losses: `(epochs, d_loss, g_loss)` for the loss panel, averaged over
            windows of epochs when long, or None.
        quality: `(name, one value per frame)` drawn under the losses, or None.
        show: The layers drawn, in `gan1d.pictures.style.LAYERS` order.
        objective: What the discriminator's score and the losses are
            (`TrainConfig.loss`), which the labels say; `penalty` likewise.
    """

    epochs: tuple[int, ...]
    points: tuple[np.ndarray, ...]
    real: np.ndarray
    curve: Curve | None
    limits: Bounds
    views: Views | None
    losses: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    quality: tuple[str, np.ndarray] | None
    show: tuple[str, ...]
    objective: str = "nonsaturating"
    penalty: str = "none"

    @classmethod
    def build(
        cls,
        snapshots: Sequence[tuple[int, np.ndarray]] | Any,
        real_points: np.ndarray,
        *,
        views: Views | None = None,
        history: Mapping[str, Sequence[float]] | Any = None,
        quality: tuple[str, Sequence[float]] | None = None,
        show: str | Sequence[str] | None = None,
        curve: Curve | None = None,
        bounds: Bounds | None = None,
        objective: str = "nonsaturating",
        penalty: str = "none",
    ) -> Scene:
        """Checks a run's pictures' inputs and works out the view.

        Args:
            snapshots: `(epoch, (n, 2) points)` per frame, or a `SnapshotCallback`
                (then its layers are used too, unless `views` is given).
            real_points: `(m, 2)` real points.
            views: The layers captured at each snapshot.
            history: `{"d_loss": [...], "g_loss": [...]}` per epoch (epoch 1 first),
                or a Keras `History`.
            quality: `(name, one value per snapshot)`, drawn under the losses.
            show: Layers to draw (names in `gan1d.pictures.style.LAYERS`, or "all", or
                "none"); None draws the default layers the data allows.
            curve: `(x, y)` of the target's curve, or None.
            bounds: The view `((xmin, xmax), (ymin, ymax))`, padded by 5%; None
                takes the views' plane, else fits the real points and the curve.
            objective: The run's objective (`TrainConfig.loss`), for the labels.
            penalty: Its gradient penalty (`TrainConfig.penalty`), likewise.

        Raises:
            Gan1dError: On malformed input, or a layer asked for without its data.
        """
        if views is None and hasattr(snapshots, "recorded_views"):
            views = snapshots.recorded_views()
        snapshots = getattr(snapshots, "snapshots", snapshots)
        if len(snapshots) == 0:
            raise Gan1dError("no snapshots to animate")
        try:
            frames = [(int(epoch), points) for epoch, points in snapshots]
        except (TypeError, ValueError):
            raise Gan1dError("snapshots must be (epoch, points) pairs") from None
        points = tuple(as_points(p, f"snapshot of epoch {e}", allow_empty=True) for e, p in frames)
        real = as_points(real_points, "real_points", allow_empty=False)
        curve_xy = as_curve(curve)
        if views is not None:
            if not isinstance(views, Views):
                raise Gan1dError(f"views must be a gan1d.core.views.Views, got {type(views).__name__}")
            if len(views) != len(frames):
                raise Gan1dError(f"views hold {len(views)} snapshots, but there are {len(frames)}")
        # The views' plane unless other bounds are asked for: the heatmap covers it.
        limits = views.plane if bounds is None and views is not None else resolve_bounds(real, curve_xy, bounds)
        losses = _losses(history)
        quality_series = None if quality is None else _quality(quality, len(frames))
        scene = cls(
            epochs=tuple(e for e, _ in frames),
            points=points,
            real=real,
            curve=curve_xy,
            limits=limits,
            views=views,
            losses=losses,
            quality=quality_series,
            show=(),
            objective=_known(objective, VERDICT_LABELS, "objective"),
            penalty=_known(penalty, PENALTY_LABELS, "penalty"),
        )
        if show is None:
            return scene.showing([name for name in DEFAULT_LAYERS if scene.available[name]])
        return scene.showing(show)

    def __len__(self) -> int:
        return len(self.epochs)

    @property
    def available(self) -> dict[str, bool]:
        """Layer name -> whether the scene holds its data."""
        views = self.views is not None
        return {"heatmap": views, "gradients": views, "manifold": views, "losses": self.losses is not None}

    def showing(self, show: str | Sequence[str]) -> Scene:
        """The same scene with other layers shown.

        Raises:
            Gan1dError: On a layer whose data the scene does not hold.
        """
        chosen = layer_names(show)
        missing = [name for name in chosen if not self.available[name]]
        if missing:
            needs = "history=" if missing == ["losses"] else "the layers a run captures (views=)"
            raise Gan1dError(f"cannot show {', '.join(missing)}: it needs {needs}")
        return dataclasses.replace(self, show=chosen)

    def showing_available(self, show: str | Sequence[str]) -> Scene:
        """The same scene with the layers of `show` that it holds data for (others are left out)."""
        return dataclasses.replace(self, show=tuple(name for name in layer_names(show) if self.available[name]))

    # ----- travelling to another process ------------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        """The scene as named arrays, for `np.savez` (`from_arrays` reads them back unchanged)."""
        arrays: dict[str, np.ndarray] = {
            "epochs": np.asarray(self.epochs, dtype=np.int64),
            "points": np.stack(self.points),
            "real": self.real,
            "limits": np.asarray(self.limits, dtype=np.float64),
            "show": np.asarray([LAYERS.index(name) for name in self.show], dtype=np.int64),
            "method": np.asarray([self.objective, self.penalty]),
        }
        if self.curve is not None:
            arrays["curve"] = np.stack(self.curve)
        if self.views is not None:
            arrays.update(self.views.arrays())
        if self.losses is not None:
            arrays["losses"] = np.stack(self.losses)
        if self.quality is not None:
            arrays["quality_name"] = np.asarray(self.quality[0])
            arrays["quality"] = self.quality[1]
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Scene:
        """The scene `arrays` holds."""
        (x0, x1), (y0, y1) = np.asarray(arrays["limits"], dtype=np.float64).tolist()
        losses = arrays.get("losses")
        return cls(
            epochs=tuple(int(e) for e in arrays["epochs"]),
            points=tuple(arrays["points"]),
            real=arrays["real"],
            curve=(arrays["curve"][0], arrays["curve"][1]) if "curve" in arrays else None,
            limits=((x0, x1), (y0, y1)),
            views=Views.from_arrays(arrays),
            losses=None if losses is None else (losses[0], losses[1], losses[2]),
            quality=(str(arrays["quality_name"]), arrays["quality"]) if "quality" in arrays else None,
            show=tuple(LAYERS[i] for i in arrays["show"]),
            objective=str(arrays["method"][0]),
            penalty=str(arrays["method"][1]),
        )

    # ----- what one frame draws -----------------------------------------------

    def inside(self, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """The frame's points inside the view, and a mask of which they are among all its points."""
        points = self.points[frame]
        (x0, x1), (y0, y1) = self.limits
        with np.errstate(invalid="ignore"):
            mask = (points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)
        return points[mask], mask

    def placed(self, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """Where each of the frame's points is drawn, and how.

        Returns:
            Positions `(n, 2)`: a point inside the view where it is, a point beyond
            it on the edge it is farthest beyond (measured in views), just inside;
            and kinds `(n,)` uint8: 0 inside, 1 + the index of its edge in `EDGES`
            beyond one, `HIDDEN` for a point that is not finite.
        """
        points = self.points[frame]
        (x0, x1), (y0, y1) = self.limits
        width, height = x1 - x0, y1 - y0
        with np.errstate(invalid="ignore"):
            over = np.stack(
                [
                    (x0 - points[:, 0]) / width,
                    (points[:, 0] - x1) / width,
                    (y0 - points[:, 1]) / height,
                    (points[:, 1] - y1) / height,
                ],
                axis=1,
            )
            outside = (over > 0).any(axis=1)
        kinds = np.where(outside, 1 + np.argmax(np.nan_to_num(over, nan=-np.inf), axis=1), 0).astype(np.uint8)
        kinds[~np.isfinite(points).all(axis=1)] = HIDDEN
        inset_x, inset_y = EDGE_INSET * width, EDGE_INSET * height
        positions = np.stack(
            [np.clip(points[:, 0], x0 + inset_x, x1 - inset_x), np.clip(points[:, 1], y0 + inset_y, y1 - inset_y)],
            axis=1,
        )
        positions = np.where((kinds == 0)[:, None], points, positions)
        return positions, kinds

    def beyond(self, frame: int) -> dict[str, np.ndarray]:
        """Edge name -> where the frame's points beyond that edge are marked, `(k, 2)`."""
        positions, kinds = self.placed(frame)
        return {name: positions[kinds == 1 + i] for i, name in enumerate(EDGES)}

    def outside_count(self, frame: int) -> int:
        """How many of the frame's points lie beyond the view (or are not finite)."""
        return int(len(self.points[frame]) - len(self.inside(frame)[0]))

    def push_segments(self, frame: int) -> np.ndarray:
        """A push arrow from each of the frame's points, `(n, 2, 2)` in data units; NaN where none is drawn.

        Each arrow points where the generator's loss pushes its point; lengths are
        scaled per frame so the typical arrow spans `ARROW_LENGTH` of the view, in
        proportion to each other, and capped at `ARROW_LIMIT`. Points beyond the
        view get none.
        """
        points = self.points[frame]
        segments = np.full((len(points), 2, 2), np.nan)
        if self.views is None:
            return segments
        _, mask = self.inside(frame)
        push = self.views.push[frame].astype(float)
        (x0, x1), (y0, y1) = self.limits
        spans = np.array([x1 - x0, y1 - y0])
        on_screen = push / spans
        lengths = np.hypot(on_screen[:, 0], on_screen[:, 1])
        moving = lengths[mask & np.isfinite(lengths) & (lengths > 0)]
        if len(moving) == 0:
            return segments
        scale = ARROW_LENGTH / np.percentile(moving, 90)
        with np.errstate(invalid="ignore", divide="ignore"):
            shrink = np.where(lengths * scale > ARROW_LIMIT, ARROW_LIMIT / (lengths * scale), 1.0)
        step = on_screen * (scale * shrink)[:, None] * spans
        drawn = mask & np.isfinite(step).all(axis=1)
        segments[drawn, 0] = points[drawn]
        segments[drawn, 1] = points[drawn] + step[drawn]
        return segments

    def arrows(self, frame: int) -> np.ndarray:
        """The push arrows the frame draws, `(k, 2, 2)` (see `push_segments`)."""
        segments = self.push_segments(frame)
        drawn: np.ndarray = segments[np.isfinite(segments).all(axis=(1, 2))]
        return drawn

    def boundary(self, frame: int) -> list[np.ndarray]:
        """The heatmap's 0.5 contour (where the discriminator cannot tell), as `(k, 2)` polylines."""
        if self.views is None:
            return []
        import contourpy

        verdict = self.views.verdict[frame]
        rows, cols = verdict.shape
        (x0, x1), (y0, y1) = self.views.plane
        xs = x0 + (np.arange(cols) + 0.5) * (x1 - x0) / cols
        ys = y0 + (np.arange(rows) + 0.5) * (y1 - y0) / rows
        lines = contourpy.contour_generator(xs, ys, verdict.astype(np.float64)).lines(0.5)
        return [np.asarray(line) for line in lines if len(line) > 1]

    def loss_limits(self) -> tuple[float, float]:
        """The loss panel's y range: every drawn loss, with a margin."""
        if self.losses is None:
            return 0.0, 1.0
        values = np.concatenate(self.losses[1:])
        values = values[np.isfinite(values)]
        if not len(values):
            return 0.0, 1.0
        low, high = float(values.min()), float(values.max())
        pad = 0.08 * max(high - low, 1e-3)
        return low - pad, high + pad

    def losses_until(self, epoch: int) -> int:
        """How many of the loss panel's points lie at or before `epoch`."""
        return 0 if self.losses is None else int(np.searchsorted(self.losses[0], epoch, side="right"))


def _losses(history: Mapping[str, Sequence[float]] | Any) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """`(epochs, d_loss, g_loss)` of a history, averaged over windows down to `LOSS_POINTS` points."""
    if history is None:
        return None
    history = getattr(history, "history", history)
    if not isinstance(history, Mapping) or "d_loss" not in history or "g_loss" not in history:
        raise Gan1dError('history must hold "d_loss" and "g_loss" (a dict or a Keras History)')
    try:
        d_loss, g_loss = (np.asarray(history[name], dtype=float).reshape(-1) for name in ("d_loss", "g_loss"))
    except (TypeError, ValueError):
        raise Gan1dError("history's losses must be sequences of numbers") from None
    if len(d_loss) != len(g_loss):
        raise Gan1dError(f"d_loss and g_loss differ in length: {len(d_loss)} vs {len(g_loss)}")
    if len(d_loss) == 0:
        return None
    epochs = np.arange(1, len(d_loss) + 1, dtype=float)
    window = -(-len(d_loss) // LOSS_POINTS)
    if window == 1:
        return epochs, d_loss, g_loss
    whole = len(d_loss) // window * window
    # Each window is drawn at its last epoch, so a frame never shows a later loss.
    with np.errstate(invalid="ignore"):
        averaged = [np.nanmean(v[:whole].reshape(-1, window), axis=1) for v in (d_loss, g_loss)]
    ends = epochs[window - 1 : whole : window]
    if whole < len(d_loss):
        ends = np.append(ends, epochs[-1])
        averaged = [np.append(a, np.nanmean(v[whole:])) for a, v in zip(averaged, (d_loss, g_loss), strict=True)]
    return ends, averaged[0], averaged[1]


def _known(name: str, table: Mapping[str, Any], what: str) -> str:
    if name not in table:
        raise Gan1dError(f"{what} must be one of {', '.join(table)}, got {name!r}")
    return name


def _quality(quality: tuple[str, Sequence[float]], frames: int) -> tuple[str, np.ndarray]:
    try:
        name, values = quality
        series = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise Gan1dError("quality must be (name, one number per snapshot)") from None
    if len(series) != frames:
        raise Gan1dError(f"quality has {len(series)} values for {frames} snapshots")
    return str(name), series
