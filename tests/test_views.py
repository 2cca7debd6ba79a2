"""gan1d.views: the plane, the latent grid, and the layers captured from a GAN's state."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gan1d import views
from gan1d.backend import compile_function
from gan1d.callbacks import SnapshotCallback
from gan1d.config import TrainConfig
from gan1d.errors import Gan1dError
from gan1d.models import build_gan
from gan1d.targets import target


def test_the_plane_widens_the_target_on_every_side():
    (x0, x1), (y0, y1) = views.plane(((-0.5, 0.5), (0.0, 0.25)))
    assert (x0, x1, y0, y1) == pytest.approx((-0.75, 0.75, -0.0625, 0.3125))
    # A flat side (a constant function) still gets a window.
    (_, _), (y0, y1) = views.plane(((0.0, 1.0), (2.0, 2.0)))
    assert y0 < 2.0 < y1


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


@pytest.mark.parametrize("preset", ["default", "seed"])
def test_captured_layers_agree_with_the_networks_on_the_host(preset):
    """Logits (default) and probabilities (seed): the verdict is a probability either way."""
    # A smooth activation, so central differences are a fair check of the gradient.
    config = TrainConfig.from_preset(preset, seed=3, activation="tanh")
    gan = build_gan(config)
    snapshots = SnapshotCallback(every=10, n_points=20)
    snapshots.prepare(gan, target("square"))
    inputs = snapshots.device_inputs()
    points = keras.ops.convert_to_numpy(gan.generator(snapshots.noise))
    capture = compile_function(lambda *args: views.capture(gan, *args))
    captured = keras.tree.map_structure(keras.ops.convert_to_numpy, capture(gan.read_state(), inputs, points))
    grid = views.plane_grid(snapshots.plane)
    scores = gan.discriminate(grid).reshape(-1)
    expected = 1 / (1 + np.exp(-scores)) if config.logits else scores
    np.testing.assert_allclose(captured["verdict"], expected, rtol=1e-4, atol=1e-5)
    assert captured["verdict"].min() >= 0
    assert captured["verdict"].max() <= 1
    manifold = keras.ops.convert_to_numpy(gan.generator(views.latent_grid(gan.latent_dim)))
    np.testing.assert_allclose(captured["manifold"], manifold, rtol=1e-4, atol=1e-5)
    # The push is minus the gradient of each point's own generator loss: check it by
    # central differences of that loss on the host.
    loss = keras.losses.BinaryCrossentropy(from_logits=config.logits)

    def own_loss(point: np.ndarray) -> float:
        score = gan.discriminate(point[None])
        return float(keras.ops.convert_to_numpy(loss(np.ones((1, 1)), score)))

    step = 1e-3
    for i in range(3):
        numeric = [
            (own_loss(points[i] + step * unit) - own_loss(points[i] - step * unit)) / (2 * step)
            for unit in np.eye(2, dtype=np.float32)
        ]
        np.testing.assert_allclose(captured["push"][i], -np.array(numeric), rtol=0.02, atol=1e-3)


def test_views_stack_and_travel_through_arrays():
    rows = [
        {
            "verdict": np.full(16, 0.5 + 0.1 * i, "float32"),
            "push": np.ones((5, 2), "float32") * i,
            "manifold": np.zeros((2 * views.MANIFOLD_SAMPLES, 2), "float32"),
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
    assert [r["verdict"].shape for r in again.rows()] == [(16,)] * 3
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
