from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

from gan1d.data.targets import (
    BUILTIN_TARGETS,
    EASY_TARGETS,
    HARD_TARGETS,
    POOL_SEED,
    POOL_SIZE,
    CurveShape,
    FunctionTarget,
    Target,
    target,
)
from gan1d.errors import Gan1dError

BACKEND = keras.backend.backend()


def _on_curve(points: np.ndarray, t: FunctionTarget, atol: float = 1e-5) -> None:
    residual = np.abs(points[:, 1].astype(np.float64) - t.f(points[:, 0]))
    assert residual.max() < atol


def _in_domain(points: np.ndarray, t: FunctionTarget) -> None:
    lo, hi = t.domain
    assert points[:, 0].min() >= lo
    assert points[:, 0].max() <= hi


# --- built-ins and numpy sampling ------------------------------------------------


@pytest.mark.parametrize("name", sorted(BUILTIN_TARGETS))
def test_builtin_samples_lie_on_curve_in_domain(name: str) -> None:
    t = target(name)
    assert isinstance(t, FunctionTarget)
    assert t.domain == BUILTIN_TARGETS[name][1]
    points = t.sample(2_000, seed=0)
    assert points.shape == (2_000, 2)
    assert points.dtype == np.float32
    _in_domain(points, t)
    _on_curve(points, t)
    # x really is spread over the domain, not stuck in one place.
    lo, hi = t.domain
    assert points[:, 0].min() < lo + 0.05 * (hi - lo)
    assert points[:, 0].max() > hi - 0.05 * (hi - lo)


def test_default_target_is_square_on_half_interval() -> None:
    t = target()
    assert t.name == "square"
    assert t.describe() == {
        "kind": "function",
        "name": "square",
        "expression": "x**2",
        "domain": [-0.5, 0.5],
    }
    assert t.bounds == ((-0.5, 0.5), (0.0, 0.25))


def test_builtin_with_custom_domain() -> None:
    t = target("square", domain=(0, 2))
    assert isinstance(t, FunctionTarget)
    assert t.domain == (0.0, 2.0)
    assert t.y_range == pytest.approx((0.0, 4.0))


def test_y_range_from_dense_grid() -> None:
    t = target("sine")
    assert isinstance(t, FunctionTarget)
    assert t.y_range == pytest.approx((-1.0, 1.0), abs=1e-6)
    assert t.bounds[1] == t.y_range


def test_same_seed_same_sample_different_seed_different() -> None:
    t = target("cube")
    a = t.sample(100, seed=3)
    np.testing.assert_array_equal(a, t.sample(100, seed=3))
    assert not np.array_equal(a, t.sample(100, seed=4))
    rng1, rng2 = np.random.default_rng(9), np.random.default_rng(9)
    np.testing.assert_array_equal(t.sample(50, rng1), t.sample(50, rng2))
    # A Generator advances, so two draws from one differ.
    assert not np.array_equal(t.sample(50, rng1), t.sample(50, seed=9))


@pytest.mark.parametrize("n", [0, -3, 2.5, True, "10", None])
def test_bad_n_raises(n: object) -> None:
    t = target()
    with pytest.raises(Gan1dError, match="positive int"):
        t.sample(n)  # type: ignore[arg-type]
    with pytest.raises(Gan1dError, match="positive int"):
        t.sample_tensor(n, 0)  # type: ignore[arg-type]


def test_bad_seed_raises() -> None:
    with pytest.raises(Gan1dError, match="seed must be"):
        target().sample(3, seed=-1)
    with pytest.raises(Gan1dError, match="seed must be"):
        target().sample(3, seed="abc")  # type: ignore[arg-type]


def test_describe_is_json_serialisable() -> None:
    for spec in [*BUILTIN_TARGETS, "2*pi*x", np.sin]:
        description = target(spec).describe()  # type: ignore[arg-type]
        assert json.loads(json.dumps(description)) == description
        assert description["kind"] == "function"


def test_import_needs_no_framework() -> None:
    src = Path(__file__).resolve().parents[1] / "src"
    code = (
        "import sys, gan1d.data.targets as t; t.target('sine').sample(5, 0); "
        "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules "
        "and 'jax' not in sys.modules"
    )
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)


