"""Target distributions: the points on the plane that a GAN learns to generate.

A `Target` is a distribution of points `(x, y)`: a `FunctionTarget` (points
`(x, f(x))` with `x` uniform on a domain `[lo, hi]`), a `MixtureTarget` (Gaussian
modes: `ring` and `grid`, the mode-collapse benchmarks) or `MoonsTarget` (`moons`).
Each draws points with numpy (`sample`) and, inside a compiled training loop,
with the backend's random ops (`sample_tensor`, through `gan1d.backend`).

Built-in targets (name: expression on its default domain):

- `square`: `x**2` on [-0.5, 0.5] (the default, from the seed article)
- `cube`: `x**3 - x` on [-1.5, 1.5]
- `sine`: `sin(3*x)` on [-1, 1]
- `abs`: `abs(x)` on [-0.5, 0.5]
- `gauss`: `exp(-8*x**2)` on [-1, 1]
- `exp`: `exp(x)` on [0, 1]
- `sqrt`: `sqrt(x)` on [0, 1]

and the harder curves a user types next (`HARD_TARGETS`): oscillating, steep, kinked
and discontinuous.

- `sine6`: `sin(6*x)` on [-1, 1]
- `sine10`: `sin(10*x)` on [-1, 1]
- `wave`: `x*sin(8*x)` on [-1, 1]
- `runge`: `1/(1+25*x**2)` on [-1, 1]
- `steep`: `tanh(20*x)` on [-1, 1]
- `bumps`: `abs(sin(4*x))` on [-1, 1]
- `step`: `sign(x)` on [-1, 1]
- `stairs`: `floor(3*x)` on [-1, 1]
- `sawtooth`: `x - floor(x)` on [0, 3]

Any other string is read as an expression in `x` (see `gan1d.expressions`); its
default domain is [-0.5, 0.5]. A Python callable `f(x) -> y` on float64 numpy
arrays is accepted too.
"""

from __future__ import annotations

import abc
import dataclasses
import functools
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from gan1d.errors import Gan1dError
from gan1d.expressions import EXPRESSION_CONSTANTS, ParsedExpression, parse_expression

__all__ = [
    "BUILTIN_TARGETS",
    "DEFAULT_DOMAIN",
    "EASY_TARGETS",
    "HARD_TARGETS",
    "JUMP_SHARE",
    "MAX_ABS_VALUE",
    "MIN_DOMAIN_WIDTH",
    "MIN_RELATIVE_WIDTH",
    "PLAIN_PIECES",
    "PLAIN_STEEP_SHARE",
    "PLANAR_TARGETS",
    "POOL_SEED",
    "POOL_SIZE",
    "CurveShape",
    "FunctionTarget",
    "MixtureTarget",
    "MoonsTarget",
    "Target",
    "target",
]

BUILTIN_TARGETS: Mapping[str, tuple[str, tuple[float, float]]] = MappingProxyType(
    {
        "square": ("x**2", (-0.5, 0.5)),
        "cube": ("x**3 - x", (-1.5, 1.5)),
        "sine": ("sin(3*x)", (-1.0, 1.0)),
        "abs": ("abs(x)", (-0.5, 0.5)),
        "gauss": ("exp(-8*x**2)", (-1.0, 1.0)),
        "exp": ("exp(x)", (0.0, 1.0)),
        "sqrt": ("sqrt(x)", (0.0, 1.0)),
        "sine6": ("sin(6*x)", (-1.0, 1.0)),
        "sine10": ("sin(10*x)", (-1.0, 1.0)),
        "wave": ("x*sin(8*x)", (-1.0, 1.0)),
        "runge": ("1/(1+25*x**2)", (-1.0, 1.0)),
        "steep": ("tanh(20*x)", (-1.0, 1.0)),
        "bumps": ("abs(sin(4*x))", (-1.0, 1.0)),
        "step": ("sign(x)", (-1.0, 1.0)),
        "stairs": ("floor(3*x)", (-1.0, 1.0)),
        "sawtooth": ("x - floor(x)", (0.0, 3.0)),
    }
)
"""Built-in target name -> (expression, default domain)."""

