"""JAX glue: functional state in and out of Keras's jitted `train_step(state, data)`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import keras


def value_and_grad(fn: Callable[..., Any]) -> Callable[..., Any]:
    return jax.value_and_grad(fn, has_aux=True)


def apply_gradients(
    optimizer: keras.optimizers.Optimizer,
    optimizer_values: list[Any],
    grads: list[Any],
    weights: list[Any],
    variables: Sequence[keras.Variable],
) -> tuple[list[Any], list[Any]]:
    return optimizer.stateless_apply(optimizer_values, grads, weights)  # type: ignore[no-any-return]


def compile_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    return jax.jit(fn)


def vectorize(fn: Callable[..., Any]) -> Callable[..., Any]:
    # Batch over the first argument (the stacked states); the rest are shared.
    return jax.vmap(fn, in_axes=(0, *([None] * 3)))


def _positions(reference: Sequence[keras.Variable], wanted: Sequence[keras.Variable]) -> list[int]:
    index = {id(v): i for i, v in enumerate(reference)}
    return [index[id(v)] for v in wanted]


class BackendGAN(keras.Model):
    """Maps Keras's JAX state tuple onto `GANState` and back around `GAN.step`."""

    def train_step(self, state: tuple[list[Any], ...], data: Any) -> tuple[dict[str, Any], tuple[list[Any], ...]]:
        trainable, non_trainable, optimizer, metrics = (list(part) for part in state)
        sources = {"trainable": trainable, "non_trainable": non_trainable, "optimizer": optimizer}
        layout = self._jax_layout()
        fields = [[sources[src][i] for i in idx] for src, idx in layout]
        fields[-1] = fields[-1][0]  # the seed is one tensor, not a list
        gan_state = self._state_variables()._make(fields)  # type: ignore[attr-defined]
        real = data[0] if isinstance(data, tuple) else data
        gan_state, d_loss, g_loss = self.step(gan_state, real)  # type: ignore[attr-defined]
        for (src, idx), values in zip(layout, [*gan_state[:-1], [gan_state.seed]], strict=True):
            for i, value in zip(idx, values, strict=True):
                sources[src][i] = value

        logs = {}
        metric_index = {id(v): i for i, v in enumerate(self.metrics_variables)}
        for tracker, value in zip(self.metrics, (d_loss, g_loss), strict=True):
            idx = [metric_index[id(v)] for v in tracker.variables]
            updated = tracker.stateless_update_state([metrics[i] for i in idx], value)
            for i, v in zip(idx, updated, strict=True):
                metrics[i] = v
            logs[tracker.name] = tracker.stateless_result(updated)
        return logs, (trainable, non_trainable, optimizer, metrics)

    def _jax_layout(self) -> list[tuple[str, list[int]]]:
        """Where each `GANState` field lives in Keras's (trainable, non-trainable, optimizer) lists."""
        cached: list[tuple[str, list[int]]] | None = getattr(self, "_jax_layout_cache", None)
        if cached is None:
            refs = {
                "trainable": self.trainable_variables,
                "non_trainable": self.non_trainable_variables,
                "optimizer": self.optimizer.variables,
            }
            owner = {id(v): src for src, variables in refs.items() for v in variables}
            cached = []
            for variables in self._state_variables():  # type: ignore[attr-defined]
                srcs = {owner[id(v)] for v in variables} or {"trainable"}
                if len(srcs) != 1:
                    raise RuntimeError("a GAN state field spans several Keras state lists")
                src = srcs.pop()
                cached.append((src, _positions(refs[src], variables)))
            self._jax_layout_cache = cached
        return cached
