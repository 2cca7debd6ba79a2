"""TensorFlow glue: gradients by `GradientTape`, state written back to variables."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import tensorflow as tf


def value_and_grad(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(weights: list[Any], aux: Any) -> tuple[tuple[Any, Any], list[Any]]:
        with tf.GradientTape() as tape:
            tape.watch(weights)
            loss, aux = fn(weights, aux)
        return (loss, aux), tape.gradient(loss, weights)

    return wrapped


def apply_gradients(
    optimizer: keras.optimizers.Optimizer,
    optimizer_values: list[Any],
    grads: list[Any],
    weights: list[Any],
    variables: Sequence[keras.Variable],
) -> tuple[list[Any], list[Any]]:
    # TF optimizers only update tf.Variables (for tf.distribute), so the values go
    # through the variables; inside a compiled loop these are cheap in-place writes.
    for variable, value in zip(variables, weights, strict=True):
        variable.assign(value)
    for variable, value in zip(optimizer.variables, optimizer_values, strict=True):
        variable.assign(value)
    optimizer.apply(grads, list(variables))
    return [tf.convert_to_tensor(v.value) for v in variables], [
        tf.convert_to_tensor(v.value) for v in optimizer.variables
    ]


def compile_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    return tf.function(fn, jit_compile=False, reduce_retracing=True)


# TensorFlow cannot map the loop over a batch of states (the optimizer updates
# variables in place), so copies of a GAN train one after another.
vectorize = None


class BackendGAN(keras.Model):
    """Runs the pure `GAN.step` on the variables' values and assigns the result."""

    def train_step(self, data: Any) -> dict[str, Any]:
        real = data[0] if isinstance(data, tuple) else data
        state, d_loss, g_loss = self.step(self.read_state(), real)  # type: ignore[attr-defined]
        self.write_state(state)  # type: ignore[attr-defined]
        self.d_loss_tracker.update_state(d_loss)  # type: ignore[attr-defined]
        self.g_loss_tracker.update_state(g_loss)  # type: ignore[attr-defined]
        return {m.name: m.result() for m in self.metrics}
