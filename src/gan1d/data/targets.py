"""Curves as targets: points `(x, f(x))` with x uniform on a domain, and `target()`, which builds any target.

A `FunctionTarget` is the graph of a built-in curve, an expression in `x` (parsed
safely by `gan1d.data.expressions`) or a Python callable. `target(spec, domain)`
turns a name, an expression, a callable or a ready `Target` into a target; the
planar names (`ring`, `grid`, `moons`) give the distributions of
`gan1d.data.planar`, and a path ending in `.npy` or `.csv` the points of that file
(`gan1d.data.dataset`).

Built-in curves (name: expression on its default domain):

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

Any other string is read as an expression in `x`; its default domain is
[-0.5, 0.5]. A Python callable `f(x) -> y` on float64 numpy arrays is accepted too.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import os
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from gan1d.data.curves import CurveShape, float32_inside, float32_suspects
from gan1d.data.dataset import is_data_path, load_data
from gan1d.data.distribution import MAX_ABS_VALUE, Bounds, Target, sample_rows_tensor
from gan1d.data.expressions import EXPRESSION_CONSTANTS, ParsedExpression, parse_expression
from gan1d.data.planar import PLANAR_TARGETS
from gan1d.errors import Gan1dError

__all__ = [
    "BUILTIN_TARGETS",
    "DEFAULT_DOMAIN",
    "EASY_TARGETS",
    "HARD_TARGETS",
    "MAX_ABS_VALUE",
    "MIN_DOMAIN_WIDTH",
    "MIN_RELATIVE_WIDTH",
    "POOL_SEED",
    "POOL_SIZE",
    "FunctionTarget",
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

MIN_DOMAIN_WIDTH = 1e-6
"""Narrowest domain accepted, HI - LO."""

MIN_RELATIVE_WIDTH = 1e-4
"""Narrowest domain accepted relative to its size: about a thousand float32 steps."""

POOL_SIZE = 65_536
"""Points a callable target draws once on the host for `Target.sample_tensor`."""

POOL_SEED = 20_240_601
"""Fixed numpy seed of that pool, so runs with a callable target are reproducible."""

_GRID_POINTS = 10_001


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


# (expression text, domain) -> (min f, max f) of expressions that passed the checks.
_CHECKED_EXPRESSIONS: dict[tuple[str, tuple[float, float]], tuple[float, float]] = {}


@dataclasses.dataclass(frozen=True)
class FunctionTarget(Target):
    """Points (x, f(x)) with x uniform on `domain`.

    Give exactly one of `expression` (see `parse_expression`) or
    `function` (a numpy callable). On construction f is evaluated on a dense
    grid of the domain; it must be finite there and |f| <= `MAX_ABS_VALUE`.

    A callable cannot be traced by keras reliably, so for a callable
    `sample_tensor` picks rows at random (`gan1d.backend.random_randint` +
    `keras.ops.take`) from a pool of `POOL_SIZE` points drawn once on
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
        self._finite_values(np.concatenate([grid, float32_suspects(self._f32, grid, y, lo, hi)]), np.float32)
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
            float64 array of the same shape as `x`.

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
    def bounds(self) -> Bounds:
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
            return sample_rows_tensor(self._pool, n, seed)
        import keras

        from gan1d.backend import random_uniform

        lo, hi = float32_inside(*self.domain)
        x = random_uniform((n, 1), lo, hi, seed)
        # uniform may round up to maxval; f is only checked on [lo, hi].
        x = keras.ops.clip(x, lo, hi)
        return keras.ops.concatenate([x, self.f_tensor(x)], axis=1)


def _callable_name(fn: Callable[..., object]) -> str:
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str) or not name or name == "<lambda>":
        return "callable"
    return name


def target(
    spec: str | os.PathLike[str] | Callable[[np.ndarray], np.ndarray] | Target = "square",
    domain: Sequence[float] | None = None,
) -> Target:
    """Build a target from a built-in name, an expression, a data file, a callable or a Target.

    Args:
        spec: A key of `BUILTIN_TARGETS`, a planar name (`ring`, `grid`, `moons`),
            the path (a string or `os.PathLike`) of a `.npy` or `.csv` file of
            points (`gan1d.data.dataset.DataTarget`), an expression in `x` (see
            `parse_expression`), a callable mapping a float64 numpy array to an
            array of the same shape, or a ready Target (returned as is).
        domain: (lo, hi) of x. None means the built-in's default domain, or
            `DEFAULT_DOMAIN` for expressions and callables. Not allowed
            with a planar name, a data file or a Target instance, which fix
            their own support.

    Returns:
        The target.

    Raises:
        Gan1dError: On an unknown name, a bad expression or domain, a failing
            callable, f not finite on the domain, a bad data file (see
            `DataTarget`), or domain given with a Target or a data file.
    """
    if isinstance(spec, Target):
        if domain is not None:
            raise Gan1dError(
                f"domain cannot be combined with a ready Target ({spec.name!r}); "
                "build that target with the domain you want instead"
            )
        return spec
    if isinstance(spec, os.PathLike):
        spec = os.fspath(spec)
        if not is_data_path(spec):
            raise Gan1dError(f"a path must name a .npy or .csv data file, got {spec!r}")
    if isinstance(spec, str):
        key = spec.strip()
        if is_data_path(key):
            if domain is not None:
                raise Gan1dError(f"data file {key!r} holds its own points and takes no domain")
            return load_data(key)
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
                "or give an expression in x such as 'sin(3*x)', or a .npy or .csv file of points"
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
