from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from gan1d.data.dataset import DataTarget
from gan1d.data.metrics import (
    SUCCESS_THRESHOLDS,
    coverage,
    curve_residual,
    data_coverage,
    judge,
    meets,
    misses,
    success_thresholds,
    summarize,
    verdict,
    x_w1,
)
from gan1d.data.targets import FunctionTarget, target
from gan1d.errors import Gan1dError


def _target(spec: str = "square", domain: tuple[float, float] | None = None) -> FunctionTarget:
    t = target(spec, domain=domain)
    assert isinstance(t, FunctionTarget)
    return t


def _points(x: np.ndarray, y: np.ndarray | float = 0.0) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.stack([x, np.broadcast_to(y, x.shape)], axis=1)


# --- x_w1 ------------------------------------------------------------------------


def test_x_w1_of_target_sample_is_near_zero() -> None:
    t = _target("sine")
    assert x_w1(t.sample(200_000, seed=0), t) < 0.005


@pytest.mark.parametrize(
    ("where", "expected"),
    [(0.0, 0.5), (1.0, 0.5), (0.5, 0.25), (0.25, 0.3125)],
)
def test_x_w1_of_point_mass(where: float, expected: float) -> None:
    # W1(point mass at lo + w*width, U[lo, hi]) / width = (w**2 + (1 - w)**2) / 2.
    t = _target("cube")
    lo, hi = t.domain
    generated = _points(np.full(1000, lo + where * (hi - lo)))
    assert x_w1(generated, t) == pytest.approx(expected, abs=1e-12)


def test_x_w1_of_evenly_spaced_midpoints_is_tiny() -> None:
    # n midpoints of n equal cells: W1 = 1 / (4 n) exactly.
    t = _target()
    lo, hi = t.domain
    n = 100
    x = lo + (np.arange(n) + 0.5) / n * (hi - lo)
    assert x_w1(_points(x), t) == pytest.approx(1 / (4 * n), rel=1e-9)


def test_x_w1_outside_domain_grows_with_distance() -> None:
    t = _target()
    # Point mass at hi + d: W1 / width = 0.5 + d / width.
    assert x_w1(_points(np.full(10, 1.5)), t) == pytest.approx(1.5)
    assert x_w1(_points(np.full(10, -1.5)), t) == pytest.approx(1.5)


def test_x_w1_matches_scipy_on_dense_uniform_grid() -> None:
    t = _target("sine")
    lo, hi = t.domain
    rng = np.random.default_rng(1)
    grid = lo + (np.arange(400_000) + 0.5) / 400_000 * (hi - lo)
    for x in [rng.normal(0.2, 0.4, 300), rng.uniform(-3, 0, 50), rng.uniform(lo, hi, 7)]:
        expected = wasserstein_distance(x, grid) / (hi - lo)
        assert x_w1(_points(x), t) == pytest.approx(expected, abs=1e-5)


def test_x_w1_is_scale_free() -> None:
    u = np.random.default_rng(2).beta(2, 5, 500)
    a = _target("x", domain=(0, 1))
    b = _target("x", domain=(-10, 30))
    assert x_w1(_points(u), a) == pytest.approx(x_w1(_points(-10 + 40 * u), b))


def test_x_w1_ignores_y() -> None:
    t = _target()
    x = np.linspace(-0.5, 0.5, 64)
    assert x_w1(_points(x, 0.0), t) == x_w1(_points(x, 123.0), t)


# --- curve_residual --------------------------------------------------------------


def test_curve_residual_zero_on_curve() -> None:
    for spec in ["square", "sine", "exp"]:
        t = _target(spec)
        assert curve_residual(t.sample(5_000, seed=0), t) < 1e-6


@pytest.mark.parametrize("c", [0.05, -0.1, 1.0])
def test_curve_residual_of_shift_is_shift_over_range(c: float) -> None:
    t = _target("square")  # x**2 on [-0.5, 0.5]: range 0.25
    generated = t.sample(1_000, seed=1).astype(np.float64)
    generated[:, 1] += c
    assert curve_residual(generated, t) == pytest.approx(abs(c) / 0.25, rel=1e-5)


def test_curve_residual_constant_target_divides_by_one() -> None:
    t = _target("0.3")
    generated = _points(np.linspace(-0.5, 0.5, 11), 0.5)
    assert curve_residual(generated, t) == pytest.approx(0.2)


