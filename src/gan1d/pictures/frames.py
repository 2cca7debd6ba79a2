"""Drawing a scene's frames: one figure, the static parts drawn once, each frame blitted over them.

matplotlib draws the background once. The artists that change (the contour, the
manifold, the pushes, the generated points, the loss curves and markers) are made
once, and each frame only sets their data and draws them over a copy of the
background in zorder: blitting, as matplotlib's `FuncAnimation` does. The heatmap is
coloured in NumPy and the changing labels are set in Pillow (with matplotlib's
font), both pasted as images, because matplotlib's image resampling and text layout
would be most of a frame's cost. Points beyond the view are drawn as markers on its
edges, with a count.

A frame has two independent halves: the plane (its layers, the points and the
labels above it), which one snapshot decides, and the panel of losses and quality,
whose axes depend on the whole run. `draw_plane` and `draw_panel` draw them apart,
so the plane of each frame can be drawn before the panel's axes are known.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter
from matplotlib.transforms import TransformedPatchPath
from PIL import Image, ImageDraw, ImageFont

from gan1d.pictures.palette import BAND_COLORS, BAND_MAP, BAND_NORM, BANDS
from gan1d.pictures.scene import EDGES, Scene
from gan1d.pictures.style import (
    CONTOUR_COLOR,
    CURVE_COLOR,
    D_LOSS_COLOR,
    G_LOSS_COLOR,
    GENERATED_COLOR,
    GENERATED_EDGE_COLOR,
    MANIFOLD_COLOR,
    OUTSIDE_COLOR,
    PUSH_COLOR,
    REAL_COLOR,
    VERDICT_LABELS,
    loss_labels,
)

if TYPE_CHECKING:
    from gan1d.data.distribution import Bounds

__all__ = ["DPI", "Frames"]
_CONTOUR_STYLE = (0, (4, 3))
_GENERATED_STYLE: dict[str, Any] = {
    "color": GENERATED_COLOR,
    "markeredgecolor": GENERATED_EDGE_COLOR,
    "markeredgewidth": 0.5,
    "animated": True,
}

# Figure geometry in inches; at the default 100 dpi the two panels are 640 px wide.
_HEIGHT = 4.2
_PLANE = (0.72, 0.72, 3.0, 2.9)  # left, bottom, width, height
_COLORBAR_GAP, _COLORBAR_WIDTH, _COLORBAR_LABELS = 0.08, 0.11, 0.62
_PANEL_GAP, _PANEL_WIDTH, _RIGHT = 0.45, 1.5, 0.12
DPI = 100


# Drawing order of the plane's artists (their zorder): the undecided contour over the
# heatmap, the manifold, the curve and the real points, the pushes, the generated points.
_CONTOUR_Z, _MESH_Z, _CURVE_Z, _REAL_Z, _PUSH_Z, _GENERATED_Z, _EDGE_Z = 2.0, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6


class Frames:
    """One figure for a whole scene: the static parts drawn once, each frame blitted over them.

    matplotlib draws the background once; the artists that change are made once
    and each frame sets their data and draws them over a copy of the background in
    zorder. celluloid's `Camera`, which recorded a new set of artists per frame,
    made every frame search the artists of all the frames before it.
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
            colorbar = fig.colorbar(ScalarMappable(BAND_NORM, BAND_MAP), cax=colorbar_axes)
            colorbar.set_ticks([0.0, 0.5, 1.0], labels=["fake", "0.5", "real"], fontsize=9)
            colorbar.ax.axhline(0.5, color=CONTOUR_COLOR, lw=1.1, ls=_CONTOUR_STYLE)
            colorbar.set_label(VERDICT_LABELS[scene.objective][0], fontsize=10, labelpad=2)
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
        self.clipped: dict[Any, list[Line2D]] = {axes: [] for axes in fig.axes}
        self.kept_clips: dict[Any, TransformedPatchPath] = {}
        self._changing_artists()
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
            handles.append(Line2D([], [], color=CONTOUR_COLOR, lw=1.1, ls=_CONTOUR_STYLE))
            labels.append(VERDICT_LABELS[self.scene.objective][1])
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
            list(loss_labels(scene.objective, scene.penalty)),
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
                # Only powers of ten are labelled, at least one in view: labels of the
                # ticks between them would run into the colour bar's label.
                high = positive.max() * 1.5
                quality.set_ylim(min(positive.min() / 1.5, 10.0 ** math.floor(math.log10(high))), high)
                quality.yaxis.set_minor_formatter(NullFormatter())
        else:
            losses.set_xlabel("epoch", fontsize=9, labelpad=1)

    def _line(self, axes: Any, **style: Any) -> Line2D:
        """One of the artists a frame changes, in `axes`, made once and drawn only by `draw_*`.

        A `Line2D` added as a plain artist, clipped by the shared path of its axes:
        `Axes.plot`'s argument parsing and data-limit updates are not needed, since
        the limits are fixed.
        """
        line = Line2D([], [], **style)
        if style.get("clip_on", True):
            line.set_clip_path(self.clips[axes])
            self.clipped[axes].append(line)
        axes.add_artist(line)
        return line

    def _new_clips(self, *axes: Any) -> None:
        """Clips the changing artists of `axes` by new paths of their frames.

        Agg keeps the mask of the last clip path it drew through, knows paths by
        identity, and renders the mask in the snapping of the first artist that
        uses it. A new path per drawing makes Agg render it again, so a frame's
        pixels do not depend on what was drawn before it (an earlier frame, or only
        planes while training runs). The paths before stay alive until the next
        ones are made, so a new path never takes an old one's place in memory.
        """
        for one in axes:
            self.kept_clips[one] = self.clips[one]
            self.clips[one] = TransformedPatchPath(one.patch)
            for line in self.clipped[one]:
                line.set_clip_path(self.clips[one])

    def _changing_artists(self) -> None:
        """The artists each frame sets and draws; made after the background, which leaves them out."""
        ax, line = self.ax, self._line
        self.contour = line(ax, color=CONTOUR_COLOR, lw=1.1, ls=_CONTOUR_STYLE, zorder=_CONTOUR_Z)
        self.mesh = line(ax, color=MANIFOLD_COLOR, lw=0.8, zorder=_MESH_Z)
        self.pushes = line(ax, color=PUSH_COLOR, lw=1.3, zorder=_PUSH_Z)
        self.generated = line(ax, ls="", marker="o", ms=4.2, zorder=_GENERATED_Z, **_GENERATED_STYLE)
        self.edges = {
            name: line(ax, ls="", marker=marker, ms=7.0, clip_on=False, zorder=_EDGE_Z, **_GENERATED_STYLE)
            for name, marker in EDGES.items()
        }
        if self.losses:
            losses = self.loss_axes
            self.d_curve = line(losses, color=D_LOSS_COLOR, lw=1.2)
            self.g_curve = line(losses, color=G_LOSS_COLOR, lw=1.2)
            self.loss_marker = line(losses, color="0.2", lw=1.0, transform=losses.get_xaxis_transform())
            if self.quality_axes is not None:
                quality = self.quality_axes
                self.quality_curve = line(quality, color="0.15", lw=1.2)
                self.quality_point = line(quality, ls="", marker="o", ms=4, color="0.15")
                self.quality_marker = line(quality, color="0.2", lw=1.0, transform=quality.get_xaxis_transform())

    def draw(self, frame: int) -> Image.Image:
        """The frame, an RGB image."""
        self.canvas.restore_region(self.background)
        self.draw_plane(frame)
        self.draw_panel(frame)
        return self.image()

    def image(self) -> Image.Image:
        """What the canvas holds now, an RGB image."""
        width, height = self.canvas.get_width_height()
        return Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")

    def draw_plane(self, frame: int, scene: Scene | None = None) -> None:
        """Draws the plane of a frame on the canvas: its layers, the points, and the labels above it.

        It needs only the frame's snapshot, and touches no pixel of the panel.

        Args:
            frame: The frame's index in `scene`.
            scene: The scene it belongs to, by default the figure's; another must
                have the figure's view, real points, curve, layers and grid.
        """
        scene, renderer = scene or self.scene, self.renderer
        self._new_clips(self.ax)
        drawn: list[Line2D] = []
        if self.heatmap:
            assert scene.views is not None
            self.paint(renderer, scene.views.verdict[frame])
            self.contour.set_data(*_broken(scene.boundary(frame)))
            drawn.append(self.contour)
        if self.manifold:
            assert scene.views is not None
            # Every other sample along a line is as smooth at this size, and half the drawing.
            self.mesh.set_data(*_broken(scene.views.manifold[frame][:, ::2]))
            drawn.append(self.mesh)
        if self.gradients:
            self.pushes.set_data(*_broken(scene.arrows(frame)))
            drawn.append(self.pushes)
        inside, _ = scene.inside(frame)
        self.generated.set_data(inside[:, 0], inside[:, 1])
        drawn.append(self.generated)
        for name, marked in scene.beyond(frame).items():
            if len(marked):
                self.edges[name].set_data(marked[:, 0], marked[:, 1])
                drawn.append(self.edges[name])
        for artist in sorted([*self.statics, *drawn], key=lambda artist: artist.get_zorder()):
            artist.draw(renderer)
        top = _HEIGHT - 0.12
        plane_left = _PLANE[0]
        self.labels.draw(renderer, f"epoch {scene.epochs[frame]}", plane_left, top, size=13, bold=True)
        outside = scene.outside_count(frame)
        if outside:
            total = len(scene.points[frame])
            text = f"{outside} of {total} generated points are beyond the edges (◂ ▸ ▴ ▾)"
            self.labels.draw(renderer, text, plane_left, top - 0.25, size=9, color=OUTSIDE_COLOR)

    def draw_panel(self, frame: int) -> None:
        """Draws the panel of a frame on the canvas: the losses and the quality up to its epoch, and markers at it.

        It touches no pixel of the plane.
        """
        if not self.losses:
            return
        scene, renderer, epoch = self.scene, self.renderer, self.scene.epochs[frame]
        self._new_clips(*(axes for axes in (self.loss_axes, self.quality_axes) if axes is not None))
        drawn: list[Line2D] = []
        if scene.losses is not None:
            count = scene.losses_until(epoch)
            x, d_loss, g_loss = scene.losses
            self.d_curve.set_data(x[:count], d_loss[:count])
            self.g_curve.set_data(x[:count], g_loss[:count])
            drawn += [self.d_curve, self.g_curve]
        self.loss_marker.set_data([epoch, epoch], [0.0, 1.0])
        drawn.append(self.loss_marker)
        quality = self.quality_axes is not None and scene.quality is not None
        if quality:
            assert scene.quality is not None
            series = scene.quality[1]
            self.quality_curve.set_data(np.asarray(scene.epochs[: frame + 1], dtype=float), series[: frame + 1])
            self.quality_point.set_data([epoch], [series[frame]])
            self.quality_marker.set_data([epoch, epoch], [0.0, 1.0])
            drawn += [self.quality_curve, self.quality_point, self.quality_marker]
        for artist in sorted(drawn, key=lambda artist: artist.get_zorder()):
            artist.draw(renderer)
        if quality:
            assert scene.quality is not None
            # The current value, in the plot's top right corner, which a falling curve leaves free.
            value = f"{scene.quality[1][frame]:.3g}"
            top = _PLANE[1] + 1.05 - 0.05
            self.labels.draw(renderer, value, self.width - _RIGHT - 0.06, top, size=9, anchor="right")


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
        colors = np.concatenate([BAND_COLORS, np.full((BANDS, 1), 255, np.uint8)], axis=1)
        self.colors = np.concatenate([colors, np.zeros((1, 4), np.uint8)]).view(np.uint32).reshape(-1)

    def __call__(self, renderer: Any, verdict: np.ndarray) -> None:
        # Gathers rather than matrix products: a threaded BLAS is slow on a busy machine.
        grid = verdict.astype(np.float32)
        rows = grid[self.up_below] * self.up_keep + grid[self.up_above] * self.up_share
        values = rows[:, self.across_below] * self.across_keep + rows[:, self.across_above] * self.across_share
        bands = np.ascontiguousarray(np.minimum((values * BANDS).astype(np.uint8), BANDS - 1))
        if self.hidden is not None:
            bands[self.hidden] = BANDS
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
