"""Distributions in the plane: the mode-collapse benchmarks `ring` and `grid`, `moons`, and the point mass `dirac`.

`ring` (8 Gaussians on a circle) and `grid` (25 on a square lattice) are the
targets of the PacGAN and VEEGAN papers: a GAN that drops modes or smears points
between them is easy to score (`gan1d.data.metrics.mode_metrics`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from gan1d.data.distribution import Bounds, Target
from gan1d.errors import Gan1dError

__all__ = ["PLANAR_TARGETS", "MixtureTarget", "MoonsTarget", "PointMass"]


@dataclasses.dataclass(frozen=True)
class MixtureTarget(Target):
    """An equal-weight mixture of isotropic Gaussians in the plane.

    The standard mode-collapse benchmarks are two of these (see `PLANAR_TARGETS`):
    a GAN that drops modes or smears points between them is easy to score
    (`gan1d.data.metrics.mode_metrics`).

    Attributes:
        name: Short name, e.g. "ring".
        means: (k, 2) centres of the k modes.
        std: Standard deviation of every mode, in both coordinates.
    """

    name: str
    means: tuple[tuple[float, float], ...]
    std: float

    def __post_init__(self) -> None:
        means = tuple((float(x), float(y)) for x, y in self.means)
        if not means or not all(math.isfinite(v) for m in means for v in m):
            raise Gan1dError("a mixture needs one or more finite (x, y) means")
        if not (math.isfinite(self.std) and self.std > 0):
            raise Gan1dError(f"std must be a positive number, got {self.std!r}")
        object.__setattr__(self, "means", means)

    @property
    def modes(self) -> np.ndarray:
        """(k, 2) float64 array of the means."""
        return np.array(self.means, dtype=np.float64)

    @property
    def bounds(self) -> Bounds:
        low, high = self.modes.min(axis=0) - 4 * self.std, self.modes.max(axis=0) + 4 * self.std
        return (float(low[0]), float(high[0])), (float(low[1]), float(high[1]))

    @property
    def scale(self) -> float:
        """The largest absolute coordinate of a mean (1 for ring, 4 for grid)."""
        return float(np.abs(self.modes).max()) or 1.0

    def describe(self) -> dict[str, object]:
        return {"kind": "mixture", "name": self.name, "modes": len(self.means), "std": self.std}

    def _sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        centres = self.modes[rng.integers(0, len(self.means), size=n)]
        return centres + self.std * rng.standard_normal((n, 2))

    def _sample_tensor(self, n: int, seed: Any) -> Any:
        import keras

        from gan1d.backend import random_normal, random_randint

        index = random_randint((n,), 0, len(self.means), seed)
        centres = keras.ops.take(keras.ops.convert_to_tensor(self.modes, dtype="float32"), index, axis=0)
        return centres + self.std * random_normal((n, 2), seed)


@dataclasses.dataclass(frozen=True)
class MoonsTarget(Target):
    """Two interleaving half circles (scikit-learn's "two moons"), for pictures.

    Attributes:
        name: "moons".
        noise: Standard deviation of the Gaussian noise added to each point.
    """

    name: str = "moons"
    noise: float = 0.05

    @property
    def bounds(self) -> Bounds:
        pad = 3 * self.noise
        return (-1.0 - pad, 2.0 + pad), (-0.5 - pad, 1.0 + pad)

    def describe(self) -> dict[str, object]:
        return {"kind": "moons", "name": self.name, "noise": self.noise}

    def _sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        t = rng.uniform(0.0, math.pi, n)
        lower = rng.integers(0, 2, n).astype(bool)
        points = np.stack([np.cos(t), np.sin(t)], axis=1)
        points[lower] = np.stack([1.0 - np.cos(t[lower]), 0.5 - np.sin(t[lower])], axis=1)
        return points + self.noise * rng.standard_normal((n, 2))

    def _sample_tensor(self, n: int, seed: Any) -> Any:
        from keras import ops

        from gan1d.backend import random_normal, random_randint, random_uniform

        t = random_uniform((n, 1), 0.0, math.pi, seed)
        lower = ops.cast(random_randint((n, 1), 0, 2, seed), "float32")
        upper_moon = ops.concatenate([ops.cos(t), ops.sin(t)], axis=1)
        lower_moon = ops.concatenate([1.0 - ops.cos(t), 0.5 - ops.sin(t)], axis=1)
        points = lower * lower_moon + (1.0 - lower) * upper_moon
        return points + self.noise * random_normal((n, 2), seed)


@dataclasses.dataclass(frozen=True)
class PointMass(Target):
    """Every real point at the origin: the Dirac-GAN's data (Mescheder et al. 2018).

    A point has no extent, so `bounds` is the square where the Dirac-GAN's
    generated point starts, which the pictures show.

    Attributes:
        name: "dirac".
    """

    name: str = "dirac"

    @property
    def bounds(self) -> Bounds:
        return (-1.0, 1.0), (-1.0, 1.0)

    @property
    def scale(self) -> float:
        return 1.0

    def describe(self) -> dict[str, object]:
        return {"kind": "point", "name": self.name, "at": [0.0, 0.0]}

    def _sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.zeros((n, 2))

    def _sample_tensor(self, n: int, seed: Any) -> Any:
        from keras import ops

        return ops.zeros((n, 2), "float32")


def _ring() -> MixtureTarget:
    # Angles 2*pi*k/8 for k = 0..7; linspace(0, 2*pi, 8) would repeat a mode.
    angles = [2 * math.pi * k / 8 for k in range(8)]
    return MixtureTarget("ring", tuple((math.cos(a), math.sin(a)) for a in angles), std=0.01)


def _grid() -> MixtureTarget:
    return MixtureTarget(
        "grid", tuple((float(x), float(y)) for x in range(-4, 5, 2) for y in range(-4, 5, 2)), std=0.05
    )


# Planar (non-curve) targets by name: the PacGAN/VEEGAN benchmarks and two moons.
PLANAR_TARGETS: Mapping[str, Callable[[], Target]] = MappingProxyType(
    {"ring": _ring, "grid": _grid, "moons": MoonsTarget, "dirac": PointMass}
)
