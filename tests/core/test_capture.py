"""gan1d.core.capture: what a snapshot keeps, computed from a GAN's state, checked against the networks on the host."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gan1d.backend import compile_function
from gan1d.core import views
from gan1d.core.callbacks import SnapshotCallback
from gan1d.core.capture import snapshot
from gan1d.data.targets import target
from gan1d.run.build import build_gan
from gan1d.run.config import TrainConfig


@pytest.mark.parametrize("preset", ["default", "seed"])
def test_captured_layers_agree_with_the_networks_on_the_host(preset):
    """Logits (default) and probabilities (seed): the verdict is a probability either way."""
    # A smooth activation, so central differences are a fair check of the gradient.
    config = TrainConfig.from_preset(preset, seed=3, activation="tanh")
    gan = build_gan(config)
    snapshots = SnapshotCallback(every=10, n_points=20)
    snapshots.prepare(gan, target("square"))
    inputs = snapshots.device_inputs()
    compiled = compile_function(lambda state, inputs: snapshot(gan, state, inputs))
    captured = keras.tree.map_structure(keras.ops.convert_to_numpy, compiled(gan.read_state(), inputs))
    points = keras.ops.convert_to_numpy(gan.generator(snapshots.noise))
    np.testing.assert_allclose(captured["points"], points, rtol=1e-5, atol=1e-6)
    grid = views.plane_grid(snapshots.plane)
    scores = gan.discriminate(grid).reshape(views.HEATMAP_CELLS, views.HEATMAP_CELLS)
    expected = 1 / (1 + np.exp(-scores)) if config.logits else scores
    np.testing.assert_allclose(captured["verdict"], expected, rtol=1e-4, atol=1e-5)
    assert captured["verdict"].min() >= 0
    assert captured["verdict"].max() <= 1
    manifold = keras.ops.convert_to_numpy(gan.generator(views.latent_grid(gan.latent_dim)))
    np.testing.assert_allclose(
        captured["manifold"], manifold.reshape(-1, views.MANIFOLD_SAMPLES, 2), rtol=1e-4, atol=1e-5
    )
    # The accuracy on the reference points, as the discriminator scores them on the host.
    real_scores = gan.discriminate(snapshots.reference).reshape(-1)
    fake_scores = gan.discriminate(points).reshape(-1)
    np.testing.assert_allclose(
        captured["accuracy"], [np.mean(real_scores > gan.score_threshold), np.mean(fake_scores <= gan.score_threshold)]
    )
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