EASY_TARGETS: tuple[str, ...] = ("square", "cube", "sine", "abs", "gauss", "exp", "sqrt")
"""The first built-ins: smooth curves with at most three monotone pieces."""

HARD_TARGETS: tuple[str, ...] = (
    "sine6",
    "sine10",
    "wave",
    "runge",
    "steep",
    "bumps",
    "step",
    "stairs",
    "sawtooth",
)
"""The harder benchmark: oscillating, peaked, steep, kinked and discontinuous curves.

On a discontinuous curve a run succeeds with points on each piece and none on the
jumps, which `curve_residual` scores.
"""

DEFAULT_DOMAIN: tuple[float, float] = (-0.5, 0.5)
"""Domain of expressions and callables when none is given."""

MAX_ABS_VALUE = 1e6
"""Largest |x| of a domain and largest |f(x)| on it; float32 training needs less."""

MIN_DOMAIN_WIDTH = 1e-6
"""Narrowest domain accepted, HI - LO."""

MIN_RELATIVE_WIDTH = 1e-4
"""Narrowest domain accepted relative to its size: about a thousand float32 steps."""

POOL_SIZE = 65_536
"""Points a callable target draws once on the host for :meth:`Target.sample_tensor`."""

POOL_SEED = 20_240_601
"""Fixed numpy seed of that pool, so runs with a callable target are reproducible."""

_GRID_POINTS = 10_001


