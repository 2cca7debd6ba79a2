"""gan1d.data.expressions: the safe formula language, on numpy and on keras.ops."""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np
import pytest

from gan1d.data.expressions import EXPRESSION_FUNCTIONS, parse_expression
from gan1d.data.targets import BUILTIN_TARGETS, FunctionTarget, target
from gan1d.errors import Gan1dError


@pytest.mark.parametrize(
    ("expression", "x", "expected"),
    [
        ("2*pi*x", 0.25, math.pi / 2),
        ("x**3 - x", 2.0, 6.0),
        ("-x**2", 3.0, -9.0),  # ** binds tighter than unary minus, as in Python
        ("2**-1*x", 4.0, 2.0),
        ("10/4/5 + 0*x", 1.0, 0.5),
        ("e + tau - 2*pi", 0.0, math.e),
        ("min(x, 1) + max(x, -1)", 3.0, 4.0),
        ("sqrt(square(x))", -2.0, 2.0),
        ("exp(-x**2)", 1.0, math.exp(-1.0)),
        ("abs(x) + sign(x)", -3.0, 2.0),
        ("floor(x) + ceil(x)", 1.5, 3.0),
        ("atan(x) + arctan(x)", 1.0, math.pi / 2),
        ("log(exp(x))", 2.0, 2.0),
        ("+x", 1.5, 1.5),
    ],
)
def test_expression_values(expression: str, x: float, expected: float) -> None:
    t = target(expression, domain=(-5, 5))
    assert isinstance(t, FunctionTarget)
    assert t.f(np.array([x]))[0] == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    "expression",
    [
        "sin(3*x)",
        "x**3 - x",
        "abs(x)",
        "exp(-x**2)",
        "2*pi*x",
        "maximum(x, 0) + tanh(x) / 3",
        "-x",
        "x**0.5 + log1p(x)",
        "0.3",
    ],
)
def test_numpy_and_tensor_evaluation_agree(expression: str) -> None:
    t = target(expression, domain=(0, 1) if "0.5" in expression else (-1, 1))
    assert isinstance(t, FunctionTarget)
    lo, hi = t.domain
    x = np.linspace(lo, hi, 257, dtype=np.float32)
    y = t.f_tensor(keras.ops.convert_to_tensor(x))
    y_np = keras.ops.convert_to_numpy(y)
    assert y_np.dtype == np.float32
    assert y_np.shape == x.shape
    np.testing.assert_allclose(y_np, t.f(x), rtol=1e-5, atol=1e-6)


def test_constant_expression_is_a_horizontal_line() -> None:
    t = target("0.3")
    assert isinstance(t, FunctionTarget)
    assert t.y_range == (0.3, 0.3)
    points = t.sample(10, seed=0)
    np.testing.assert_allclose(points[:, 1], 0.3, rtol=1e-6)
    assert not parse_expression("0.3").uses_x
    assert parse_expression("0*x").uses_x


def test_expression_name_and_whitespace() -> None:
    t = target("  x**3 - x ")
    assert t.name == "x**3 - x"
    assert t.describe()["expression"] == "x**3 - x"
    assert t.describe()["domain"] == [-0.5, 0.5]


def test_unknown_builtin_lists_builtins() -> None:
    with pytest.raises(Gan1dError, match="unknown target 'parabola'") as info:
        target("parabola")
    for name in BUILTIN_TARGETS:
        assert name in str(info.value)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x +", "not valid syntax"),
        ("x^2", r"use '\*\*'"),
        ("x.__class__", "attribute access is not allowed"),
        ("().__class__.__bases__", "attribute access is not allowed"),
        ("[x for x in ()]", "comprehensions are not allowed"),
        ("lambda: 0", "lambda is not allowed"),
        ("x if x else x", "conditional expressions are not allowed"),
        ("open('f')", "unknown function 'open'"),
        ("eval('1')", "unknown function 'eval'"),
        ("x + y", "unknown name 'y'"),
        ("sin", "unknown target 'sin'"),
        ("sin + x", "function 'sin' must be called"),
        ("sin(x, 1)", "takes 1 argument"),
        ("min(x)", "takes 2 arguments"),
        ("sin(x=x)", "keyword arguments"),
        ("x % 2", "operator '%' is not allowed"),
        ("x < 1", "comparisons are not allowed"),
        ("x[0]", "indexing is not allowed"),
        ("'a' + x", "str literal"),
        ("True + x", "bool literal"),
        ("1j * x", "complex literal"),
        ("(x, x)", "tuples are not allowed"),
        ("9**9**9", "not finite"),
        ("x + " * 60 + "x", "characters long"),
        ("x\0", "not valid syntax"),
    ],
)
def test_bad_expressions_rejected(expression: str, message: str) -> None:
    with pytest.raises(Gan1dError, match=message) as info:
        target(expression)
    assert "\n" not in str(info.value)


def test_allowed_functions_listed_in_errors() -> None:
    with pytest.raises(Gan1dError, match="sin, cos") as info:
        parse_expression("eval('1')")
    assert "x, numbers, pi" in str(info.value)


def test_unsafe_strings_are_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    attempts = [
        f"__import__('os').system('touch {marker}')",
        f"open('{marker}', 'w')",
        f"exec(\"open('{marker}', 'w')\")",
        f"[open('{marker}', 'w') for x in (1,)]",
        f"(lambda: open('{marker}', 'w'))()",
        f"x.__class__.__base__.__subclasses__() or open('{marker}', 'w')",
    ]
    for attempt in attempts:
        with pytest.raises(Gan1dError):
            target(attempt)
        with pytest.raises(Gan1dError):
            parse_expression(attempt)
    assert not marker.exists()


@pytest.mark.parametrize("expression", ["9**9**9", "9**9**9**9 * x", "10**400 + x", "1e999 * x"])
def test_huge_constants_are_refused(expression: str) -> None:
    with pytest.raises(Gan1dError, match="not finite"):
        target(expression)


@pytest.mark.parametrize("name", sorted(EXPRESSION_FUNCTIONS))
def test_every_function_exists_under_the_same_name_in_numpy_and_keras_ops(name: str) -> None:
    arity, function = EXPRESSION_FUNCTIONS[name]
    text = f"{name}({', '.join(['x'] * arity)})"
    parsed = parse_expression(text)
    x = np.linspace(0.1, 0.9, 9, dtype=np.float32)
    on_host = parsed.numpy(x, np.float32)
    on_device = keras.ops.convert_to_numpy(parsed.tensor(keras.ops.convert_to_tensor(x)))
    np.testing.assert_allclose(on_device, on_host, rtol=2e-6, atol=1e-6)
    assert hasattr(np, function)
    assert hasattr(keras.ops, function)
