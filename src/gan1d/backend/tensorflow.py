"""TensorFlow glue: gradients by `GradientTape`, optimizer updates through Keras's variables."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import tensorflow as tf

from gan1d.backend.base import StepHooks

# Updates go through the optimizer's variables, so a compiled loop belongs to one GAN.
PURE_UPDATES = False


def value_and_grad(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(weights: list[Any], aux: Any) -> tuple[tuple[Any, Any], list[Any]]:
        with tf.GradientTape() as tape:
            tape.watch(weights)
            loss, aux = fn(weights, aux)
        return (loss, aux), tape.gradient(loss, weights)

    return wrapped


def apply_gradients(
    optimizer: keras.optimizers.Optimizer,
    optimizer_values: Sequence[Any],
    grads: Sequence[Any],
    weights: Sequence[Any],
    variables: Sequence[keras.Variable],
) -> tuple[list[Any], list[Any]]:
    """Keras's own update of any optimizer, on values, through its variables.

    TensorFlow's optimizers refuse `stateless_apply` (for tf.distribute), so the
    values are assigned to the variables, `apply` updates them, and the new values
    are read back; inside a compiled loop these are in-place writes.
    """
    for variable, value in zip(variables, weights, strict=True):
        variable.assign(value)
    for variable, value in zip(optimizer.variables, optimizer_values, strict=True):
        variable.assign(value)
    optimizer.apply(list(grads), list(variables))
    # Read as new tensors: a later assignment must not change what was returned.
    return [tf.identity(v.value) for v in variables], [tf.identity(v.value) for v in optimizer.variables]


def compile_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    compiled: Callable[..., Any] = tf.function(fn, jit_compile=False, reduce_retracing=True)
    return compiled


# TensorFlow cannot map the loop over a batch of states (the optimizer updates
# variables in place), so copies of a GAN train one after another.
vectorize = None


class BackendGAN(StepHooks):
    """Runs the pure `step` on the variables' values and assigns the result."""

    def train_step(self, data: Any) -> dict[str, Any]:
        real = data[0] if isinstance(data, tuple) else data
        state, d_loss, g_loss = self.step(self.read_state(), real)
        self.write_state(state)
        d_tracker, g_tracker = self.loss_trackers
        d_tracker.update_state(d_loss)
        g_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}
