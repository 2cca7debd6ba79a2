"""The shape of a curve: how much there is to learn, and where float32 could hide a pole.

`CurveShape` measures a function's graph on a dense grid (monotone pieces, jumps,
steep parts), which picks the networks a curve needs. `float32_suspects` lists the
float32 numbers of a domain where a pole or a hole of f between grid points would
be, so that a target is checked where training can draw x.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

__all__ = [
    "JUMP_SHARE",
    "PLAIN_PIECES",
    "PLAIN_STEEP_SHARE",
    "CurveShape",
    "float32_inside",
    "float32_suspects",
]


def float32_inside(lo: float, hi: float) -> tuple[float, float]:
    """The float32 numbers nearest to lo and hi that still lie inside [lo, hi]."""
    lo32, hi32 = np.float32(lo), np.float32(hi)
    if float(lo32) < lo:
        lo32 = np.nextafter(lo32, np.float32(np.inf))
    if float(hi32) > hi:
        hi32 = np.nextafter(hi32, np.float32(-np.inf))
    return float(lo32), float(hi32)


# Extrema and jumps of f on the check grid that are looked at closely; enough for
# curves with hundreds of wiggles, bounded so the check stays within milliseconds.
_MAX_SUSPECTS = 1_000
# Points per zoom window, and zoom levels (each 16 times narrower).
_ZOOM_POINTS = 65
_ZOOM_LEVELS = 8
# Consecutive float32 numbers checked on each side of where the zoom ends.
_ULPS = 64


def _suspects(grid: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grid indices where f turns or jumps most, and what to look for there.

    Returns:
        Indices, and per index +1 (a local maximum: look for larger values), -1 (a
        local minimum: look for smaller ones) or 0 (a steep step: look for the
        steepest part).
    """
    slopes = np.diff(y)
    signs = np.sign(slopes)
    turns = np.flatnonzero(signs[1:] != signs[:-1]) + 1
    turns = turns[np.argsort(-np.abs(y[turns] - np.median(y)))][:_MAX_SUSPECTS]
    kinds = np.where(slopes[turns - 1] > 0, 1, -1)
    steep = np.argsort(-np.abs(slopes))[:_MAX_SUSPECTS]
    ends = np.array([0, len(grid) - 1])
    indices = np.concatenate([turns, steep, ends])
    return indices, np.concatenate([kinds, np.zeros(len(steep) + 2, dtype=int)])


def float32_suspects(
    f32: Callable[[np.ndarray], np.ndarray], grid: np.ndarray, y: np.ndarray, lo: float, hi: float
) -> np.ndarray:
    """float32 points of [lo, hi] where a pole or a hole of f between grid points would be.

    Around each suspect point of the grid, a window of `_ZOOM_POINTS` float32 points
    is evaluated and narrowed 16-fold onto the most extreme value (or the steepest
    step), `_ZOOM_LEVELS` times, down to consecutive float32 numbers.
    """
    inside_lo, inside_hi = (np.float32(v) for v in float32_inside(lo, hi))
    indices, kinds = _suspects(grid, y)
    centres = grid[indices].astype(np.float64)
    half = np.full(len(centres), (hi - lo) / (len(grid) - 1))
    offsets = np.linspace(-1.0, 1.0, _ZOOM_POINTS)
    seen = []
    rows = np.arange(len(centres))
    for _ in range(_ZOOM_LEVELS):
        window = np.clip((centres[:, None] + half[:, None] * offsets).astype(np.float32), inside_lo, inside_hi)
        seen.append(window.ravel())
        with np.errstate(all="ignore"):
            values = f32(window.ravel()).reshape(window.shape).astype(np.float64)
        bad = ~np.isfinite(values)
        extreme = np.where(bad, np.inf, np.where(kinds[:, None] >= 0, values, -values))
        steps = np.abs(np.diff(np.where(bad, 0.0, values), axis=1))
        steepest = np.argmax(steps, axis=1)
        pick = np.where((kinds == 0) & ~bad.any(axis=1), steepest, np.argmax(extreme, axis=1))
        centres = window[rows, pick].astype(np.float64)
        half = half / 16
    ulps = np.arange(-_ULPS, _ULPS + 1, dtype=np.int64)
    bits = centres.astype(np.float32).view(np.int32).astype(np.int64)
    # Moving the bit pattern walks consecutive float32 numbers (on one side of 0).
    walked = np.clip(bits[:, None] + ulps, -(2**31), 2**31 - 1).astype(np.int32).view(np.float32).ravel()
    candidates = np.concatenate([*seen, walked])
    inside = (candidates >= inside_lo) & (candidates <= inside_hi)
    return np.unique(candidates[inside])


