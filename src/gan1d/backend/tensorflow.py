"""TensorFlow glue: gradients by `GradientTape`, loops compiled by XLA, Philox draws, Adam on values."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import tensorflow as tf

from gan1d.backend import adam
from gan1d.backend.base import StepHooks


def value_and_grad(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(weights: list[Any], aux: Any) -> tuple[tuple[Any, Any], list[Any]]:
        with tf.GradientTape() as tape:
            tape.watch(weights)
            loss, aux = fn(weights, aux)
        return (loss, aux), tape.gradient(loss, weights)

    return wrapped


def updates_are_pure(optimizer: keras.optimizers.Optimizer, variables: Sequence[keras.Variable]) -> bool:
    """Whether `apply_gradients` updates this optimizer on values alone (plain Adam)."""
    return adam.slots(optimizer, variables) is not None


def apply_gradients(
    optimizer: keras.optimizers.Optimizer,
    optimizer_values: Sequence[Any],
    grads: Sequence[Any],
    weights: Sequence[Any],
    variables: Sequence[keras.Variable],
) -> tuple[list[Any], list[Any]]:
    """One update by the Keras optimizer, on values.

    Plain Adam is updated on values (`gan1d.backend.adam`), touching no variable.
    Any other optimizer goes through Keras's own code, which TensorFlow runs only
    on variables (its optimizers refuse `stateless_apply`, for tf.distribute): the
    values are assigned to the variables, `apply` updates them, and the new values
    are read back; inside a compiled loop these are in-place writes.
    """
    layout = adam.slots(optimizer, variables)
    if layout is not None:
        return adam.apply(optimizer, layout, optimizer_values, grads, weights)
    for variable, value in zip(variables, weights, strict=True):
        variable.assign(value)
    for variable, value in zip(optimizer.variables, optimizer_values, strict=True):
        variable.assign(value)
    optimizer.apply(list(grads), list(variables))
    # Read as new tensors: a later assignment must not change what was returned.
    return [tf.identity(v.value) for v in variables], [tf.identity(v.value) for v in optimizer.variables]


def compile_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    # XLA: a GAN step is dozens of tiny ops, and fusing them makes the loop about
    # as fast as a hand-written one (the plain graph runs each op on its own).
    # No autograph: the code also runs under jax.jit, so it has no Python control
    # flow on tensors, and converting Keras's layers would take seconds per trace.
    compiled: Callable[..., Any] = tf.function(fn, jit_compile=True, reduce_retracing=True, autograph=False)
    return compiled


# TensorFlow cannot map the loop over a batch of states in one computation, so
# copies of a GAN train one after another.
vectorize = None


# ----- random draws ------------------------------------------------------------
#
# Keras's TensorFlow random ops ask for alg="auto_select", which XLA compiles on a
# CPU to a generator several times slower than Philox; these draw with Philox.
# Integer draws are the same with and without XLA; XLA turns the bits into floats
# its own way, so compiled float draws are another, as deterministic, stream.


def _seed(seed: Any) -> Any:
    """The (2,) seed of one draw: a `SeedGenerator`'s next seed, `[seed, 0]` for an int, or a seed tensor."""
    if isinstance(seed, keras.random.SeedGenerator):
        return seed.next()
    if isinstance(seed, int):
        return tf.constant([seed, 0], tf.int64)
    return seed


def random_normal(shape: tuple[Any, ...], seed: Any, dtype: str = "float32") -> Any:
    """Standard-normal draws of `shape`; `seed` as for `keras.random.normal`."""
    if seed is None:
        return keras.random.normal(shape, dtype=dtype)
    return tf.random.stateless_normal(shape, seed=_seed(seed), dtype=dtype, alg="philox")


def random_uniform(shape: tuple[Any, ...], minval: float, maxval: float, seed: Any, dtype: str = "float32") -> Any:
    """Uniform draws on [minval, maxval); `seed` as for `keras.random.uniform`."""
    if seed is None:
        return keras.random.uniform(shape, minval, maxval, dtype=dtype)
    return tf.random.stateless_uniform(
        shape, seed=_seed(seed), minval=tf.cast(minval, dtype), maxval=tf.cast(maxval, dtype), dtype=dtype, alg="philox"
    )


def random_randint(shape: tuple[Any, ...], minval: int, maxval: int, seed: Any) -> Any:
    """int32 draws on [minval, maxval); `seed` as for `keras.random.randint`."""
    if seed is None:
        return keras.random.randint(shape, minval, maxval, dtype="int32")
    return tf.random.stateless_uniform(
        shape, seed=_seed(seed), minval=minval, maxval=maxval, dtype=tf.int32, alg="philox"
    )


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