def _check_n(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise Gan1dError(f"number of points n must be a positive int, got {n!r}")
    return int(n)


def _seed_message(seed: object) -> str:
    return f"seed must be a non-negative int, a numpy Generator or None, got {seed!r}"


def _check_domain(domain: object) -> tuple[float, float]:
    message = (
        f"domain must be two finite numbers LO < HI with |LO|, |HI| <= {MAX_ABS_VALUE:g} and HI - LO at least "
        f"{MIN_DOMAIN_WIDTH:g} and {MIN_RELATIVE_WIDTH:g} of max(|LO|, |HI|), got {domain!r}"
    )
    if isinstance(domain, str | bytes) or not isinstance(domain, Sequence | np.ndarray):
        raise Gan1dError(message)
    if len(domain) != 2:
        raise Gan1dError(message)
    values: list[float] = []
    for value in domain:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise Gan1dError(message)
        values.append(float(value))
    lo, hi = values
    if not (math.isfinite(lo) and math.isfinite(hi)) or max(abs(lo), abs(hi)) > MAX_ABS_VALUE:
        raise Gan1dError(message)
    # Samples are float32: a domain narrower than this holds too few distinct x to learn.
    if hi - lo < max(MIN_DOMAIN_WIDTH, MIN_RELATIVE_WIDTH * max(abs(lo), abs(hi))):
        raise Gan1dError(message)
    return lo, hi


class Target(abc.ABC):
    """A distribution of points on the plane.

    Subclasses implement ``_sample`` (numpy), ``_sample_tensor`` (keras),
    :attr:`bounds` and :meth:`describe`; the public methods validate arguments.

    Attributes:
        name: Short name, used in file names and plot titles.
    """

    name: str

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Draw points with numpy.

        Args:
            n: Number of points, a positive int.
            seed: Seed or numpy Generator; None draws fresh entropy.

        Returns:
            (n, 2) float32 array of points (x, y).

        Raises:
            Gan1dError: If n is not a positive int or the seed is invalid.
        """
        n = _check_n(n)
        if isinstance(seed, bool):
            raise Gan1dError(_seed_message(seed))
        try:
            rng = np.random.default_rng(seed)
        except (TypeError, ValueError):
            raise Gan1dError(_seed_message(seed)) from None
        return np.asarray(self._sample(n, rng), dtype=np.float32)

    def sample_tensor(self, n: int, seed: Any) -> Any:
        """Draw points with the backend's random ops and keras.ops, usable inside compiled functions.

        Works inside ``tf.function`` with a ``keras.random.SeedGenerator``, and
        inside ``jax.jit`` with a JAX key array (shape (2,) uint32) passed in as
        an argument, or a SeedGenerator within a ``keras.StatelessScope``.

        Args:
            n: Number of points, a positive Python int (a static shape).
            seed: Anything ``keras.random`` accepts as ``seed``.

        Returns:
            (n, 2) float32 backend tensor of points (x, y).

        Raises:
            Gan1dError: If n is not a positive int.
        """
        return self._sample_tensor(_check_n(n), seed)

    @property
    @abc.abstractmethod
    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """((xmin, xmax), (ymin, ymax)) of the support, unpadded, for plot limits."""

    def curve(self, n: int = 400) -> tuple[np.ndarray, np.ndarray] | None:
        """`n` points `(x, y)` of the target's curve for pictures, or None for a target without one."""
        return None

    @property
    def scale(self) -> float:
        """Size of the data: the largest absolute coordinate of `bounds` (1 if all are 0).

        `TrainConfig(normalize=True)` divides the discriminator's input and
        multiplies the generator's output by it, so the networks see unit-sized points.
        """
        largest = max(abs(v) for pair in self.bounds for v in pair)
        return float(largest) if largest > 0 else 1.0

    @abc.abstractmethod
    def describe(self) -> dict[str, object]:
        """JSON-able description for config.json; always has "kind" and "name"."""

    @abc.abstractmethod
    def _sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, 2) float array of points; n is already validated."""

    @abc.abstractmethod
    def _sample_tensor(self, n: int, seed: Any) -> Any:
        """(n, 2) float32 tensor of points; n is already validated."""


def _sample_pool_tensor(pool: np.ndarray, n: int, seed: Any) -> Any:
    """Pick n random rows of a host-side pool; for targets keras cannot trace."""
    import keras

    from gan1d.backend import random_randint

    index = random_randint((n,), 0, pool.shape[0], seed)
    return keras.ops.take(keras.ops.convert_to_tensor(pool, dtype="float32"), index, axis=0)


def _float32_inside(lo: float, hi: float) -> tuple[float, float]:
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


def _zoomed(
    f32: Callable[[np.ndarray], np.ndarray], grid: np.ndarray, y: np.ndarray, lo: float, hi: float
) -> np.ndarray:
    """float32 points of [lo, hi] where a pole or a hole of f between grid points would be.

    Around each suspect point of the grid, a window of `_ZOOM_POINTS` float32 points
    is evaluated and narrowed 16-fold onto the most extreme value (or the steepest
    step), `_ZOOM_LEVELS` times, down to consecutive float32 numbers.
    """
    inside_lo, inside_hi = (np.float32(v) for v in _float32_inside(lo, hi))
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


# (expression text, domain) -> (min f, max f) of expressions that passed the checks.
_CHECKED_EXPRESSIONS: dict[tuple[str, tuple[float, float]], tuple[float, float]] = {}


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
        `gan1d.config.GRAPH_FREQUENCIES` of them unless `fourier_features` is set.
        """
        return self.pieces > PLAIN_PIECES or self.jumps > 0 or self.steep_share < PLAIN_STEEP_SHARE


