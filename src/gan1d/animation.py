"""The animation of a run: what the GAN does and why, one frame per snapshot.

Each frame shows the generated points over the real ones and, as layers, what
moves them (the layers of GAN Lab's view): the discriminator's verdict over the
plane as a heatmap with its undecided contour, the push of the generator's loss on
each point, the generator's manifold, and the losses and a quality number up to the
frame's epoch in a panel beside it. Points beyond the view are drawn as markers on
its edges, with a count.

The figure is drawn once without the changing artists; each frame adds its own
artists, a celluloid `Camera` snaps which artists belong to it, and the frame is
drawn by restoring that background and drawing only them over it (blitting),
which keeps 250 frames fast. Frames are written as a GIF (Pillow) or piped to ffmpeg for an MP4,
to a temporary file renamed into place when complete; the last frame is held.
"""

from __future__ import annotations

import base64
import contextlib
import html
import itertools
import math
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from celluloid import Camera
from matplotlib import font_manager
from matplotlib.animation import FFMpegWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import BoundaryNorm, LinearSegmentedColormap, ListedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.transforms import TransformedPatchPath
from PIL import Image, ImageDraw, ImageFont

from gan1d.checks import integer, real
from gan1d.config import layer_names
from gan1d.errors import Gan1dError
from gan1d.plots import CURVE_COLOR, GENERATED_COLOR, REAL_COLOR, Bounds, Curve, PathArg
from gan1d.runs import atomic_path
from gan1d.scene import EDGES, Scene
from gan1d.views import Views

__all__ = ["BAND_COLORS", "VERDICT_COLORS", "AnimationFile", "animate", "animate_result", "ffmpeg_available", "still"]

# The discriminator's verdict, from "fake" (0) through "cannot tell" (0.5) to
# "real" (1): pale tints of the generated and real points' colours, so the points
# stand out on them and each side of the plane reads as the points it belongs to.
VERDICT_COLORS = ("#f7b27a", "#ffffff", "#8dbbe6")
VERDICT = LinearSegmentedColormap.from_list("verdict", VERDICT_COLORS)
# The heatmap is drawn in bands of 0.1: flat colours read as levels, like a contour
# map, and a GIF stores them far more compactly than a smooth ramp.
_BANDS = 10
# The heatmap bands' colours, (bands, 3) uint8, from "fake" to "real".
BAND_COLORS = (VERDICT((np.arange(_BANDS) + 0.5) / _BANDS)[:, :3] * 255).round().astype(np.uint8)
_BAND_MAP = ListedColormap(BAND_COLORS / 255.0, name="verdict bands")
_BAND_NORM = BoundaryNorm(np.linspace(0.0, 1.0, _BANDS + 1), _BANDS)
_CONTOUR_COLOR = "0.2"
_CONTOUR_STYLE = (0, (4, 3))
_GENERATED_STYLE: dict[str, Any] = {
    "color": GENERATED_COLOR,
    "markeredgecolor": "#6b3000",
    "markeredgewidth": 0.5,
    "animated": True,
}
_OUTSIDE_COLOR = "#8a3d00"
_KEY_COLORS = ("#000000", "#ffffff", "#262626", "#444444", "#808080", "#bfbfbf")
PUSH_COLOR = "#6a1b9a"
# Opaque: blending a half-transparent mesh costs more and adds colours to the GIF.
MANIFOLD_COLOR = "#8c8c8c"
D_LOSS_COLOR = "tab:red"
G_LOSS_COLOR = "tab:green"

# Figure geometry in inches; at the default 100 dpi the two panels are 640 px wide.
_HEIGHT = 4.2
_PLANE = (0.72, 0.72, 3.0, 2.9)  # left, bottom, width, height
_COLORBAR_GAP, _COLORBAR_WIDTH, _COLORBAR_LABELS = 0.08, 0.11, 0.62
_PANEL_GAP, _PANEL_WIDTH, _RIGHT = 0.45, 1.5, 0.12
_DPI = 100
# Frame colours of a GIF: one shared palette, so colours never flicker.
_GIF_COLORS = 256
# The last frame is held this long, so the end can be seen before the loop restarts.
_HOLD_SECONDS = 2.0
_MP4_ERROR = "mp4 needs ffmpeg on PATH; use --animation gif"


