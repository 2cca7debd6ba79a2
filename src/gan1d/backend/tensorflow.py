"""TensorFlow glue: gradients by `GradientTape`, loops compiled by XLA, Philox draws, Adam on values."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import keras
import tensorflow as tf
from keras import ops


def value_and_grad(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(weights: list[Any], aux: Any) -> tuple[tuple[Any, Any], list[Any]]:
        with tf.GradientTape() as tape:
            tape.watch(weights)
            loss, aux = fn(weights, aux)
        return (loss, aux), tape.gradient(loss, weights)

    return wrapped


def input_gradient(fn: Callable[[Any], Any], points: Any) -> Any:
    """The gradient of `sum(fn(points))` with respect to `points`, differentiable again.

    Inside `value_and_grad`'s tape, this tape's gradient is itself recorded, so a
    loss holding it (a gradient penalty) is differentiated twice.
    """
    with tf.GradientTape() as tape:
        tape.watch(points)
        total = tf.reduce_sum(fn(points))
    return tape.gradient(total, points)


def updates_are_pure(optimizer: keras.optimizers.Optimizer, variables: Sequence[keras.Variable]) -> bool:
    """Whether `apply_gradients` updates this optimizer on values alone (plain Adam)."""
    return adam_slots(optimizer, variables) is not None


def apply_gradients(
    optimizer: keras.optimizers.Optimizer,
    optimizer_values: Sequence[Any],
    grads: Sequence[Any],
    weights: Sequence[Any],
    variables: Sequence[keras.Variable],
) -> tuple[list[Any], list[Any]]:
    """One update by the Keras optimizer, on values.

    Plain Adam is updated on values (`adam_apply`), touching no variable.
    Any other optimizer goes through Keras's own code, which TensorFlow runs only
    on variables (its optimizers refuse `stateless_apply`, for tf.distribute): the
    values are assigned to the variables, `apply` updates them, and the new values
    are read back; inside a compiled loop these are in-place writes.
    """
    layout = adam_slots(optimizer, variables)
    if layout is not None:
        return adam_apply(optimizer, layout, optimizer_values, grads, weights)
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


def from_keras(model: keras.Model, *args: Any) -> tuple[list[list[Any]], Any, Any]:
    """The values of `model.state_variables()`: Keras's TensorFlow `train_step(data)` passes only the batch."""
    (data,) = args
    return [list(field) for field in model.read_state()], data, None


def to_keras(
    model: keras.Model, carried: Any, fields: Sequence[Sequence[Any]], losses: dict[str, Any]
) -> dict[str, Any]:
    """Keras's logs: the new values assigned to the variables, the loss means updated."""
    model.write_state(fields)
    for tracker in model.metrics:
        tracker.update_state(losses[tracker.name])
    return {tracker.name: tracker.result() for tracker in model.metrics}


# ----- Adam on values -------------------------------------------------------------
#
# Keras's Adam as a pure function of its variables' values.
#
# TensorFlow's Keras optimizers refuse `stateless_apply`, so a compiled step there
# would have to update the optimizer's variables in place, and a compiled loop
# would belong to one GAN. This is the same update that `keras.optimizers.Adam`
# makes, written once in `keras.ops` on the values of that optimizer's own
# variables (so saving, loading, `resume` and callbacks that set the learning rate
# see one state). It covers plain Adam with any learning rate (a number, a
# `LearningRateSchedule` or a callable of no arguments); `slots` returns None for
# anything else (a subclass, amsgrad, clipping, weight decay, EMA, loss scaling,
# gradient accumulation, constrained weights), which then keeps Keras's own path.


@dataclasses.dataclass(frozen=True)
class AdamSlots:
    """Where Adam keeps each value in `optimizer.variables`: positions in that list."""

    iterations: int
    momentums: tuple[int, ...]
    velocities: tuple[int, ...]