@dataclasses.dataclass(frozen=True)
class FunctionTarget(Target):
    """Points (x, f(x)) with x uniform on ``domain``.

    Give exactly one of ``expression`` (see :func:`parse_expression`) or
    ``function`` (a numpy callable). On construction f is evaluated on a dense
    grid of the domain; it must be finite there and |f| <= :data:`MAX_ABS_VALUE`.

    A callable cannot be traced by keras reliably, so for a callable
    :meth:`sample_tensor` picks rows at random (``gan1d.backend.random_randint`` +
    ``keras.ops.take``) from a pool of :data:`POOL_SIZE` points drawn once on
    the host with a fixed numpy seed. Expression targets evaluate f with
    keras.ops on freshly drawn x instead.

    Attributes:
        name: A built-in name, the expression text, or the callable's name.
        domain: (lo, hi) of x.
        expression: Expression text, or None for a callable.
        function: The callable, or None for an expression.

    Raises:
        Gan1dError: On a bad domain, a bad expression, a callable that fails or
            returns the wrong shape, or f not finite on the domain.
    """

    name: str
    domain: tuple[float, float]
    expression: str | None = None
    function: Callable[[np.ndarray], np.ndarray] | None = dataclasses.field(default=None, repr=False)
    _parsed: ParsedExpression | None = dataclasses.field(init=False, default=None, repr=False, compare=False)
    _y_range: tuple[float, float] = dataclasses.field(init=False, default=(0.0, 0.0), repr=False, compare=False)

    def __post_init__(self) -> None:
        # frozen: fields are normalised through object.__setattr__.
        object.__setattr__(self, "domain", _check_domain(self.domain))
        if (self.expression is None) == (self.function is None):
            raise Gan1dError("give exactly one of expression= or function= for a FunctionTarget")
        if self.expression is not None:
            parsed = parse_expression(self.expression)
            object.__setattr__(self, "expression", parsed.text)
            object.__setattr__(self, "_parsed", parsed)
        elif not callable(self.function):
            raise Gan1dError(f"function must be callable, got {type(self.function).__name__}")
        if self.expression is None:
            object.__setattr__(self, "_y_range", self._check_on_grid())
            return
        # An expression is a pure function of its text: check each (text, domain) once
        # per process (a config and the run it starts each build the target).
        key = (self.expression, self.domain)
        if key not in _CHECKED_EXPRESSIONS:
            _CHECKED_EXPRESSIONS[key] = self._check_on_grid()
            while len(_CHECKED_EXPRESSIONS) > 64:
                _CHECKED_EXPRESSIONS.pop(next(iter(_CHECKED_EXPRESSIONS)))
        object.__setattr__(self, "_y_range", _CHECKED_EXPRESSIONS[key])

    def _check_on_grid(self) -> tuple[float, float]:
        """Checks f where training can draw x; returns (min f, max f) on the domain.

        Training computes in float32 on any float32 x of the domain, so f is checked
        in float32 as well as float64: on a dense grid, and then on every float32
        number around each extremum and jump of f, where a pole or a hole between
        grid points would hide.
        """
        lo, hi = self.domain
        grid = np.linspace(lo, hi, _GRID_POINTS)
        if lo < 0.0 < hi:
            # Poles sit at 0 more often than anywhere else (1/x, log(abs(x))).
            grid = np.union1d(grid, [0.0])
        y = self._finite_values(grid, np.float64)
        self._finite_values(np.concatenate([grid, _zoomed(self._f32, grid, y, lo, hi)]), np.float32)
        return float(np.min(y)), float(np.max(y))

    def _f32(self, x: np.ndarray) -> np.ndarray:
        """f in float32 as training computes it (a callable computes in float64)."""
        if self._parsed is not None:
            return self._parsed.numpy(x, np.float32)
        return self.f(x).astype(np.float32)

    def _finite_values(self, x: np.ndarray, dtype: Any) -> np.ndarray:
        """f on `x` in `dtype`, after checking it is finite and within `MAX_ABS_VALUE`."""
        x = np.asarray(x, dtype=dtype)
        with np.errstate(all="ignore"):
            y = self._f32(x) if dtype == np.float32 else self.f(x)
        where = f"[{self.domain[0]:g}, {self.domain[1]:g}]"
        precision = " in float32, the precision training uses" if dtype == np.float32 else ""
        bad = ~np.isfinite(y)
        if bad.any():
            raise Gan1dError(
                f"target {self.name!r} is not finite on {where}{precision} (e.g. at x={float(x[bad][0]):.9g}); "
                "choose a domain where it is defined"
            )
        biggest = float(np.max(np.abs(y)))
        if biggest > MAX_ABS_VALUE:
            at = float(x[np.argmax(np.abs(y))])
            raise Gan1dError(
                f"target {self.name!r} reaches |f| = {biggest:.3g} on {where}{precision} (at x={at:.9g}); "
                f"the limit is {MAX_ABS_VALUE:g}, rescale f or narrow the domain"
            )
        return np.asarray(y, dtype=np.float64)

    def f(self, x: np.ndarray) -> np.ndarray:
        """Evaluate f with numpy.

        Args:
            x: Array of any shape; converted to float64.

        Returns:
            float64 array of the same shape as ``x``.

        Raises:
            Gan1dError: If a callable raises or returns a different shape.
        """
        x64 = np.asarray(x, dtype=np.float64)
        if self._parsed is not None:
            return self._parsed.numpy(x64)
        assert self.function is not None
        try:
            y = np.asarray(self.function(x64.copy()), dtype=np.float64)
        except Exception as exc:
            raise Gan1dError(
                f"target function {self.name!r} failed on a float64 array of shape "
                f"{x64.shape}: {type(exc).__name__}: {' '.join(str(exc).split())}; "
                "it must map a numpy array to one of the same shape"
            ) from exc  # keep the user's traceback: the bug is in their function
        if y.shape != x64.shape:
            raise Gan1dError(
                f"target function {self.name!r} returned shape {y.shape} "
                "for input shape "
                f"{x64.shape}; it must return an array of the same shape as its input"
            )
        return y

    def f_tensor(self, x: Any) -> Any:
        """Evaluate f with keras.ops (expression and built-in targets only).

        Args:
            x: float32 backend tensor, any shape.

        Returns:
            float32 backend tensor of the same shape.

        Raises:
            Gan1dError: For a callable target, which keras cannot trace.
        """
        if self._parsed is None:
            raise Gan1dError(
                f"target {self.name!r} is a Python callable, which has no keras form; "
                "use sample_tensor (it samples a precomputed pool) "
                "or give an expression"
            )
        return self._parsed.tensor(x)

    def curve(self, n: int = 400) -> tuple[np.ndarray, np.ndarray] | None:
        xs = np.linspace(*self.domain, n)
        return xs, self.f(xs)

    @functools.cached_property
    def shape(self) -> CurveShape:
        """How much curve there is to learn (`CurveShape`), from f on 10_001 points of the domain."""
        return CurveShape.of(self.f(np.linspace(*self.domain, _GRID_POINTS)))

    @property
    def y_range(self) -> tuple[float, float]:
        """(min f, max f) on the domain, from a dense grid of 10_001 points."""
        return self._y_range

    @property
    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """((lo, hi), (min f, max f)); ymin == ymax for a constant function."""
        return self.domain, self._y_range

    def describe(self) -> dict[str, object]:
        """JSON-able description, e.g. {"kind": "function", "name": "square", ...}."""
        description: dict[str, object] = {
            "kind": "function",
            "name": self.name,
            "expression": self.expression,
            "domain": [self.domain[0], self.domain[1]],
        }
        if self.function is not None:
            module = getattr(self.function, "__module__", None)
            qualname = getattr(self.function, "__qualname__", type(self.function).__name__)
            description["callable"] = f"{module}.{qualname}" if module else qualname
        return description

    def _sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        lo, hi = self.domain
        x = rng.uniform(lo, hi, size=n)
        # y from the float64 x: rounding x to float32 first could step outside the
        # domain (e.g. lo=-0.1) and hit a point where f is undefined.
        return np.stack([x, self.f(x)], axis=1)

    @functools.cached_property
    def _pool(self) -> np.ndarray:
        return self.sample(POOL_SIZE, seed=POOL_SEED)

    def _sample_tensor(self, n: int, seed: Any) -> Any:
        if self._parsed is None:
            return _sample_pool_tensor(self._pool, n, seed)
        import keras

        from gan1d.backend import random_uniform

        lo, hi = _float32_inside(*self.domain)
        x = random_uniform((n, 1), lo, hi, seed)
        # uniform may round up to maxval; f is only checked on [lo, hi].
        x = keras.ops.clip(x, lo, hi)
        return keras.ops.concatenate([x, self.f_tensor(x)], axis=1)


