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
    if _plain_adam(optimizer):
        return _adam_on_values(optimizer, optimizer_values, grads, weights)
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


def _plain_adam(optimizer: keras.optimizers.Optimizer) -> bool:
    """Adam with none of the options `_adam_on_values` leaves out."""
    return (
        type(optimizer) is keras.optimizers.Adam
        and not optimizer.amsgrad
        and not optimizer.weight_decay
        and optimizer.clipnorm is None
        and optimizer.clipvalue is None
        and optimizer.global_clipnorm is None
        and not optimizer.use_ema
        and optimizer.gradient_accumulation_steps is None
        and optimizer.loss_scale_factor is None
    )


def _adam_on_values(
    optimizer: keras.optimizers.Optimizer, values: list[Any], grads: list[Any], weights: list[Any]
) -> tuple[list[Any], list[Any]]:
    """Keras's Adam update computed on values, as `stateless_apply` would under JAX.

    Keras's TF Adam repeats its scalar work for every variable and must go through
    tf.Variables; on values the step has half the operations (benchmarks/README.md),
    with the same losses.
    """
    index = {id(v): i for i, v in enumerate(optimizer.variables)}
    iteration = values[index[id(optimizer.iterations)]]
    rate = optimizer._learning_rate  # a Variable, or a schedule of the iteration
    if isinstance(rate, keras.Variable):
        learning_rate = values[index[id(rate)]]
    elif callable(rate):
        learning_rate = rate(iteration)
    else:
        learning_rate = rate
    learning_rate = tf.cast(learning_rate, tf.float32)
    step = tf.cast(iteration + 1, tf.float32)
    beta_1, beta_2 = optimizer.beta_1, optimizer.beta_2
    alpha = learning_rate * tf.sqrt(1.0 - beta_2**step) / (1.0 - beta_1**step)
    new_values = list(values)
    new_values[index[id(optimizer.iterations)]] = iteration + 1
    new_weights = []
    for weight, grad, m_var, v_var in zip(weights, grads, optimizer._momentums, optimizer._velocities, strict=True):
        m = values[index[id(m_var)]]
        v = values[index[id(v_var)]]
        m = m + (grad - m) * (1.0 - beta_1)
        v = v + (grad * grad - v) * (1.0 - beta_2)
        new_values[index[id(m_var)]] = m
        new_values[index[id(v_var)]] = v
        new_weights.append(weight - alpha * m / (tf.sqrt(v) + optimizer.epsilon))
    return new_weights, new_values


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
