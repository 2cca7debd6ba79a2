"""`Target`, the distribution of real points a GAN learns: what every target can do.

A target draws points with NumPy (`sample`) and, inside a compiled training loop,
with the backend's random ops (`sample_tensor`, through `gan1d.backend`); it knows
the rectangle of the plane it covers (`bounds`) and describes itself for
`config.json`. The targets themselves are curves (`gan1d.data.targets`),
distributions in the plane (`gan1d.data.planar`) and a user's own points
(`gan1d.data.dataset`).
"""

from __future__ import annotations

import abc
from typing import Any, TypeAlias

import numpy as np

from gan1d.errors import Gan1dError

__all__ = ["MAX_ABS_VALUE", "Bounds", "Target"]

Bounds: TypeAlias = tuple[tuple[float, float], tuple[float, float]]
"""A rectangle of the plane, `((xmin, xmax), (ymin, ymax))`."""

MAX_ABS_VALUE = 1e6
"""Largest |coordinate| a target's points may reach (a curve's |x| and |f(x)|, a data file's values);
float32 training needs less."""


def check_n(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise Gan1dError(f"number of points n must be a positive int, got {n!r}")
    return int(n)


def sample_rows_tensor(rows: np.ndarray, n: int, seed: Any) -> Any:
    """`n` random rows of a host array, picked with the backend's random ops, for targets Keras cannot trace.

    The rows become a constant of the compiled program that calls this: uploaded
    once when it is traced, not at every step.
    """
    import keras

    from gan1d.backend import random_randint

    index = random_randint((n,), 0, rows.shape[0], seed)
    return keras.ops.take(keras.ops.convert_to_tensor(rows, dtype="float32"), index, axis=0)


def _seed_message(seed: object) -> str:
    return f"seed must be a non-negative int, a numpy Generator or None, got {seed!r}"


class Target(abc.ABC):
    """A distribution of points on the plane.

    Subclasses implement `_sample` (numpy), `_sample_tensor` (keras),
    `bounds` and `describe`; the public methods validate arguments.

    Attributes:
        name: Short name, used in file names and plot titles.
    """

    name: str

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Draw points with numpy.

        Args:
            n: Number of points, a positive int.
            seed: Seed or numpy Generator; None draws fresh entropy.

        Returns:
            (n, 2) float32 array of points (x, y).

        Raises:
            Gan1dError: If n is not a positive int or the seed is invalid.
        """
        n = check_n(n)
        if isinstance(seed, bool):
            raise Gan1dError(_seed_message(seed))
        try:
            rng = np.random.default_rng(seed)
        except (TypeError, ValueError):
            raise Gan1dError(_seed_message(seed)) from None
        return np.asarray(self._sample(n, rng), dtype=np.float32)

    def sample_tensor(self, n: int, seed: Any) -> Any:
        """Draw points with the backend's random ops and keras.ops, usable inside compiled functions.

        Works inside `tf.function` with a `keras.random.SeedGenerator`, and
        inside `jax.jit` with a JAX key array (shape (2,) uint32) passed in as
        an argument, or a SeedGenerator within a `keras.StatelessScope`.

        Args:
            n: Number of points, a positive Python int (a static shape).
            seed: Anything `keras.random` accepts as `seed`.

        Returns:
            (n, 2) float32 backend tensor of points (x, y).

        Raises:
            Gan1dError: If n is not a positive int.
        """
        return self._sample_tensor(check_n(n), seed)

    @property
    @abc.abstractmethod
    def bounds(self) -> Bounds:
        """((xmin, xmax), (ymin, ymax)) of the support, unpadded, for plot limits."""

    def curve(self, n: int = 400) -> tuple[np.ndarray, np.ndarray] | None:
        """`n` points `(x, y)` of the target's curve for pictures, or None for a target without one."""
        return None

    @property
    def scale(self) -> float:
        """Size of the data: the largest absolute coordinate of `bounds` (1 if all are 0).

        `TrainConfig(normalize=True)` divides the discriminator's input and
        multiplies the generator's output by it, so the networks see unit-sized points.
        """
        largest = max(abs(v) for pair in self.bounds for v in pair)
        return float(largest) if largest > 0 else 1.0

    @abc.abstractmethod
    def describe(self) -> dict[str, object]:
        """JSON-able description for config.json; always has "kind" and "name"."""

    @abc.abstractmethod
    def _sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, 2) float array of points; n is already validated."""

    @abc.abstractmethod
    def _sample_tensor(self, n: int, seed: Any) -> Any:
        """(n, 2) float32 tensor of points; n is already validated."""
