"""The two networks. Defaults are the seed recipe (machinelearningmastery's 1D GAN)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np

from gan1d.errors import Gan1dError

__all__ = ["build_discriminator", "build_generator", "generate"]


def _check_units(hidden_units: Sequence[int], what: str) -> tuple[int, ...]:
    units = tuple(int(u) for u in hidden_units)
    if not units or any(u <= 0 for u in units):
        raise Gan1dError(f"{what} hidden units must be one or more positive integers, got {list(hidden_units)}")
    return units


def _check_scale(scale: float) -> float:
    if not (isinstance(scale, int | float) and math.isfinite(scale) and scale > 0):
        raise Gan1dError(f"a scale must be a positive number, got {scale!r}")
    return float(scale)


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
    if latent_dim <= 0:
        raise Gan1dError(f"latent_dim must be a positive integer, got {latent_dim}")
    hidden = [
        keras.layers.Dense(u, activation=activation, kernel_initializer=kernel_initializer)
        for u in _check_units(hidden_units, "generator")
    ]
    scale = [keras.layers.Rescaling(_check_scale(output_scale), name="output_scale")] if output_scale != 1.0 else []
    if not residual:
        return keras.Sequential(
            [keras.Input((latent_dim,)), *hidden, keras.layers.Dense(output_dim, activation="linear"), *scale],
            name=name,
        )
    noise = keras.Input((latent_dim,))
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


def build_discriminator(
    input_dim: int = 2,
    hidden_units: Sequence[int] = (25,),
    *,
    activation: str = "relu",
    kernel_initializer: str = "he_uniform",
    output_activation: str | None = "sigmoid",
    input_scale: float = 1.0,
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
        name: Model name.

    Returns:
        A built `keras.Sequential`.

    Raises:
        Gan1dError: If a size is not positive.
    """
    if input_dim <= 0:
        raise Gan1dError(f"input_dim must be a positive integer, got {input_dim}")
    layers: list[keras.layers.Layer] = [keras.Input((input_dim,))]
    if input_scale != 1.0:
        layers.append(keras.layers.Rescaling(1.0 / _check_scale(input_scale), name="input_scale"))
    layers += [
        keras.layers.Dense(u, activation=activation, kernel_initializer=kernel_initializer)
        for u in _check_units(hidden_units, "discriminator")
    ]
    layers.append(keras.layers.Dense(1, activation=output_activation))
    return keras.Sequential(layers, name=name)


def generate(generator: keras.Model, n: int, seed: int | None = None) -> np.ndarray:
    """Points from `generator` on `n` fresh standard-normal latent vectors.

    Returns:
        `(n, d)` NumPy array; the same seed gives the same latent vectors.
    """
    latent_dim = generator.input_shape[-1]
    noise = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32")
    return np.asarray(keras.ops.convert_to_numpy(generator(noise, training=False)))
