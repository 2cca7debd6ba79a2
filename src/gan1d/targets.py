"""Target distributions: the points on the plane that a GAN learns to generate.

A :class:`Target` is a distribution of points ``(x, y)``: a :class:`FunctionTarget`
(points ``(x, f(x))`` with ``x`` uniform on a domain ``[lo, hi]``), a
:class:`MixtureTarget` (Gaussian modes: ``ring`` and ``grid``, the mode-collapse
benchmarks) or :class:`MoonsTarget` (``moons``). Each implements ``_sample``,
``_sample_tensor``, ``bounds`` and ``describe``.

Built-in targets (name: expression on its default domain):

- ``square``: ``x**2`` on [-0.5, 0.5] (the default, from the seed article)
- ``cube``: ``x**3 - x`` on [-1.5, 1.5]
- ``sine``: ``sin(3*x)`` on [-1, 1]
- ``abs``: ``abs(x)`` on [-0.5, 0.5]
- ``gauss``: ``exp(-8*x**2)`` on [-1, 1]
- ``exp``: ``exp(x)`` on [0, 1]
- ``sqrt``: ``sqrt(x)`` on [0, 1]

Any other string is read as an expression in ``x`` (see :func:`parse_expression`);
its default domain is [-0.5, 0.5]. An expression without ``x`` (``"0.3"``) is
allowed and gives a horizontal line. A Python callable ``f(x) -> y`` on float64
numpy arrays is accepted too.
"""

from __future__ import annotations

import abc
import ast
import dataclasses
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeAlias

import numpy as np

from gan1d.errors import Gan1dError

__all__ = [
    "BUILTIN_TARGETS",
    "DEFAULT_DOMAIN",
    "EXPRESSION_CONSTANTS",
    "EXPRESSION_FUNCTIONS",
    "MAX_ABS_VALUE",
    "MAX_EXPRESSION_LENGTH",
    "PLANAR_TARGETS",
    "POOL_SEED",
    "POOL_SIZE",
    "FunctionTarget",
    "MixtureTarget",
    "MoonsTarget",
    "ParsedExpression",
    "Target",
    "parse_expression",
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
    }
)
"""Built-in target name -> (expression, default domain)."""

DEFAULT_DOMAIN: tuple[float, float] = (-0.5, 0.5)
"""Domain of expressions and callables when none is given."""

MAX_EXPRESSION_LENGTH = 200
"""Longest expression string accepted, in characters."""

MAX_ABS_VALUE = 1e6
"""Largest |x| of a domain and largest |f(x)| on it; float32 training needs less."""

POOL_SIZE = 65_536
"""Points a callable target draws once on the host for :meth:`Target.sample_tensor`."""

POOL_SEED = 20_240_601
"""Fixed numpy seed of that pool, so runs with a callable target are reproducible."""

_GRID_POINTS = 10_001

EXPRESSION_CONSTANTS: Mapping[str, float] = MappingProxyType({"pi": math.pi, "e": math.e, "tau": math.tau})
"""Named constants an expression may use besides ``x``."""

# name -> (arity, numpy function name, keras.ops function name). Only functions
# that exist under the same meaning in both numpy and keras.ops belong here.
EXPRESSION_FUNCTIONS: Mapping[str, tuple[int, str, str]] = MappingProxyType(
    {
        "sin": (1, "sin", "sin"),
        "cos": (1, "cos", "cos"),
        "tan": (1, "tan", "tan"),
        "sinh": (1, "sinh", "sinh"),
        "cosh": (1, "cosh", "cosh"),
        "tanh": (1, "tanh", "tanh"),
        "arcsin": (1, "arcsin", "arcsin"),
        "arccos": (1, "arccos", "arccos"),
        "arctan": (1, "arctan", "arctan"),
        "asin": (1, "arcsin", "arcsin"),
        "acos": (1, "arccos", "arccos"),
        "atan": (1, "arctan", "arctan"),
        "exp": (1, "exp", "exp"),
        "expm1": (1, "expm1", "expm1"),
        "log": (1, "log", "log"),
        "log1p": (1, "log1p", "log1p"),
        "log2": (1, "log2", "log2"),
        "log10": (1, "log10", "log10"),
        "sqrt": (1, "sqrt", "sqrt"),
        "square": (1, "square", "square"),
        "abs": (1, "abs", "abs"),
        "sign": (1, "sign", "sign"),
        "floor": (1, "floor", "floor"),
        "ceil": (1, "ceil", "ceil"),
        "minimum": (2, "minimum", "minimum"),
        "maximum": (2, "maximum", "maximum"),
        "min": (2, "minimum", "minimum"),
        "max": (2, "maximum", "maximum"),
    }
)
"""Functions an expression may call: name -> (arity, numpy name, keras.ops name)."""

