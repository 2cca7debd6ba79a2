"""Keras's Adam as a pure function of its variables' values.

TensorFlow's Keras optimizers refuse `stateless_apply`, so a compiled step there
would have to update the optimizer's variables in place, and a compiled loop
would belong to one GAN. This is the same update that `keras.optimizers.Adam`
makes, written once in `keras.ops` on the values of that optimizer's own
variables (so saving, loading, `resume` and callbacks that set the learning rate
see one state). It covers plain Adam with any learning rate (a number, a
`LearningRateSchedule` or a callable of no arguments); `slots` returns None for
anything else (a subclass, amsgrad, clipping, weight decay, EMA, loss scaling,
gradient accumulation, constrained weights), which then keeps Keras's own path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

__all__ = ["AdamSlots", "apply", "slots"]


@dataclasses.dataclass(frozen=True)
class AdamSlots:
    """Where Adam keeps each value in `optimizer.variables`: positions in that list."""

    iterations: int
    momentums: tuple[int, ...]
    velocities: tuple[int, ...]


def slots(optimizer: keras.optimizers.Optimizer, variables: Sequence[keras.Variable]) -> AdamSlots | None:
    """The layout of a plain Adam built on `variables`, or None where `apply` does not cover it.

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


def apply(
    optimizer: keras.optimizers.Optimizer,
    layout: AdamSlots,
    optimizer_values: Sequence[Any],
    grads: Sequence[Any],
    weights: Sequence[Any],
) -> tuple[list[Any], list[Any]]:
    """One Adam update on values, as `Optimizer.stateless_apply` returns it.

    Args:
        optimizer: The Adam whose settings and learning rate are used.
        layout: `slots(optimizer, variables)`.
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