class AnimationFile(type(Path())):  # type: ignore[misc]
    """The path of a written animation or picture, which Jupyter shows inline.

    It is a `pathlib.Path` in every other respect.
    """

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.read_bytes()).decode("ascii")
        suffix = self.suffix.lower()
        if suffix == ".mp4":
            return f'<video controls loop autoplay muted src="data:video/mp4;base64,{data}"></video>'
        kind = "gif" if suffix == ".gif" else "png"
        return f'<img alt="{html.escape(self.name)}" src="data:image/{kind};base64,{data}">'


def ffmpeg_available() -> bool:
    """Whether the ffmpeg binary matplotlib would use is on PATH."""
    return shutil.which(FFMpegWriter.bin_path()) is not None


def animate(
    snapshots: Sequence[tuple[int, np.ndarray]] | Any,
    real_points: np.ndarray,
    path: PathArg,
    *,
    views: Views | None = None,
    history: Mapping[str, Sequence[float]] | Any = None,
    quality: tuple[str, Sequence[float]] | None = None,
    show: str | Sequence[str] | None = None,
    curve: Curve | None = None,
    bounds: Bounds | None = None,
    fps: int = 25,
    dpi: int = _DPI,
    hold: float = _HOLD_SECONDS,
) -> AnimationFile:
    """Animates the generated points over the real ones, one frame per snapshot, with layers.

    Args:
        snapshots: `(epoch, (n, 2) points)` per frame, or a `gan1d.SnapshotCallback`
            (its layers come with it).
        real_points: `(m, 2)` real points.
        path: ".gif" or ".mp4" file to write.
        views: The layers captured at each snapshot (`gan1d.views.Views`); a
            `TrainResult` has them as `.views`.
        history: `{"d_loss": [...], "g_loss": [...]}` per epoch, or a Keras
            `History`, for the loss panel.
        quality: `(name, one value per snapshot)`, drawn under the losses.
        show: Layers to draw: some of "heatmap", "gradients", "manifold", "losses",
            or "all", or "none". None draws the heatmap and the losses where their
            data is given.
        curve: `(x, y)` arrays of the true curve, or None.
        bounds: `((xmin, xmax), (ymin, ymax))` to show, padded by 5%; None takes
            the plane the views cover, else fits the real points and the curve.
        fps: Frames per second.
        dpi: Resolution; at 100 the frame is 640 px wide with the loss panel.
        hold: Seconds the last frame stays before the animation loops.

    Returns:
        The path written, an `AnimationFile` (a `Path` that Jupyter shows).

    Raises:
        Gan1dError: On empty snapshots, malformed arrays, a layer asked for
            without its data, a suffix other than .gif/.mp4, .mp4 without ffmpeg,
            or fps/dpi below 1.
    """
    final = Path(path)
    suffix = final.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise Gan1dError(f"unsupported animation format {final.suffix or final.name!r}; use .gif or .mp4")
    if suffix == ".mp4" and not ffmpeg_available():
        raise Gan1dError(_MP4_ERROR)
    fps, dpi = integer("fps", fps), integer("dpi", dpi)
    hold = real("hold", hold, signed=True)
    if hold < 0:
        raise Gan1dError(f"hold must be 0 seconds or more, got {hold}")
    scene = Scene.build(
        snapshots, real_points, views=views, history=history, quality=quality, show=show, curve=curve, bounds=bounds
    )
    frames = _Frames(scene, dpi)
    rendered = (frames.draw(i) for i in range(len(scene)))
    with atomic_path(final) as tmp:
        if suffix == ".gif":
            _write_gif(rendered, tmp, fps, hold)
        else:
            _write_mp4(rendered, tmp, fps, hold)
    return AnimationFile(final)


