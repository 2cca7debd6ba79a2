"""Pictures of the Dirac-GAN: a training method's field over (theta, psi), with its trajectory on top.

theta is where the generator puts its one point, psi the slope of the linear
discriminator; the equilibrium is (0, 0). Each panel draws the change one training
round makes from every point of a grid as an arrow, the (theta, psi) of every round
as a line from the start (red) to the end, and, for weight clipping, the values of
psi the clipping forbids, shaded. Pure NumPy and matplotlib, pyplot-free, written
atomically; the arrays come from `gan1d.experiments.dirac`.

`animate_dirac` makes the side-by-side figure a GIF: the field, the start and the
equilibrium are drawn once, and each frame adds, in every panel, the training's path
so far, the point where it is and the round, which a celluloid `Camera` records
(`snap` returns the artists added since the snap before). matplotlib's
`ArtistAnimation` shows each frame's artists and hides all others, so the first snap
takes the drawing every frame shares and the animation is made of the later ones:
`Camera.animate` would pass every snap, and the field would show in the first frame
only. Pillow's writer (`PillowWriter`) writes the file.

A run's own animation (`gan1d.pictures.frames`) draws its frames by blitting
instead. `ArtistAnimation` keeps every frame's artists in the figure and draws the
whole figure for each frame, axes, ticks and titles included, going past the hidden
artists of all the other frames: fine for the hundred light frames here, too slow
for a run's 251 frames with a heatmap, losses and labels. There a `Camera` only
tells which artists are a frame's, and they are drawn over a background drawn once.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from celluloid import Camera
from matplotlib import rc_context
from matplotlib.animation import ArtistAnimation, PillowWriter
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator

from gan1d.checks import integer
from gan1d.errors import Gan1dError
from gan1d.files import atomic_path
from gan1d.pictures.stills import save_figure
from gan1d.pictures.style import GENERATED_COLOR, REAL_COLOR, PathArg

__all__ = ["GIF_DPI", "GIF_FRAMES", "DiracPanel", "animate_dirac", "plot_dirac", "plot_dirac_methods"]

_FIELD_COLOR = "0.55"
_START_COLOR = "tab:red"
_FORBIDDEN_COLOR = "0.85"
# The GIF: frames (at most; one per round with fewer rounds), their rate, its resolution,
# and how long the last frame stays before the animation loops.
GIF_FRAMES = 80
GIF_DPI = 60
_GIF_FPS = 10
_GIF_HOLD_FRAMES = 15


@dataclasses.dataclass(frozen=True)
class DiracPanel:
    """What one panel draws.

    Attributes:
        title: The panel's title (the method, its final distance).
        trajectory: `(theta, psi)` from the start to the end, `(n, 2)`.
        theta: The field's grid along theta, `(k,)`.
        psi: Its grid along psi, `(m,)`; the axes span both grids.
        change: `(m, k, 2)`: the change of `(theta, psi)` in one round from
            `(theta[j], psi[i])`.
        clip: Weight clipping's bound on psi, shaded beyond; None without clipping.
    """

    title: str
    trajectory: np.ndarray
    theta: np.ndarray
    psi: np.ndarray
    change: np.ndarray
    clip: float | None = None

    def __post_init__(self) -> None:
        trajectory = np.asarray(self.trajectory, dtype=float)
        theta, psi = np.asarray(self.theta, dtype=float), np.asarray(self.psi, dtype=float)
        change = np.asarray(self.change, dtype=float)
        if trajectory.ndim != 2 or trajectory.shape[1] != 2 or not len(trajectory):
            raise Gan1dError(f"a trajectory must be (n, 2) points (theta, psi), got shape {trajectory.shape}")
        if theta.ndim != 1 or psi.ndim != 1 or len(theta) < 2 or len(psi) < 2:
            raise Gan1dError("the field's grid needs at least 2 values of theta and of psi")
        if change.shape != (len(psi), len(theta), 2):
            raise Gan1dError(f"the field's change must be {(len(psi), len(theta), 2)}, got shape {change.shape}")
        for name, value in (("trajectory", trajectory), ("theta", theta), ("psi", psi), ("change", change)):
            object.__setattr__(self, name, value)


def plot_dirac(panel: DiracPanel, path: PathArg) -> Path:
    """Draws one method: its field, its trajectory, the start, the end and the equilibrium.

    Args:
        panel: What to draw.
        path: Image file to write; the suffix picks the format (.png, .svg, ...).

    Returns:
        The path written.

    Raises:
        Gan1dError: On an unsupported suffix.
    """
    fig = _figure((6.0, 6.0))
    ax = fig.add_subplot()
    _draw_panel(ax, panel)
    fig.legend(loc="outside lower center", ncols=4, fontsize=9)
    return save_figure(fig, path)


def plot_dirac_methods(panels: Sequence[DiracPanel], path: PathArg, *, columns: int = 4) -> Path:
    """Draws every method side by side, one panel each, on the same axes' limits.

    Args:
        panels: One per method, in reading order.
        path: Image file to write.
        columns: Panels per row.

    Returns:
        The path written.

    Raises:
        Gan1dError: With no panels, or on an unsupported suffix.
    """
    fig, axes = _grid(panels, columns, dpi=100)
    for ax, panel in zip(axes, panels, strict=True):
        _draw_panel(ax, panel, small=True)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=11)
    return save_figure(fig, path)


def animate_dirac(
    panels: Sequence[DiracPanel],
    path: PathArg,
    *,
    frames: int = GIF_FRAMES,
    columns: int = 4,
    dpi: int = GIF_DPI,
) -> Path:
    """Every method side by side, as `plot_dirac_methods` draws them, as a GIF of the training.

    Each frame shows, in every panel, the path from the start to the point where the
    training is after one round, that point, and the round. The `i`-th point of a
    trajectory is taken as the one after round `i`; a shorter trajectory (a run that
    stopped early) stays at its end. The last frame is held a moment before the
    animation loops.

    Args:
        panels: One per method, in reading order.
        path: The GIF to write.
        frames: Frames at most: rounds sampled evenly from the start to the last,
            or every round where there are fewer.
        columns: Panels per row.
        dpi: Pixels per inch; the figure is 4 inches wide per column.

    Returns:
        The path written.

    Raises:
        Gan1dError: With no panels, fewer than 2 frames, or a path not ending in .gif.
    """
    final = Path(path)
    if final.suffix.lower() != ".gif":
        raise Gan1dError(f"the Dirac-GAN's animation is a GIF; got {final.suffix or final.name!r}, use .gif")
    count = integer("frames", frames, 2)
    fig, axes = _grid(panels, columns, dpi=integer("dpi", dpi), canvas=_FramesCanvas)
    for ax, panel in zip(axes, panels, strict=True):
        _draw_field(ax, panel, small=True)
        ax.plot(*panel.trajectory[0], "o", **_START_STYLE)
        _draw_equilibrium(ax, small=True)
    handles = [
        Line2D([], [], label="training so far", **_PATH_STYLE),
        Line2D([], [], marker="o", label="start", **_START_STYLE),
        Line2D([], [], marker="o", label="now", **_NOW_STYLE),
        Line2D([], [], marker="*", label="equilibrium (0, 0)", **_EQUILIBRIUM_STYLE),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=11)
    # The layout is worked out once, with the shared drawing, and kept for every frame:
    # without a layout engine, saving a frame draws the figure once, not twice.
    fig.canvas.draw()
    with rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)
    # So are the ticks and the titles, which would be placed again in every frame.
    for ax, panel in zip(axes, panels, strict=True):
        ax.xaxis.set_major_locator(FixedLocator(list(ax.get_xticks())))
        ax.yaxis.set_major_locator(FixedLocator(list(ax.get_yticks())))
        ax.set_title(panel.title, fontsize=11, y=ax.title.get_position()[1])
    camera = Camera(fig)
    camera.snap()  # the shared drawing: shown in every frame, so in none of the frames' lists
    last = max(len(panel.trajectory) for panel in panels) - 1
    shots: list[list[Artist]] = []
    for round_ in np.round(np.linspace(0, last, min(count, last + 1))).astype(int):
        for ax, panel in zip(axes, panels, strict=True):
            at = min(int(round_), len(panel.trajectory) - 1)
            trail = panel.trajectory[: at + 1]
            ax.plot(trail[:, 0], trail[:, 1], "-", **_PATH_STYLE)
            ax.plot(*trail[-1], "o", **_NOW_STYLE)
            ax.text(0.04, 0.96, f"round {at}", transform=ax.transAxes, ha="left", va="top", **_ROUND_STYLE)
        shots.append(camera.snap())
    # The last frame held: Pillow writes a frame identical to the one before by lengthening that one.
    shots += [shots[-1]] * _GIF_HOLD_FRAMES
    animation = ArtistAnimation(fig, shots, interval=1000 / _GIF_FPS)
    with atomic_path(final) as tmp:
        animation.save(tmp, writer=PillowWriter(fps=_GIF_FPS), dpi=dpi)
    return final


# The styles of the paths, the start, the end (or the point now) and the equilibrium.
_PATH_STYLE: dict[str, Any] = {"color": REAL_COLOR, "lw": 1.0, "alpha": 0.9, "zorder": 3}
_START_STYLE: dict[str, Any] = {"color": _START_COLOR, "ms": 7, "ls": "", "zorder": 5}
_NOW_STYLE: dict[str, Any] = {"color": GENERATED_COLOR, "mec": "black", "mew": 0.8, "ms": 7, "ls": "", "zorder": 6}
_EQUILIBRIUM_STYLE: dict[str, Any] = {"color": "black", "ms": 10, "ls": "", "zorder": 4}
_ROUND_STYLE: dict[str, Any] = {"fontsize": 10, "zorder": 7, "bbox": {"fc": "white", "ec": "none", "alpha": 0.8}}


class _FramesCanvas(FigureCanvasAgg):
    """An Agg canvas that draws the figure when a frame is saved, and not again between frames.

    `ArtistAnimation` asks for a redraw (`draw_idle`) after showing each frame's
    artists, which an Agg canvas would do at once, and the writer then draws the
    figure again to save it.
    """

    def draw_idle(self, *args: Any, **kwargs: Any) -> None:
        pass


def _grid(
    panels: Sequence[DiracPanel], columns: int, *, dpi: int, canvas: type[FigureCanvasAgg] = FigureCanvasAgg
) -> tuple[Figure, list[Axes]]:
    """A figure of panels side by side, sharing their axes; the panels' axes in reading order."""
    if not panels:
        raise Gan1dError("no Dirac-GAN panels to draw")
    columns = max(1, min(columns, len(panels)))
    rows = math.ceil(len(panels) / columns)
    fig = _figure((4.0 * columns, 4.1 * rows + 0.4), dpi=dpi, canvas=canvas)
    axes = list(fig.subplots(rows, columns, squeeze=False, sharex=True, sharey=True).flat)
    for ax in axes[len(panels) :]:
        ax.set_axis_off()
    return fig, axes[: len(panels)]


