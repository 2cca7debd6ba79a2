"""The presets: named sets of settings on top of `TrainConfig`'s defaults (docs/presets.md)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["PRESETS"]

# Settings per preset, on top of the field defaults (which are the `default` preset).
PRESETS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        # Tuned on curves (docs/presets.md): logits, Adam(beta_1=0.5) with a high
        # learning rate decayed to 0 by a cosine, a 2-D latent and a 2-layer
        # generator. It adapts to the curve: the graph generator on every curve,
        # with Fourier features of x where the curve's shape needs them.
        "default": {},
        # machinelearningmastery's 1D GAN, as the seed article trains it with fit().
        "seed": {
            "latent_dim": 5,
            "batch_size": 64,
            "generator_units": (15,),
            "discriminator_units": (25,),
            "learning_rate": 1e-3,
            "activation": "relu",
            "logits": False,
            "beta_1": 0.9,
            "schedule": "constant",
            "generator": "plain",
        },
        # The Dirac-GAN of Mescheder et al. 2018: real points all at the origin, a
        # generated point (theta, 0), a linear discriminator psi*x, plain gradient
        # descent from (theta, psi) = (1, 1). Training methods are compared on it
        # by how close they bring (theta, psi) to (0, 0) (docs/lab.md).
        "dirac": {
            "function": "dirac",
            "generator": "dirac",
            "latent_dim": 1,
            "batch_size": 64,
            "epochs": 2000,
            "optimizer": "sgd",
            "learning_rate": 0.1,
            "schedule": "constant",
            "anneal_noise": False,
            "snapshot_every": 10,
            "snapshot_points": 8,
        },
        # The planar mode-collapse benchmarks, ring and grid (docs/presets.md).
        "planar": {
            "epochs": 12000,
            "batch_size": 512,
            "generator_units": (128, 128, 128),
            "discriminator_units": (128, 128, 128),
            "learning_rate": 3e-3,
            "activation": "relu",
            "discriminator_activation": "leaky_relu",
            "normalize": True,
            "residual": True,
            "generator": "plain",
        },
    }
)