def test_curve_residual_clips_x_to_domain() -> None:
    t = _target("square")
    # x = 1 is scored against f(0.5) = 0.25, x = -2 against f(-0.5) = 0.25.
    assert curve_residual(_points(np.array([1.0, -2.0]), 0.25), t) == 0.0
    assert curve_residual(_points(np.array([1.0]), 1.0), t) == pytest.approx(3.0)


def test_curve_residual_works_for_callable_targets() -> None:
    t = _target(np.sin, domain=(-1, 1))  # type: ignore[arg-type]
    x = np.linspace(-1, 1, 101)
    assert curve_residual(_points(x, np.sin(x)), t) == pytest.approx(0.0, abs=1e-12)
    shifted = curve_residual(_points(x, np.sin(x) + 0.1), t)
    assert shifted == pytest.approx(0.1 / (2 * math.sin(1)))


# --- coverage --------------------------------------------------------------------


def test_coverage_of_full_sample_is_one() -> None:
    t = _target("cube")
    assert coverage(t.sample(2_000, seed=0), t) == 1.0


def test_coverage_of_one_bin() -> None:
    t = _target()
    generated = _points(np.full(100, 0.01))
    assert coverage(generated, t) == pytest.approx(1 / 20)
    assert coverage(generated, t, bins=7) == pytest.approx(1 / 7)


def test_coverage_counts_bins_not_points() -> None:
    t = _target()  # [-0.5, 0.5], 4 bins of width 0.25
    generated = _points(np.array([-0.45, -0.44, -0.1, -0.1, -0.1]))
    assert coverage(generated, t, bins=4) == pytest.approx(0.5)


def test_coverage_edges() -> None:
    t = _target()
    # x == hi belongs to the last bin, x == lo to the first.
    assert coverage(_points(np.array([0.5])), t, bins=4) == pytest.approx(0.25)
    assert coverage(_points(np.array([-0.5, 0.5])), t, bins=4) == pytest.approx(0.5)
    # Points outside the domain fill no bin.
    assert coverage(_points(np.array([-0.6, 0.51, 3.0])), t) == 0.0


@pytest.mark.parametrize("bins", [0, -1, 2.5, True])
def test_coverage_bad_bins(bins: object) -> None:
    t = _target()
    with pytest.raises(Gan1dError, match="bins must be a positive int"):
        coverage(t.sample(10, seed=0), t, bins=bins)  # type: ignore[arg-type]


# --- summarize, validation, non-finite -------------------------------------------


def test_summarize_matches_individual_metrics() -> None:
    t = _target("sine")
    generated = t.sample(500, seed=3) + np.float32(0.01)
    summary = summarize(generated, t)
    assert summary == {
        "x_w1": x_w1(generated, t),
        "curve_residual": curve_residual(generated, t),
        "energy_distance": summary["energy_distance"],
        "coverage": coverage(generated, t),
    }
    assert 0 < summary["energy_distance"] < 0.05
    assert all(type(value) is float for value in summary.values())


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_points_give_nan(bad: float) -> None:
    t = _target()
    generated = t.sample(100, seed=0).astype(np.float64)
    generated[7, 1] = bad
    summary = summarize(generated, t)
    assert set(summary) == {"x_w1", "curve_residual", "energy_distance", "coverage"}
    assert all(math.isnan(value) for value in summary.values())


@pytest.mark.parametrize(
    "generated",
    [
        np.zeros((5, 3)),
        np.zeros((5,)),
        np.zeros((0, 2)),
        np.zeros((2, 2, 2)),
        np.float64(1.0),
        [["a", "b"]],
        None,
    ],
)
def test_bad_shapes_raise(generated: object) -> None:
    t = _target()
    metrics: list[Callable[..., object]] = [x_w1, curve_residual, coverage, summarize]
    for metric in metrics:
        with pytest.raises(Gan1dError, match=r"\(n, 2\)"):
            metric(generated, t)


def test_lists_are_accepted() -> None:
    t = _target()
    assert x_w1([[-0.5, 0.25]], t) == pytest.approx(0.5)  # type: ignore[arg-type]


def test_non_function_target_raises() -> None:
    with pytest.raises(Gan1dError, match="FunctionTarget"):
        x_w1(np.zeros((3, 2)), "square")  # type: ignore[arg-type]


