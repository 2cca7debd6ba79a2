"""Both networks' optimizers as the one `model.optimizer` Keras expects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

__all__ = ["GANOptimizers"]


class GANOptimizers(keras.optimizers.MultiOptimizer):
    """Both networks' optimizers as the one `model.optimizer` Keras expects.

    Under JAX, Keras threads only `model.optimizer`'s variables through a compiled
    step, so both optimizers ride in this one; `GAN.step` still applies them one
    after the other. Setting `learning_rate` (as `LearningRateScheduler` and
    `ReduceLROnPlateau` do) sets both networks' rates; reading it gives the
    generator's.
    """

    def __init__(
        self,
        d_optimizer: keras.optimizers.Optimizer,
        g_optimizer: keras.optimizers.Optimizer,
        discriminator_variables: Sequence[keras.Variable],
    ) -> None:
        ids = {id(v) for v in discriminator_variables}
        super().__init__(lambda v: d_optimizer if id(v) in ids else g_optimizer, name="gan_optimizers")
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    @property
    def learning_rate(self) -> Any:
        return self.g_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self.d_optimizer.learning_rate = value
        self.g_optimizer.learning_rate = value

    @property
    def iterations(self) -> keras.Variable:
        return self.g_optimizer.iterations
