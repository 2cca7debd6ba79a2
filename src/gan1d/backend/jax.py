"""JAX glue: gradients by `jax.value_and_grad`, Keras's own optimizer update on values, `jax.jit` and
`jax.vmap`, and the GAN's state in and out of Keras's jitted `train_step(state, data)`.

Importing it also keeps TensorFlow out of the process where both frameworks are
installed (`keep_tensorflow_out`).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from typing import Any

import jax
import keras


def keep_tensorflow_out() -> None:
    """Tells Keras's serialization, once, that TensorFlow is not there, without importing it.

    `keras.saving.serialize_keras_object` (which `Model.save` and gan1d's program
    signatures use) first asks whether TensorFlow is installed, to recognise its
    shapes and dtypes, and finds out by importing it: seconds of start-up, and its
    CUDA log lines, for objects that never occur under JAX. Keras asks once per
    process and keeps the answer, so the question is put here while an import of
    TensorFlow fails. Nothing changes where TensorFlow is already imported (the
    user's choice), and TensorFlow can still be imported later; only Keras's
    serialization then leaves its types to the generic path.
    """
    if "tensorflow" in sys.modules:
        return
    # None in sys.modules is Python's "cannot be imported" marker.
    sys.modules["tensorflow"] = None  # type: ignore[assignment]
    try:
        keras.saving.serialize_keras_object(keras.initializers.Zeros())
    finally:
        if sys.modules.get("tensorflow", ...) is None:
            del sys.modules["tensorflow"]


keep_tensorflow_out()


def value_and_grad(fn: Callable[..., Any]) -> Callable[..., Any]:
    return jax.value_and_grad(fn, has_aux=True)


def input_gradient(fn: Callable[[Any], Any], points: Any) -> Any:
    """The gradient of `sum(fn(points))` with respect to `points`, differentiable again."""
    return jax.grad(lambda inputs: keras.ops.sum(fn(inputs)))(points)


def updates_are_pure(optimizer: keras.optimizers.Optimizer, variables: Sequence[keras.Variable]) -> bool:
    """Keras's `stateless_apply` touches no variable, for any optimizer."""
    return True


def apply_gradients(
    optimizer: keras.optimizers.Optimizer,
    optimizer_values: Sequence[Any],
    grads: Sequence[Any],
    weights: Sequence[Any],
    variables: Sequence[keras.Variable],
) -> tuple[list[Any], list[Any]]:
    """Keras's own update of any optimizer, on values."""
    new_weights, new_values = optimizer.stateless_apply(list(optimizer_values), list(grads), list(weights))
    return list(new_weights), list(new_values)


def compile_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    return jax.jit(fn)


def _export_function(fn: Callable[..., Any], args: Sequence[Any]) -> tuple[Callable[..., Any], bytes]:
    """`fn` traced once for arguments shaped like `args` (`jax.export`).

    Returns:
        The compiled function, and the traced program as bytes, which
        `load_function` turns back into it without running `fn`'s Python.
    """
    _serializable(args)
    shapes = jax.tree.map(lambda value: jax.ShapeDtypeStruct(value.shape, value.dtype), tuple(args))
    exported = jax.export.export(jax.jit(fn))(*shapes)
    return jax.jit(exported.call), bytes(exported.serialize())


def _load_function(program: bytes, args: Sequence[Any]) -> Callable[..., Any]:
    """The compiled function `export_function` returned with `program`, for arguments shaped like `args`.

    Raises:
        ValueError: Where `program` is not a program for such arguments on this platform.
    """
    _serializable(args)
    exported = jax.export.deserialize(bytearray(program))
    # What `Exported.call` takes: the positional arguments and no keywords.
    leaves, structure = jax.tree.flatten((tuple(args), {}))
    if str(exported.in_tree) != str(structure) or jax.default_backend() not in exported.platforms:
        raise ValueError("the stored program takes other arguments, or runs elsewhere")
    if [(a.shape, a.dtype) for a in exported.in_avals] != [(tuple(x.shape), x.dtype) for x in leaves]:
        raise ValueError("the stored program takes arguments of other shapes")
    return jax.jit(exported.call)


# Named tuples registered with `jax.export`, which refuses to register one twice.
_NAMED_TUPLES: set[type] = set()


def _serializable(tree: Any) -> None:
    """Registers the named tuples in `tree` (a `GANState`, say) for `jax.export`, under their qualified names.

    A program's results are expected to use only the named tuples of its arguments.
    """
    if isinstance(tree, dict):
        for value in tree.values():
            _serializable(value)
    elif isinstance(tree, list | tuple):
        kind = type(tree)
        if isinstance(tree, tuple) and hasattr(kind, "_fields") and kind not in _NAMED_TUPLES:
            jax.export.register_namedtuple_serialization(kind, serialized_name=f"{kind.__module__}.{kind.__qualname__}")
            _NAMED_TUPLES.add(kind)
        for value in tree:
            _serializable(value)


# `jax.export` serializes with flatbuffers (gan1d's `jax` extra installs it); without
# it no program is kept.
_SERIALIZES = importlib.util.find_spec("flatbuffers") is not None
export_function: Callable[[Callable[..., Any], Sequence[Any]], tuple[Callable[..., Any], bytes]] | None = (
    _export_function if _SERIALIZES else None
)
load_function: Callable[[bytes, Sequence[Any]], Callable[..., Any]] | None = _load_function if _SERIALIZES else None


def _vectorize(fn: Callable[..., Any]) -> Callable[..., Any]:
    # Batch over the first argument (the stacked states); the rest are shared.
    return jax.vmap(fn, in_axes=(0, None, None))


vectorize: Callable[[Callable[..., Any]], Callable[..., Any]] | None = _vectorize


# Keras's own random ops: JAX's default generator is already fast everywhere.
def random_normal(shape: tuple[Any, ...], seed: Any, dtype: str = "float32") -> Any:
    """Standard-normal draws of `shape`; `seed` as for `keras.random.normal`."""
    return keras.random.normal(shape, dtype=dtype, seed=seed)


def random_uniform(shape: tuple[Any, ...], minval: float, maxval: float, seed: Any, dtype: str = "float32") -> Any:
    """Uniform draws on [minval, maxval); `seed` as for `keras.random.uniform`."""
    return keras.random.uniform(shape, minval, maxval, dtype=dtype, seed=seed)


def random_randint(shape: tuple[Any, ...], minval: int, maxval: int, seed: Any) -> Any:
    """int32 draws on [minval, maxval); `seed` as for `keras.random.randint`."""
    return keras.random.randint(shape, minval, maxval, dtype="int32", seed=seed)


def from_keras(model: keras.Model, *args: Any) -> tuple[list[list[Any]], Any, Any]:
    """The values of `model.state_variables()` out of Keras's JAX state tuple.

    Keras's JAX `train_step(state, data)` gets every variable as a value, in four
    lists (trainable, non-trainable, optimizer, metrics). Where each field of the
    GAN's state lives in them is found at trace time, so a new `compile()` (another
    optimizer) is seen by the next trace.

    Returns:
        The state's fields (lists of values), the batch, and what `to_keras` needs.
    """
    state, data = args
    trainable, non_trainable, optimizer, metrics = (list(part) for part in state)
    sources = {"trainable": trainable, "non_trainable": non_trainable, "optimizer": optimizer}
    layout = _layout(
        model.state_variables(),
        {
            "trainable": model.trainable_variables,
            "non_trainable": model.non_trainable_variables,
            "optimizer": model.optimizer.variables,
        },
    )
    fields = [[sources[src][i] for i in idx] for src, idx in layout]
    return fields, data, (sources, layout, metrics)


def to_keras(model: keras.Model, carried: Any, fields: Sequence[Sequence[Any]], losses: dict[str, Any]) -> Any:
    """Keras's `(logs, state)`: the new values put back in its lists, the loss means updated on values."""
    sources, layout, metrics = carried
    for (src, idx), values in zip(layout, fields, strict=True):
        for i, value in zip(idx, values, strict=True):
            sources[src][i] = value
    logs = {}
    metric_index = {id(v): i for i, v in enumerate(model.metrics_variables)}
    for tracker in model.metrics:
        idx = [metric_index[id(v)] for v in tracker.variables]
        updated = tracker.stateless_update_state([metrics[i] for i in idx], losses[tracker.name])
        for i, v in zip(idx, updated, strict=True):
            metrics[i] = v
        logs[tracker.name] = tracker.stateless_result(updated)
    return logs, (sources["trainable"], sources["non_trainable"], sources["optimizer"], metrics)


def _layout(
    fields: Sequence[Sequence[keras.Variable]], lists: dict[str, Sequence[keras.Variable]]
) -> list[tuple[str, list[int]]]:
    """For each state field, the Keras state list holding its variables and their positions."""
    where = {id(v): (name, i) for name, variables in lists.items() for i, v in enumerate(variables)}
    layout = []
    for variables in fields:
        places = [where[id(v)] for v in variables]
        names = {name for name, _ in places} or {"trainable"}
        if len(names) != 1:
            raise RuntimeError("a GAN state field spans several Keras state lists")
        layout.append((names.pop(), [i for _, i in places]))
    return layout