# ast operator -> numpy / keras.ops function name.
_BINARY_OPS: Mapping[type[ast.operator], str] = MappingProxyType(
    {
        ast.Add: "add",
        ast.Sub: "subtract",
        ast.Mult: "multiply",
        ast.Div: "divide",
        ast.Pow: "power",
    }
)

_FUNCTION_LIST = ", ".join(EXPRESSION_FUNCTIONS)
_ALLOWED_SUMMARY = f"allowed: x, numbers, pi, e, tau, + - * / **, parentheses and the functions {_FUNCTION_LIST}"

# Constructs that people (or attackers) try; each gets a message naming it.
_FORBIDDEN_NODES: Mapping[type[ast.AST], str] = MappingProxyType(
    {
        ast.Attribute: "attribute access is not allowed",
        ast.Subscript: "indexing is not allowed",
        ast.Lambda: "lambda is not allowed",
        ast.IfExp: "conditional expressions are not allowed",
        ast.Compare: "comparisons are not allowed",
        ast.BoolOp: "'and'/'or' are not allowed",
        ast.ListComp: "comprehensions are not allowed",
        ast.SetComp: "comprehensions are not allowed",
        ast.DictComp: "comprehensions are not allowed",
        ast.GeneratorExp: "comprehensions are not allowed",
        ast.Tuple: "tuples are not allowed",
        ast.List: "lists are not allowed",
        ast.Dict: "dicts are not allowed",
        ast.Set: "sets are not allowed",
        ast.NamedExpr: "':=' is not allowed",
        ast.JoinedStr: "f-strings are not allowed",
        ast.Starred: "'*' unpacking is not allowed",
        ast.Await: "'await' is not allowed",
    }
)


# --------------------------------------------------------------------------------
# Expressions: parsed once into a small tree, then interpreted against numpy or
# keras.ops. Nothing is ever handed to eval/exec/compile.
# --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Num:
    value: float


@dataclasses.dataclass(frozen=True)
class _Var:
    pass


@dataclasses.dataclass(frozen=True)
class _Neg:
    operand: _Node


@dataclasses.dataclass(frozen=True)
class _Bin:
    op: str  # keras.ops / numpy function name: add, subtract, multiply, divide, power
    left: _Node
    right: _Node


@dataclasses.dataclass(frozen=True)
class _Call:
    func: str  # key of EXPRESSION_FUNCTIONS
    args: tuple[_Node, ...]


_Node: TypeAlias = "_Num | _Var | _Neg | _Bin | _Call"


class _ExpressionError(Exception):
    """Internal: a problem found while validating; turned into a Gan1dError."""


def _convert(node: ast.AST) -> _Node:
    """Translate a whitelisted AST node into the internal tree, folding constants."""
    if isinstance(node, ast.Expression):
        return _convert(node.body)
    if isinstance(node, ast.Constant):
        value = node.value
        # bool is an int subclass; True + x is almost certainly a mistake.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _ExpressionError(f"{type(value).__name__} literal {value!r} is not allowed; only real numbers")
        try:
            return _Num(float(value))
        except OverflowError:  # huge int literal
            return _Num(math.inf)
    if isinstance(node, ast.Name):
        if node.id == "x":
            return _Var()
        if node.id in EXPRESSION_CONSTANTS:
            return _Num(EXPRESSION_CONSTANTS[node.id])
        if node.id in EXPRESSION_FUNCTIONS:
            raise _ExpressionError(f"function {node.id!r} must be called, e.g. {node.id}(x)")
        raise _ExpressionError(f"unknown name {node.id!r}")
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.UAdd):
            return _convert(node.operand)
        if isinstance(node.op, ast.USub):
            return _fold(_Neg(_convert(node.operand)))
        raise _ExpressionError(f"unary operator {_op_text(node.op)} is not allowed; only + and -")
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.BitXor):
            raise _ExpressionError("'^' is not allowed; use '**' for powers, e.g. x**2")
        op_name = _BINARY_OPS.get(type(node.op))
        if op_name is None:
            raise _ExpressionError(f"operator {_op_text(node.op)} is not allowed")
        return _fold(_Bin(op_name, _convert(node.left), _convert(node.right)))
    if isinstance(node, ast.Call):
        return _convert_call(node)
    for kind, message in _FORBIDDEN_NODES.items():
        if isinstance(node, kind):
            raise _ExpressionError(message)
    raise _ExpressionError(f"{type(node).__name__} is not allowed")


