"""Callbacks that record training for the pictures, and the progress display."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np
from keras import ops

from gan1d.checks import integer
from gan1d.metrics import discriminator_accuracy

__all__ = ["CallLevelCallback", "ProgressBar", "SnapshotCallback", "StartNotice"]


class CallLevelCallback(keras.callbacks.Callback):
    """A callback that needs no call per epoch, so `fit_target` can run many epochs per compiled call.

    It gets `on_train_begin`/`on_train_end`, and `on_epoch_end` for the last epoch
    of each compiled call (every few hundred epochs) with that epoch's losses and
    the true weights then.
    """


class SnapshotCallback(keras.callbacks.Callback):
    """Stores the generator's output on one fixed latent batch every `every` epochs.

    Works with `GAN.fit()` (called at the end of each epoch) and with
    `GAN.fit_target()` (filled from snapshots taken inside the compiled loop, so it
    costs no extra call).

    Args:
        every: Store a snapshot after every `every` epochs (epochs counted from 1).
        n_points: Number of generated points per snapshot.
        seed: Seed of the fixed latent batch, so runs show the same latent points.
        real_points: Real points `(m, d)` on which to measure the discriminator's
            accuracy at each snapshot; `fit_target` draws `n_points` from its target
            when this is None, `fit()` then skips the measure.

    Attributes:
        snapshots: List of `(epoch, points)` with `points` a `(n_points, d)` float32 array.
        discriminator_accuracy: List of `(epoch, on_real, on_generated)`: the share
            of real points scored real and of snapshot points scored fake.
    """

    def __init__(
        self, every: int = 20, n_points: int = 100, seed: int = 0, real_points: np.ndarray | None = None
    ) -> None:
        super().__init__()
        self.every = integer("every", every)
        self.n_points = integer("n_points", n_points)
        self.seed = seed
        self.real_points = None if real_points is None else np.asarray(real_points, dtype="float32")
        self.snapshots: list[tuple[int, np.ndarray]] = []
        self.discriminator_accuracy: list[tuple[int, float, float]] = []
        self.noise: np.ndarray | None = None
        self.reference: np.ndarray | None = self.real_points

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.noise = self.latent_batch(self.model.latent_dim)

    def latent_batch(self, latent_dim: int) -> np.ndarray:
        """The fixed latent vectors every snapshot generates from, `(n_points, latent_dim)`."""
        return np.random.default_rng(self.seed).standard_normal((self.n_points, latent_dim)).astype("float32")

    def prepare(self, gan: Any, target: Any) -> None:
        """Fixes the latent batch and the real points for a `fit_target` run on `target`."""
        self.set_model(gan)
        self.noise = self.latent_batch(gan.latent_dim)
        if self.reference is None:
            self.reference = np.asarray(target.sample(self.n_points, seed=self.seed), dtype="float32")

    def device_inputs(self) -> dict[str, Any]:
        """What the compiled loop needs to take a snapshot: the latent batch and the real points."""
        if self.noise is None or self.reference is None:
            raise RuntimeError("call prepare() before device_inputs()")
        return {"noise": ops.convert_to_tensor(self.noise), "reference": ops.convert_to_tensor(self.reference)}

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        # Under fit(); fit_target records through `record` instead.
        if (epoch + 1) % self.every != 0 or self.noise is None:
            return
        points = ops.convert_to_numpy(self.model.generator(self.noise, training=False))
        accuracy = None
        if self.real_points is not None:
            judge = self.model.discriminate
            accuracy = discriminator_accuracy(judge(self.real_points), judge(points), self.model.score_threshold)
        self.record(epoch + 1, {"points": points, **({"accuracy": accuracy} if accuracy else {})})

    def record(self, epoch: int, captured: Mapping[str, Any]) -> None:
        """Adds the snapshot taken after `epoch` epochs: `points`, and `accuracy` if measured."""
        self.snapshots.append((int(epoch), np.asarray(captured["points"], dtype="float32")))
        if "accuracy" in captured:
            on_real, on_generated = (float(v) for v in np.asarray(captured["accuracy"]).reshape(-1))
            self.discriminator_accuracy.append((int(epoch), on_real, on_generated))


class ProgressBar(CallLevelCallback):
    """Keras's progress bar over the run's epochs, with the latest losses.

    Args:
        epochs: Total epochs, for the bar's length.
    """

    def __init__(self, epochs: int) -> None:
        super().__init__()
        self.epochs = epochs
        self.bar: keras.utils.Progbar | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.bar = keras.utils.Progbar(self.epochs, unit_name="epoch")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.bar is not None:
            self.bar.update(epoch + 1, values=list((logs or {}).items()), finalize=epoch + 1 >= self.epochs)


class StartNotice(CallLevelCallback):
    """Says once, on standard error, when compiling is over and training runs, and how long that took."""

    def __init__(self) -> None:
        super().__init__()
        self.began = 0.0
        self.said = False

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.began = time.perf_counter()
        self.said = False

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if not self.said:
            self.said = True
            seconds = time.perf_counter() - self.began
            print(f"gan1d: compiled; training ({seconds:.1f} s to the first epochs)", file=sys.stderr, flush=True)
