"""The compiled programs of the training loop, and the cache that finds them again.

`run_periods` is the body of one compiled call: whole *periods* of `GAN.step`
(`lax.fori_loop` under JAX, a `tf.while_loop` under TensorFlow), drawing real
points on the device, keeping every step's losses and, at the end of each period,
a snapshot (`gan1d.core.capture`). Each step checks that its losses and the
networks' new weights are finite; after the first step that is not, the call
keeps the last good state and does nothing more.

`Programs` compiles it once per shape. Where the optimizers update values alone
(any optimizer under JAX, plain Adam under TensorFlow) a compiled program is a pure
function of the state, so every GAN with the same networks, optimizers, loss and
target shares one: a second `train()` of the same configuration compiles nothing.
Where programs are kept on disk (`gan1d.core.stored_programs`), a loop described by
Keras's and gan1d's own classes is found there by its signature, untraced.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import keras
from keras import ops

from gan1d import backend
from gan1d.core.capture import snapshot
from gan1d.core.stored_programs import stored_program
from gan1d.environment import program_folder

if TYPE_CHECKING:
    from gan1d.core.gan import GAN, GANState
    from gan1d.data.distribution import Target

__all__ = ["Programs", "run_periods"]


class Programs:
    """The compiled loops one training call uses, found once per shape.

    Where the optimizers update values alone (any optimizer under JAX, plain Adam
    under TensorFlow) a compiled loop is a pure function of the state, so every GAN
    with the same networks, optimizers, loss and target shares one (a second
    `train()` of the same configuration compiles nothing). Otherwise each GAN has
    its own.
    """

    def __init__(self, gan: GAN, target: Target, batch_size: int, *, batched: bool = False) -> None:
        self.gan, self.target, self.batch_size, self.batched = gan, target, batch_size, batched
        self.identity = _identity(gan, target)
        self.found: dict[tuple[int, int], Callable[..., Any]] = {}

    def __call__(self, period: int, capacity: int) -> Callable[..., Any]:
        """The compiled `run(state, num_periods, inputs)` for periods of `period` steps."""
        if (period, capacity) not in self.found:
            self.found[period, capacity] = self._find(period, capacity)
        return self.found[period, capacity]

    def _find(self, period: int, capacity: int) -> Callable[..., Any]:
        shape = (period, capacity, self.batch_size, self.batched)
        entries = _LOOPS.setdefault(shape, [])
        # This GAN's own loop first: no signature needed.
        for entry in entries:
            if entry.identity == self.identity:
                return entry.compiled
        mine = None
        if entries:
            mine = _signature(self.gan, self.target)
            for entry in entries:
                if entry.identity != _identity(entry.gan, entry.target):
                    continue  # its GAN was compiled again since: the loop holds the old optimizers
                if entry.signature is None:
                    entry.signature = _signature(entry.gan, entry.target)
                if entry.signature == mine and not _is_identity(mine):
                    return entry.compiled
        gan, target, batch_size = self.gan, self.target, self.batch_size

        def run(state: GANState, num_periods: Any, inputs: dict[str, Any]) -> Any:
            return run_periods(
                gan,
                state,
                num_periods,
                inputs,
                period=period,
                capacity=capacity,
                batch_size=batch_size,
                target=target,
            )

        loop = backend.vectorize(run) if self.batched and backend.vectorize is not None else run
        compiled: Callable[..., Any] | None = None
        if program_folder() is not None:
            mine = _signature(gan, target) if mine is None else mine
            if _described_by_keras_and_gan1d(gan, target, mine):
                compiled = stored_program(loop, {"loop": json.loads(mine), "shape": list(shape)})
        if compiled is None:
            compiled = backend.compile_function(loop)
        entries.append(_Loop(self.identity, gan, target, compiled))
        entries[-1].signature = mine
        while sum(map(len, _LOOPS.values())) > _MAX_LOOPS:
            oldest = min((e.created, shape) for shape, es in _LOOPS.items() for e in es)[1]
            _LOOPS[oldest].pop(0)
        return compiled


class _Loop:
    """One compiled loop, the GAN and target it was traced with (kept alive), and their signature once known."""

    _count = 0

    def __init__(self, identity: tuple[Any, ...], gan: GAN, target: Target, compiled: Callable[..., Any]) -> None:
        self.identity, self.gan, self.target, self.compiled = identity, gan, target, compiled
        self.signature: Any = None
        _Loop._count += 1
        self.created = _Loop._count


# Compiled loops by shape (period, capacity, batch size, batched), oldest first.
_LOOPS: dict[tuple[int, int, int, bool], list[_Loop]] = {}
_MAX_LOOPS = 32


def _identity(gan: GAN, target: Target) -> tuple[Any, ...]:
    """The objects a compiled loop was traced with; a GAN compiled again gets new optimizers."""
    method = tuple(gan.method().items())
    return ("instance", id(gan), id(gan.d_optimizer), id(gan.g_optimizer), id(gan.loss_fn), id(target), method)


def _is_identity(signature: Any) -> bool:
    return isinstance(signature, tuple) and signature[:1] == ("instance",)


def _signature(gan: GAN, target: Target) -> Any:
    """What determines the compiled program: the configs of everything the step uses.

    Where updates are not pure, or something has no configuration (a Python
    callable as a learning rate, say), the objects themselves are the key.
    """
    by_identity = _identity(gan, target)
    if not (
        backend.updates_are_pure(gan.d_optimizer, gan.discriminator.trainable_variables)
        and backend.updates_are_pure(gan.g_optimizer, gan.generator.trainable_variables)
    ):
        return by_identity
    try:
        own = {k: v for k, v in gan.get_config().items() if k not in ("name", "seed", "generator", "discriminator")}
        parts = [
            gan.generator.get_config(),
            gan.discriminator.get_config(),
            _unnamed(keras.saving.serialize_keras_object(gan.d_optimizer)),
            _unnamed(keras.saving.serialize_keras_object(gan.g_optimizer)),
            keras.saving.serialize_keras_object(gan.loss_fn),
            gan.method(),
            own,
            target.describe(),
        ]
        text = json.dumps(parts, sort_keys=True, default=lambda value: f"<object {id(value)}>")
    except Exception:  # noqa: BLE001  (anything that cannot describe itself is compiled for itself)
        return by_identity
    return by_identity if "<object " in text else text


def _described_by_keras_and_gan1d(gan: GAN, target: Target, signature: Any) -> bool:
    """Whether a signature pins the program down across processes.

    It does where every class and function it names is Keras's or gan1d's (whose
    code is versioned) and the target is drawn by gan1d's own code, not a Python
    function of the user's.
    """
    if not isinstance(signature, str) or _is_identity(signature):
        return False
    if type(gan).__module__ != "gan1d.core.gan" or not type(target).__module__.startswith("gan1d."):
        return False
    if "callable" in target.describe():
        return False

    def own(node: Any) -> bool:
        if isinstance(node, dict):
            module = node.get("module")
            if isinstance(module, str) and module.split(".")[0] not in ("keras", "gan1d"):
                return False
            return all(own(value) for value in node.values())
        if isinstance(node, list):
            return all(own(value) for value in node)
        return True

    return own(json.loads(signature))


def _unnamed(serialized: dict[str, Any]) -> dict[str, Any]:
    """A serialized optimizer without its name, which Keras numbers per instance."""
    return {**serialized, "config": {k: v for k, v in serialized.get("config", {}).items() if k != "name"}}


def _all_finite(values: Sequence[Any]) -> Any:
    """One boolean: every value is finite (NaN and inf both spread through a sum)."""
    total = ops.sum(ops.stack([ops.sum(ops.cast(v, "float32")) for v in values]))
    return ops.isfinite(total)


def run_periods(
    gan: GAN,
    state: GANState,
    num_periods: Any,
    inputs: dict[str, Any],
    *,
    period: int,
    capacity: int,
    batch_size: int,
    target: Any,
) -> tuple[GANState, Any, Any, dict[str, Any], Any]:
    """Runs `num_periods <= capacity` periods of `period` steps.

    Returns:
        The final state (the last good one if a step failed), the losses
        `(capacity, period)`, what was captured (`(capacity + 1, ...)` arrays: row 0
        from the state the call started with, row `p + 1` at the end of period `p`),
        and the index within the call of the first step that was not finite, or -1.
        Rows past `num_periods`, and steps after a bad one, are 0.
    """

    def put(store: Any, row: Any, value: Any) -> Any:
        return ops.slice_update(store, (row, *([0] * len(ops.shape(value)))), value[None])

    start = snapshot(gan, state, inputs)
    captured = keras.tree.map_structure(lambda value: ops.zeros((capacity + 1, *ops.shape(value))), start)
    captured = keras.tree.map_structure(lambda store, value: put(store, 0, value), captured, start)
    losses = ops.zeros((capacity, period))

    def one_step(i: Any, carry: tuple[Any, ...]) -> tuple[Any, ...]:
        state, d_row, g_row, bad, offset = carry

        def train() -> tuple[GANState, Any, Any, Any]:
            new, d_loss, g_loss = gan.step(state, sample_real=target.sample_tensor, batch_size=batch_size)
            finite = _all_finite([d_loss, g_loss, *new.d_weights, *new.g_weights])
            kept = ops.cond(finite, lambda: new, lambda: state)
            return kept, ops.cast(d_loss, "float32"), ops.cast(g_loss, "float32"), finite

        def skip() -> tuple[GANState, Any, Any, Any]:
            return state, ops.zeros(()), ops.zeros(()), ops.convert_to_tensor(True)

        # After a bad step the call keeps that step's input and does nothing more.
        state, d_loss, g_loss, finite = ops.cond(bad >= 0, skip, train)
        bad = ops.where(ops.logical_and(bad < 0, ops.logical_not(finite)), offset + i, bad)
        d_row = ops.slice_update(d_row, (i,), ops.reshape(d_loss, (1,)))
        g_row = ops.slice_update(g_row, (i,), ops.reshape(g_loss, (1,)))
        return state, d_row, g_row, bad, offset

    def one_period(p: Any, carry: tuple[Any, ...]) -> tuple[Any, ...]:
        state, d_losses, g_losses, captured, bad = carry
        rows = (ops.zeros((period,)), ops.zeros((period,)))
        state, d_row, g_row, bad, _ = ops.fori_loop(0, period, one_step, (state, *rows, bad, p * period))
        d_losses = ops.slice_update(d_losses, (p, 0), d_row[None])
        g_losses = ops.slice_update(g_losses, (p, 0), g_row[None])
        captured = keras.tree.map_structure(
            lambda store, value: put(store, p + 1, value), captured, snapshot(gan, state, inputs)
        )
        return state, d_losses, g_losses, captured, bad

    bad = ops.convert_to_tensor(-1, "int32")
    state, d_losses, g_losses, captured, bad = ops.fori_loop(
        0, num_periods, one_period, (state, losses, losses, captured, bad)
    )
    return state, d_losses, g_losses, captured, bad
