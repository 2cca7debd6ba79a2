"""gan1d.core.views: the plane, the latent grid, and the layers a run keeps, one row per snapshot."""

from __future__ import annotations

import numpy as np
import pytest

from gan1d.core import views
from gan1d.errors import Gan1dError


def test_the_plane_widens_the_target_on_every_side():
    (x0, x1), (y0, y1) = views.plane(((-0.5, 0.5), (0.0, 0.25)))
    assert (x0, x1, y0, y1) == pytest.approx((-0.75, 0.75, -0.0625, 0.3125))
    # A flat side (a constant function) still gets a window.
    (_, _), (y0, y1) = views.plane(((0.0, 1.0), (2.0, 2.0)))
    assert y0 < 2.0 < y1
    # So does a single point, even at the origin (a data file of one repeated point).
    np.testing.assert_allclose(views.plane(((0.0, 0.0), (0.0, 0.0))), [[-0.75, 0.75], [-0.75, 0.75]])
    np.testing.assert_allclose(views.plane(((3.0, 3.0), (0.0, 0.0))), [[0.75, 5.25], [-2.25, 2.25]])


def test_the_grid_lists_cell_centres_row_by_row_from_the_bottom():
    grid = views.plane_grid(((0.0, 4.0), (0.0, 2.0)), cells=4)
    assert grid.shape == (16, 2)
    assert grid.dtype == np.float32
    np.testing.assert_allclose(grid[:4], [[0.5, 0.25], [1.5, 0.25], [2.5, 0.25], [3.5, 0.25]])
    np.testing.assert_allclose(grid[-1], [3.5, 1.75])


@pytest.mark.parametrize(
    ("latent_dim", "lines"), [(1, 1), (2, 2 * views.MANIFOLD_LINES), (5, 2 * views.MANIFOLD_LINES)]
)
def test_the_latent_grid_spans_the_first_two_directions(latent_dim, lines):
    grid = views.latent_grid(latent_dim)
    assert grid.shape == (lines * views.MANIFOLD_SAMPLES, latent_dim)
    assert np.abs(grid).max() == pytest.approx(views.LATENT_REACH)
    if latent_dim > 2:
        assert not grid[:, 2:].any()


def test_views_stack_and_travel_through_arrays():
    rows = [
        {
            "verdict": np.full((4, 4), 0.5 + 0.1 * i, "float32"),
            "push": np.ones((5, 2), "float32") * i,
            "manifold": np.zeros((2, views.MANIFOLD_SAMPLES, 2), "float32"),
        }
        for i in range(3)
    ]
    stacked = views.Views.stack(((0.0, 1.0), (0.0, 2.0)), rows)
    assert len(stacked) == 3
    assert stacked.verdict.shape == (3, 4, 4)
    assert stacked.manifold.shape == (3, 2, views.MANIFOLD_SAMPLES, 2)
    again = views.Views.from_arrays(stacked.arrays())
    assert again is not None
    assert again.plane == stacked.plane
    np.testing.assert_array_equal(again.verdict, stacked.verdict)
    assert [row["verdict"].shape for row in again.rows()] == [(4, 4)] * 3
    np.testing.assert_array_equal(again.rows()[2]["push"], rows[2]["push"])
    assert views.Views.from_arrays({"epochs": np.arange(3)}) is None


@pytest.mark.parametrize(
    "change",
    [
        {"plane": ((1.0, 0.0), (0.0, 1.0))},
        {"plane": "everywhere"},
        {"verdict": np.zeros((3, 4))},
        {"push": np.zeros((2, 5, 2))},
        {"manifold": np.zeros((3, 2, 4, 3))},
    ],
)
def test_malformed_views_are_refused(change):
    good = {
        "plane": ((0.0, 1.0), (0.0, 1.0)),
        "verdict": np.zeros((3, 4, 4)),
        "push": np.zeros((3, 5, 2)),
        "manifold": np.zeros((3, 2, 4, 2)),
    }
    views.Views(**good)
    with pytest.raises(Gan1dError, match="views"):
        views.Views(**{**good, **change})