def _convert_call(node: ast.Call) -> _Node:
    if isinstance(node.func, ast.Attribute):
        raise _ExpressionError("attribute access is not allowed")
    if not isinstance(node.func, ast.Name):
        raise _ExpressionError("only named functions can be called, e.g. sin(x)")
    name = node.func.id
    if name not in EXPRESSION_FUNCTIONS:
        raise _ExpressionError(f"unknown function {name!r}")
    if node.keywords:
        raise _ExpressionError(f"keyword arguments are not allowed in {name}()")
    arity = EXPRESSION_FUNCTIONS[name][0]
    if len(node.args) != arity:
        raise _ExpressionError(f"{name}() takes {arity} argument{'s' if arity > 1 else ''}, got {len(node.args)}")
    return _fold(_Call(name, tuple(_convert(arg) for arg in node.args)))


def _op_text(op: ast.AST) -> str:
    symbols = {
        ast.Mod: "'%'",
        ast.FloorDiv: "'//'",
        ast.MatMult: "'@'",
        ast.BitAnd: "'&'",
        ast.BitOr: "'|'",
        ast.LShift: "'<<'",
        ast.RShift: "'>>'",
        ast.Not: "'not'",
        ast.Invert: "'~'",
    }
    return symbols.get(type(op), type(op).__name__)


def _fold(node: _Node) -> _Node:
    """Evaluate x-free subtrees once in float64; the tensor path sees one constant."""
    children: tuple[_Node, ...]
    if isinstance(node, _Neg):
        children = (node.operand,)
    elif isinstance(node, _Bin):
        children = (node.left, node.right)
    elif isinstance(node, _Call):
        children = node.args
    else:
        return node
    if all(isinstance(child, _Num) for child in children):
        # float64 numpy, not Python floats: 9.0**9**9 must give inf, not OverflowError.
        with np.errstate(all="ignore"):
            value = _evaluate(node, np.float64(0.0), _NUMPY_OPS)
        if not math.isfinite(value):
            raise _ExpressionError("a constant part of it is not finite (it overflows or is undefined)")
        return _Num(float(value))
    return node


class _Ops(abc.ABC):
    """The operations the interpreter needs, for one array library."""

    @abc.abstractmethod
    def constant(self, value: float) -> Any: ...

    @abc.abstractmethod
    def negative(self, a: Any) -> Any: ...

    @abc.abstractmethod
    def apply(self, name: str, args: Sequence[Any]) -> Any:
        """Apply a binary op name (add, ...) or an EXPRESSION_FUNCTIONS key."""


class _NumpyOps(_Ops):
    def constant(self, value: float) -> Any:
        return np.float64(value)

    def negative(self, a: Any) -> Any:
        return np.negative(a)

    def apply(self, name: str, args: Sequence[Any]) -> Any:
        fn_name = EXPRESSION_FUNCTIONS[name][1] if name in EXPRESSION_FUNCTIONS else name
        return getattr(np, fn_name)(*args)


class _KerasOps(_Ops):
    def __init__(self) -> None:
        import keras  # lazily: importing gan1d.targets must not need a framework

        self._ops = keras.ops

    def constant(self, value: float) -> Any:
        # np.float32, not a Python float: keeps every op float32 under both backends.
        return np.float32(value)

    def negative(self, a: Any) -> Any:
        return self._ops.negative(a)

    def apply(self, name: str, args: Sequence[Any]) -> Any:
        fn_name = EXPRESSION_FUNCTIONS[name][2] if name in EXPRESSION_FUNCTIONS else name
        return getattr(self._ops, fn_name)(*args)


_NUMPY_OPS = _NumpyOps()