@dataclasses.dataclass(frozen=True)
class MixtureTarget(Target):
    """An equal-weight mixture of isotropic Gaussians in the plane.

    The standard mode-collapse benchmarks are two of these (see `PLANAR_TARGETS`):
    a GAN that drops modes or smears points between them is easy to score
    (`gan1d.metrics.mode_metrics`).

    Attributes:
        name: Short name, e.g. "ring".
        means: (k, 2) centres of the k modes.
        std: Standard deviation of every mode, in both coordinates.
    """

    name: str
    means: tuple[tuple[float, float], ...]
    std: float

    def __post_init__(self) -> None:
        means = tuple((float(x), float(y)) for x, y in self.means)
        if not means or not all(math.isfinite(v) for m in means for v in m):
            raise Gan1dError("a mixture needs one or more finite (x, y) means")
        if not (math.isfinite(self.std) and self.std > 0):
            raise Gan1dError(f"std must be a positive number, got {self.std!r}")
        object.__setattr__(self, "means", means)

    @property
    def modes(self) -> np.ndarray:
        """(k, 2) float64 array of the means."""
        return np.array(self.means, dtype=np.float64)

    @property
    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        low, high = self.modes.min(axis=0) - 4 * self.std, self.modes.max(axis=0) + 4 * self.std
        return (float(low[0]), float(high[0])), (float(low[1]), float(high[1]))

    @property
    def scale(self) -> float:
        """The largest absolute coordinate of a mean (1 for ring, 4 for grid)."""
        return float(np.abs(self.modes).max()) or 1.0

    def describe(self) -> dict[str, object]:
        return {"kind": "mixture", "name": self.name, "modes": len(self.means), "std": self.std}

    def _sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        centres = self.modes[rng.integers(0, len(self.means), size=n)]
        return centres + self.std * rng.standard_normal((n, 2))

    def _sample_tensor(self, n: int, seed: Any) -> Any:
        import keras

        from gan1d.backend import random_normal, random_randint

        index = random_randint((n,), 0, len(self.means), seed)
        centres = keras.ops.take(keras.ops.convert_to_tensor(self.modes, dtype="float32"), index, axis=0)
        return centres + self.std * random_normal((n, 2), seed)