@pytest.mark.parametrize(
    ("expression", "domain", "where"),
    [
        ("log(x)", (-1, 1), "[-1, 1]"),
        ("1/x", (-1, 1), "[-1, 1]"),
        ("1/x", (-1, 2), "[-1, 2]"),  # 0 is not on the evenly spaced grid here
        ("sqrt(x)", (-1, 0), "[-1, 0]"),
        ("arcsin(x)", (0, 2), "[0, 2]"),
    ],
)
def test_not_finite_on_domain_raises(expression: str, domain: tuple[float, float], where: str) -> None:
    with pytest.raises(Gan1dError, match="is not finite on") as info:
        target(expression, domain=domain)
    assert where in str(info.value)
    assert "(e.g. at x=" in str(info.value)


def test_not_finite_check_is_silent() -> None:
    with (
        np.errstate(all="raise"),
        pytest.raises(Gan1dError, match="not finite"),
    ):
        target("log(x)", domain=(-1, 1))


def test_f_outside_domain_gives_nan_quietly() -> None:
    t = target("sqrt")
    assert isinstance(t, FunctionTarget)
    with np.errstate(all="raise"):
        y = t.f(np.array([-1.0, 4.0]))
    assert np.isnan(y[0])
    assert y[1] == 2.0


def test_too_large_values_raise() -> None:
    with pytest.raises(Gan1dError, match="limit"):
        target("exp(x)", domain=(0, 30))


@pytest.mark.parametrize(
    "domain",
    [
        (0, 0),
        (1, -1),
        (math.nan, 1),
        (0, math.inf),
        (-math.inf, 0),
        (0,),
        (0, 1, 2),
        "ab",
        ("0", "1"),
        (True, 2),
        5,
        (0, 1e9),
    ],
)
def test_bad_domain_raises(domain: object) -> None:
    with pytest.raises(Gan1dError, match="domain must be two finite numbers LO < HI"):
        target("square", domain=domain)  # type: ignore[arg-type]
    with pytest.raises(Gan1dError, match="domain must be"):
        target(np.sin, domain=domain)  # type: ignore[arg-type]


def test_domain_accepts_lists_and_numpy_numbers() -> None:
    t = target("x", domain=[np.float32(-2), np.int64(3)])  # type: ignore[list-item]
    assert isinstance(t, FunctionTarget)
    assert t.domain == (-2.0, 3.0)
    assert all(type(v) is float for v in t.domain)


def test_bad_spec_type_raises() -> None:
    with pytest.raises(Gan1dError, match="built-in name, an expression"):
        target(42)  # type: ignore[arg-type]


# --- Target instances and callables ----------------------------------------------


def test_target_instance_passes_through() -> None:
    t = target("sine")
    assert target(t) is t
    with pytest.raises(Gan1dError, match="domain cannot be combined"):
        target(t, domain=(0, 1))


def test_function_target_constructor_validates() -> None:
    t = FunctionTarget(name="p", domain=(0, 1), expression="x**2")
    assert isinstance(t, Target)
    assert t.f(np.array([0.5]))[0] == 0.25
    with pytest.raises(Gan1dError, match="exactly one"):
        FunctionTarget(name="p", domain=(0, 1))
    with pytest.raises(Gan1dError, match="exactly one"):
        FunctionTarget(name="p", domain=(0, 1), expression="x", function=np.sin)
    with pytest.raises(Gan1dError, match="domain must be"):
        FunctionTarget(name="p", domain=(1, 0), expression="x")


def test_callable_target_samples_on_curve() -> None:
    t = target(np.sin, domain=(-1, 1))
    assert isinstance(t, FunctionTarget)
    assert t.name == "sin"
    assert t.expression is None
    points = t.sample(500, seed=1)
    assert points.dtype == np.float32
    _in_domain(points, t)
    _on_curve(points, t)
    assert t.y_range == pytest.approx((math.sin(-1), math.sin(1)))
    assert t.describe()["callable"] == "numpy.sin"


