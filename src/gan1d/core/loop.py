"""Many training steps per compiled call: `fit_target`, and many copies of a GAN at once.

One compiled call (`gan1d.core.programs`) runs whole periods of `GAN.step`,
drawing real points on the device and taking a snapshot at the end of each
period. A step whose losses or new weights are not finite ends the training with
the last good state, so a run never loses the steps it trained well.

How Keras callbacks are called (the contract, the same on both backends): an epoch
is `steps_per_epoch` training steps (1 by default, the seed article's one batch per
epoch). A callback receives `set_params`, `on_train_begin`, then for every epoch
`on_epoch_begin`, `on_train_batch_begin`/`on_train_batch_end` (once, for the
epoch's last batch, as Keras does with `steps_per_execution`) and `on_epoch_end`
with that epoch's mean `d_loss` and `g_loss`, then `on_train_end`; the model's
variables hold the true weights at every call. Callbacks that need no call per
epoch (`History`, `gan1d.SnapshotCallback`, `gan1d.core.callbacks.CallLevelCallback`)
let many epochs run per compiled call; any other callback makes each compiled call
one epoch long.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import keras
import numpy as np
from keras import ops

from gan1d import backend
from gan1d.checks import integer
from gan1d.core.callbacks import CallLevelCallback, SnapshotCallback
from gan1d.core.programs import Programs
from gan1d.errors import Gan1dError

if TYPE_CHECKING:
    from gan1d.core.gan import GAN, GANState
    from gan1d.data.distribution import Target

__all__ = ["STEPS_PER_CALL", "fit_target", "fit_target_many"]

# Most steps one compiled call runs: big enough that dispatch is negligible.
STEPS_PER_CALL = 1000
# Wall time a compiled call aims at, so that progress and a request to stop (Ctrl-C)
# are answered within a fraction of a second whatever a step costs.
CALL_SECONDS = 0.25
# Steps of the first call of a run, which also compiles: its time says little.
FIRST_CALL_STEPS = 100

# Monitors whose direction Keras cannot tell by itself; they are losses.
_LOSSES = ("d_loss", "g_loss")


def fit_target(
    gan: GAN,
    target: Target,
    epochs: int,
    batch_size: int = 64,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    *,
    steps_per_epoch: int = 1,
    initial_epoch: int = 0,
    verbose: int | str = 1,
) -> keras.callbacks.History:
    """Trains `gan` on points drawn from `target` on the device, many steps per compiled call.

    The same step as `GAN.fit()`. Training stops at the first step whose losses or
    new weights are not finite, keeping the weights of the step before (the
    returned History ends there), or when a callback sets `model.stop_training`.

    Args:
        gan: A compiled `gan1d.GAN`.
        target: A `gan1d.Target` (anything with `sample_tensor(n, seed)`).
        epochs: Train until this epoch (counted from 0, like Keras's `fit`).
        batch_size: Real points per step.
        callbacks: Keras callbacks (see the module's contract); at most one
            `SnapshotCallback`, which is filled from snapshots taken on the device.
        steps_per_epoch: Training steps per epoch.
        initial_epoch: The epoch to start at, for continuing a run (the optimizer's
            state comes from the GAN itself).
        verbose: Passed to the callbacks' `params`, as `fit` does (a `ProgbarLogger`
            in `callbacks` prints at 1 or "auto", not at 0).

    Returns:
        A `keras.callbacks.History` with `d_loss` and `g_loss` per epoch (the
        mean over its steps).

    Raises:
        Gan1dError: On a bad argument or a GAN that is not compiled.
    """
    epochs, batch_size = integer("epochs", epochs), integer("batch_size", batch_size)
    steps_per_epoch = integer("steps_per_epoch", steps_per_epoch)
    initial_epoch = integer("initial_epoch", initial_epoch, 0)
    if initial_epoch >= epochs:
        raise Gan1dError(f"initial_epoch ({initial_epoch}) must be below epochs ({epochs})")
    if batch_size % gan.pack:
        raise Gan1dError(f"batch_size {batch_size} must be a multiple of pack={gan.pack}")
    gan.state_variables()  # refuses an uncompiled GAN with a clear message
    snapshotters = [c for c in callbacks if isinstance(c, SnapshotCallback)]
    if len(snapshotters) > 1:
        raise Gan1dError("fit_target takes at most one SnapshotCallback")
    snapshotter = snapshotters[0] if snapshotters else None
    per_epoch = [c for c in callbacks if not isinstance(c, SnapshotCallback | CallLevelCallback)]
    _check_tensorboard(per_epoch)
    sparse = [c for c in callbacks if isinstance(c, CallLevelCallback)]
    for callback in per_epoch:
        _treat_losses_as_losses(callback)

    history = keras.callbacks.History()
    listeners = keras.callbacks.CallbackList(
        [history, *per_epoch, *sparse],
        model=gan,
        epochs=epochs,
        steps=steps_per_epoch,
        verbose=verbose,
    )
    # Like fit(): readable after an interruption, when nothing is returned.
    gan.history = history
    gan.stop_training = False
    gan.diverged_at_epoch = None
    if snapshotter is not None:
        snapshotter.prepare(gan, target)
        inputs = snapshotter.device_inputs()
        every = snapshotter.every * steps_per_epoch
    else:
        inputs = {"noise": ops.zeros((1, gan.latent_dim)), "reference": ops.zeros((1, gan.point_dim))}
        every = 0
    loops = Programs(gan, target, batch_size)
    listeners.on_train_begin()
    step, last_step = initial_epoch * steps_per_epoch, epochs * steps_per_epoch
    first_step = step
    # Losses of the epoch under way, when an epoch spans several compiled calls.
    pending_d: list[np.ndarray] = []
    pending_g: list[np.ndarray] = []
    seconds_per_step: float | None = None
    try:
        while step < last_step and not gan.stop_training:
            epoch = step // steps_per_epoch
            if per_epoch and step % steps_per_epoch == 0:
                listeners.on_epoch_begin(epoch)
                listeners.on_train_batch_begin(steps_per_epoch - 1)
            call_steps = (epoch + 1) * steps_per_epoch - step if per_epoch else last_step - step
            period, most = _split(step, call_steps, every)
            # One program shape for the whole run, however its calls are cut.
            run = loops(period, _capacity(period, max(most, (last_step - first_step) // period)))
            periods = most if per_epoch else _timed_periods(period, most, seconds_per_step)
            started = time.perf_counter()
            state, d_losses, g_losses, captured, bad_step = run(
                gan.copy_state(), ops.convert_to_tensor(periods, "int32"), inputs
            )
            gan.write_state(state)
            bad_step = int(ops.convert_to_numpy(bad_step))
            # A call that also compiled overstates the cost: the next call is shorter, and measures again.
            seconds_per_step = (time.perf_counter() - started) / (periods * period)
            done = periods * period if bad_step < 0 else bad_step
            pending_d.append(ops.convert_to_numpy(d_losses)[:periods].reshape(-1)[:done])
            pending_g.append(ops.convert_to_numpy(g_losses)[:periods].reshape(-1)[:done])
            if snapshotter is not None:
                captured = keras.tree.map_structure(ops.convert_to_numpy, captured)
                if step == 0:
                    # The untrained networks, so the pictures start where training starts.
                    snapshotter.record(0, {k: v[0] for k, v in captured.items()})
                for p in range(done // period):
                    end = step + (p + 1) * period
                    if end % every == 0:
                        snapshotter.record(end // steps_per_epoch, {k: v[p + 1] for k, v in captured.items()})
            step += done
            d_epochs, g_epochs, pending_d, pending_g = _whole_epochs(pending_d, pending_g, steps_per_epoch)
            finished = range(step // steps_per_epoch - len(d_epochs), step // steps_per_epoch)
            if per_epoch:
                for e, d_loss, g_loss in zip(finished, d_epochs, g_epochs, strict=True):
                    logs = {"d_loss": float(d_loss), "g_loss": float(g_loss)}
                    listeners.on_train_batch_end(steps_per_epoch - 1, logs)
                    listeners.on_epoch_end(e, logs)
            elif len(d_epochs):
                # Filled from the arrays at once: a Python call per epoch would cost
                # about a tenth of a JAX step.
                history.epoch.extend(finished)
                history.history.setdefault("d_loss", []).extend(d_epochs.tolist())
                history.history.setdefault("g_loss", []).extend(g_epochs.tolist())
                logs = {"d_loss": float(d_epochs[-1]), "g_loss": float(g_epochs[-1])}
                for callback in sparse:
                    callback.on_epoch_end(finished[-1], logs)
            if bad_step >= 0:
                gan.stop_training = True
                gan.diverged_at_epoch = step // steps_per_epoch
    finally:
        listeners.on_train_end()
    return history


def _whole_epochs(
    pending_d: list[np.ndarray], pending_g: list[np.ndarray], steps_per_epoch: int
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Mean losses of the whole epochs among the pending steps, and the steps left over."""
    d_all, g_all = np.concatenate(pending_d), np.concatenate(pending_g)
    whole = len(d_all) // steps_per_epoch * steps_per_epoch
    d_epochs = d_all[:whole].reshape(-1, steps_per_epoch).mean(axis=1)
    g_epochs = g_all[:whole].reshape(-1, steps_per_epoch).mean(axis=1)
    return d_epochs, g_epochs, [d_all[whole:]], [g_all[whole:]]


def fit_target_many(
    gan: GAN,
    target: Target,
    states: Sequence[GANState],
    epochs: int,
    batch_size: int = 64,
    *,
    vectorized: bool = True,
    on_progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[list[GANState], np.ndarray, np.ndarray]:
    """Trains independent copies of `gan`, one per initial state, on `target`.

    Under JAX the copies train together: `jax.vmap` of the compiled loop, one
    computation for all. Elsewhere they train one after another through the same
    compiled loop. The model's own variables end up holding the last copy's state.
    A copy whose step turns non-finite keeps its last good state and stops; its
    losses after that are NaN.

    Args:
        gan: A compiled GAN whose structure every copy shares.
        target: A `gan1d.Target`.
        states: Initial states, e.g. `copy_state()` of GANs built with other seeds.
        epochs: Training steps for each copy.
        batch_size: Real points per step.
        vectorized: False trains the copies one after another even under JAX.
        on_progress: Called with the number of steps done (by every copy) after
            each compiled call.
        should_stop: Asked before each compiled call; True abandons the training
            with a KeyboardInterrupt (the copies have not finished).

    Returns:
        The final states, and the losses `d_loss`, `g_loss` as `(copies, epochs)` arrays.
    """
    epochs, batch_size = integer("epochs", epochs), integer("batch_size", batch_size)
    if not states:
        raise Gan1dError("fit_target_many needs at least one state")
    if batch_size % gan.pack:
        raise Gan1dError(f"batch_size {batch_size} must be a multiple of pack={gan.pack}")
    inputs = {"noise": ops.zeros((1, gan.latent_dim)), "reference": ops.zeros((1, gan.point_dim))}
    batched = backend.vectorize is not None and vectorized
    current = keras.tree.map_structure(lambda *values: ops.stack(values), *states) if batched else list(states)
    loops = Programs(gan, target, batch_size, batched=batched)
    d_parts: list[np.ndarray] = []
    g_parts: list[np.ndarray] = []
    step = 0
    while step < epochs:
        if should_stop is not None and should_stop():
            raise KeyboardInterrupt
        period, periods = _split(step, epochs - step, 0)
        run = loops(period, _capacity(period, periods))
        count = ops.convert_to_tensor(periods, "int32")
        if batched:
            current, d_losses, g_losses, _, bad = run(current, count, inputs)
            outputs = [(d_losses, g_losses, bad)]
        else:
            outputs = []
            for i, state in enumerate(current):
                current[i], d_losses, g_losses, _, bad = run(state, count, inputs)
                outputs.append((d_losses, g_losses, bad))
        for parts, which in ((d_parts, 0), (g_parts, 1)):
            rows = []
            for output in outputs:
                losses = np.asarray(ops.convert_to_numpy(output[which]))
                losses = losses.reshape(-1, *losses.shape[-2:])[:, :periods]
                rows.append(losses.reshape(len(losses), -1))
            parts.append(np.concatenate(rows))
        bad_steps = np.concatenate([np.asarray(ops.convert_to_numpy(output[2])).reshape(-1) for output in outputs])
        for parts in (d_parts, g_parts):
            for row, at in zip(parts[-1], bad_steps, strict=True):
                if at >= 0:
                    row[at:] = np.nan
        step += periods * period
        if on_progress is not None:
            on_progress(step)
    if batched:
        current = [keras.tree.map_structure(lambda value, i=i: value[i], current) for i in range(len(states))]
    gan.write_state(current[-1])
    d_all, g_all = np.concatenate(d_parts, axis=1), np.concatenate(g_parts, axis=1)
    # A copy that stopped stays stopped in later calls: NaN from its first bad step on.
    for losses in (d_all, g_all):
        for row in losses:
            stopped = np.flatnonzero(np.isnan(row))
            if len(stopped):
                row[stopped[0] :] = np.nan
    return list(current), d_all, g_all


# ----- the compiled loop -------------------------------------------------------


def _check_tensorboard(callbacks: Sequence[keras.callbacks.Callback]) -> None:
    """Keras's TensorBoard writes with `tf.summary`; say so clearly where that is missing."""
    if any(isinstance(c, keras.callbacks.TensorBoard) for c in callbacks):
        missing = [name for name in ("tensorflow", "tensorboard") if importlib.util.find_spec(name) is None]
        if missing:
            raise Gan1dError(
                f"the TensorBoard callback needs the {' and '.join(missing)} package(s), under any backend; "
                f"pip install {' '.join(missing)}"
            )


def _treat_losses_as_losses(callback: keras.callbacks.Callback) -> None:
    """Tells a monitoring callback in "auto" mode that `d_loss` and `g_loss` are minimised.

    Keras infers the direction of "loss" but not of other names; without this,
    `EarlyStopping(monitor="g_loss")` refuses to start.
    """
    if getattr(callback, "monitor", None) in _LOSSES and getattr(callback, "mode", None) == "auto":
        callback.mode = "min"


def _split(first_step: int, steps: int, every: int) -> tuple[int, int]:
    """The period length and number of periods of the next compiled call.

    Periods end on multiples of `every` (the snapshot interval, in steps) so the
    snapshots land where they belong, also when a run continues from any step;
    a call runs at most `STEPS_PER_CALL` steps and never past `steps`.
    """
    if every:
        to_boundary = every - first_step % every
        if to_boundary < every:
            return min(to_boundary, steps), 1
        period = min(every, steps)
    else:
        period = min(100, steps)
    return period, max(1, min(STEPS_PER_CALL // period, steps // period))


def _timed_periods(period: int, most: int, seconds_per_step: float | None) -> int:
    """How many of at most `most` periods the next call runs to take about `CALL_SECONDS`."""
    if seconds_per_step is None:
        return max(1, min(most, FIRST_CALL_STEPS // period))
    return max(1, min(most, int(CALL_SECONDS / max(seconds_per_step * period, 1e-9))))


def _capacity(period: int, periods: int) -> int:
    """Periods the compiled program holds: enough for `periods`, as few programs as can be.

    Rounded up to a power of two (and at most a call's worth), so a run of any
    length compiles only a few shapes.
    """
    return max(1, min(STEPS_PER_CALL // period, 1 << (periods - 1).bit_length()))
