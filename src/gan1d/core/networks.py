"""The networks: the generator and the discriminator, built from a few sizes.

`build_generator` and `build_discriminator` default to the seed recipe
(machinelearningmastery's 1D GAN). Layers get stable names, so two networks
built alike have the same configuration.

`build_graph_generator` is the generator of a function's graph: it draws x
uniformly over the domain from the first latent coordinate, as the target does,
and learns y from features of x and the other latent coordinates. It and the
discriminator can see x through `FourierFeatures`, which a small ReLU network
needs to follow a curve that turns many times or jumps (docs/presets.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from gan1d.checks import integer, real
from gan1d.core.layers import DiracPoint, FirstCoordinate, FourierFeatures, GraphPoint, UniformX
from gan1d.errors import Gan1dError

__all__ = ["build_dirac_gan_networks", "build_discriminator", "build_generator", "build_graph_generator"]


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
    noise: str = "normal",
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
        noise: The GAN's latent noise, `"normal"` or `"uniform"` (how x is drawn from it).
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
    latent = keras.Input((latent_dim,), name="noise")
    drawn = UniformX(lo, hi, noise=noise, name="uniform_x")(latent)
    h = FourierFeatures(lo, hi, frequencies, name="x_features")(drawn)
    for i, u in enumerate(_check_units(hidden_units, "generator"), 1):
        h = keras.layers.Dense(u, activation=activation, kernel_initializer=kernel_initializer, name=f"hidden_{i}")(h)
    y = keras.layers.Dense(1, name="output")(h)
    if output_scale != 1.0:
        y = keras.layers.Rescaling(real("output_scale", output_scale, positive=True), name="output_scale")(y)
    return keras.Model(latent, GraphPoint(name="point")([drawn, y]), name=name)


def build_discriminator(
    input_dim: int = 2,
    hidden_units: Sequence[int] = (25,),
    *,
    activation: str = "relu",
    kernel_initializer: str = "he_uniform",
    output_activation: str | None = "sigmoid",
    input_scale: float = 1.0,
    features: FourierFeatures | None = None,
    spectral_norm: bool = False,
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
        spectral_norm: Wrap every Dense layer in Keras's `SpectralNormalization`
            (Miyato et al. 2018), which keeps each layer's largest singular value
            near 1, so the discriminator stays Lipschitz.
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
    dense = [
        keras.layers.Dense(u, activation=activation, kernel_initializer=kernel_initializer, name=f"hidden_{i}")
        for i, u in enumerate(_check_units(hidden_units, "discriminator"), 1)
    ]
    dense.append(keras.layers.Dense(1, activation=output_activation, name="output"))
    if spectral_norm:
        dense = [keras.layers.SpectralNormalization(layer, name=f"{layer.name}_normalized") for layer in dense]
    return keras.Sequential([*layers, *dense], name=name)


def build_dirac_gan_networks(
    theta: float = 1.0, psi: float = 1.0, latent_dim: int = 1
) -> tuple[keras.Model, keras.Model]:
    """The Dirac-GAN's networks (Mescheder et al. 2018): a point `(theta, 0)` and a linear discriminator `psi * x`.

    The generator has the one weight theta and ignores its noise; the
    discriminator the one weight psi, and scores a point by its first coordinate.
    With the real points all at the origin, the game's only equilibrium is theta =
    psi = 0.

    Args:
        theta: Where the generated point starts.
        psi: The discriminator's starting slope.
        latent_dim: Size of the noise the generator takes (and ignores).

    Returns:
        The generator (noise `(n, latent_dim)` -> `(n, 2)`) and the discriminator
        (`(n, 2)` -> `(n, 1)` logits).
    """
    noise = keras.Input((integer("latent_dim", latent_dim),), name="noise")
    generator = keras.Model(noise, DiracPoint(real("theta", theta, signed=True), name="point")(noise), name="generator")
    points = keras.Input((2,), name="points")
    slope = keras.layers.Dense(
        1, use_bias=False, kernel_initializer=keras.initializers.Constant(real("psi", psi, signed=True)), name="psi"
    )
    discriminator = keras.Model(points, slope(FirstCoordinate(name="x")(points)), name="discriminator")
    return generator, discriminator
