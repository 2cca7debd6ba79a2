"""The layers gan1d adds to Keras's: drawing x over a domain, Fourier features of x, a graph's point.

None has weights. They are registered with Keras (package `gan1d`), so saved
networks that use them load with `keras.saving.load_model` once gan1d is imported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from gan1d.checks import integer, real

__all__ = ["DiracPoint", "FirstCoordinate", "FourierFeatures", "GraphPoint", "UniformX"]


@keras.saving.register_keras_serializable(package="gan1d")
class UniformX(keras.layers.Layer):
    """Latent noise `(n, d)` -> the same noise with its first coordinate uniform on [low, high].

    Standard-normal noise's first coordinate goes through the normal distribution
    function, which makes it uniform on [0, 1] (uniform noise on [-1, 1] is only
    shifted), and is then stretched over the domain; the others pass through
    unchanged. It has no weights.

    Args:
        low: The domain's lower end.
        high: Its upper end.
        noise: The latent noise it reads: `"normal"` or `"uniform"`.
    """

    def __init__(self, low: float, high: float, noise: str = "normal", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.low, self.high, self.noise = float(low), float(high), noise

    def call(self, noise: Any) -> Any:
        if self.noise == "uniform":
            uniform = 0.5 * (noise[:, :1] + 1.0)
        else:
            uniform = 0.5 * (1.0 + ops.erf(noise[:, :1] / math.sqrt(2.0)))
        return ops.concatenate([self.low + (self.high - self.low) * uniform, noise[:, 1:]], axis=1)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "low": self.low, "high": self.high, "noise": self.noise}


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


@keras.saving.register_keras_serializable(package="gan1d")
class DiracPoint(keras.layers.Layer):
    """The Dirac-GAN's generator: any latent noise `(n, d)` -> the point `(theta, 0)`, `(n, 2)`.

    Its one weight is `theta` (Mescheder et al. 2018): the generator puts all its
    mass on one point of the x axis, which training should move onto the data's.

    Args:
        theta: Where the point starts.
    """

    def __init__(self, theta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start = float(theta)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.theta = self.add_weight(shape=(), initializer=keras.initializers.Constant(self.start), name="theta")

    def call(self, noise: Any) -> Any:
        column = ops.ones_like(noise[:, :1]) * ops.cast(self.theta, noise.dtype)
        return ops.concatenate([column, ops.zeros_like(column)], axis=1)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], 2)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "theta": self.start}


@keras.saving.register_keras_serializable(package="gan1d")
class FirstCoordinate(keras.layers.Layer):
    """Points `(n, d)` -> their first coordinate `(n, 1)`: what the Dirac-GAN's discriminator looks at."""

    def call(self, points: Any) -> Any:
        return points[:, :1]

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], 1)