def _evaluate(node: _Node, x: Any, ops: _Ops) -> Any:
    if isinstance(node, _Var):
        return x
    if isinstance(node, _Num):
        return ops.constant(node.value)
    if isinstance(node, _Neg):
        return ops.negative(_evaluate(node.operand, x, ops))
    if isinstance(node, _Bin):
        return ops.apply(node.op, [_evaluate(node.left, x, ops), _evaluate(node.right, x, ops)])
    return ops.apply(node.func, [_evaluate(arg, x, ops) for arg in node.args])


def _uses_x(node: _Node) -> bool:
    if isinstance(node, _Var):
        return True
    if isinstance(node, _Num):
        return False
    if isinstance(node, _Neg):
        return _uses_x(node.operand)
    if isinstance(node, _Bin):
        return _uses_x(node.left) or _uses_x(node.right)
    return any(_uses_x(arg) for arg in node.args)


@dataclasses.dataclass(frozen=True)
class ParsedExpression:
    """A validated expression in ``x``, evaluable with numpy or keras.ops.

    Attributes:
        text: The expression as given (stripped).
    """

    text: str
    _tree: _Node = dataclasses.field(repr=False, compare=False)

    @property
    def uses_x(self) -> bool:
        """Whether the expression depends on ``x`` (False for a constant function)."""
        return _uses_x(self._tree)

    def numpy(self, x: np.ndarray) -> np.ndarray:
        """Evaluate on a numpy array.

        Args:
            x: Any shape; converted to float64.

        Returns:
            float64 array of the same shape as ``x``. Invalid points give nan/inf
            silently (numpy warnings are suppressed; callers check finiteness).
        """
        x64 = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"):
            y = _evaluate(self._tree, x64, _NUMPY_OPS)
        return np.broadcast_to(np.asarray(y, dtype=np.float64), x64.shape).copy()

    def tensor(self, x: Any) -> Any:
        """Evaluate with keras.ops, traceable under ``jax.jit`` and ``tf.function``.

        Args:
            x: float32 backend tensor, any shape.

        Returns:
            float32 backend tensor of the same shape as ``x``.
        """
        import keras

        y = _evaluate(self._tree, x, _KerasOps())
        # A constant expression evaluates to a scalar; spread it over x.
        return keras.ops.add(keras.ops.zeros_like(x), y)