def adam_slots(optimizer: keras.optimizers.Optimizer, variables: Sequence[keras.Variable]) -> AdamSlots | None:
    """The layout of a plain Adam built on `variables`, or None where `adam_apply` does not cover it.

    Reads only public attributes. Keras builds Adam's slots as a momentum and a
    velocity per variable, in the variables' order, after its step counter and
    learning rate; the names and shapes are checked, so an optimizer laid out
    otherwise is left to Keras.
    """
    if type(optimizer) is not keras.optimizers.Adam or not optimizer.built:
        return None
    if optimizer.amsgrad or optimizer.use_ema or optimizer.weight_decay or optimizer.gradient_accumulation_steps:
        return None
    if any(
        value is not None
        for value in (optimizer.clipnorm, optimizer.clipvalue, optimizer.global_clipnorm, optimizer.loss_scale_factor)
    ):
        return None
    if any(v.constraint is not None or v.overwrite_with_gradient for v in variables):
        return None
    own = list(optimizer.variables)
    first = len(own) - 2 * len(variables)
    positions = [i for i, v in enumerate(own) if v is optimizer.iterations]
    if first < 1 or positions != [positions[0]] or positions[0] >= first:
        return None
    momentums = tuple(range(first, len(own), 2))
    velocities = tuple(range(first + 1, len(own), 2))
    for variable, m, v in zip(variables, momentums, velocities, strict=True):
        shape = tuple(variable.shape)
        if not (own[m].name.endswith("_momentum") and own[v].name.endswith("_velocity")):
            return None
        if tuple(own[m].shape) != shape or tuple(own[v].shape) != shape:
            return None
    return AdamSlots(positions[0], momentums, velocities)


def adam_apply(
    optimizer: keras.optimizers.Optimizer,
    layout: AdamSlots,
    optimizer_values: Sequence[Any],
    grads: Sequence[Any],
    weights: Sequence[Any],
) -> tuple[list[Any], list[Any]]:
    """One Adam update on values, as `Optimizer.stateless_apply` returns it.

    Args:
        optimizer: The Adam whose settings and learning rate are used.
        layout: `adam_slots(optimizer, variables)`.
        optimizer_values: Values of `optimizer.variables`, in order.
        grads: One gradient per weight.
        weights: Values of the variables the optimizer was built on.

    Returns:
        The new weights and the new values of `optimizer.variables`.
    """
    values = list(optimizer_values)
    # The learning rate as Keras computes it (a schedule of the step counter, a
    # callable, or the rate variable that callbacks set), read from the values.
    with keras.StatelessScope(state_mapping=list(zip(optimizer.variables, values, strict=True))):
        # A tensor computed inside the scope: the rate variable itself would be read outside it.
        rate = ops.add(optimizer.learning_rate, 0.0)
    iterations = values[layout.iterations]
    new_weights = []
    for weight, grad, m_at, v_at in zip(weights, grads, layout.momentums, layout.velocities, strict=True):
        dtype = weight.dtype
        lr = ops.cast(rate, dtype)
        grad = ops.cast(grad, dtype)
        local_step = ops.cast(iterations + 1, dtype)
        beta_1_power = ops.power(ops.cast(optimizer.beta_1, dtype), local_step)
        beta_2_power = ops.power(ops.cast(optimizer.beta_2, dtype), local_step)
        alpha = lr * ops.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m, v = values[m_at], values[v_at]
        m = ops.add(m, ops.cast(ops.multiply(ops.subtract(grad, m), 1 - optimizer.beta_1), m.dtype))
        v = ops.add(v, ops.cast(ops.multiply(ops.subtract(ops.square(grad), v), 1 - optimizer.beta_2), v.dtype))
        values[m_at], values[v_at] = m, v
        step = ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(v), optimizer.epsilon))
        new_weights.append(ops.subtract(weight, ops.cast(step, dtype)))
    values[layout.iterations] = iterations + 1
    return new_weights, values
