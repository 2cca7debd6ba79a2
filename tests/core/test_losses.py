from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from gan1d.core.losses import discriminator_loss, generator_loss

BCE = keras.losses.BinaryCrossentropy()


def value(x):
    return float(keras.ops.convert_to_numpy(x))


def test_discriminator_loss_is_bce_over_the_concatenated_batch():
    real = np.full((4, 1), 0.8, "float32")
    fake = np.full((4, 1), 0.3, "float32")
    expected = -(math.log(0.8) + math.log(0.7)) / 2
    assert value(discriminator_loss(BCE, real, fake)) == pytest.approx(expected, rel=1e-5)


def test_generator_loss_labels_fakes_as_real():
    fake = np.full((6, 1), 0.25, "float32")
    assert value(generator_loss(BCE, fake)) == pytest.approx(-math.log(0.25), rel=1e-5)


def test_a_fooled_discriminator_has_high_loss_and_a_perfect_one_low():
    good = value(discriminator_loss(BCE, np.full((8, 1), 0.999, "float32"), np.full((8, 1), 0.001, "float32")))
    fooled = value(discriminator_loss(BCE, np.full((8, 1), 0.001, "float32"), np.full((8, 1), 0.999, "float32")))
    assert good < 0.01
    assert fooled > 5
