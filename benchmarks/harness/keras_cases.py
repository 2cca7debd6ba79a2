"""gan1d and the two Keras training loops it replaces, as benchmark cases.

- `train_case`: `gan1d.train()` as a user calls it (a fresh GAN per call).
- `fit_target_case`: the compiled loop inside `train()`, on one GAN kept warm.
- `fit_case`: keras.io's GAN example, `GAN.fit()` with one batch per epoch.
- `train_on_batch_case`: machinelearningmastery's 1D GAN loop of three
  `train_on_batch` calls per step.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

import gan1d
from gan1d import GAN, SnapshotCallback, TrainConfig, build_discriminator, build_generator
from gan1d.run.build import build_gan
from harness.common import Case, Recipe, Runner

TARGET = "square"


def recipe_gan(recipe: Recipe) -> GAN:
    """A compiled GAN of the recipe, built by the same function `gan1d.train` uses."""
    config = TrainConfig.from_preset(
        "seed",
        function=TARGET,
        batch_size=recipe.batch_size,
        latent_dim=recipe.latent_dim,
        generator_units=recipe.generator_units,
        discriminator_units=recipe.discriminator_units,
        learning_rate=recipe.learning_rate,
        seed=recipe.seed,
    )
    return build_gan(config)


def _generate(generator: keras.Model, recipe: Recipe) -> np.ndarray:
    points = generator(recipe.snapshot_noise(), training=False)
    return np.asarray(keras.ops.convert_to_numpy(points))


def train_case(recipe: Recipe, epochs: int) -> Case:
    """`gan1d.train()` of the seed preset, no output folder; every call builds a new GAN."""

    def make() -> Runner:
        results: list[Any] = []

        def run() -> None:
            results[:] = [
                gan1d.train(
                    TARGET,
                    epochs=epochs,
                    seed=recipe.seed,
                    snapshot_every=recipe.snapshot_every,
                    batch_size=recipe.batch_size,
                    generator_units=recipe.generator_units,
                    discriminator_units=recipe.discriminator_units,
                    snapshot_points=recipe.snapshot_points,
                    preset="seed",
                )
            ]

        def details() -> dict[str, Any]:
            return {"fit_target_s": results[0].metrics["train_seconds"]}

        return Runner(run, lambda: results[0].snapshots[-1][1], details)

    return Case("train", "gan1d.train() (whole call)", epochs, make)


def fit_target_case(recipe: Recipe, epochs: int, snapshots: bool = True, key: str = "fit_target") -> Case:
    """`GAN.fit_target` on one GAN, called again and again: the steady state of `train()`'s loop."""
    label = "gan1d fit_target, warm" + ("" if snapshots else ", no snapshots")

    def make() -> Runner:
        gan = recipe_gan(recipe)
        target = gan1d.target(TARGET)

        def run() -> None:
            callbacks = [SnapshotCallback(recipe.snapshot_every, recipe.snapshot_points, seed=recipe.seed)]
            gan.fit_target(
                target, epochs=epochs, batch_size=recipe.batch_size, callbacks=callbacks if snapshots else ()
            )

        return Runner(run, lambda: _generate(gan.generator, recipe))

    return Case(key, label, epochs, make)


def fit_case(recipe: Recipe, epochs: int) -> Case:
    """keras.io's way: `gan.fit(real_points, batch_size=64, epochs=...)` on one batch of real points."""

    def make() -> Runner:
        gan = recipe_gan(recipe)
        real = gan1d.target(TARGET).sample(recipe.batch_size, seed=recipe.seed).astype("float32")

        def run() -> None:
            gan.fit(real, batch_size=recipe.batch_size, epochs=epochs, verbose=0)

        return Runner(run, lambda: _generate(gan.generator, recipe))

    return Case("fit", "keras.io fit(), 1 batch/epoch", epochs, make)


def train_on_batch_case(recipe: Recipe, steps: int) -> Case:
    """machinelearningmastery's loop: D on real, D on fake, then G through a frozen D.

    Keras 3 reads `trainable` when a step runs, not at compile time as Keras 2 did,
    so D is unfrozen around its own two updates (else they would not train it).
    Fake points come from `predict_on_batch`, the one-batch form of the article's
    `predict` (whose per-call set-up costs milliseconds under Keras 3).
    """

    def make() -> Runner:
        keras.utils.set_random_seed(recipe.seed)
        rng = np.random.default_rng(recipe.seed)
        target = gan1d.target(TARGET)
        half, latent = recipe.batch_size, recipe.latent_dim
        generator = build_generator(latent, recipe.generator_units)
        discriminator = build_discriminator(2, recipe.discriminator_units)
        discriminator.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(recipe.learning_rate))
        discriminator.trainable = False
        gan_model = keras.Sequential([generator, discriminator])
        gan_model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(recipe.learning_rate))
        ones, zeros = np.ones((2 * half, 1), "float32"), np.zeros((half, 1), "float32")

        def run() -> None:
            for _ in range(steps):
                real = target.sample(half, seed=rng).astype("float32")
                fake = generator.predict_on_batch(rng.standard_normal((half, latent)).astype("float32"))
                discriminator.trainable = True
                discriminator.train_on_batch(real, ones[:half])
                discriminator.train_on_batch(fake, zeros)
                discriminator.trainable = False
                gan_model.train_on_batch(rng.standard_normal((2 * half, latent)).astype("float32"), ones)

        return Runner(run, lambda: _generate(generator, recipe))

    return Case("train_on_batch", "MLM train_on_batch loop", steps, make)
