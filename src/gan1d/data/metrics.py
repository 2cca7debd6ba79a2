"""Objective quality of generated points against a target.

Against a `FunctionTarget`, four numbers, each scale-free so that runs on different
targets compare:

- `x_w1`: Wasserstein-1 distance between the generated x values and the
  target's x distribution (uniform on the domain), divided by the domain width.
  Computed exactly, not from samples: 0 is a perfect match, 0.5 means all mass
  sits at one end of the domain.
- `curve_residual`: mean |y - f(x)| divided by the range of f on the domain
  (by 1 if f is constant). A point with x outside the domain is scored against
  the curve's end value there (x is clipped); it is penalised in `x_w1` too.
- `energy_distance`: the 2-D energy distance between the generated cloud and
  as many real points, `2 E|X - Y| - E|X - X'| - E|Y - Y'|` (Szekely & Rizzo),
  after scaling x by the domain width and y by the range of f; 0 for identical
  distributions, and it sees both marginals and how they pair.
- `coverage`: share of equal-width x bins over the domain that hold at least
  one generated point; points outside the domain fall in no bin.

Against a `DataTarget` (a file of points), `energy_distance` (x and y scaled by
the sample's width and height, `DataTarget.spread`) and `coverage`: the share of
the grid cells over the sample's bounds (`DATA_BINS`: 20 bins along x for 1-D
values, 10 x 10 for points in the plane) holding a point of the file that also
hold a generated point.

Generated points containing nan or inf (a diverged generator) give nan for every
metric instead of an error, so a training log can record the failure.

A run *succeeds* when its metrics meet its target's thresholds
(`success_thresholds`): on a curve `x_w1 <= 0.02` and `curve_residual <= 0.02`;
on a Gaussian mixture every mode captured and `high_quality >= 0.9`; on other
targets (moons, a data file) finite points. `meets`
decides it, for one run (`gan1d.train`) and for each seed of a sweep alike.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.spatial.distance import cdist

from gan1d.checks import integer
from gan1d.data.dataset import DataTarget
from gan1d.data.distribution import Target
from gan1d.data.planar import MixtureTarget
from gan1d.data.targets import FunctionTarget
from gan1d.errors import Gan1dError

__all__ = [
    "DATA_BINS",
    "HEADLINE",
    "HIGHER_IS_BETTER",
    "METRIC_POINTS",
    "METRIC_SEED",
    "MIXTURE_THRESHOLDS",
    "SUCCESS_THRESHOLDS",
    "check_thresholds",
    "coverage",
    "curve_residual",
    "data_coverage",
    "energy_distance",
    "judge",
    "mean_and_error",
    "meets",
    "misses",
    "mode_metrics",
    "success_thresholds",
    "summarize",
    "verdict",
    "x_w1",
]

# A run succeeds when every listed metric meets its threshold: at most the value,
# or at least it for the metrics in HIGHER_IS_BETTER.
# On a curve: close to uniform in x, and on the curve.
SUCCESS_THRESHOLDS: Mapping[str, float] = {"x_w1": 0.02, "curve_residual": 0.02}
# On a Gaussian mixture: no mode dropped (added per target) and few points off the modes.
MIXTURE_THRESHOLDS: Mapping[str, float] = {"high_quality": 0.9}
HIGHER_IS_BETTER = frozenset({"coverage", "high_quality", "modes_captured"})
# The numbers a run's one-line summary shows, those that apply to its target.
HEADLINE = ("x_w1", "curve_residual", "modes_captured", "high_quality", "energy_distance")
# Generated points scored for a run's final metrics, and their latent seed: fixed so runs compare.
METRIC_POINTS = 2500
METRIC_SEED = 1234
# Cells (along x, along y) of the grid `data_coverage` lays over a data file's points, by its columns.
DATA_BINS: Mapping[int, tuple[int, int]] = {1: (20, 1), 2: (10, 10)}


def _check(generated: object, target: object) -> np.ndarray | None:
    """Validate the arguments; return float64 points, or None if any are not finite."""
    if not isinstance(target, FunctionTarget):
        raise Gan1dError(f"metrics need a FunctionTarget (points on a curve), got {type(target).__name__}")
    return _cloud(generated)


def _cloud(generated: object) -> np.ndarray | None:
    """`generated` as float64 `(n, 2)` points, or None if any are not finite."""
    try:
        points = np.asarray(generated, dtype=np.float64)
    except (TypeError, ValueError):
        raise Gan1dError(f"generated points must be a numeric (n, 2) array, got {type(generated).__name__}") from None
    if points.ndim != 2 or points.shape[1] != 2 or points.shape[0] < 1:
        raise Gan1dError(f"generated points must have shape (n, 2) with n >= 1, got {points.shape}")
    if not np.isfinite(points).all():
        return None
    return points


def _uniform_w1(u: np.ndarray) -> float:
    """Exact W1 between the empirical distribution of u and Uniform[0, 1].

    W1 = integral over p in [0, 1] of |Q(p) - p|, where the empirical quantile
    function Q equals the i-th smallest u on ((i-1)/n, i/n]. On each such piece
    the integral of |c - p| over [a, b] is ((c-a)|c-a| - (c-b)|c-b|) / 2.
    """
    c = np.sort(u)
    n = c.shape[0]
    a = np.arange(n, dtype=np.float64) / n
    b = np.arange(1, n + 1, dtype=np.float64) / n
    pieces = ((c - a) * np.abs(c - a) - (c - b) * np.abs(c - b)) / 2.0
    return float(np.sum(pieces))


def x_w1(generated: np.ndarray, target: FunctionTarget) -> float:
    """Wasserstein-1 distance of generated x to Uniform(domain), over the width.

    Exact (closed form over the sorted sample), O(n log n).

    Args:
        generated: (n, 2) float array of points (x, y), n >= 1.
        target: The function target the points should follow.

    Returns:
        W1 / (hi - lo), >= 0; 0.5 for all points at one end of the domain;
        nan if any generated value is not finite.

    Raises:
        Gan1dError: If `generated` is not (n, 2) or `target` is not a
            FunctionTarget.
    """
    points = _check(generated, target)
    if points is None:
        return math.nan
    lo, hi = target.domain
    # W1 scales linearly with x, so normalising x to [0, 1] divides it by the width.
    return _uniform_w1((points[:, 0] - lo) / (hi - lo))


def curve_residual(generated: np.ndarray, target: FunctionTarget) -> float:
    """Mean |y - f(x)| over the points, divided by the range of f on the domain.

    x outside the domain is clipped to it before evaluating f: such a point is
    scored against the curve's end value (and penalised in `x_w1`).

    Args:
        generated: (n, 2) float array of points (x, y), n >= 1.
        target: The function target the points should follow.

    Returns:
        Mean absolute residual over `max f - min f` (over 1 if f is constant);
        nan if any generated value is not finite.

    Raises:
        Gan1dError: If `generated` is not (n, 2) or `target` is not a
            FunctionTarget.
    """
    points = _check(generated, target)
    if points is None:
        return math.nan
    lo, hi = target.domain
    x = np.clip(points[:, 0], lo, hi)
    y_min, y_max = target.y_range
    scale = y_max - y_min if y_max > y_min else 1.0
    return float(np.mean(np.abs(points[:, 1] - target.f(x))) / scale)


def coverage(generated: np.ndarray, target: FunctionTarget, bins: int = 20) -> float:
    """Share of equal-width x bins over the domain that hold a generated point.

    Args:
        generated: (n, 2) float array of points (x, y), n >= 1.
        target: The function target the points should follow.
        bins: Number of bins, a positive int.

    Returns:
        In [0, 1]; points outside the domain count for no bin; nan if any
        generated value is not finite.

    Raises:
        Gan1dError: On a bad shape, a non-FunctionTarget, or bins < 1.
    """
    bins = integer("bins", bins)
    points = _check(generated, target)
    if points is None:
        return math.nan
    lo, hi = target.domain
    x = points[:, 0]
    x = x[(x >= lo) & (x <= hi)]
    # x == hi belongs to the last bin, as in np.histogram.
    index = np.minimum(((x - lo) / (hi - lo) * bins).astype(np.int64), bins - 1)
    return float(np.unique(index).size / bins)


def data_coverage(generated: np.ndarray, target: DataTarget) -> float:
    """Share of the grid cells holding a point of the file that also hold a generated point.

    The grid covers the sample's bounds (a flat side widened to `DataTarget.spread`)
    with `DATA_BINS` cells: 20 bins along x for 1-D values (y is not looked at),
    10 x 10 for points in the plane. Generated points outside it count for no cell.

    Args:
        generated: (n, 2) float array of points (x, y), n >= 1.
        target: The data file's points.

    Returns:
        In [0, 1], 1 when every cell of the sample holds a generated point; nan if
        any generated value is not finite.

    Raises:
        Gan1dError: On a bad shape or a target that is not a `DataTarget`.
    """
    if not isinstance(target, DataTarget):
        raise Gan1dError(f"data coverage needs a DataTarget (a file of points), got {type(target).__name__}")
    points = _cloud(generated)
    if points is None:
        return math.nan
    sample = _sample_cells(target)
    return float(np.isin(sample, _cells(points, target)).mean())


def _cells(points: np.ndarray, target: DataTarget) -> np.ndarray:
    """The grid cell of each point, numbered row by row, or -1 outside the grid."""
    (x0, x1), (y0, y1) = target.bounds
    size = np.array(target.spread)
    bins = np.array(DATA_BINS[target.columns])
    low = np.array([x0 + x1, y0 + y1]) / 2 - size / 2
    # Clipped first: a far-off point would overflow the integer cast.
    steps = np.clip((points - low) / size * bins, -1.0, bins + 1.0)
    if target.columns == 1:
        steps[:, 1] = 0.0
    inside = ((steps >= 0) & (steps <= bins)).all(axis=1)
    # A point on the top edge belongs to the last cell, as in np.histogram.
    index = np.minimum(np.floor(steps).astype(np.int64), bins - 1)
    return np.where(inside, index[:, 0] * bins[1] + index[:, 1], -1)


@functools.lru_cache(maxsize=16)
def _sample_cells(target: DataTarget) -> np.ndarray:
    """The cells holding a point of the file, computed once per target (the file may hold a million)."""
    return np.unique(_cells(target.points.astype(np.float64), target))


def energy_distance(generated: np.ndarray, real: np.ndarray) -> float:
    """Energy distance between two clouds of points in the plane.

    Args:
        generated: (n, 2) points.
        real: (m, 2) points, in the same units.

    Returns:
        `2 E|X - Y| - E|X - X'| - E|Y - Y'|` with Euclidean distances (V-statistic,
        so identical samples give exactly 0); nan if any value is not finite.
    """
    a = np.asarray(generated, dtype=np.float64)
    b = np.asarray(real, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or not len(a) or not len(b):
        raise Gan1dError(f"energy distance needs two (n, d) arrays with the same d, got {a.shape} and {b.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return math.nan
    return _energy(a, b, float(cdist(b, b).mean()))


def _energy(a: np.ndarray, b: np.ndarray, within_b: float) -> float:
    """Energy distance of finite float64 clouds, given `E|Y - Y'|` of `b`."""
    return float(2 * cdist(a, b).mean() - cdist(a, a).mean() - within_b)


@functools.lru_cache(maxsize=16)
def _reference(target: Target, n: int, scale: tuple[float, float]) -> tuple[np.ndarray, float]:
    """The fixed real sample energy distances compare with, scaled, and its `E|Y - Y'|`.

    The same for every snapshot of a run, so computed once (a third of the work).
    """
    real = target.sample(n, seed=ENERGY_SEED).astype(np.float64) / np.array(scale)
    real.setflags(write=False)
    return real, float(cdist(real, real).mean())


ENERGY_SEED = 4321


def summarize(generated: np.ndarray, target: Target) -> dict[str, float]:
    """Every metric that applies to `target`, at once.

    Args:
        generated: (n, 2) float array of points (x, y), n >= 1.
        target: The distribution the points should follow.

    Returns:
        For a `FunctionTarget`: `x_w1`, `curve_residual`, `energy_distance`
        and `coverage` (20 bins; energy distance against as many real points
        drawn with a fixed seed, both scaled by the domain width and the range of
        f). For a `DataTarget`: `energy_distance` (against as many points of the
        file, drawn with a fixed seed, both scaled by its `spread`) and
        `data_coverage` as `coverage`. For a `MixtureTarget`: `mode_metrics` and
        `energy_distance`. For other targets: `energy_distance`. Nan values when
        any generated value is not finite.

    Raises:
        Gan1dError: If `generated` is not (n, 2).
    """
    if isinstance(target, DataTarget):
        cloud = _cloud(generated)
        if cloud is None:
            return dict.fromkeys(("energy_distance", "coverage"), math.nan)
        real, within = _reference(target, len(cloud), target.spread)
        return {
            "energy_distance": _energy(cloud / np.array(target.spread), real, within),
            "coverage": data_coverage(cloud, target),
        }
    if not isinstance(target, FunctionTarget):
        cloud = np.asarray(generated, dtype=np.float64)
        scores = mode_metrics(cloud, target) if isinstance(target, MixtureTarget) else {}
        if cloud.ndim != 2 or cloud.shape[1:] != (2,) or not len(cloud) or not np.isfinite(cloud).all():
            return {**scores, "energy_distance": energy_distance(cloud, target.sample(1, seed=ENERGY_SEED))}
        reference, within = _reference(target, len(cloud), (1.0, 1.0))
        return {**scores, "energy_distance": _energy(cloud, reference, within)}
    points = _check(generated, target)
    if points is None:
        return dict.fromkeys(("x_w1", "curve_residual", "energy_distance", "coverage"), math.nan)
    (lo, hi), (y_lo, y_hi) = target.domain, target.y_range
    scale = (hi - lo, (y_hi - y_lo) or 1.0)
    real, within = _reference(target, len(points), scale)
    return {
        "x_w1": x_w1(points, target),
        "curve_residual": curve_residual(points, target),
        "energy_distance": _energy(points / np.array(scale), real, within),
        "coverage": coverage(points, target),
    }


def mode_metrics(generated: np.ndarray, target: MixtureTarget) -> dict[str, float]:
    """The mode-collapse scores of VEEGAN and PacGAN for a Gaussian mixture.

    Each generated point is assigned to its nearest mean; it is *high quality* when
    it lies within 3 standard deviations of that mean. A mode is *captured* when at
    least one high-quality point has it as nearest mean.

    Args:
        generated: (n, 2) points (the papers draw 2500).
        target: The mixture.

    Returns:
        `modes_captured` (count), `high_quality` (share of points, 0..1) and
        `reverse_kl`: KL(p || uniform) of the histogram p of the high-quality
        points over the modes (0 when they spread evenly, log k when all sit in one
        mode; nan when there is no high-quality point). All nan for non-finite points.
    """
    points = np.asarray(generated, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) < 1:
        raise Gan1dError(f"generated points must have shape (n, 2) with n >= 1, got {points.shape}")
    if not isinstance(target, MixtureTarget):
        raise Gan1dError(f"mode metrics need a Gaussian mixture target, got {type(target).__name__}")
    if not np.isfinite(points).all():
        return dict.fromkeys(("modes_captured", "high_quality", "reverse_kl"), math.nan)
    distances = cdist(points, target.modes)
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(points)), nearest] <= 3 * target.std
    counts = np.bincount(nearest[good], minlength=len(target.means)).astype(np.float64)
    if counts.sum():
        p = counts / counts.sum()
        present = p > 0
        reverse_kl = float(np.sum(p[present] * np.log(p[present] * len(p))))
    else:
        reverse_kl = math.nan
    return {
        "modes_captured": float(np.count_nonzero(counts)),
        "high_quality": float(good.mean()),
        "reverse_kl": reverse_kl,
    }


def success_thresholds(target: Target) -> dict[str, float]:
    """The success bar of a target: `SUCCESS_THRESHOLDS` on a curve; on a mixture
    every mode captured plus `MIXTURE_THRESHOLDS`; elsewhere (moons, a data file)
    none: finite points succeed."""
    if isinstance(target, FunctionTarget):
        return dict(SUCCESS_THRESHOLDS)
    if isinstance(target, MixtureTarget):
        return {"modes_captured": float(len(target.means)), **MIXTURE_THRESHOLDS}
    return {}


def _value(scores: Mapping[str, float | None], name: str) -> float:
    value = scores.get(name)
    return math.nan if value is None else float(value)


def _meets(name: str, value: float, limit: float) -> bool:
    return math.isfinite(value) and (value >= limit if name in HIGHER_IS_BETTER else value <= limit)


def misses(scores: Mapping[str, float | None], thresholds: Mapping[str, float]) -> list[str]:
    """The metrics of `scores` that miss their threshold (a missing or non-finite value misses).

    Args:
        scores: Metric name -> value, as `summarize` returns them (None counts as not finite).
        thresholds: Metric name -> the worst value that counts as a success (a lower
            bound for the metrics in `HIGHER_IS_BETTER`, else an upper bound).

    Returns:
        The names that miss, in the order of `thresholds`.
    """
    return [name for name, limit in thresholds.items() if not _meets(name, _value(scores, name), limit)]


def meets(scores: Mapping[str, float | None], thresholds: Mapping[str, float]) -> bool:
    """Whether `scores` meet every threshold, with every score finite (`reverse_kl` may be nan)."""
    finite = all(math.isfinite(_value(scores, name)) for name in scores if name != "reverse_kl")
    return finite and not misses(scores, thresholds)


def verdict(run_metrics: Mapping[str, Any]) -> str:
    """A run's `success` entry in words, from `metrics.json`'s values.

    Returns:
        E.g. `"success: x_w1 <= 0.02, curve_residual <= 0.02"` or
        `"no success: curve_residual 0.045 > 0.02"`.
    """
    thresholds: Mapping[str, float] = run_metrics["success_thresholds"]
    if run_metrics["success"]:
        bar = [f"{name} {'>=' if name in HIGHER_IS_BETTER else '<='} {limit:g}" for name, limit in thresholds.items()]
        return f"success: {', '.join(bar) or 'finite points'}"
    missed = []
    for name in misses(run_metrics, thresholds):
        value = _value(run_metrics, name)
        if math.isfinite(value):
            missed.append(f"{name} {value:.3g} {'<' if name in HIGHER_IS_BETTER else '>'} {thresholds[name]:g}")
        else:
            missed.append(f"{name} not finite")
    return f"no success: {', '.join(missed) or 'points not finite'}"


def judge(scores: Mapping[str, float | None], target: Target) -> dict[str, bool | dict[str, float]]:
    """A run's `success` (bool) and its `success_thresholds`, the entries `metrics.json` carries."""
    thresholds = success_thresholds(target)
    return {"success": meets(scores, thresholds), "success_thresholds": thresholds}


def check_thresholds(distribution: Target, thresholds: Mapping[str, float] | None, name: str) -> dict[str, float]:
    """The success bar for `distribution`: `thresholds`, or `success_thresholds` when None.

    Args:
        distribution: The target.
        thresholds: Metric -> the worst value that counts as a success.
        name: How the target is named in the error message.

    Raises:
        Gan1dError: If a threshold names a metric the target is not scored on.
    """
    limits = dict(success_thresholds(distribution) if thresholds is None else thresholds)
    known = set(summarize(distribution.sample(2, seed=0), distribution))
    unknown = set(limits) - known
    if unknown:
        raise Gan1dError(f"unknown threshold metric(s) {sorted(unknown)} for {name!r}; choose from {sorted(known)}")
    return limits


def mean_and_error(values: Sequence[float]) -> tuple[float, float]:
    """The mean of `values` and its standard error (NaN for fewer than two), as papers report them."""
    array = np.asarray(values, dtype=np.float64)
    error = float(np.std(array, ddof=1) / math.sqrt(len(array))) if len(array) > 1 else math.nan
    return float(np.mean(array)), error