def still(
    snapshots: Sequence[tuple[int, np.ndarray]] | Any,
    real_points: np.ndarray,
    path: PathArg,
    *,
    frame: int = -1,
    dpi: int = _DPI,
    **layers: Any,
) -> AnimationFile:
    """Draws one frame of the animation (the last by default) as a PNG.

    Args:
        snapshots: As for `animate`.
        real_points: As for `animate`.
        path: The ".png" file to write.
        frame: Index of the snapshot drawn (negative counts from the end).
        dpi: Resolution.
        **layers: `animate`'s `views`, `history`, `quality`, `show`, `curve`, `bounds`.

    Returns:
        The path written.

    Raises:
        Gan1dError: As `animate`, or on a frame index out of range or a suffix
            other than .png.
    """
    final = Path(path)
    if final.suffix.lower() != ".png":
        raise Gan1dError(f"unsupported picture format {final.suffix or final.name!r}; use .png")
    scene = Scene.build(snapshots, real_points, **layers)
    if not -len(scene) <= frame < len(scene):
        raise Gan1dError(f"frame {frame} is out of range for {len(scene)} snapshots")
    image = _Frames(scene, integer("dpi", dpi)).draw(frame % len(scene))
    with atomic_path(final) as tmp:
        image.save(tmp, format="PNG")
    return AnimationFile(final)


def animate_result(result: Any, path: PathArg, *, frame: int = -1, **options: Any) -> AnimationFile:
    """A `TrainResult`'s animation (or, for a ".png" path, one frame of it), with every layer it captured.

    Args:
        result: A `gan1d.TrainResult`.
        path: ".gif", ".mp4", or ".png" for a still of `frame`.
        frame: The snapshot a still shows.
        **options: `animate`'s keywords (`show` defaults to the run's config).

    Returns:
        The path written.
    """
    inputs = result_options(result, **options)
    if Path(path).suffix.lower() == ".png":
        return still(path=path, frame=frame, **inputs)
    return animate(path=path, **inputs)


def result_options(result: Any, **options: Any) -> dict[str, Any]:
    """`animate`'s arguments for a `TrainResult` (`path` aside): its layers, and `options` over them.

    `show` (None or left out) defaults to the run's config; layers the run did not capture are left out
    rather than refused.
    """
    inputs = result_layers(result)
    has = {"losses": inputs["history"] is not None}
    show = options.pop("show", None)
    chosen = layer_names(result.config.show if show is None else show)
    options["show"] = tuple(name for name in chosen if has.get(name, inputs["views"] is not None))
    return {**inputs, **options}


def result_layers(result: Any) -> dict[str, Any]:
    """What `animate` draws of a `TrainResult`, as its keyword arguments (`show` aside)."""
    distribution = result.target if result.target is not None else result.config.target()
    names = [name for name in ("energy_distance",) if name in result.quality]
    if not result.snapshots:
        raise Gan1dError("this run kept no snapshots (snapshot_every=0), so there is nothing to animate")
    return {
        "snapshots": result.snapshots,
        "real_points": distribution.sample(100, seed=result.config.seed),
        "curve": distribution.curve(),
        "views": result.views,
        "history": result.history if result.history.get("d_loss") else None,
        "quality": (names[0].replace("_", " "), result.quality[names[0]]) if names else None,
    }


# --- drawing ------------------------------------------------------------------------


# Drawing order of the plane's artists (their zorder): the undecided contour over the
# heatmap, the manifold, the curve and the real points, the pushes, the generated points.
_CONTOUR_Z, _MESH_Z, _CURVE_Z, _REAL_Z, _PUSH_Z, _GENERATED_Z, _EDGE_Z = 2.0, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6


