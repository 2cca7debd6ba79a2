"""The expression language of targets: a safe parser for formulas in `x`.

A formula such as `"sin(3*x) + x**2"` is parsed with `ast.parse`, checked against a
whitelist and turned into a small tree, which is then interpreted against one array
namespace: `numpy` (float64, on the host) or `keras.ops` (float32, traceable inside
`jax.jit` and `tf.function`). Both namespaces share the names of every operation
used, so one interpreter serves both. Nothing is ever handed to `eval`, `exec` or
`compile`, so no string can run code.
"""

from __future__ import annotations

import ast
import dataclasses
import math
from collections.abc import Mapping
from types import MappingProxyType, ModuleType
from typing import Any, TypeAlias

import numpy as np

from gan1d.errors import Gan1dError

__all__ = [
    "EXPRESSION_CONSTANTS",
    "EXPRESSION_FUNCTIONS",
    "MAX_EXPRESSION_LENGTH",
    "ParsedExpression",
    "parse_expression",
]

MAX_EXPRESSION_LENGTH = 200
"""Longest expression string accepted, in characters."""

EXPRESSION_CONSTANTS: Mapping[str, float] = MappingProxyType({"pi": math.pi, "e": math.e, "tau": math.tau})
"""Named constants an expression may use besides `x`."""

# Name in an expression -> (arity, name of the function in numpy and in keras.ops).
# Only functions with the same name and meaning in both namespaces belong here.
EXPRESSION_FUNCTIONS: Mapping[str, tuple[int, str]] = MappingProxyType(
    {
        **{
            name: (1, name)
            for name in [
                "sin",
                "cos",
                "tan",
                "sinh",
                "cosh",
                "tanh",
                "arcsin",
                "arccos",
                "arctan",
                "exp",
                "expm1",
                "log",
                "log1p",
                "log2",
                "log10",
                "sqrt",
                "square",
                "abs",
                "sign",
                "floor",
                "ceil",
            ]
        },
        "asin": (1, "arcsin"),
        "acos": (1, "arccos"),
        "atan": (1, "arctan"),
        "minimum": (2, "minimum"),
        "maximum": (2, "maximum"),
        "min": (2, "minimum"),
        "max": (2, "maximum"),
    }
)
"""Functions an expression may call: name -> (arity, numpy / keras.ops function name)."""

_BINARY_OPS: Mapping[type[ast.operator], str] = MappingProxyType(
    {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "divide", ast.Pow: "power"}
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


@dataclasses.dataclass(frozen=True)
class _Num:
    value: float


@dataclasses.dataclass(frozen=True)
class _Var:
    pass


@dataclasses.dataclass(frozen=True)
class _Call:
    """An operation: a binary operator, `negative`, or a function of the whitelist."""

    function: str  # its name in numpy and keras.ops
    args: tuple[_Node, ...]


_Node: TypeAlias = "_Num | _Var | _Call"


class _ExpressionError(Exception):
    """A problem found while validating; turned into a Gan1dError with the expression."""


def _convert(node: ast.AST) -> _Node:
    """Translates a whitelisted AST node into the internal tree, folding constants."""
    if isinstance(node, ast.Expression):
        return _convert(node.body)
    if isinstance(node, ast.Constant):
        value = node.value
        # bool is an int subclass; True + x is almost certainly a mistake.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _ExpressionError(f"{type(value).__name__} literal {value!r} is not allowed; only real numbers")
        try:
            return _Num(float(value))
        except OverflowError:  # a huge int literal
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
            return _fold(_Call("negative", (_convert(node.operand),)))
        raise _ExpressionError(f"unary operator {_op_text(node.op)} is not allowed; only + and -")
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.BitXor):
            raise _ExpressionError("'^' is not allowed; use '**' for powers, e.g. x**2")
        name = _BINARY_OPS.get(type(node.op))
        if name is None:
            raise _ExpressionError(f"operator {_op_text(node.op)} is not allowed")
        return _fold(_Call(name, (_convert(node.left), _convert(node.right))))
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
    arity, function = EXPRESSION_FUNCTIONS[name]
    if len(node.args) != arity:
        raise _ExpressionError(f"{name}() takes {arity} argument{'s' if arity > 1 else ''}, got {len(node.args)}")
    return _fold(_Call(function, tuple(_convert(arg) for arg in node.args)))


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


