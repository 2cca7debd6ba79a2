"""The networks, and the compiled GAN a `TrainConfig` describes.

`build_generator` and `build_discriminator` default to the seed recipe
(machinelearningmastery's 1D GAN); `build_gan` builds both from a config, with
their optimizers and loss. Layers get stable names, so two networks built alike
have the same configuration.

`build_graph_generator` is the generator of a function's graph: it draws x
uniformly over the domain from the first latent coordinate, as the target does,
and learns y from features of x and the other latent coordinates. It and the
discriminator can see x through `FourierFeatures`, which a small ReLU network
needs to follow a curve that turns many times or jumps (docs/presets.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
from keras import ops

from gan1d.checks import integer, real
from gan1d.errors import Gan1dError

if TYPE_CHECKING:
    from gan1d.config import TrainConfig
    from gan1d.gan import GAN
    from gan1d.targets import Target

__all__ = [
    "FourierFeatures",
    "GraphPoint",
    "UniformX",
    "build_discriminator",
    "build_gan",
    "build_generator",
    "build_graph_generator",
    "generate",
]


@keras.saving.register_keras_serializable(package="gan1d")
class UniformX(keras.layers.Layer):
    """Standard-normal noise `(n, d)` -> the same noise with its first coordinate uniform on [low, high].

    The first coordinate goes through the normal distribution function, which makes
    it uniform on [0, 1], and is then stretched over the domain; the others pass
    through unchanged. It has no weights.
    """

    def __init__(self, low: float, high: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.low, self.high = float(low), float(high)

    def call(self, noise: Any) -> Any:
        uniform = 0.5 * (1.0 + ops.erf(noise[:, :1] / math.sqrt(2.0)))
        return ops.concatenate([self.low + (self.high - self.low) * uniform, noise[:, 1:]], axis=1)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "low": self.low, "high": self.high}


@keras.saving.register_keras_serializable(package="gan1d")
class FourierFeatures(keras.layers.Layer):
    """Values `(n, d)` whose first column is x on [low, high] -> features `(n, 1 + 2 * frequencies + d - 1)`.

    x is mapped to x' in [-1, 1] and given as x', sin(pi k x') and cos(pi k x') for
    k = 1..frequencies; the other columns follow, shifted by `rest_center` and
    divided by `rest_scale` (for a discriminator: y brought to about [-1, 1]). It
    has no weights.
    """

    def __init__(
        self,
        low: float,
        high: float,
        frequencies: int,
        rest_center: float = 0.0,
        rest_scale: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.low, self.high = float(low), float(high)
        self.frequencies = integer("frequencies", frequencies, 0)
        self.rest_center, self.rest_scale = float(rest_center), real("rest_scale", rest_scale, positive=True)

    def call(self, values: Any) -> Any:
        x = (values[:, :1] - (self.low + self.high) / 2) / ((self.high - self.low) / 2)
        parts = [x]
        if self.frequencies:
            angles = x * ops.convert_to_tensor(np.pi * np.arange(1, self.frequencies + 1, dtype="float32")[None, :])
            parts += [ops.sin(angles), ops.cos(angles)]
        parts.append((values[:, 1:] - self.rest_center) / self.rest_scale)
        return ops.concatenate(parts, axis=1)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        width = input_shape[-1]
        return (*input_shape[:-1], None if width is None else width + 2 * self.frequencies)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "low": self.low,
            "high": self.high,
            "frequencies": self.frequencies,
            "rest_center": self.rest_center,
            "rest_scale": self.rest_scale,
        }


@keras.saving.register_keras_serializable(package="gan1d")
class GraphPoint(keras.layers.Layer):
    """`[noise whose first column is x, y]` -> points `(x, y)`. It has no weights."""

    def call(self, inputs: Sequence[Any]) -> Any:
        noise, y = inputs
        return ops.concatenate([noise[:, :1], y], axis=1)

    def compute_output_shape(self, input_shape: Sequence[tuple[int | None, ...]]) -> tuple[int | None, ...]:
        return (input_shape[0][0], 2)


def _check_units(hidden_units: object, what: str) -> tuple[int, ...]:
    if isinstance(hidden_units, str | bytes) or not isinstance(hidden_units, Sequence) or not hidden_units:
        raise Gan1dError(f"{what} hidden units must be one or more positive integers, got {hidden_units!r}")
    return tuple(integer(f"{what} hidden units", u) for u in hidden_units)


def build_generator(
    latent_dim: int = 5,
    hidden_units: Sequence[int] = (15,),
    *,
    output_dim: int = 2,
    activation: str = "relu",
    kernel_initializer: str = "he_uniform",
    output_scale: float = 1.0,
    residual: bool = False,
    name: str = "generator",
) -> keras.Model:
    """Builds the generator: latent noise `(n, latent_dim)` -> points `(n, output_dim)`.

    Args:
        latent_dim: Size of the latent noise vector.
        hidden_units: Width of each hidden Dense layer; its length is the depth.
        output_dim: Size of a generated point (2 for `(x, y)`).
        activation: Activation of the hidden layers.
        kernel_initializer: Initializer of the hidden layers.
        output_scale: Multiplies the output (a final `Rescaling` layer when not 1),
            so that a network of unit-sized values makes points of that size.
        residual: Add the latent vector to the network's output (a skip connection;
            a fixed identity projection when the sizes differ), with the output
            layer starting at zero. The untrained generator then spreads its points
            like the latent Gaussian, over the whole data when `output_scale` is the
            data's size, instead of along the thin fold a fresh ReLU network draws;
            each region of latent space only has to settle on its nearest mode.
        name: Model name.

    Returns:
        A built `keras.Sequential` with a linear output layer, or with `residual` a
        functional `keras.Model`.

    Raises:
        Gan1dError: If a size is not positive.
    """
    latent_dim = integer("latent_dim", latent_dim)
    hidden = [
        keras.layers.Dense(u, activation=activation, kernel_initializer=kernel_initializer, name=f"hidden_{i}")
        for i, u in enumerate(_check_units(hidden_units, "generator"), 1)
    ]
    scale = (
        [keras.layers.Rescaling(real("output_scale", output_scale, positive=True), name="output_scale")]
        if output_scale != 1.0
        else []
    )
    if not residual:
        return keras.Sequential(
            [keras.Input((latent_dim,), name="noise"), *hidden, keras.layers.Dense(output_dim, name="output"), *scale],
            name=name,
        )
    noise = keras.Input((latent_dim,), name="noise")
    x = noise
    for layer in hidden:
        x = layer(x)
    x = keras.layers.Dense(output_dim, kernel_initializer="zeros", name="output")(x)
    skip = noise
    if latent_dim != output_dim:
        skip = keras.layers.Dense(
            output_dim, use_bias=False, kernel_initializer="identity", trainable=False, name="skip"
        )(noise)
    x = keras.layers.Add(name="residual")([x, skip])
    for layer in scale:
        x = layer(x)
    return keras.Model(noise, x, name=name)


def build_graph_generator(
    domain: tuple[float, float],
    latent_dim: int = 2,
    hidden_units: Sequence[int] = (32, 32),
    *,
    frequencies: int = 4,
    activation: str = "leaky_relu",
    kernel_initializer: str = "he_uniform",
    output_scale: float = 1.0,
    name: str = "generator",
) -> keras.Model:
    """Builds a generator of a function's graph: latent noise `(n, latent_dim)` -> points `(x, y)`.

    x is the first latent coordinate made uniform over `domain` (`UniformX`), as a
    curve target draws it, and is not trained; y is a network of `FourierFeatures`
    of x and the other latent coordinates. Nothing in it knows the function: y
    learns only from the discriminator's gradient, like any generator's output.

    Args:
        domain: (lo, hi), the x range of the curve.
        latent_dim: Size of the latent noise vector, at least 1.
        hidden_units: Width of each hidden Dense layer of y's network.
        frequencies: Sine and cosine pairs of x the network sees (0: x alone).
        activation: Activation of the hidden layers.
        kernel_initializer: Initializer of the hidden layers.
        output_scale: Multiplies y (a `Rescaling` layer when not 1).
        name: Model name.

    Returns:
        A built functional `keras.Model`.

    Raises:
        Gan1dError: If a size is not positive or the domain is empty.
    """
    latent_dim = integer("latent_dim", latent_dim)
    lo, hi = real("domain", domain[0], signed=True), real("domain", domain[1], signed=True)
    if not hi > lo:
        raise Gan1dError(f"the domain must have lo < hi, got {domain!r}")
    noise = keras.Input((latent_dim,), name="noise")
    drawn = UniformX(lo, hi, name="uniform_x")(noise)
    h = FourierFeatures(lo, hi, frequencies, name="x_features")(drawn)
    for i, u in enumerate(_check_units(hidden_units, "generator"), 1):
        h = keras.layers.Dense(u, activation=activation, kernel_initializer=kernel_initializer, name=f"hidden_{i}")(h)
    y = keras.layers.Dense(1, name="output")(h)
    if output_scale != 1.0:
        y = keras.layers.Rescaling(real("output_scale", output_scale, positive=True), name="output_scale")(y)
    return keras.Model(noise, GraphPoint(name="point")([drawn, y]), name=name)


def build_discriminator(
    input_dim: int = 2,
    hidden_units: Sequence[int] = (25,),
    *,
    activation: str = "relu",
    kernel_initializer: str = "he_uniform",
    output_activation: str | None = "sigmoid",
    input_scale: float = 1.0,
    features: FourierFeatures | None = None,
    name: str = "discriminator",
) -> keras.Sequential:
    """Builds the discriminator: points `(n, input_dim)` -> one score per point `(n, 1)`.

    Args:
        input_dim: Size of a point (2 for `(x, y)`).
        hidden_units: Width of each hidden Dense layer; its length is the depth.
        activation: Activation of the hidden layers.
        kernel_initializer: Initializer of the hidden layers.
        output_activation: `"sigmoid"` for probabilities (the seed recipe, pair it with
            `BinaryCrossentropy()`), `None` for logits (pair it with
            `BinaryCrossentropy(from_logits=True)`).
        input_scale: Divides the input (a first `Rescaling` layer when not 1), so
            that points of that size reach the hidden layers unit-sized.
        features: A first layer that turns each point `(x, y)` into features
            (`FourierFeatures`); it replaces `input_scale`.
        name: Model name.

    Returns:
        A built `keras.Sequential`.

    Raises:
        Gan1dError: If a size is not positive.
    """
    input_dim = integer("input_dim", input_dim)
    layers: list[keras.layers.Layer] = [keras.Input((input_dim,), name="points")]
    if features is not None:
        layers.append(features)
    elif input_scale != 1.0:
        layers.append(keras.layers.Rescaling(1.0 / real("input_scale", input_scale, positive=True), name="input_scale"))
    layers += [
        keras.layers.Dense(u, activation=activation, kernel_initializer=kernel_initializer, name=f"hidden_{i}")
        for i, u in enumerate(_check_units(hidden_units, "discriminator"), 1)
    ]
    layers.append(keras.layers.Dense(1, activation=output_activation, name="output"))
    return keras.Sequential(layers, name=name)


def generate(generator: keras.Model, n: int, seed: int | None = None) -> np.ndarray:
    """Points from `generator` on `n` fresh standard-normal latent vectors.

    Returns:
        `(n, d)` NumPy array; the same seed gives the same latent vectors.
    """
    latent_dim = generator.input_shape[-1]
    noise = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32")
    return np.asarray(keras.ops.convert_to_numpy(generator(noise, training=False)))


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
    from gan1d.environment import seed_everything
    from gan1d.gan import GAN
    from gan1d.targets import FunctionTarget

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