def _draw_panel(ax: Axes, panel: DiracPanel, *, small: bool = False) -> None:
    _draw_field(ax, panel, small=small)
    path = panel.trajectory
    size = {"ms": 7} if small else {"ms": 8}
    ax.plot(path[:, 0], path[:, 1], "-", label="training", **_PATH_STYLE)
    ax.plot(*path[0], "o", label="start", **{**_START_STYLE, **size})
    ax.plot(*path[-1], "o", label="end", **{**_NOW_STYLE, **size, "zorder": 5})
    _draw_equilibrium(ax, small=small)


def _draw_equilibrium(ax: Axes, *, small: bool) -> None:
    ax.plot(0.0, 0.0, "*", label="equilibrium (0, 0)", **{**_EQUILIBRIUM_STYLE, "ms": 10 if small else 12})


def _draw_field(ax: Axes, panel: DiracPanel, *, small: bool = False) -> None:
    """What stays: the clipping's bands, the field, the axes and the title."""
    theta, psi = panel.theta, panel.psi
    lo_t, hi_t, lo_p, hi_p = theta.min(), theta.max(), psi.min(), psi.max()
    if panel.clip is not None:
        for low, high in ((lo_p, -panel.clip), (panel.clip, hi_p)):
            if high > low:
                ax.axhspan(low, high, color=_FORBIDDEN_COLOR, zorder=0, lw=0)
        ax.axhline(panel.clip, color="0.4", lw=0.8, zorder=1)
        ax.axhline(-panel.clip, color="0.4", lw=0.8, zorder=1)
    grid_t, grid_p = np.meshgrid(theta, psi)
    # Every arrow scaled alike within a panel (the longest spans about one grid cell):
    # lengths compare within a method; across methods compare directions.
    longest = float(np.max(np.hypot(panel.change[..., 0], panel.change[..., 1])))
    cell = min(np.min(np.diff(theta)), np.min(np.diff(psi)))
    scale = longest / (0.9 * cell) if longest > 0 else 1.0
    ax.quiver(
        grid_t,
        grid_p,
        panel.change[..., 0],
        panel.change[..., 1],
        color=_FIELD_COLOR,
        angles="xy",
        scale_units="xy",
        scale=scale,
        width=0.004 if small else 0.003,
        zorder=2,
    )
    ax.set_xlim(lo_t, hi_t)
    ax.set_ylim(lo_p, hi_p)
    ax.set_aspect("equal")
    ax.set_xlabel("theta (the generated point)")
    ax.set_ylabel("psi (the discriminator's slope)")
    if small:
        ax.label_outer()
    ax.set_title(panel.title, fontsize=11 if small else 12)


def _figure(size: tuple[float, float], *, dpi: int = 100, canvas: type[FigureCanvasAgg] = FigureCanvasAgg) -> Figure:
    fig = Figure(figsize=size, dpi=dpi, layout="constrained")
    canvas(fig)
    return fig
