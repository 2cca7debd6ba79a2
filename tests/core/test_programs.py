"""gan1d.core.programs: compiled loops shared by every GAN of one structure, and optimizers Keras updates."""

from __future__ import annotations

import keras
import numpy as np

from gan1d import backend
from gan1d.core import programs
from gan1d.data.targets import target
from gan1d.run.build import build_gan
from gan1d.run.config import TrainConfig

SQUARE = target("square")


def numpy(value) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(value))


def make_gan(seed: int, **options):
    return build_gan(TrainConfig.from_preset("seed", seed=seed, **options))


def test_gans_of_one_structure_share_one_compiled_loop_and_train_as_each_would_alone():
    programs._LOOPS.clear()
    make_gan(0).fit_target(SQUARE, epochs=40)
    compiled = sum(map(len, programs._LOOPS.values()))
    second = make_gan(1)
    shared = second.fit_target(SQUARE, epochs=40).history
    assert sum(map(len, programs._LOOPS.values())) == compiled, "the second GAN compiled a loop of its own"
    programs._LOOPS.clear()
    alone = make_gan(1).fit_target(SQUARE, epochs=40).history
    assert shared == alone
    assert int(second.d_optimizer.iterations) == 40


def test_an_optimizer_adam_on_values_does_not_cover_trains_through_keras():
    gan = make_gan(0)
    gan.compile(
        d_optimizer=keras.optimizers.SGD(0.01, momentum=0.9), g_optimizer=keras.optimizers.SGD(0.01, momentum=0.9)
    )
    history = gan.fit_target(SQUARE, epochs=30).history
    assert np.isfinite(history["g_loss"]).all()
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 30
    moments = [numpy(v) for v in gan.g_optimizer.variables if "momentum" in v.path]
    assert moments
    assert all(np.any(m != 0) for m in moments)
    expected = keras.backend.backend() == "jax"
    assert backend.updates_are_pure(gan.g_optimizer, gan.generator.trainable_variables) is expected