def _fold(node: _Call) -> _Node:
    """Evaluates an x-free operation once in float64, so the tensor path sees one constant."""
    if not all(isinstance(arg, _Num) for arg in node.args):
        return node
    # float64 numpy, not Python floats: 9.0**9**9 must give inf, not OverflowError.
    with np.errstate(all="ignore"):
        value = float(_evaluate(node, np.float64(0.0), np, np.float64))
    if not math.isfinite(value):
        raise _ExpressionError("a constant part of it is not finite (it overflows or is undefined)")
    return _Num(value)


def _evaluate(node: _Node, x: Any, namespace: ModuleType, constant: type) -> Any:
    """Interprets the tree with the functions of `namespace` (numpy or keras.ops)."""
    if isinstance(node, _Var):
        return x
    if isinstance(node, _Num):
        return constant(node.value)
    return getattr(namespace, node.function)(*(_evaluate(arg, x, namespace, constant) for arg in node.args))


def _uses_x(node: _Node) -> bool:
    if isinstance(node, _Var):
        return True
    if isinstance(node, _Num):
        return False
    return any(_uses_x(arg) for arg in node.args)


@dataclasses.dataclass(frozen=True)
class ParsedExpression:
    """A validated expression in `x`, evaluable with numpy or keras.ops.

    Attributes:
        text: The expression as given (stripped).
    """

    text: str
    tree: _Node = dataclasses.field(repr=False, compare=False)

    @property
    def uses_x(self) -> bool:
        """Whether the expression depends on `x` (False for a constant function)."""
        return _uses_x(self.tree)

    def numpy(self, x: np.ndarray, dtype: Any = np.float64) -> np.ndarray:
        """Evaluates on the host, in `dtype` (float64, or float32 as training computes).

        Returns:
            An array of `x`'s shape in `dtype`; invalid points give nan or inf
            silently (callers check finiteness).
        """
        values = np.asarray(x, dtype=dtype)
        with np.errstate(all="ignore"):
            y = _evaluate(self.tree, values, np, np.dtype(dtype).type)
        return np.broadcast_to(np.asarray(y, dtype=dtype), values.shape).copy()

    def tensor(self, x: Any) -> Any:
        """Evaluates with keras.ops, traceable under `jax.jit` and `tf.function`.

        Args:
            x: float32 backend tensor, any shape.

        Returns:
            float32 backend tensor of the same shape.
        """
        from keras import ops

        # np.float32 constants, not Python floats, keep every operation in float32.
        y = _evaluate(self.tree, x, ops, np.float32)
        # A constant expression evaluates to a scalar; spread it over x.
        return ops.add(ops.zeros_like(x), y)


def parse_expression(text: str) -> ParsedExpression:
    """Parses and validates an expression in `x`, e.g. `"sin(3*x) + x**2"`.

    Only a whitelist is accepted: real number literals, the name `x`, the constants
    in `EXPRESSION_CONSTANTS`, `+ - * / **`, unary `+`/`-`, parentheses, and calls by
    bare name of `EXPRESSION_FUNCTIONS` with positional arguments.

    Args:
        text: The expression, at most `MAX_EXPRESSION_LENGTH` characters.

    Returns:
        The parsed expression.

    Raises:
        Gan1dError: If the text is not a string, empty, too long, not valid syntax,
            or uses anything outside the whitelist.
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
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        reason = error.msg if isinstance(error, SyntaxError) else str(error) or type(error).__name__
        hint = "; use '**' for powers" if "^" in stripped else ""
        raise Gan1dError(
            f"target expression {shown!r} is not valid syntax ({reason}){hint}; {_ALLOWED_SUMMARY}"
        ) from None
    try:
        node = _convert(tree)
    except _ExpressionError as error:
        raise Gan1dError(f"invalid target expression {shown!r}: {error}; {_ALLOWED_SUMMARY}") from None
    except RecursionError:
        raise Gan1dError(f"target expression {shown!r} is nested too deeply") from None
    return ParsedExpression(stripped, node)
