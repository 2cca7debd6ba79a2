"""What every backend's glue may ask of the GAN: its state as values, and its pure step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import keras
from keras import ops

__all__ = ["GANState", "StepHooks"]


class GANState(NamedTuple):
    """Every value one training step reads and writes, as backend tensors.

    The same structure holding `keras.Variable`s (`StepHooks.state_variables`) says
    where each value lives.
    """

    d_weights: Sequence[Any]
    d_state: Sequence[Any]
    g_weights: Sequence[Any]
    g_state: Sequence[Any]
    d_optimizer: Sequence[Any]
    g_optimizer: Sequence[Any]
    seed: Sequence[Any]


class StepHooks(keras.Model):
    """A `keras.Model` whose training is one pure `step` over a `GANState`.

    The backend classes derive from this and adapt Keras's `train_step` of their
    backend to `step`; `gan1d.GAN` implements the hooks.
    """

    def state_variables(self) -> GANState:
        """The variables behind each field of the state (`seed` holds one)."""
        raise NotImplementedError

    def step(self, state: GANState, real: Any) -> tuple[GANState, Any, Any]:
        """One training step on a batch of real points; returns the new state and both losses."""
        raise NotImplementedError

    @property
    def loss_trackers(self) -> tuple[keras.metrics.Metric, keras.metrics.Metric]:
        """The `d_loss` and `g_loss` means that `fit()` reports."""
        raise NotImplementedError

    def read_state(self) -> GANState:
        """The current values of every variable of the state."""
        return GANState(*([ops.convert_to_tensor(v.value) for v in field] for field in self.state_variables()))

    def write_state(self, state: GANState) -> None:
        """Assigns `state` to the variables."""
        for variables, values in zip(self.state_variables(), state, strict=True):
            for variable, value in zip(variables, values, strict=True):
                variable.assign(value)