class _Frames:
    """One figure for a whole scene: the static parts drawn once, each frame blitted over them.

    matplotlib draws the background once. Each frame plots its own lines and
    markers, and a celluloid `Camera` snaps them: what `snap` returns is exactly
    the frame's artists, drawn over a copy of the background in zorder. The
    heatmap is coloured in NumPy and the changing labels are set in Pillow (with
    matplotlib's font), both pasted as images, because matplotlib's image
    resampling and text layout would be most of a frame's cost.
    """

    def __init__(self, scene: Scene, dpi: int) -> None:
        self.scene = scene
        self.dpi = dpi
        shown = set(scene.show)
        self.heatmap = "heatmap" in shown
        self.gradients = "gradients" in shown
        self.manifold = "manifold" in shown
        self.losses = "losses" in shown
        self.quality_axes: Any = None
        left, bottom, width, height = _PLANE
        right = left + width
        colorbar_left = right + _COLORBAR_GAP
        if self.heatmap:
            right = colorbar_left + _COLORBAR_WIDTH + _COLORBAR_LABELS
        panel_left = right + _PANEL_GAP
        self.width = (panel_left + _PANEL_WIDTH if self.losses else right) + _RIGHT
        fig = Figure(figsize=(self.width, _HEIGHT), dpi=dpi)
        fig.set_facecolor("white")
        FigureCanvasAgg(fig)
        self.fig = fig

        def box(x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
            return x / self.width, y / _HEIGHT, w / self.width, h / _HEIGHT

        ax = fig.add_axes(box(left, bottom, width, height))
        self.ax = ax
        (x0, x1), (y0, y1) = scene.limits
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_xlabel("x", fontsize=10, labelpad=1)
        ax.set_ylabel("y", fontsize=10, labelpad=2)
        ax.tick_params(labelsize=9)
        if not self.heatmap:
            ax.grid(True, lw=0.4, alpha=0.4)
        if self.heatmap:
            colorbar_axes = fig.add_axes(box(colorbar_left, bottom, _COLORBAR_WIDTH, height))
            colorbar = fig.colorbar(ScalarMappable(_BAND_NORM, _BAND_MAP), cax=colorbar_axes)
            colorbar.set_ticks([0.0, 0.5, 1.0], labels=["fake", "0.5", "real"], fontsize=9)
            colorbar.ax.axhline(0.5, color=_CONTOUR_COLOR, lw=1.1, ls=_CONTOUR_STYLE)
            colorbar.set_label("discriminator: P(real)", fontsize=10, labelpad=2)
        # The curve and the real points lie over the heatmap, so every frame draws
        # them too: `animated` leaves them out of the one full draw below. Sets of
        # polylines are one line broken by NaNs, drawn in one call.
        self.statics: list[Any] = []
        if scene.curve is not None:
            (line,) = ax.plot(*scene.curve, lw=1.0, color=CURVE_COLOR, animated=True, zorder=_CURVE_Z)
            self.statics.append(line)
        (real_line,) = ax.plot(
            scene.real[:, 0], scene.real[:, 1], "o", ms=3.6, color=REAL_COLOR, animated=True, zorder=_REAL_Z
        )
        self.statics.append(real_line)
        self._legend()
        if self.losses:
            # The losses above the quality number, or the whole height without one.
            top = box(panel_left, bottom + 1.55, _PANEL_WIDTH, height - 1.55)
            whole = box(panel_left, bottom, _PANEL_WIDTH, height)
            self._loss_panel(top if scene.quality is not None else whole, box(panel_left, bottom, _PANEL_WIDTH, 1.05))
        canvas = fig.canvas
        assert isinstance(canvas, FigureCanvasAgg)
        self.canvas = canvas
        canvas.draw()
        self.background = canvas.copy_from_bbox(fig.bbox)
        # The frames' artists must not move the limits the background was drawn with.
        for axes in fig.axes:
            axes.set_autoscale_on(False)
        self.clips = {axes: TransformedPatchPath(axes.patch) for axes in fig.axes}
        self.camera = Camera(fig)
        # The first snap takes the static artists, so each later one holds one frame's.
        self.camera.snap()
        self.renderer = canvas.get_renderer()
        self.labels = _Labels(dpi, _HEIGHT)
        if self.heatmap:
            assert scene.views is not None
            self.paint = _HeatmapPainter(ax, scene.views.plane, scene.views.verdict.shape[1:])

    def _legend(self) -> None:
        handles: list[Any] = [Line2D([], [], ls="", marker="o", ms=5, color=REAL_COLOR)]
        labels = ["real"]
        handles.append(Line2D([], [], ls="", marker="o", ms=5.5, **{**_GENERATED_STYLE, "animated": False}))
        labels.append("generated")
        if self.scene.curve is not None:
            handles.append(Line2D([], [], color=CURVE_COLOR, lw=1.0))
            labels.append("curve")
        if self.heatmap:
            handles.append(Line2D([], [], color=_CONTOUR_COLOR, lw=1.1, ls=_CONTOUR_STYLE))
            labels.append("P(real) = 0.5")
        if self.gradients:
            handles.append(Line2D([], [], color=PUSH_COLOR, lw=1.5))
            labels.append("gradient push")
        if self.manifold:
            handles.append(Line2D([], [], color=MANIFOLD_COLOR, lw=0.8))
            labels.append("manifold")
        self.fig.legend(
            handles,
            labels,
            loc="lower left",
            bbox_to_anchor=(0.2 / self.width, 0.0),
            ncols=len(handles),
            frameon=False,
            fontsize=9,
            handlelength=1.4,
            columnspacing=1.0,
            handletextpad=0.4,
        )

    def _loss_panel(self, top: tuple[float, float, float, float], bottom: tuple[float, float, float, float]) -> None:
        scene = self.scene
        last = max(scene.epochs[-1], 1)
        losses = self.fig.add_axes(top)
        self.loss_axes = losses
        losses.set_xlim(0, last)
        losses.tick_params(labelsize=8, labelbottom=scene.quality is None)
        losses.set_title("losses", fontsize=10, pad=3)
        losses.grid(True, lw=0.4, alpha=0.4)
        losses.set_ylim(*scene.loss_limits())
        # Added as an artist: `Camera.snap` re-adds an axes' `legend_` on every snap,
        # which would draw the legend again in each frame.
        legend = Legend(
            losses,
            [Line2D([], [], color=D_LOSS_COLOR), Line2D([], [], color=G_LOSS_COLOR)],
            ["discriminator", "generator"],
            fontsize=8,
            loc="upper right",
            frameon=False,
            handlelength=1.0,
        )
        losses.add_artist(legend)
        if scene.quality is not None:
            name, series = scene.quality
            quality = self.fig.add_axes(bottom, sharex=losses)
            self.quality_axes = quality
            quality.tick_params(labelsize=8)
            quality.set_xlabel("epoch", fontsize=9, labelpad=1)
            quality.set_title(name, fontsize=10, pad=3, loc="left")
            quality.grid(True, lw=0.4, alpha=0.4)
            positive = series[np.isfinite(series) & (series > 0)]
            if len(positive):
                quality.set_yscale("log")
                quality.set_ylim(positive.min() / 1.5, positive.max() * 1.5)
        else:
            losses.set_xlabel("epoch", fontsize=9, labelpad=1)

    def _add(self, axes: Any, x: Any, y: Any, **style: Any) -> None:
        """Adds one of the frame's lines to `axes`, for the camera's next snap.

        A `Line2D` added as a plain artist, clipped by the shared path of its axes:
        `Axes.plot`'s argument parsing and data-limit updates would cost more than
        drawing it, and the limits are fixed anyway.
        """
        line = Line2D(x, y, **style)
        if style.get("clip_on", True):
            line.set_clip_path(self.clips[axes])
        axes.add_artist(line)

    def _marker(self, axes: Any, epoch: int) -> None:
        """A vertical line at `epoch` across `axes`."""
        self._add(axes, [epoch, epoch], [0.0, 1.0], color="0.2", lw=1.0, transform=axes.get_xaxis_transform())

    def draw(self, frame: int) -> Image.Image:
        """The frame, an RGB image."""
        scene, renderer, ax = self.scene, self.renderer, self.ax
        self.canvas.restore_region(self.background)
        if self.heatmap:
            assert scene.views is not None
            self.paint(renderer, scene.views.verdict[frame])
            self._add(
                ax, *_broken(scene.boundary(frame)), color=_CONTOUR_COLOR, lw=1.1, ls=_CONTOUR_STYLE, zorder=_CONTOUR_Z
            )
        if self.manifold:
            assert scene.views is not None
            # Every other sample along a line is as smooth at this size, and half the drawing.
            self._add(ax, *_broken(scene.views.manifold[frame][:, ::2]), color=MANIFOLD_COLOR, lw=0.8, zorder=_MESH_Z)
        if self.gradients:
            self._add(ax, *_broken(scene.arrows(frame)), color=PUSH_COLOR, lw=1.3, zorder=_PUSH_Z)
        inside, _ = scene.inside(frame)
        self._add(ax, inside[:, 0], inside[:, 1], ls="", marker="o", ms=4.2, zorder=_GENERATED_Z, **_GENERATED_STYLE)
        for name, marked in scene.beyond(frame).items():
            if len(marked):
                self._add(
                    ax,
                    marked[:, 0],
                    marked[:, 1],
                    ls="",
                    marker=EDGES[name],
                    ms=7.0,
                    clip_on=False,
                    zorder=_EDGE_Z,
                    **_GENERATED_STYLE,
                )
        epoch = scene.epochs[frame]
        if self.losses:
            self._add_losses(frame, epoch)
        artists = sorted([*self.statics, *self.camera.snap()], key=lambda artist: artist.get_zorder())
        for artist in artists:
            artist.draw(renderer)
        top = _HEIGHT - 0.12
        plane_left = _PLANE[0]
        self.labels.draw(renderer, f"epoch {epoch}", plane_left, top, size=13, bold=True)
        outside = scene.outside_count(frame)
        if outside:
            total = len(scene.points[frame])
            text = f"{outside} of {total} generated points are beyond the edges (◂ ▸ ▴ ▾)"
            self.labels.draw(renderer, text, plane_left, top - 0.25, size=9, color=_OUTSIDE_COLOR)
        if self.quality_axes is not None and scene.quality is not None:
            # The current value, in the plot's top right corner, which a falling curve leaves free.
            value = f"{scene.quality[1][frame]:.3g}"
            top = _PLANE[1] + 1.05 - 0.05
            self.labels.draw(renderer, value, self.width - _RIGHT - 0.06, top, size=9, anchor="right")
        width, height = self.canvas.get_width_height()
        return Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")

    def _add_losses(self, frame: int, epoch: int) -> None:
        """The loss panel's lines of a frame: the curves up to its epoch and a marker at it."""
        scene, losses = self.scene, self.loss_axes
        if scene.losses is not None:
            count = scene.losses_until(epoch)
            x, d_loss, g_loss = scene.losses
            self._add(losses, x[:count], d_loss[:count], color=D_LOSS_COLOR, lw=1.2)
            self._add(losses, x[:count], g_loss[:count], color=G_LOSS_COLOR, lw=1.2)
        self._marker(losses, epoch)
        if self.quality_axes is not None and scene.quality is not None:
            series = scene.quality[1]
            epochs = np.asarray(scene.epochs[: frame + 1], dtype=float)
            self._add(self.quality_axes, epochs, series[: frame + 1], color="0.15", lw=1.2)
            self._add(self.quality_axes, [epoch], [series[frame]], ls="", marker="o", ms=4, color="0.15")
            self._marker(self.quality_axes, epoch)


class _HeatmapPainter:
    """Paints a verdict grid into the axes' pixels: bilinear between cell centres, in the bands' colours."""

    def __init__(self, ax: Any, plane: Bounds, cells: tuple[int, int]) -> None:
        extent = ax.get_window_extent()
        # Whole pixels strictly inside the axes' frame, which stays drawn.
        self.left, self.bottom = int(np.ceil(extent.x0)) + 1, int(np.ceil(extent.y0)) + 1
        right, top = int(np.floor(extent.x1)) - 1, int(np.floor(extent.y1)) - 1
        columns = np.arange(self.left, right) + 0.5
        rows = np.arange(self.bottom, top) + 0.5
        inverse = ax.transData.inverted()
        xs = inverse.transform(np.stack([columns, np.full_like(columns, rows[0])], axis=1))[:, 0]
        ys = inverse.transform(np.stack([np.full_like(rows, columns[0]), rows], axis=1))[:, 1]
        (x0, x1), (y0, y1) = plane
        n_rows, n_cols = cells
        self.across_below, self.across_above, self.across_share = _between(xs, x0, x1, n_cols)
        self.up_below, self.up_above, up_share = _between(ys, y0, y1, n_rows)
        self.across_keep = 1 - self.across_share
        self.up_share, self.up_keep = up_share[:, None], 1 - up_share[:, None]
        visible = ((xs >= x0) & (xs <= x1))[None, :] & ((ys >= y0) & (ys <= y1))[:, None]
        self.hidden = None if visible.all() else ~visible
        # Each band's colour as one 32-bit RGBA word, and transparent beyond the plane.
        colors = np.concatenate([BAND_COLORS, np.full((_BANDS, 1), 255, np.uint8)], axis=1)
        self.colors = np.concatenate([colors, np.zeros((1, 4), np.uint8)]).view(np.uint32).reshape(-1)

    def __call__(self, renderer: Any, verdict: np.ndarray) -> None:
        # Gathers rather than matrix products: a threaded BLAS is slow on a busy machine.
        grid = verdict.astype(np.float32)
        rows = grid[self.up_below] * self.up_keep + grid[self.up_above] * self.up_share
        values = rows[:, self.across_below] * self.across_keep + rows[:, self.across_above] * self.across_share
        bands = np.ascontiguousarray(np.minimum((values * _BANDS).astype(np.uint8), _BANDS - 1))
        if self.hidden is not None:
            bands[self.hidden] = _BANDS
        rgba = self.colors[bands].view(np.uint8).reshape(*bands.shape, 4)
        gc = renderer.new_gc()
        # Row 0 of the image is drawn at the bottom.
        renderer.draw_image(gc, self.left, self.bottom, rgba)
        gc.restore()


def _between(positions: np.ndarray, low: float, high: float, cells: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each position, the cell centres below and above it and its share of the way (edge cells extend)."""
    at = np.clip((positions - low) / (high - low) * cells - 0.5, 0, cells - 1)
    below = np.floor(at).astype(np.intp)
    return below, np.minimum(below + 1, cells - 1), (at - below).astype(np.float32)


def _broken(lines: Sequence[np.ndarray] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polylines `(k, 2)` as the x and y of one line, broken by NaNs between them."""
    if len(lines) == 0:
        return np.zeros(0), np.zeros(0)
    gap = np.full((1, 2), np.nan)
    joined = np.concatenate([part for line in lines for part in (np.asarray(line, dtype=float), gap)])
    return joined[:, 0], joined[:, 1]


class _Labels:
    """Text that changes every frame, set with Pillow in matplotlib's font and pasted onto the frame."""

    def __init__(self, dpi: int, height: float) -> None:
        self.dpi, self.height = dpi, height
        self.fonts: dict[tuple[int, bool], ImageFont.FreeTypeFont] = {}

    def draw(
        self,
        renderer: Any,
        text: str,
        x: float,
        top: float,
        *,
        size: float,
        bold: bool = False,
        color: str = "#000000",
        anchor: str = "left",
    ) -> None:
        """Draws `text` with its top at `top` and its left (or right) end at `x`, in inches."""
        pixels = round(size * self.dpi / 72)
        key = (pixels, bold)
        if key not in self.fonts:
            properties = FontProperties(family=["sans-serif"], weight="bold" if bold else "normal")
            self.fonts[key] = ImageFont.truetype(font_manager.findfont(properties), pixels)
        font = self.fonts[key]
        # Set on a canvas surely large enough, then cut to the ink: measuring first
        # would lay the text out twice.
        mask = Image.new("L", (pixels * len(text) + 2, math.ceil(1.4 * pixels)))
        ImageDraw.Draw(mask).text((0, 0), text, font=font, fill=255)
        ink = np.asarray(mask)
        inked = np.flatnonzero(ink.any(axis=0))
        right = int(inked[-1]) + 1 if len(inked) else 1
        alpha = ink[::-1, :right]
        rgba = np.empty((*alpha.shape, 4), np.uint8)
        rgba[..., :3] = np.asarray(to_rgb(color)) * 255
        rgba[..., 3] = alpha
        column = round(x * self.dpi) - (right if anchor == "right" else 0)
        row = round(top * self.dpi) - alpha.shape[0]
        gc = renderer.new_gc()
        renderer.draw_image(gc, column, row, rgba)
        gc.restore()


# --- writing ------------------------------------------------------------------------


def _palette(first: Image.Image) -> Image.Image:
    """One palette for every frame: the heatmap's bands and the first frame's other colours.

    The last entry is left for "unchanged" (see `_write_gif`).
    """
    # The colours that carry meaning are kept exactly; median cut would merge a
    # colour that few pixels have (a legend's line) into its neighbours.
    named = [*_KEY_COLORS, GENERATED_COLOR, REAL_COLOR, CURVE_COLOR, PUSH_COLOR, MANIFOLD_COLOR]
    named += [D_LOSS_COLOR, G_LOSS_COLOR, _CONTOUR_COLOR, _OUTSIDE_COLOR, _GENERATED_STYLE["markeredgecolor"]]
    fixed = np.concatenate([BAND_COLORS, (np.array([to_rgb(c) for c in named]) * 255).round().astype(np.uint8)])
    room = _GIF_COLORS - 1 - len(fixed)
    own = first.quantize(room, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    colors = np.asarray(own.getpalette() or [], dtype=np.uint8).reshape(-1, 3)[:room]
    entries = np.zeros((_GIF_COLORS, 3), np.uint8)
    entries[: len(colors)] = colors
    entries[room : room + len(fixed)] = fixed
    palette = Image.new("P", (1, 1))
    palette.putpalette(entries.reshape(-1).tolist())
    return palette


def _write_gif(rendered: Iterator[Image.Image], tmp: Path, fps: int, hold: float) -> None:
    """Writes RGB frames as a looping GIF with one shared palette, holding the last frame.

    Each frame after the first stores only its changed pixels: the others are
    the transparent "unchanged" colour over the frame before, which halves the file.
    """
    first = next(rendered)
    palette = _palette(first)
    colors = palette.getpalette() or []
    unchanged = _GIF_COLORS - 1
    frames: list[Image.Image] = []
    previous: np.ndarray | None = None
    previous_delta: np.ndarray | None = None
    for rgb in itertools.chain([first], rendered):
        indices = np.asarray(rgb.quantize(palette=palette, dither=Image.Dither.NONE))
        delta = indices
        if previous is not None:
            delta = np.where(indices == previous, np.uint8(unchanged), indices)
            if previous_delta is not None and np.array_equal(delta, previous_delta):
                # Pillow merges a frame identical to the one before (a repeated
                # snapshot); one corner drawn rather than kept looks the same and
                # keeps exactly one GIF frame per snapshot.
                delta[0, 0] = indices[0, 0] if delta[0, 0] == unchanged else unchanged
        image = Image.fromarray(delta, "P")
        image.putpalette(colors)
        frames.append(image)
        previous, previous_delta = indices, delta
    # Browsers slow GIF frames shorter than 20 ms down to 100 ms, so cap the rate.
    duration = max(20, round(1000 / fps))
    durations = [duration] * (len(frames) - 1) + [max(duration, round(1000 * hold))]
    frames[0].save(
        tmp,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        optimize=False,
        transparency=unchanged,
        disposal=1,
    )


def _write_mp4(rendered: Iterator[Image.Image], tmp: Path, fps: int, hold: float) -> None:
    """Pipes RGB frames to ffmpeg for an H.264 MP4 that common players accept, holding the last frame."""
    first = next(rendered)
    width, height = first.size
    command = [
        FFMpegWriter.bin_path(), "-y", "-hide_banner", "-loglevel", "error",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
        "-r", str(fps),
        "-i", "pipe:0", "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p",
        # yuv420p needs even sizes; an odd dpi gives odd ones.
        "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2:color=white",
        "-f", "mp4", str(tmp),
    ]  # fmt: skip
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except OSError as error:
        raise Gan1dError(f"{_MP4_ERROR} ({error.strerror})") from None
    stdin, stderr_pipe = process.stdin, process.stderr
    assert stdin is not None
    assert stderr_pipe is not None
    try:
        try:
            last = first
            stdin.write(first.tobytes())
            for rgb in rendered:
                stdin.write(rgb.tobytes())
                last = rgb
            for _ in range(round(hold * fps)):
                stdin.write(last.tobytes())
        except BrokenPipeError:
            pass  # ffmpeg stopped early; its stderr below says why
        finally:
            # Closing stdin ends ffmpeg's input; a pipe it already left may not flush.
            with contextlib.suppress(BrokenPipeError):
                stdin.close()
        # With -loglevel error the stderr text is short, so reading it after the
        # frames cannot dead-lock on a full pipe.
        stderr = stderr_pipe.read().decode(errors="replace").strip()
        returncode = process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        stderr_pipe.close()
    if returncode != 0:
        message = stderr.splitlines()[-1] if stderr else f"exit status {returncode}"
        raise Gan1dError(f"ffmpeg could not write the mp4: {message}; use --animation gif")
