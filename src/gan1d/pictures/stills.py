"""Still pictures of a run: the target, the losses, real vs generated points, quality.

Pure numpy + matplotlib, headless and pyplot-free: every figure is a
`matplotlib.figure.Figure` with its own Agg canvas, so importing this module never
touches the user's global backend and no figure is registered with pyplot.

Every function writes to a temporary file next to the destination and renames it
into place, so an interrupted run never leaves a half-written file under the
final name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gan1d.errors import Gan1dError
from gan1d.files import atomic_path
from gan1d.pictures.arrays import as_curve, as_points, resolve_bounds
from gan1d.pictures.style import CURVE_COLOR, D_LOSS_COLOR, G_LOSS_COLOR, GENERATED_COLOR, REAL_COLOR, Curve, PathArg

if TYPE_CHECKING:
    from gan1d.data.distribution import Bounds

__all__ = ["plot_grid", "plot_losses", "plot_quality", "plot_samples", "plot_target"]

# From this many epochs on, raw losses are drawn faint under a moving average.
_SMOOTH_FROM = 200


def plot_target(
    real_points: np.ndarray,
    curve: Curve | None,
    path: PathArg,
    *,
    title: str = "Target",
) -> Path:
    """Draws the real points as a scatter and the true curve as a thin line.

    Args:
        real_points: (n, 2) array of real points.
        curve: (x, y) arrays of the dense true curve, or None for planar targets.
        path: Image file to write; the suffix picks the format (.png, .svg, ...).
        title: Figure title.

    Returns:
        The path written.

    Raises:
        Gan1dError: On malformed arrays or an unsupported suffix.
    """
    real = as_points(real_points, "real_points", allow_empty=False)
    curve_xy = as_curve(curve)
    fig, ax = _new_figure((5.0, 5.0))
    _draw_background(ax, real, curve_xy, resolve_bounds(real, curve_xy, None))
    ax.set_title(title)
    ax.legend(loc="best", fontsize=9)
    return save_figure(fig, path)


def plot_losses(
    d_loss: Sequence[float],
    g_loss: Sequence[float],
    path: PathArg,
    *,
    epochs: Sequence[int] | None = None,
) -> Path:
    """Draws discriminator and generator loss per epoch.

    With 200 or more epochs the raw losses are drawn faint and a trailing moving
    average (window n // 50) on top, so thousands of epochs stay readable.

    Args:
        d_loss: Discriminator loss per epoch.
        g_loss: Generator loss per epoch, same length.
        path: Image file to write.
        epochs: Epoch number of each loss; defaults to 1, 2, ..., n.

    Returns:
        The path written.

    Raises:
        Gan1dError: If the sequences are empty or of different lengths.
    """
    d = _as_series(d_loss, "d_loss")
    g = _as_series(g_loss, "g_loss")
    if d.size == 0:
        raise Gan1dError("no losses to plot")
    if d.size != g.size:
        raise Gan1dError(f"d_loss and g_loss differ in length: {d.size} vs {g.size}")
    x = _as_epochs(epochs, d.size)
    fig, ax = _new_figure((7.0, 4.0))
    smooth = d.size >= _SMOOTH_FROM
    window = max(2, d.size // 50)
    for values, name, color in (
        (d, "discriminator", D_LOSS_COLOR),
        (g, "generator", G_LOSS_COLOR),
    ):
        if smooth:
            ax.plot(x, values, color=color, lw=0.5, alpha=0.3)
            ax.plot(
                x[window - 1 :],
                _moving_average(values, window),
                color=color,
                lw=1.3,
                label=f"{name} (mean of {window})",
            )
        else:
            ax.plot(x, values, color=color, lw=1.0, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("Losses")
    ax.grid(True, lw=0.4, alpha=0.5)
    ax.legend(loc="best", fontsize=9)
    return save_figure(fig, path)


def plot_samples(
    real_points: np.ndarray,
    generated: np.ndarray,
    path: PathArg,
    *,
    curve: Curve | None = None,
    bounds: Bounds | None = None,
    title: str = "Real vs generated",
) -> Path:
    """Draws real and generated points on one axes, with the animation's limits.

    Args:
        real_points: (n, 2) array of real points.
        generated: (m, 2) array of generated points.
        path: Image file to write.
        curve: (x, y) arrays of the true curve, or None.
        bounds: ((xmin, xmax), (ymin, ymax)) to show, padded by 5%; None fits
            the real points and the curve.
        title: Figure title.

    Returns:
        The path written.

    Raises:
        Gan1dError: On malformed arrays or bounds, or an unsupported suffix.
    """
    real = as_points(real_points, "real_points", allow_empty=False)
    fake = as_points(generated, "generated", allow_empty=True)
    curve_xy = as_curve(curve)
    fig, ax = _new_figure((5.0, 5.0))
    _draw_background(ax, real, curve_xy, resolve_bounds(real, curve_xy, bounds))
    ax.plot(
        fake[:, 0],
        fake[:, 1],
        "o",
        ms=3.5,
        color=GENERATED_COLOR,
        label=f"generated ({len(fake)})",
    )
    ax.set_title(title)
    ax.legend(loc="best", fontsize=9)
    return save_figure(fig, path)


def plot_grid(
    generated: Sequence[np.ndarray],
    real_points: np.ndarray,
    path: PathArg,
    *,
    titles: Sequence[str] | None = None,
    curve: Curve | None = None,
    bounds: Bounds | None = None,
) -> Path:
    """Draws one small panel of real vs generated points per run (e.g. per seed).

    Args:
        generated: One (m, 2) array per panel.
        real_points: (n, 2) real points drawn in every panel.
        path: Image file to write.
        titles: One short title per panel.
        curve: (x, y) arrays of the true curve, or None.
        bounds: ((xmin, xmax), (ymin, ymax)) shared by all panels, padded by 5%.

    Returns:
        The path written.

    Raises:
        Gan1dError: On malformed arrays, no panels, or titles of the wrong length.
    """
    if not len(generated):
        raise Gan1dError("no runs to draw")
    if titles is not None and len(titles) != len(generated):
        raise Gan1dError(f"{len(titles)} titles for {len(generated)} panels")
    real = as_points(real_points, "real_points", allow_empty=False)
    curve_xy = as_curve(curve)
    limits = resolve_bounds(real, curve_xy, bounds)
    columns = min(5, len(generated))
    rows = math.ceil(len(generated) / columns)
    fig = Figure(figsize=(2.4 * columns, 2.5 * rows), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        if i >= len(generated):
            ax.set_axis_off()
            continue
        fake = as_points(generated[i], f"generated[{i}]", allow_empty=True)
        _draw_background(ax, real, curve_xy, limits, marker_size=1.5)
        ax.plot(fake[:, 0], fake[:, 1], "o", ms=1.8, color=GENERATED_COLOR)
        ax.tick_params(labelsize=6)
        if titles is not None:
            ax.set_title(titles[i], fontsize=7)
    return save_figure(fig, path)


def plot_quality(epochs: Sequence[int], curves: Mapping[str, Sequence[float]], path: PathArg) -> Path:
    """Draws quality metrics over epochs, one stacked subplot per metric.

    Args:
        epochs: Epoch of each measurement.
        curves: Metric name -> one value per epoch (NaN leaves a gap).
        path: Image file to write.

    Returns:
        The path written.

    Raises:
        Gan1dError: If there are no metrics or a metric's length differs from epochs.
    """
    if not curves:
        raise Gan1dError("no quality metrics to plot")
    x = _as_series(epochs, "epochs")
    if x.size == 0:
        raise Gan1dError("no epochs to plot quality for")
    series = {}
    for name, values in curves.items():
        y = _as_series(values, f"quality metric {name!r}")
        if y.size != x.size:
            raise Gan1dError(f"quality metric {name!r} has {y.size} values for {x.size} epochs")
        series[name] = y
    fig = Figure(figsize=(7.0, 0.8 + 1.8 * len(series)), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(series), 1, sharex=True, squeeze=False)[:, 0]
    marker = "o" if x.size <= 50 else None
    for ax, (name, y) in zip(axes, series.items(), strict=True):
        ax.plot(x, y, lw=1.0, marker=marker, ms=3)
        ax.set_ylabel(name)
        ax.grid(True, lw=0.4, alpha=0.5)
    axes[0].set_title("Quality")
    axes[-1].set_xlabel("epoch")
    return save_figure(fig, path)


# --- shared helpers -------------------------------------------------------------


def _new_figure(
    size: tuple[float, float], dpi: int = 100, layout: Literal["constrained"] | None = "constrained"
) -> tuple[Figure, Axes]:
    """A pyplot-free figure with an Agg canvas and one axes."""
    fig = Figure(figsize=size, dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _draw_background(
    ax: Axes,
    real: np.ndarray,
    curve: Curve | None,
    limits: Bounds,
    *,
    marker_size: float = 3.5,
) -> None:
    """Draws what every point plot shares: curve, real points, limits, labels."""
    if curve is not None:
        ax.plot(curve[0], curve[1], lw=0.9, color=CURVE_COLOR, label="true curve")
    ax.plot(
        real[:, 0],
        real[:, 1],
        "o",
        ms=marker_size,
        color=REAL_COLOR,
        label=f"real ({len(real)})",
    )
    (xmin, xmax), (ymin, ymax) = limits
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.grid(True, lw=0.4, alpha=0.4)


def save_figure(fig: Figure, path: PathArg) -> Path:
    """Saves a figure atomically; the path's suffix picks the format."""
    final = Path(path)
    fmt = final.suffix.lower().lstrip(".")
    if fmt not in fig.canvas.get_supported_filetypes():
        raise Gan1dError(f"unsupported image format {final.suffix or final.name!r}; use .png")
    with atomic_path(final) as tmp:
        fig.savefig(tmp, format=fmt)
    return final


def _as_series(values: Sequence[float], name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise Gan1dError(f"{name} must be a sequence of numbers") from None
    if array.ndim != 1:
        raise Gan1dError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _as_epochs(epochs: Sequence[int] | None, n: int) -> np.ndarray:
    if epochs is None:
        return np.arange(1, n + 1)
    x = _as_series(epochs, "epochs")
    if x.size != n:
        raise Gan1dError(f"epochs has {x.size} values for {n} losses")
    return x


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over `window` values; NaN/inf are skipped, not spread."""
    finite = np.isfinite(values)
    kernel = np.ones(window)
    sums = np.convolve(np.where(finite, values, 0.0), kernel, mode="valid")
    counts = np.convolve(finite.astype(float), kernel, mode="valid")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)