def test_energy_distance_known_answers():
    from gan1d.data.metrics import energy_distance

    rng = np.random.default_rng(0)
    cloud = rng.normal(size=(500, 2))
    assert energy_distance(cloud, cloud) == pytest.approx(0.0, abs=1e-12)
    # Two point masses a distance d apart: 2d - 0 - 0.
    assert energy_distance(np.zeros((3, 2)), np.full((4, 2), [3.0, 4.0])) == pytest.approx(10.0)
    near = energy_distance(cloud, rng.normal(size=(500, 2)))
    far = energy_distance(cloud, rng.normal(size=(500, 2)) + np.array([2.0, 0.0]))
    assert near < 0.05
    assert far > 1.0
    assert np.isnan(energy_distance(np.full((2, 2), np.nan), cloud))
    with pytest.raises(Gan1dError):
        energy_distance(cloud, np.zeros((3, 3)))


def test_summarize_has_every_metric_and_is_small_for_real_points():
    t = target("square")
    summary = summarize(t.sample(2000, seed=5), t)
    assert set(summary) == {"x_w1", "curve_residual", "energy_distance", "coverage"}
    assert summary["energy_distance"] < 0.01
    assert summary["curve_residual"] < 1e-5
    shifted = summarize(t.sample(2000, seed=5) + np.array([0.0, 0.1]), t)
    assert shifted["energy_distance"] > 0.1


def test_mode_metrics_known_answers():
    from gan1d.data.metrics import mode_metrics

    ring = target("ring")
    perfect = ring.sample(2500, seed=0)
    scores = mode_metrics(perfect, ring)
    assert scores["modes_captured"] == 8
    assert scores["high_quality"] > 0.97
    assert scores["reverse_kl"] < 0.01
    # Everything on one mode: one mode captured, reverse KL = log 8.
    collapsed = np.repeat(ring.modes[:1], 100, axis=0)
    scores = mode_metrics(collapsed, ring)
    assert scores == {"modes_captured": 1.0, "high_quality": 1.0, "reverse_kl": pytest.approx(math.log(8))}
    # Points between modes are not high quality and capture nothing.
    scores = mode_metrics(np.zeros((50, 2)), ring)
    assert scores["modes_captured"] == 0
    assert scores["high_quality"] == 0
    assert math.isnan(scores["reverse_kl"])
    # Two modes evenly: KL = log 8 - log 2.
    two = np.concatenate([np.repeat(ring.modes[:1], 10, axis=0), np.repeat(ring.modes[4:5], 10, axis=0)])
    assert mode_metrics(two, ring)["reverse_kl"] == pytest.approx(math.log(4))


def test_summarize_scores_planar_targets():
    grid = target("grid")
    summary = summarize(grid.sample(2500, seed=1), grid)
    assert set(summary) == {"modes_captured", "high_quality", "reverse_kl", "energy_distance"}
    assert summary["modes_captured"] == 25
    moons = target("moons")
    assert set(summarize(moons.sample(500, seed=1), moons)) == {"energy_distance"}


def test_success_thresholds_per_kind_of_target() -> None:
    assert success_thresholds(target("square")) == {"x_w1": 0.02, "curve_residual": 0.02}
    assert success_thresholds(target("grid")) == {"modes_captured": 25.0, "high_quality": 0.9}
    assert success_thresholds(target("moons")) == {}


def test_meets_and_misses_read_each_bound_its_way() -> None:
    curve = {"x_w1": 0.02, "curve_residual": 0.021, "energy_distance": 0.1}
    assert misses(curve, SUCCESS_THRESHOLDS) == ["curve_residual"]
    assert not meets(curve, SUCCESS_THRESHOLDS)
    assert meets({**curve, "curve_residual": 0.02}, SUCCESS_THRESHOLDS)
    # Higher is better for modes and high quality; a missing or nan value misses.
    grid = {"modes_captured": 25.0, "high_quality": 0.95, "reverse_kl": math.nan}
    assert meets(grid, {"modes_captured": 25.0, "high_quality": 0.9})
    assert misses({**grid, "modes_captured": 24.0}, {"modes_captured": 25.0}) == ["modes_captured"]
    assert misses({}, SUCCESS_THRESHOLDS) == ["x_w1", "curve_residual"]
    assert not meets({**curve, "curve_residual": 0.0, "energy_distance": math.inf}, SUCCESS_THRESHOLDS)


