"""The GAN a `TrainConfig` describes: its networks, optimizers and loss, built and compiled."""

from __future__ import annotations

import keras

from gan1d.core.gan import GAN
from gan1d.core.layers import FourierFeatures
from gan1d.core.methods import BETA_OPTIMIZERS, MOMENTUM_OPTIMIZERS, OPTIMIZERS, PENALTY_WEIGHTS
from gan1d.core.networks import build_dirac_gan_networks, build_discriminator, build_generator, build_graph_generator
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
    generator, discriminator = _networks(config, target, size if config.normalize else 1.0)
    # A schedule of the discriminator's update count: it updates this many times per round.
    d_updates, g_updates = max(1, config.discriminator_steps), max(1, config.generator_steps)
    noise: float | keras.optimizers.schedules.LearningRateSchedule | None = None
    if config.instance_noise and config.anneal_noise:
        noise = keras.optimizers.schedules.PolynomialDecay(
            config.instance_noise * size, max(1, config.epochs // 2) * d_updates, end_learning_rate=0.0
        )
    elif config.instance_noise:
        noise = config.instance_noise * size
    gan = GAN(
        discriminator=discriminator,
        generator=generator,
        latent_dim=config.latent_dim,
        seed=seed,
        pack=config.pack,
        instance_noise=noise,
        noise=config.noise,
        ema=config.ema,
    )
    penalty_weight = PENALTY_WEIGHTS[config.penalty] if config.penalty_weight is None else config.penalty_weight
    gan.compile(
        d_optimizer=_optimizer(config, config.d_optimizer, config.d_learning_rate, d_updates),
        g_optimizer=_optimizer(config, config.optimizer, config.learning_rate, g_updates),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=config.logits),
        objective=config.loss,
        penalty=config.penalty,
        penalty_weight=penalty_weight,
        weight_clip=config.weight_clip,
        discriminator_steps=config.discriminator_steps,
        generator_steps=config.generator_steps,
    )
    return gan


def _networks(config: TrainConfig, target: Target, scale: float) -> tuple[keras.Model, keras.Model]:
    """The generator and the discriminator a config describes, for `target`, with points of size `scale`."""
    generator_kind, frequencies = config.architecture(target)
    if generator_kind == "dirac":
        return build_dirac_gan_networks(latent_dim=config.latent_dim)
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
            noise=config.noise,
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
        spectral_norm=config.spectral_norm,
    )
    return generator, discriminator


def _optimizer(config: TrainConfig, name: str, rate: float, updates: int) -> keras.optimizers.Optimizer:
    """Keras's optimizer `name` at `rate`, decayed by a cosine over the network's `updates` per round if asked."""
    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule = rate
    if config.schedule == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(rate, decay_steps=config.epochs * updates)
    options: dict[str, float] = {}
    if name in BETA_OPTIMIZERS:
        options.update(beta_1=config.beta_1, beta_2=config.beta_2)
    if name in MOMENTUM_OPTIMIZERS:
        options["momentum"] = config.momentum
    optimizer: keras.optimizers.Optimizer = getattr(keras.optimizers, OPTIMIZERS[name])(learning_rate, **options)
    return optimizer