# A step of f between neighbouring grid points larger than this share of its range is
# a jump; tanh(20*x) on [-1, 1], the steepest smooth benchmark, climbs 0.2% per step.
JUMP_SHARE = 0.02
# A stretch of the grid shorter than this share of it between jumps is an isolated
# value (sign(0) = 0, floor(3*x) at x = 1), not a piece of the curve.
_MIN_PIECE_SHARE = 1e-3
# The most monotone pieces, and the smallest steep share, of a curve networks learn
# from x alone (cube: 3 pieces, steep share 0.195; runge, 0.167, failed 2 of 20 seeds).
PLAIN_PIECES = 3
PLAIN_STEEP_SHARE = 0.18
# Steps smaller than this share of the range do not turn the curve (rounding, flat parts).
_FLAT_SHARE = 1e-7


@dataclasses.dataclass(frozen=True)
class CurveShape:
    """How much curve there is to learn, measured on `f` over a dense grid of the domain.

    Attributes:
        pieces: Monotone pieces of the curve: each turn and each jump starts a new one
            (`x**2`: 2, `sin(10*x)` on [-1, 1]: 7, `floor(3*x)` on [-1, 1]: 6).
        jumps: Discontinuities: steps larger than `JUMP_SHARE` of f's range between
            neighbouring grid points (an isolated value such as `sign(0)` is not a piece).
        travel: How far the curve climbs and falls in all, in units of its range
            (1 for a monotone curve, 2 for `x**2`, jumps included).
        steep_share: The share of the domain over which f makes the steepest half of
            its travel (0.5 for a straight line, 0.03 for `tanh(20*x)` on [-1, 1], 0
            when a jump makes half of it).
    """

    pieces: int
    jumps: int
    travel: float
    steep_share: float

    @classmethod
    def of(cls, y: np.ndarray) -> CurveShape:
        """The shape of a curve from its values `y` on an evenly spaced grid of the domain."""
        y = np.asarray(y, dtype=np.float64)
        low, high = float(np.min(y)), float(np.max(y))
        if not high - low > 1e-9 * max(1.0, abs(low), abs(high)):
            return cls(pieces=1, jumps=0, travel=0.0, steep_share=0.5)
        steps = np.diff(y) / (high - low)
        # Stretches between jumps; those too short to be a piece are left out.
        cuts = np.flatnonzero(np.abs(steps) > JUMP_SHARE)
        starts, ends = np.concatenate([[0], cuts + 1]), np.concatenate([cuts, [len(y) - 1]])
        keep = ends - starts + 1 >= max(2, _MIN_PIECE_SHARE * len(y))
        stretches = list(zip(starts[keep], ends[keep], strict=True))
        pieces = jumps = 0
        climbs = []
        for i, (start, end) in enumerate(stretches):
            inside = steps[start:end]
            moving = np.sign(inside[np.abs(inside) > _FLAT_SHARE])
            pieces += 1 + int(np.count_nonzero(moving[1:] != moving[:-1]))
            climbs.append(np.abs(inside))
            if i:
                gap = abs(y[start] - y[stretches[i - 1][1]]) / (high - low)
                jumps += gap > JUMP_SHARE
                climbs.append(np.array([gap]) if gap > JUMP_SHARE else np.abs(inside[:0]))
        climb = np.sort(np.concatenate(climbs))[::-1]
        travel = float(np.sum(climb))
        # The steepest steps that make half the travel; a jump is a step of no width.
        steepest = climb[: int(np.searchsorted(np.cumsum(climb), travel / 2)) + 1]
        share = float(np.count_nonzero(steepest <= JUMP_SHARE) / (len(y) - 1))
        return cls(pieces=pieces, jumps=int(jumps), travel=travel, steep_share=share)

    @property
    def needs_features(self) -> bool:
        """Whether the networks need Fourier features of x to follow this curve.

        True with more than `PLAIN_PIECES` monotone pieces, any jump, or a steep part
        (`steep_share` under `PLAIN_STEEP_SHARE`): the shapes on which networks of x
        alone failed seeds in docs/presets.md. The graph generator then gets
        `gan1d.run.config.GRAPH_FREQUENCIES` of them unless `fourier_features` is set.
        """
        return self.pieces > PLAIN_PIECES or self.jumps > 0 or self.steep_share < PLAIN_STEEP_SHARE