def parse_expression(text: str) -> ParsedExpression:
    """Parse and validate an expression in ``x``, e.g. ``"sin(3*x) + x**2"``.

    Only a whitelist is accepted: real number literals, the name ``x``, the
    constants in :data:`EXPRESSION_CONSTANTS`, ``+ - * / **``, unary ``+``/``-``,
    parentheses, and calls by bare name of :data:`EXPRESSION_FUNCTIONS` with
    positional arguments. The text is parsed with :func:`ast.parse` and then
    interpreted; it is never executed as Python.

    Args:
        text: The expression, at most :data:`MAX_EXPRESSION_LENGTH` characters.

    Returns:
        The parsed expression.

    Raises:
        Gan1dError: If the text is not a string, empty, too long, not valid
            syntax, or uses anything outside the whitelist.
    """
    if not isinstance(text, str):
        raise Gan1dError(f"target expression must be a string, got {type(text).__name__}")
    stripped = text.strip()
    shown = stripped if len(stripped) <= 60 else stripped[:57] + "..."
    if not stripped:
        raise Gan1dError(f"target expression is empty; {_ALLOWED_SUMMARY}")
    if len(stripped) > MAX_EXPRESSION_LENGTH:
        raise Gan1dError(
            f"target expression {shown!r} is {len(stripped)} characters long; the limit is {MAX_EXPRESSION_LENGTH}"
        )
    try:
        tree = ast.parse(stripped, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        reason = exc.msg if isinstance(exc, SyntaxError) else str(exc) or type(exc).__name__
        hint = "; use '**' for powers" if "^" in stripped else ""
        raise Gan1dError(
            f"target expression {shown!r} is not valid syntax ({reason}){hint}; {_ALLOWED_SUMMARY}"
        ) from None
    try:
        node = _convert(tree)
    except _ExpressionError as exc:
        raise Gan1dError(f"invalid target expression {shown!r}: {exc}; {_ALLOWED_SUMMARY}") from None
    except RecursionError:
        raise Gan1dError(f"target expression {shown!r} is nested too deeply") from None
    return ParsedExpression(stripped, node)


# --------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------


def _check_n(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise Gan1dError(f"number of points n must be a positive int, got {n!r}")
    return int(n)


def _seed_message(seed: object) -> str:
    return f"seed must be a non-negative int, a numpy Generator or None, got {seed!r}"


def _check_domain(domain: object) -> tuple[float, float]:
    message = f"domain must be two finite numbers LO < HI with |LO|, |HI| <= {MAX_ABS_VALUE:g}, got {domain!r}"
    if isinstance(domain, (str, bytes)) or not isinstance(domain, (Sequence, np.ndarray)):
        raise Gan1dError(message)
    if len(domain) != 2:
        raise Gan1dError(message)
    values: list[float] = []
    for value in domain:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise Gan1dError(message)
        values.append(float(value))
    lo, hi = values
    if not (math.isfinite(lo) and math.isfinite(hi)) or max(abs(lo), abs(hi)) > MAX_ABS_VALUE:
        raise Gan1dError(message)
    # Samples are float32; a domain that collapses there would be a single point.
    if not np.float32(lo) < np.float32(hi):
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
        """Draw points with keras.random / keras.ops, usable inside compiled functions.

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

    index = keras.random.randint((n,), 0, pool.shape[0], dtype="int32", seed=seed)
    return keras.ops.take(keras.ops.convert_to_tensor(pool, dtype="float32"), index, axis=0)


def _float32_inside(lo: float, hi: float) -> tuple[float, float]:
    """The float32 numbers nearest to lo and hi that still lie inside [lo, hi]."""
    lo32, hi32 = np.float32(lo), np.float32(hi)
    if float(lo32) < lo:
        lo32 = np.nextafter(lo32, np.float32(np.inf))
    if float(hi32) > hi:
        hi32 = np.nextafter(hi32, np.float32(-np.inf))
    return float(lo32), float(hi32)


@dataclasses.dataclass(frozen=True)
class FunctionTarget(Target):
    """Points (x, f(x)) with x uniform on ``domain``.

    Give exactly one of ``expression`` (see :func:`parse_expression`) or
    ``function`` (a numpy callable). On construction f is evaluated on a dense
    grid of the domain; it must be finite there and |f| <= :data:`MAX_ABS_VALUE`.

    A callable cannot be traced by keras reliably, so for a callable
    :meth:`sample_tensor` picks rows at random (``keras.random.randint`` +
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
        object.__setattr__(self, "_y_range", self._check_on_grid())

    def _check_on_grid(self) -> tuple[float, float]:
        lo, hi = self.domain
        grid = np.linspace(lo, hi, _GRID_POINTS)
        if lo < 0.0 < hi:
            # Poles sit at 0 more often than anywhere else (1/x, log(abs(x))).
            grid = np.union1d(grid, [0.0])
        with np.errstate(all="ignore"):
            y = self.f(grid)
        bad = ~np.isfinite(y)
        where = f"[{lo:g}, {hi:g}]"
        if bad.any():
            raise Gan1dError(
                f"target {self.name!r} is not finite on {where} "
                f"(e.g. at x={grid[bad][0]:g}); "
                "choose a domain where it is defined"
            )
        biggest = float(np.max(np.abs(y)))
        if biggest > MAX_ABS_VALUE:
            raise Gan1dError(
                f"target {self.name!r} reaches |f| = {biggest:.3g} on {where}; "
                f"the limit is {MAX_ABS_VALUE:g}, rescale f or narrow the domain"
            )
        return float(np.min(y)), float(np.max(y))

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

        lo, hi = _float32_inside(*self.domain)
        x = keras.random.uniform((n, 1), minval=lo, maxval=hi, dtype="float32", seed=seed)
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

        index = keras.random.randint((n,), 0, len(self.means), dtype="int32", seed=seed)
        centres = keras.ops.take(keras.ops.convert_to_tensor(self.modes, dtype="float32"), index, axis=0)
        return centres + self.std * keras.random.normal((n, 2), seed=seed)


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
        import keras
        from keras import ops

        t = keras.random.uniform((n, 1), 0.0, math.pi, seed=seed)
        lower = ops.cast(keras.random.randint((n, 1), 0, 2, seed=seed), "float32")
        upper_moon = ops.concatenate([ops.cos(t), ops.sin(t)], axis=1)
        lower_moon = ops.concatenate([1.0 - ops.cos(t), 0.5 - ops.sin(t)], axis=1)
        points = lower * lower_moon + (1.0 - lower) * upper_moon
        return points + self.noise * keras.random.normal((n, 2), seed=seed)


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
