"""gan1d.core.networks: the networks, and the GAN a config builds."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gan1d.core.layers import FourierFeatures, UniformX
from gan1d.core.networks import build_discriminator, build_generator, build_graph_generator
from gan1d.errors import Gan1dError
from gan1d.run.build import build_gan
from gan1d.run.config import TrainConfig


def test_seed_recipe_shapes_and_layers():
    generator = build_generator()
    discriminator = build_discriminator()
    dense = [layer for layer in generator.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [15, 2]
    assert dense[0].activation.__name__ == "relu"
    assert dense[-1].activation.__name__ == "linear"
    dense = [layer for layer in discriminator.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [25, 1]
    assert dense[-1].activation.__name__ == "sigmoid"
    points = keras.ops.convert_to_numpy(generator(np.zeros((7, 5), "float32")))
    assert points.shape == (7, 2)
    scores = keras.ops.convert_to_numpy(discriminator(points))
    assert scores.shape == (7, 1)
    assert np.all((scores >= 0) & (scores <= 1))


def test_widths_and_depth_are_configurable():
    generator = build_generator(3, (8, 16, 4))
    assert [layer.units for layer in generator.layers] == [8, 16, 4, 2]
    discriminator = build_discriminator(hidden_units=(32, 32), output_activation=None)
    assert discriminator.layers[-1].activation.__name__ == "linear"


@pytest.mark.parametrize("units", [(), (0,), (5, -1)])
def test_bad_widths_raise(units):
    with pytest.raises(Gan1dError, match="hidden units"):
        build_generator(5, units)


def test_bad_latent_dim_raises():
    with pytest.raises(Gan1dError, match="latent_dim"):
        build_generator(0)


def test_scales_multiply_the_output_and_divide_the_input():
    keras.utils.set_random_seed(0)
    plain = build_generator(2, (8,))
    keras.utils.set_random_seed(0)
    scaled = build_generator(2, (8,), output_scale=4.0)
    noise = np.random.default_rng(0).standard_normal((5, 2)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(scaled(noise)), 4 * keras.ops.convert_to_numpy(plain(noise)), rtol=1e-6
    )
    keras.utils.set_random_seed(1)
    judge = build_discriminator(hidden_units=(8,), output_activation=None)
    keras.utils.set_random_seed(1)
    scaled_judge = build_discriminator(hidden_units=(8,), output_activation=None, input_scale=4.0)
    points = np.random.default_rng(1).standard_normal((5, 2)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(scaled_judge(4 * points)), keras.ops.convert_to_numpy(judge(points)), rtol=1e-5
    )
    with pytest.raises(Gan1dError, match="scale"):
        build_generator(2, (8,), output_scale=0.0)


def test_a_residual_generator_starts_as_the_scaled_latent_noise():
    noise = np.random.default_rng(2).standard_normal((6, 2)).astype("float32")
    generator = build_generator(2, (16, 16), output_scale=4.0, residual=True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(generator(noise)), 4 * noise, rtol=1e-6)
    wider = build_generator(3, (16,), residual=True)
    noise3 = np.random.default_rng(3).standard_normal((6, 3)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(wider(noise3)), noise3[:, :2], rtol=1e-6)
    assert len(wider.trainable_variables) == 4  # the identity projection is fixed


def test_planar_preset_scales_the_networks_to_the_target():
    config = TrainConfig.from_preset("planar", function="grid", discriminator_learning_rate=2e-3)
    gan = build_gan(config)
    assert gan.generator.layers[-1].scale == pytest.approx(4.0)
    assert gan.discriminator.layers[0].scale == pytest.approx(0.25)
    assert float(keras.ops.convert_to_numpy(gan.d_optimizer.learning_rate)) == pytest.approx(2e-3)
    assert float(keras.ops.convert_to_numpy(gan.g_optimizer.learning_rate)) == pytest.approx(config.learning_rate)
    hidden = [layer for layer in gan.generator.layers if isinstance(layer, keras.layers.Dense)][:-1]
    assert [layer.activation.__name__ for layer in hidden] == ["relu"] * 3
    assert gan.discriminator.layers[1].activation.__name__ == "leaky_relu"


def test_instance_noise_is_scaled_to_the_target_and_gone_halfway():
    gan = build_gan(TrainConfig.from_preset("planar", function="grid", epochs=100, instance_noise=0.25))
    start, middle = (float(keras.ops.convert_to_numpy(gan.instance_noise(step))) for step in (0, 50))
    assert start == pytest.approx(0.25 * 4)
    assert middle == pytest.approx(0.0)
    assert build_gan(TrainConfig.from_preset("planar", function="grid")).instance_noise is None


def test_seed_preset_builds_the_articles_networks():
    gan = build_gan(TrainConfig.from_preset("seed"))
    assert [layer.units for layer in gan.generator.layers] == [15, 2]
    assert [layer.units for layer in gan.discriminator.layers] == [25, 1]
    assert gan.discriminator.layers[-1].activation.__name__ == "sigmoid"
    assert gan.score_threshold == 0.5
    tuned = build_gan(TrainConfig())
    assert tuned.discriminator.layers[-1].activation.__name__ == "linear"
    assert tuned.score_threshold == 0.0
    assert float(keras.ops.convert_to_numpy(tuned.d_optimizer.learning_rate)) == pytest.approx(1e-2)


def test_the_same_seed_builds_the_same_weights_and_another_seed_others():
    first, second, other = (build_gan(TrainConfig(seed=seed)) for seed in (3, 3, 4))
    for a, b in zip(first.generator.weights, second.generator.weights, strict=True):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    assert not np.array_equal(
        keras.ops.convert_to_numpy(first.generator.weights[0]), keras.ops.convert_to_numpy(other.generator.weights[0])
    )
    assert first.generator.get_config() == other.generator.get_config()  # stable names: same structure, same config


def test_uniform_x_spreads_the_first_latent_coordinate_evenly_over_the_domain():
    noise = np.random.default_rng(0).standard_normal((20_000, 3)).astype("float32")
    drawn = keras.ops.convert_to_numpy(UniformX(0.0, 3.0)(noise))
    assert drawn.shape == (20_000, 3)
    np.testing.assert_array_equal(drawn[:, 1:], noise[:, 1:])
    assert drawn[:, 0].min() >= 0.0
    assert drawn[:, 0].max() <= 3.0
    counts, _ = np.histogram(drawn[:, 0], bins=10, range=(0.0, 3.0))
    np.testing.assert_allclose(counts / 20_000, 0.1, atol=0.01)


def test_fourier_features_of_x_then_the_other_columns():
    layer = FourierFeatures(-1.0, 3.0, 2, rest_center=1.0, rest_scale=2.0)
    values = np.array([[1.0, 5.0], [3.0, 1.0]], "float32")  # x' = 0 and 1
    features = keras.ops.convert_to_numpy(layer(values))
    expected = [[0.0, 0.0, 0.0, 1.0, 1.0, 2.0], [1.0, 0.0, 0.0, -1.0, 1.0, 0.0]]
    np.testing.assert_allclose(features, expected, atol=1e-6)
    assert FourierFeatures.from_config(layer.get_config()).get_config() == layer.get_config()


def test_graph_generator_draws_x_by_itself_and_learns_only_y():
    generator = build_graph_generator((0.0, 3.0), latent_dim=2, hidden_units=(8,), frequencies=3)
    noise = np.random.default_rng(1).standard_normal((1000, 2)).astype("float32")
    points = keras.ops.convert_to_numpy(generator(noise))
    expected_x = keras.ops.convert_to_numpy(UniformX(0.0, 3.0)(noise))[:, 0]
    np.testing.assert_allclose(points[:, 0], expected_x, rtol=1e-6)
    # x has no weights behind it: every trainable weight makes y.
    first = generator.get_layer("hidden_1")
    assert first.kernel.shape == (1 + 2 * 3 + 1, 8)
    assert sum(int(np.prod(w.shape)) for w in generator.trainable_weights) == (8 * 8 + 8) + (8 + 1)


def test_a_hard_curve_builds_a_graph_gan_whose_discriminator_sees_fourier_features():
    gan = build_gan(TrainConfig(function="sine10", seed=0))
    assert isinstance(gan.generator.get_layer("uniform_x"), UniformX)
    features = gan.discriminator.layers[0]
    assert isinstance(features, FourierFeatures)
    assert (features.low, features.high, features.frequencies) == (-1.0, 1.0, 4)
    assert features.rest_scale == pytest.approx(1.0, abs=1e-3)  # sin(10 x) spans [-1, 1]
    plain = build_gan(TrainConfig(function="sine10", generator="plain", seed=0))
    assert not any(isinstance(layer, FourierFeatures) for layer in plain.discriminator.layers)
    gentle = build_gan(TrainConfig(function="square", seed=0))  # a graph generator of x alone
    assert gentle.generator.get_layer("x_features").frequencies == 0
    assert gentle.discriminator.layers[0].frequencies == 0