def test_judge_and_verdict_say_whether_a_run_met_the_bar() -> None:
    square = target("square")
    x = np.linspace(-0.5, 0.5, 2000)
    on_curve = summarize(np.stack([x, x**2], axis=1), square)
    judged = judge(on_curve, square)
    assert judged == {"success": True, "success_thresholds": {"x_w1": 0.02, "curve_residual": 0.02}}
    assert verdict({**on_curve, **judged}) == "success: x_w1 <= 0.02, curve_residual <= 0.02"
    off = summarize(np.stack([x, x**2 + 0.1], axis=1), square)
    judged = judge(off, square)
    assert judged["success"] is False
    assert verdict({**off, **judged}) == f"no success: curve_residual {off['curve_residual']:.3g} > 0.02"
    grid = {"modes_captured": 24.0, "high_quality": 0.95, "success": False}
    grid["success_thresholds"] = {"modes_captured": 25.0, "high_quality": 0.9}
    assert verdict(grid) == "no success: modes_captured 24 < 25"


# --- data files --------------------------------------------------------------------


def _data_file(folder: Path, name: str, points: np.ndarray) -> DataTarget:
    with (folder / name).open("wb") as file:
        np.save(file, points)
    data = target(str(folder / name))
    assert isinstance(data, DataTarget)
    return data


def test_a_data_file_is_scored_by_energy_distance_and_coverage(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    data = _data_file(tmp_path, "cloud.npy", rng.normal(size=(3000, 2)))
    itself = summarize(data.sample(2500, seed=7), data)
    assert set(itself) == {"energy_distance", "coverage"}
    assert itself["energy_distance"] < 0.01
    assert itself["coverage"] > 0.9
    shifted = summarize(data.sample(2500, seed=7) + np.array([2.0, 0.0]), data)
    assert shifted["energy_distance"] > 0.1  # a shift of 2 in a cloud about 7 wide
    assert shifted["coverage"] < itself["coverage"]
    assert success_thresholds(data) == {}
    assert judge(itself, data) == {"success": True, "success_thresholds": {}}
    assert math.isnan(summarize(np.full((5, 2), np.inf), data)["coverage"])
    with pytest.raises(Gan1dError, match="shape"):
        summarize(np.zeros((5, 3)), data)


def test_data_energy_distance_is_scale_free(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    points, generated = rng.normal(size=(500, 2)), rng.normal(size=(400, 2)) * 1.5
    small = _data_file(tmp_path, "small.npy", points)
    large = _data_file(tmp_path, "large.npy", points * np.array([1000.0, 10.0]))
    assert summarize(generated * np.array([1000.0, 10.0]), large)["energy_distance"] == pytest.approx(
        summarize(generated, small)["energy_distance"], rel=1e-5
    )


def test_data_coverage_counts_the_cells_of_the_file_that_hold_a_generated_point(tmp_path: Path) -> None:
    # Two clusters in opposite corners of a 10 x 10 grid over [0, 10] x [0, 10]: two cells.
    corners = _data_file(tmp_path, "corners.npy", np.array([[0.0, 0.0], [0.2, 0.3], [10.0, 10.0], [9.9, 9.5]]))
    assert data_coverage(np.array([[0.5, 0.5]]), corners) == 0.5
    assert data_coverage(np.array([[0.5, 0.5], [9.5, 9.5]]), corners) == 1.0
    # A generated point in an empty cell, or outside the grid, counts for nothing.
    assert data_coverage(np.array([[5.0, 5.0], [-1.0, 0.0], [1e30, 0.0]]), corners) == 0.0
    # 1-D values: 20 bins along x; y does not matter.
    values = _data_file(tmp_path, "values.npy", np.arange(20.0))
    assert data_coverage(np.array([[0.1, 50.0], [19.0, -3.0]]), values) == pytest.approx(2 / 20)
    with pytest.raises(Gan1dError, match="DataTarget"):
        data_coverage(np.zeros((2, 2)), target("square"))


def test_a_point_mass_is_scored_without_dividing_by_zero(tmp_path: Path) -> None:
    mass = _data_file(tmp_path, "mass.npy", np.zeros((10, 2)))
    exact = summarize(np.zeros((50, 2)), mass)
    assert exact == {"energy_distance": pytest.approx(0.0, abs=1e-12), "coverage": 1.0}
    near = summarize(np.full((50, 2), 0.01), mass)
    assert near["coverage"] == 1.0  # a cell of the unit window around the origin
    assert 0 < near["energy_distance"] < summarize(np.full((50, 2), 0.5), mass)["energy_distance"]