@dataclasses.dataclass(frozen=True)
class MoonsTarget(Target):
    """Two interleaving half circles (scikit-learn's "two moons"), for pictures.

    Attributes:
        name: "moons".
        noise: Standard deviation of the Gaussian noise added to each point.
    """

    name: str = "moons"
    noise: float = 0.05

    @property
    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        pad = 3 * self.noise
        return (-1.0 - pad, 2.0 + pad), (-0.5 - pad, 1.0 + pad)

    def describe(self) -> dict[str, object]:
        return {"kind": "moons", "name": self.name, "noise": self.noise}

    def _sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        t = rng.uniform(0.0, math.pi, n)
        lower = rng.integers(0, 2, n).astype(bool)
        points = np.stack([np.cos(t), np.sin(t)], axis=1)
        points[lower] = np.stack([1.0 - np.cos(t[lower]), 0.5 - np.sin(t[lower])], axis=1)
        return points + self.noise * rng.standard_normal((n, 2))

    def _sample_tensor(self, n: int, seed: Any) -> Any:
        from keras import ops

        from gan1d.backend import random_normal, random_randint, random_uniform

        t = random_uniform((n, 1), 0.0, math.pi, seed)
        lower = ops.cast(random_randint((n, 1), 0, 2, seed), "float32")
        upper_moon = ops.concatenate([ops.cos(t), ops.sin(t)], axis=1)
        lower_moon = ops.concatenate([1.0 - ops.cos(t), 0.5 - ops.sin(t)], axis=1)
        points = lower * lower_moon + (1.0 - lower) * upper_moon
        return points + self.noise * random_normal((n, 2), seed)


