"""The ways a GAN can train, by name: objectives, gradient penalties, latent noises, optimizers.

Plain names, free of any framework, so that a config can offer and check them
before Keras is imported; `gan1d.core.losses` and `gan1d.core.gan` give them their
meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "BETA_OPTIMIZERS",
    "CROSS_ENTROPY",
    "MAX_STEPS_PER_ROUND",
    "MOMENTUM_OPTIMIZERS",
    "NOISES",
    "OBJECTIVES",
    "OPTIMIZERS",
    "PENALTIES",
    "PENALTY_WEIGHTS",
    "RAW_SCORE",
]

OBJECTIVES = ("nonsaturating", "minimax", "least-squares", "hinge", "wasserstein")
# The objectives whose score is a probability or its logit, scored by binary cross-entropy.
CROSS_ENTROPY = ("nonsaturating", "minimax")
# Those that read the discriminator's raw score: its output layer must be linear.
RAW_SCORE = ("least-squares", "hinge", "wasserstein")

PENALTIES = ("none", "r1", "r2", "wgan-gp")
# Each penalty's usual weight: WGAN-GP's lambda (Gulrajani et al. 2017); for R1 and
# R2 a gamma that suits points of unit size.
PENALTY_WEIGHTS: Mapping[str, float] = MappingProxyType({"none": 0.0, "r1": 1.0, "r2": 1.0, "wgan-gp": 10.0})

NOISES = ("normal", "uniform")

# Discriminator or generator updates in one round, as GAN Lab offers them.
MAX_STEPS_PER_ROUND = 10

# Keras's optimizers: the name gan1d takes -> the class in `keras.optimizers`.
OPTIMIZERS: Mapping[str, str] = MappingProxyType(
    {
        "adam": "Adam",
        "sgd": "SGD",
        "rmsprop": "RMSprop",
        "adamw": "AdamW",
        "adagrad": "Adagrad",
        "adadelta": "Adadelta",
        "adamax": "Adamax",
        "nadam": "Nadam",
        "lion": "Lion",
        "lamb": "Lamb",
        "ftrl": "Ftrl",
        "adafactor": "Adafactor",
    }
)
# Which of them take a momentum, and which Adam's two decays.
MOMENTUM_OPTIMIZERS = ("sgd", "rmsprop")
# (Lion keeps its own betas: the defaults here are tuned for Adam.)
BETA_OPTIMIZERS = ("adam", "adamw", "adamax", "nadam", "lamb")