def test_callable_receives_float64_and_lambda_is_named_callable() -> None:
    seen: list[np.dtype] = []

    def record(x: np.ndarray) -> np.ndarray:
        seen.append(x.dtype)
        return x * 2

    assert target(record).name == "record"
    assert set(seen) == {np.dtype(np.float64)}
    t = target(lambda x: 3 * x)
    assert t.name == "callable"
    assert isinstance(t, FunctionTarget)
    assert t.f(np.array([0.5]))[0] == 1.5


def test_callable_that_raises_or_misbehaves() -> None:
    def boom(x: np.ndarray) -> np.ndarray:
        raise RuntimeError("kaput\nsecond line")

    with pytest.raises(Gan1dError, match="RuntimeError: kaput") as info:
        target(boom)
    assert "\n" not in str(info.value)
    with pytest.raises(Gan1dError, match="same shape"):
        target(lambda x: x[:1])
    with pytest.raises(Gan1dError, match="same shape"):
        target(lambda x: 1.0)  # type: ignore[arg-type, return-value]
    with pytest.raises(Gan1dError, match="failed"):
        target(math.sin)  # type: ignore[arg-type]  # not vectorised: fails on arrays
    with pytest.raises(Gan1dError, match="not finite"):
        target(lambda x: 1 / x, domain=(-1, 1))


def test_callable_has_no_f_tensor() -> None:
    t = target(np.sin)
    assert isinstance(t, FunctionTarget)
    with pytest.raises(Gan1dError, match="callable"):
        t.f_tensor(keras.ops.zeros((3,)))


# --- keras sampling --------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BUILTIN_TARGETS))
def test_sample_tensor_on_curve(name: str) -> None:
    t = target(name)
    assert isinstance(t, FunctionTarget)
    out = t.sample_tensor(256, keras.random.SeedGenerator(1))
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    points = keras.ops.convert_to_numpy(out)
    assert points.shape == (256, 2)
    _in_domain(points, t)
    _on_curve(points, t)


def test_sample_tensor_seeding() -> None:
    t = target("sine")
    gen = keras.random.SeedGenerator(5)
    first = keras.ops.convert_to_numpy(t.sample_tensor(64, gen))
    second = keras.ops.convert_to_numpy(t.sample_tensor(64, gen))
    assert not np.array_equal(first, second)
    again = keras.ops.convert_to_numpy(t.sample_tensor(64, keras.random.SeedGenerator(5)))
    np.testing.assert_array_equal(first, again)
    fixed = keras.ops.convert_to_numpy(t.sample_tensor(64, 7))
    np.testing.assert_array_equal(fixed, keras.ops.convert_to_numpy(t.sample_tensor(64, 7)))


def test_sample_tensor_stays_inside_inexact_domain() -> None:
    # -0.1 and 0.7 are not float32 numbers; x must still never leave the domain,
    # where sqrt(x + 0.1) would be nan.
    t = target("sqrt(x + 0.1)", domain=(-0.1, 0.7))
    assert isinstance(t, FunctionTarget)
    points = keras.ops.convert_to_numpy(t.sample_tensor(4096, 3))
    assert np.isfinite(points).all()
    _in_domain(points, t)


def test_callable_sample_tensor_uses_pool() -> None:
    t = target(np.cos, domain=(-1, 1))
    assert isinstance(t, FunctionTarget)
    gen = keras.random.SeedGenerator(2)
    points = keras.ops.convert_to_numpy(t.sample_tensor(512, gen))
    assert points.dtype == np.float32
    assert points.shape == (512, 2)
    _in_domain(points, t)
    _on_curve(points, t)
    pool = t.sample(POOL_SIZE, seed=POOL_SEED)
    pool_rows = {tuple(row) for row in pool.tolist()}
    assert all(tuple(row) in pool_rows for row in points.tolist())
    assert len({tuple(row) for row in points.tolist()}) > 400  # random rows, not one
    more = keras.ops.convert_to_numpy(t.sample_tensor(512, gen))
    assert not np.array_equal(points, more)


