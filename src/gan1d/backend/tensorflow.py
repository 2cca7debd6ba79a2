"""TensorFlow glue: gradients by `GradientTape`, loops compiled by XLA, Philox draws, Adam on values."""

from __future__ import annotations

import dataclasses
import io
import json
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
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


# ----- traced functions kept as bytes: a SavedModel ---------------------------------
#
# A SavedModel keeps a traced `tf.function`'s graph: loading it back (a third of a
# second for the training loop) skips tracing it (over a second). Its function takes
# and returns flat lists of tensors, so the structure of the results is kept beside
# it. The run that saves it runs it loaded too: the saving traces it in a context of
# its own, and tracing it again to run it would cost what loading saves. XLA's
# persistent cache knows a program by the names TensorFlow numbers its functions
# with, per process, so the first run to load the graph compiles it once more, and
# the runs after it find that program.


def _export_function(fn: Callable[..., Any], args: Sequence[Any]) -> tuple[Callable[..., Any], bytes]:
    """`fn` traced once for arguments shaped like `args`: the compiled function, and a SavedModel of it as bytes."""
    template = tuple(args)
    specs = [tf.TensorSpec(value.shape, value.dtype) for value in tf.nest.flatten(template)]
    results: list[Any] = []

    def flat(*values: Any) -> list[Any]:
        result = fn(*tf.nest.pack_sequence_as(template, list(values)))
        results.append(result)
        return list(tf.nest.flatten(result))

    module = tf.Module()
    # Traced once, by the saving itself.
    module.run = tf.function(flat, input_signature=specs, jit_compile=True, autograph=False)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="gan1d-saved-") as folder:
        tf.saved_model.save(module, folder)
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            archive.add(folder, arcname="model")
        loaded = tf.saved_model.load(folder)
    structure = _structure(results[-1])
    header = json.dumps(structure).encode()
    program = len(header).to_bytes(8, "little") + header + buffer.getvalue()
    return _structured(loaded.run, structure, template), program


def _load_function(program: bytes, args: Sequence[Any]) -> Callable[..., Any]:
    """The compiled function `export_function` returned with `program`, for arguments shaped like `args`.

    Raises:
        ValueError: Where `program` is not a program for such arguments.
    """
    size = int.from_bytes(program[:8], "little")
    structure = json.loads(program[8 : 8 + size])
    with tempfile.TemporaryDirectory(prefix="gan1d-saved-") as folder:
        with tarfile.open(fileobj=io.BytesIO(program[8 + size :])) as archive:
            archive.extractall(folder, filter="data")
        loaded = tf.saved_model.load(str(Path(folder) / "model"))
    template = tuple(args)
    specs, _ = loaded.run.concrete_functions[0].structured_input_signature
    values = tf.nest.flatten(template)
    if [(tuple(s.shape), s.dtype) for s in specs] != [(tuple(v.shape), v.dtype) for v in values]:
        raise ValueError("the stored program takes arguments of other shapes")
    return _structured(loaded.run, structure, template)


def _structured(flat: Callable[..., Any], structure: Any, template: tuple[Any, ...]) -> Callable[..., Any]:
    """A function of flat tensors as one of `template`'s structure, returning `structure`'s."""
    named = _named_tuples(template)

    def call(*args: Any) -> Any:
        return _rebuild(structure, iter(flat(*tf.nest.flatten(args))), named)

    return call


def _structure(tree: Any) -> Any:
    """The nesting of a result as JSON: lists, tuples, named tuples (by name) and dicts; None for a tensor."""
    if isinstance(tree, dict):
        return {"dict": [[key, _structure(tree[key])] for key in sorted(tree)]}
    if isinstance(tree, tuple) and hasattr(type(tree), "_fields"):
        return {"named": type(tree).__qualname__, "items": [_structure(value) for value in tree]}
    if isinstance(tree, list | tuple):
        return {type(tree).__name__: [_structure(value) for value in tree]}
    return None


def _rebuild(structure: Any, leaves: Any, named: dict[str, type]) -> Any:
    if structure is None:
        return next(leaves)
    if "dict" in structure:
        return {key: _rebuild(value, leaves, named) for key, value in structure["dict"]}
    if "named" in structure:
        items = [_rebuild(value, leaves, named) for value in structure["items"]]
        kind = named.get(structure["named"])
        return kind(*items) if kind is not None else tuple(items)
    ((kind, items),) = structure.items()
    values = [_rebuild(value, leaves, named) for value in items]
    return values if kind == "list" else tuple(values)


def _named_tuples(tree: Any) -> dict[str, type]:
    """The named tuple classes in `tree`, by name: a result is rebuilt with its arguments' own classes."""
    found: dict[str, type] = {}
    if isinstance(tree, dict):
        for value in tree.values():
            found.update(_named_tuples(value))
    elif isinstance(tree, list | tuple):
        if isinstance(tree, tuple) and hasattr(type(tree), "_fields"):
            found[type(tree).__qualname__] = type(tree)
        for value in tree:
            found.update(_named_tuples(value))
    return found


export_function: Callable[[Callable[..., Any], Sequence[Any]], tuple[Callable[..., Any], bytes]] | None = (
    _export_function
)
load_function: Callable[[bytes, Sequence[Any]], Callable[..., Any]] | None = _load_function


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
