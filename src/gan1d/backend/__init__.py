"""Per-backend glue, chosen once at import from `keras.backend.backend()`.

Each backend module provides the same names:

- `from_keras(model, *args)` and `to_keras(model, carried, fields, losses)`: the
  only difference between the backends' `keras.Model.train_step`. The first reads
  the GAN's state (the values of `model.state_variables()`) and the batch from
  what Keras passes; the second hands the new state and the losses back as Keras
  expects (TensorFlow: assigned to the variables, logs returned; JAX: the new
  state tuple returned with the logs).
- `value_and_grad(fn)`: `fn(weights, aux) -> (loss, aux)` becomes
  `(weights, aux) -> ((loss, aux), grads)`.
- `apply_gradients(optimizer, optimizer_values, grads, weights, variables)`: one
  update by the Keras optimizer, on values, returning `(weights, optimizer_values)`
  like `Optimizer.stateless_apply` (which TensorFlow's optimizers refuse).
- `input_gradient(fn, points)`: the gradient of `sum(fn(points))` with respect to
  `points`, which a loss may hold and be differentiated again (gradient penalties).
- `compile_function(fn)`: compiles a function of tensors (`jax.jit`, `tf.function`).
- `export_function(fn, args)` and `load_function(program, args)`: `fn` traced once and
  kept as bytes, and those bytes compiled again without tracing (`jax.export`); None
  where the backend keeps no programs.
- `vectorize(fn)`: maps `fn(state, ...)` over a batch of states in one computation
  (`jax.vmap`), or None where the backend cannot.
- `updates_are_pure(optimizer, variables)`: whether `apply_gradients` touches no
  variable for this optimizer (any optimizer under JAX, plain Adam under
  TensorFlow), so one compiled loop can serve every GAN of the same structure.
- `random_normal`, `random_uniform`, `random_randint`: the step's random draws,
  seeded like `keras.random`'s (a `SeedGenerator` inside a `StatelessScope`, in
  compiled code); Keras's own ops under JAX, Philox under TensorFlow.
"""

from __future__ import annotations

import keras

from gan1d.errors import Gan1dError

match keras.backend.backend():
    case "jax":
        from gan1d.backend.jax import (
            apply_gradients,
            compile_function,
            export_function,
            from_keras,
            input_gradient,
            load_function,
            random_normal,
            random_randint,
            random_uniform,
            to_keras,
            updates_are_pure,
            value_and_grad,
            vectorize,
        )
    case "tensorflow":
        from gan1d.backend.tensorflow import (
            apply_gradients,
            compile_function,
            export_function,
            from_keras,
            input_gradient,
            load_function,
            random_normal,
            random_randint,
            random_uniform,
            to_keras,
            updates_are_pure,
            value_and_grad,
            vectorize,
        )
    case other:
        raise Gan1dError(f"KERAS_BACKEND={other!r} is not supported by gan1d; use jax or tensorflow")

__all__ = [
    "apply_gradients",
    "compile_function",
    "export_function",
    "from_keras",
    "input_gradient",
    "load_function",
    "random_normal",
    "random_randint",
    "random_uniform",
    "to_keras",
    "updates_are_pure",
    "value_and_grad",
    "vectorize",
]
