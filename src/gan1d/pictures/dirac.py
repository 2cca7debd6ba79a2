"""Pictures of the Dirac-GAN: a training method's field over (theta, psi), with its trajectory on top.

theta is where the generator puts its one point, psi the slope of the linear
discriminator; the equilibrium is (0, 0). Each panel draws the change one training
round makes from every point of a grid as an arrow, the (theta, psi) of every round
as a line from the start (red) to the end, and, for weight clipping, the values of
psi the clipping forbids, shaded. Pure NumPy and matplotlib, pyplot-free, written
atomically; the arrays come from `gan1d.experiments.dirac`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gan1d.errors import Gan1dError
from gan1d.files import atomic_path
from gan1d.pictures.style import GENERATED_COLOR, REAL_COLOR, PathArg

__all__ = ["DiracPanel", "plot_dirac", "plot_dirac_methods"]

_FIELD_COLOR = "0.55"
_START_COLOR = "tab:red"
_FORBIDDEN_COLOR = "0.85"


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
    return _save(fig, path)


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
    if not panels:
        raise Gan1dError("no Dirac-GAN panels to draw")
    columns = max(1, min(columns, len(panels)))
    rows = math.ceil(len(panels) / columns)
    fig = _figure((4.0 * columns, 4.1 * rows + 0.4))
    axes = fig.subplots(rows, columns, squeeze=False, sharex=True, sharey=True)
    for ax, panel in zip(axes.flat, panels, strict=False):
        _draw_panel(ax, panel, small=True)
    for ax in axes.flat[len(panels) :]:
        ax.set_axis_off()
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=11)
    return _save(fig, path)


def _draw_panel(ax: Axes, panel: DiracPanel, *, small: bool = False) -> None:
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
    path = panel.trajectory
    ax.plot(path[:, 0], path[:, 1], "-", color=REAL_COLOR, lw=1.0, alpha=0.9, zorder=3, label="training")
    ax.plot(*path[0], "o", color=_START_COLOR, ms=8 if not small else 7, zorder=5, label="start")
    ax.plot(
        *path[-1], "o", color=GENERATED_COLOR, mec="black", mew=0.8, ms=8 if not small else 7, zorder=5, label="end"
    )
    ax.plot(0.0, 0.0, "*", color="black", ms=12 if not small else 10, zorder=4, label="equilibrium (0, 0)")
    ax.set_xlim(lo_t, hi_t)
    ax.set_ylim(lo_p, hi_p)
    ax.set_aspect("equal")
    ax.set_xlabel("theta (the generated point)")
    ax.set_ylabel("psi (the discriminator's slope)")
    if small:
        ax.label_outer()
    ax.set_title(panel.title, fontsize=11 if small else 12)


def _figure(size: tuple[float, float]) -> Figure:
    fig = Figure(figsize=size, dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: PathArg) -> Path:
    final = Path(path)
    fmt = final.suffix.lower().lstrip(".")
    if fmt not in fig.canvas.get_supported_filetypes():
        raise Gan1dError(f"unsupported image format {final.suffix or final.name!r}; use .png")
    with atomic_path(final) as tmp:
        fig.savefig(tmp, format=fmt)
    return final
