"""The GAN a `TrainConfig` describes: its networks, optimizers and loss, built and compiled."""

from __future__ import annotations

import keras

from gan1d.core.gan import GAN
from gan1d.core.layers import FourierFeatures
from gan1d.core.networks import build_discriminator, build_generator, build_graph_generator
from gan1d.data.distribution import Target
from gan1d.data.targets import FunctionTarget
from gan1d.environment import seed_everything
from gan1d.run.config import TrainConfig

__all__ = ["build_gan"]


def build_gan(config: TrainConfig, seed: int | None = None, *, distribution: Target | None = None) -> GAN:
    """Builds and compiles the GAN a config describes, initialised from `seed`.

    Args:
        config: The run's settings.
        seed: Seed of the weights and of the GAN's `SeedGenerator`; defaults to
            `config.seed`. The same seed gives the same initial state.
        distribution: The target, whose `scale` `config.normalize` and
            `config.instance_noise` use; defaults to `config.target()`.

    Returns:
        A compiled `gan1d.GAN`.
    """
    seed = config.seed if seed is None else seed
    seed_everything(seed)
    target = distribution if distribution is not None else config.target()
    size = target.scale if config.normalize or config.instance_noise else 1.0
    scale = size if config.normalize else 1.0
    generator_kind, frequencies = config.architecture(target)
    features = None
    if generator_kind == "graph" or frequencies:
        assert isinstance(target, FunctionTarget)  # architecture() allows features only on curves
        (y_low, y_high) = target.y_range
        features = FourierFeatures(
            *target.domain, frequencies, (y_low + y_high) / 2, max((y_high - y_low) / 2, 1e-6), name="x_features"
        )
    if generator_kind == "graph":
        assert isinstance(target, FunctionTarget)
        generator = build_graph_generator(
            target.domain,
            config.latent_dim,
            config.generator_units,
            frequencies=frequencies,
            activation=config.activation,
            output_scale=scale,
        )
    else:
        generator = build_generator(
            config.latent_dim,
            config.generator_units,
            activation=config.activation,
            output_scale=scale,
            residual=config.residual,
        )
    discriminator = build_discriminator(
        2 * config.pack,
        config.discriminator_units,
        activation=config.d_activation,
        output_activation=None if config.logits else "sigmoid",
        input_scale=scale,
        features=features,
    )
    noise = None
    if config.instance_noise:
        noise = keras.optimizers.schedules.PolynomialDecay(
            config.instance_noise * size, max(1, config.epochs // 2), end_learning_rate=0.0
        )
    gan = GAN(
        discriminator=discriminator,
        generator=generator,
        latent_dim=config.latent_dim,
        seed=seed,
        pack=config.pack,
        instance_noise=noise,
    )

    def adam(rate: float) -> keras.optimizers.Optimizer:
        if config.schedule == "cosine":
            return keras.optimizers.Adam(
                keras.optimizers.schedules.CosineDecay(rate, decay_steps=config.epochs), beta_1=config.beta_1
            )
        return keras.optimizers.Adam(rate, beta_1=config.beta_1)

    gan.compile(
        d_optimizer=adam(config.d_learning_rate),
        g_optimizer=adam(config.learning_rate),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=config.logits),
    )
    return gan