def _compiled_sampler(t: Target, n: int) -> Callable[[], Any]:
    """A compiled function of no arguments that returns t.sample_tensor(n, ...)."""
    if BACKEND == "jax":
        import jax

        sample = jax.jit(lambda key: t.sample_tensor(n, key))
        return lambda: sample(jax.random.PRNGKey(0))
    if BACKEND == "tensorflow":
        import tensorflow as tf

        gen = keras.random.SeedGenerator(0)
        return tf.function(lambda: t.sample_tensor(n, gen))
    pytest.skip(f"no compiled-function test for backend {BACKEND}")


@pytest.mark.parametrize("spec", ["cube", "exp(-x**2) + 2*pi", np.tanh])
def test_sample_tensor_inside_compiled_function(spec: object) -> None:
    t = target(spec, domain=(-1, 1))  # type: ignore[arg-type]
    assert isinstance(t, FunctionTarget)
    run = _compiled_sampler(t, 128)
    out = run()
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    points = keras.ops.convert_to_numpy(out)
    assert points.shape == (128, 2)
    _in_domain(points, t)
    _on_curve(points, t)
    assert np.unique(points[:, 0]).size > 100


# --- planar targets ------------------------------------------------------------


def test_ring_has_eight_distinct_modes_on_the_unit_circle() -> None:
    from gan1d.data.planar import MixtureTarget

    ring = target("ring")
    assert isinstance(ring, MixtureTarget)
    modes = ring.modes
    assert modes.shape == (8, 2)
    np.testing.assert_allclose(np.hypot(modes[:, 0], modes[:, 1]), 1.0)
    assert len({tuple(np.round(m, 6)) for m in modes}) == 8
    assert ring.std == 0.01


def test_grid_has_25_modes_on_even_coordinates() -> None:
    grid = target("grid")
    assert sorted({x for x, _ in grid.means}) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert len(grid.means) == 25
    assert grid.std == 0.05


@pytest.mark.parametrize("name", ["ring", "grid"])
def test_mixture_samples_sit_near_modes_with_equal_weights(name: str) -> None:
    mixture = target(name)
    points = mixture.sample(20_000, seed=0)
    assert points.shape == (20_000, 2)
    assert points.dtype == np.float32
    distances = np.linalg.norm(points[:, None, :] - mixture.modes[None], axis=2)
    nearest = distances.argmin(axis=1)
    # Within 3 std in 2-D holds about 98.9% of a Gaussian's mass.
    assert np.mean(distances.min(axis=1) <= 3 * mixture.std) > 0.98
    counts = np.bincount(nearest, minlength=len(mixture.means))
    assert counts.min() > 0.8 * counts.mean()


@pytest.mark.parametrize("name", ["ring", "grid", "moons"])
def test_planar_sample_tensor_matches_the_numpy_sampler_in_distribution(name: str) -> None:
    planar = target(name)
    drawn = keras.ops.convert_to_numpy(planar.sample_tensor(4000, keras.random.SeedGenerator(3)))
    assert drawn.shape == (4000, 2)
    reference = planar.sample(4000, seed=3)
    # Two sample means differ by about sqrt(2) * std / sqrt(n); allow 5 of those.
    tolerance = 5 * np.sqrt(2) * reference.std(axis=0) / np.sqrt(len(reference))
    assert np.all(np.abs(drawn.mean(axis=0) - reference.mean(axis=0)) < tolerance)
    np.testing.assert_allclose(drawn.std(axis=0), reference.std(axis=0), rtol=0.1)
    (xmin, xmax), (ymin, ymax) = planar.bounds
    inside = (drawn[:, 0] >= xmin) & (drawn[:, 0] <= xmax) & (drawn[:, 1] >= ymin) & (drawn[:, 1] <= ymax)
    assert inside.mean() > 0.99


def test_planar_targets_take_no_domain() -> None:
    with pytest.raises(Gan1dError, match="no domain"):
        target("ring", (-1.0, 1.0))


