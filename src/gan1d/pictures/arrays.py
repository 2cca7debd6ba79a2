"""Checking the arrays pictures take, and the view around them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gan1d.errors import Gan1dError
from gan1d.pictures.style import Curve

if TYPE_CHECKING:
    from gan1d.data.distribution import Bounds

__all__ = ["as_curve", "as_points", "resolve_bounds"]

# Padding added on each side of the bounds, as a fraction of the span, so points
# lying exactly on the edge of the support stay visible.
_PAD = 0.05


def resolve_bounds(real: np.ndarray, curve: Curve | None, bounds: Bounds | None) -> Bounds:
    """Padded axis limits: the given bounds, or those of the real points and curve."""
    if bounds is None:
        xs = [real[:, 0]] + ([curve[0]] if curve is not None else [])
        ys = [real[:, 1]] + ([curve[1]] if curve is not None else [])
        bounds = (_finite_range(np.concatenate(xs)), _finite_range(np.concatenate(ys)))
    try:
        (xmin, xmax), (ymin, ymax) = ((float(a), float(b)) for a, b in bounds)
    except (TypeError, ValueError):
        raise Gan1dError(f"bounds must be ((xmin, xmax), (ymin, ymax)), got {bounds!r}") from None
    if not all(np.isfinite([xmin, xmax, ymin, ymax])) or xmin > xmax or ymin > ymax:
        raise Gan1dError(f"bounds must be finite with min <= max, got {bounds!r}")
    return _pad(xmin, xmax), _pad(ymin, ymax)


def _finite_range(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return -1.0, 1.0
    return float(finite.min()), float(finite.max())


def _pad(lo: float, hi: float) -> tuple[float, float]:
    span = hi - lo
    # A flat range (one point, a constant function) still gets a visible window.
    pad = _PAD * span if span > 0 else max(abs(lo), 1.0) * 0.5
    return lo - pad, hi + pad


def as_points(points: np.ndarray, name: str, *, allow_empty: bool) -> np.ndarray:
    """`points` as a float `(n, 2)` array; raises Gan1dError naming `name` otherwise."""
    try:
        array = np.asarray(points, dtype=float)
    except (TypeError, ValueError):
        raise Gan1dError(f"{name} must be an (n, 2) array of numbers") from None
    if array.ndim != 2 or array.shape[1] != 2:
        raise Gan1dError(f"{name} must be an (n, 2) array, got shape {array.shape}")
    if not allow_empty and len(array) == 0:
        raise Gan1dError(f"{name} is empty")
    return array


def as_curve(curve: Curve | None) -> Curve | None:
    """`curve` as a pair of equal-length float arrays, or None; raises Gan1dError otherwise."""
    if curve is None:
        return None
    try:
        x, y = (np.asarray(c, dtype=float) for c in curve)
    except (TypeError, ValueError):
        raise Gan1dError("curve must be a pair (x, y) of 1D arrays of numbers") from None
    if x.ndim != 1 or x.shape != y.shape:
        raise Gan1dError(f"curve must be a pair (x, y) of equal-length 1D arrays, got {x.shape} and {y.shape}")
    return x, y