def _ring() -> MixtureTarget:
    # Angles 2*pi*k/8 for k = 0..7; linspace(0, 2*pi, 8) would repeat a mode.
    angles = [2 * math.pi * k / 8 for k in range(8)]
    return MixtureTarget("ring", tuple((math.cos(a), math.sin(a)) for a in angles), std=0.01)


def _grid() -> MixtureTarget:
    return MixtureTarget(
        "grid", tuple((float(x), float(y)) for x in range(-4, 5, 2) for y in range(-4, 5, 2)), std=0.05
    )


# Planar (non-curve) targets by name: the PacGAN/VEEGAN benchmarks and two moons.
PLANAR_TARGETS: Mapping[str, Callable[[], Target]] = MappingProxyType(
    {"ring": _ring, "grid": _grid, "moons": MoonsTarget}
)


def _callable_name(fn: Callable[..., object]) -> str:
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str) or not name or name == "<lambda>":
        return "callable"
    return name


def target(
    spec: str | Callable[[np.ndarray], np.ndarray] | Target = "square",
    domain: Sequence[float] | None = None,
) -> Target:
    """Build a target from a built-in name, an expression, a callable or a Target.

    Args:
        spec: A key of :data:`BUILTIN_TARGETS`, an expression in ``x`` (see
            :func:`parse_expression`), a callable mapping a float64 numpy array
            to an array of the same shape, or a ready Target (returned as is).
        domain: (lo, hi) of x. None means the built-in's default domain, or
            :data:`DEFAULT_DOMAIN` for expressions and callables. Not allowed
            with a Target instance, which already fixes its own support.

    Returns:
        The target.

    Raises:
        Gan1dError: On an unknown name, a bad expression or domain, a failing
            callable, f not finite on the domain, or domain given with a Target.
    """
    if isinstance(spec, Target):
        if domain is not None:
            raise Gan1dError(
                f"domain cannot be combined with a ready Target ({spec.name!r}); "
                "build that target with the domain you want instead"
            )
        return spec
    if isinstance(spec, str):
        key = spec.strip()
        if key in PLANAR_TARGETS:
            if domain is not None:
                raise Gan1dError(f"{key!r} is a distribution in the plane and takes no domain")
            return PLANAR_TARGETS[key]()
        if key in BUILTIN_TARGETS:
            expression, default = BUILTIN_TARGETS[key]
            return FunctionTarget(
                name=key,
                domain=_check_domain(default if domain is None else domain),
                expression=expression,
            )
        if key.isidentifier() and key != "x" and key not in EXPRESSION_CONSTANTS:
            shown = key if len(key) <= 60 else key[:57] + "..."
            raise Gan1dError(
                f"unknown target {shown!r}; built-ins: {', '.join([*BUILTIN_TARGETS, *PLANAR_TARGETS])}; "
                "or give an expression in x such as 'sin(3*x)'"
            )
        parsed = parse_expression(spec)
        return FunctionTarget(
            name=parsed.text,
            domain=_check_domain(DEFAULT_DOMAIN if domain is None else domain),
            expression=parsed.text,
        )
    if callable(spec):
        return FunctionTarget(
            name=_callable_name(spec),
            domain=_check_domain(DEFAULT_DOMAIN if domain is None else domain),
            function=spec,
        )
    raise Gan1dError(
        "target must be a built-in name, an expression in x, a callable or a Target, "
        f"got {type(spec).__name__}; built-ins: {', '.join(BUILTIN_TARGETS)}"
    )