def test_scale_is_the_size_of_the_data() -> None:
    assert target("ring").scale == pytest.approx(1.0)
    assert target("grid").scale == pytest.approx(4.0)
    assert target("square").scale == pytest.approx(0.5)
    assert target("x + 3", (-1.0, 1.0)).scale == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("expression", "domain", "fragment"),
    [
        ("tan(x)", (-2, 2), "reaches |f|"),  # a pole between grid points, huge in float32
        ("1/(x-0.12345678)", (-0.5, 0.5), "not finite"),  # hits the pole exactly in float32
        ("x*1e200/1e200", (-0.5, 0.5), "not finite"),  # overflows in float32 only
        ("sqrt(abs(x-0.12345678)-1e-5)", (-0.5, 0.5), "not finite"),  # a gap narrower than the grid
    ],
)
def test_targets_are_checked_in_float32_where_training_draws(
    expression: str, domain: tuple[float, float], fragment: str
) -> None:
    with pytest.raises(Gan1dError, match=fragment) as info:
        target(expression, domain=domain)
    assert "float32" in str(info.value)


@pytest.mark.parametrize(
    ("expression", "domain"),
    [
        ("tan(x)", (-1.5, 1.5)),
        ("1/x", (0.001, 1)),
        ("sign(x)", (-1, 1)),
        ("x - floor(x)", (0, 3)),
        ("x", (-1e-3, 1e-3)),
    ],
)
def test_defined_targets_pass_the_float32_check(expression: str, domain: tuple[float, float]) -> None:
    t = target(expression, domain=domain)
    points = keras.ops.convert_to_numpy(t.sample_tensor(4096, 7))
    assert np.isfinite(points).all()


@pytest.mark.parametrize("domain", [(0, 1e-40), (1.0, 1.0 + 1e-5), (-1e-7, 1e-7)])
def test_domains_too_narrow_to_learn_are_refused(domain: tuple[float, float]) -> None:
    with pytest.raises(Gan1dError, match="at least"):
        target("x", domain=domain)


def test_the_hard_set_is_built_in_with_its_domains():
    assert set(EASY_TARGETS) | set(HARD_TARGETS) == set(BUILTIN_TARGETS)
    assert not set(EASY_TARGETS) & set(HARD_TARGETS)
    x = np.array([-0.9, -0.2, 0.0, 0.4, 1.0])
    np.testing.assert_allclose(target("sine10").f(x), np.sin(10 * x))
    np.testing.assert_allclose(target("stairs").f(x), np.floor(3 * x))
    np.testing.assert_allclose(target("step").f(x), np.sign(x))
    np.testing.assert_allclose(target("runge").f(x), 1 / (1 + 25 * x**2))
    saw = target("sawtooth")
    assert saw.domain == (0.0, 3.0)
    np.testing.assert_allclose(saw.f(np.array([0.5, 1.25, 2.999])), [0.5, 0.25, 0.999])


@pytest.mark.parametrize(
    ("name", "pieces", "jumps"),
    [
        ("square", 2, 0),
        ("exp", 1, 0),
        ("sine10", 7, 0),
        ("wave", 8, 0),
        ("bumps", 6, 0),
        ("step", 2, 1),  # sign(0) = 0 is one point, not a third piece
        ("stairs", 6, 5),
        ("sawtooth", 3, 2),
    ],
)
def test_curve_shape_counts_monotone_pieces_and_jumps(name, pieces, jumps):
    shape = target(name).shape
    assert (shape.pieces, shape.jumps) == (pieces, jumps)


def test_curve_shape_travel_and_steep_share():
    line = CurveShape.of(np.linspace(0, 1, 1001))
    assert (line.pieces, line.jumps, line.steep_share) == (1, 0, pytest.approx(0.5, abs=0.01))
    assert line.travel == pytest.approx(1.0)
    assert target("square").shape.travel == pytest.approx(2.0)
    assert target("steep").shape.steep_share < 0.05
    assert target("step").shape.steep_share == 0.0  # the jump makes half the travel
    assert CurveShape.of(np.zeros(100)) == CurveShape(pieces=1, jumps=0, travel=0.0, steep_share=0.5)


def test_only_the_hard_curves_need_fourier_features():
    assert [name for name in BUILTIN_TARGETS if target(name).shape.needs_features] == list(HARD_TARGETS)
    assert target("sin(30*x)", (-1, 1)).shape.needs_features
    assert not target("x**3 - x", (-1, 1)).shape.needs_features
