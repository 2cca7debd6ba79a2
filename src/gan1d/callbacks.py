"""Callbacks that record training for the pictures."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import keras
import numpy as np
from keras import ops

from gan1d.metrics import discriminator_accuracy

__all__ = ["ProgressBar", "SnapshotCallback"]


class SnapshotCallback(keras.callbacks.Callback):
    """Stores the generator's output on one fixed latent batch every `every` epochs.

    Works with `GAN.fit()` (called at the end of each epoch) and with
    `GAN.fit_target()` (filled from snapshots taken inside the compiled loop).

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
        if every <= 0 or n_points <= 0:
            raise ValueError(f"every and n_points must be positive, got {every} and {n_points}")
        self.every = int(every)
        self.n_points = int(n_points)
        self.seed = seed
        self.real_points = None if real_points is None else np.asarray(real_points, dtype="float32")
        self.snapshots: list[tuple[int, np.ndarray]] = []
        self.discriminator_accuracy: list[tuple[int, float, float]] = []
        self.noise: np.ndarray | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        latent_dim = self.model.latent_dim
        rng = np.random.default_rng(self.seed)
        self.noise = rng.standard_normal((self.n_points, latent_dim)).astype("float32")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if (epoch + 1) % self.every != 0:
            return
        points = ops.convert_to_numpy(self.model.generator(self.noise, training=False))
        accuracy = None
        if self.real_points is not None:
            judge = self.model.discriminate
            accuracy = discriminator_accuracy(judge(self.real_points), judge(points), self.model.score_threshold)
        self.record(epoch + 1, points, accuracy)

    def record(self, epoch: int, points: np.ndarray, accuracy: tuple[float, float] | None = None) -> None:
        """Adds one snapshot taken after `epoch` epochs, with the discriminator's accuracy."""
        self.snapshots.append((int(epoch), np.asarray(points, dtype="float32")))
        if accuracy is not None:
            self.discriminator_accuracy.append((int(epoch), float(accuracy[0]), float(accuracy[1])))


class ProgressBar(keras.callbacks.Callback):
    """A one-line progress bar with the latest losses, redrawn at most 10 times a second.

    Args:
        epochs: Total epochs, for the bar's length.
        stream: Where to draw (a terminal); defaults to standard error.
    """

    def __init__(self, epochs: int, stream: TextIO | None = None, width: int = 30) -> None:
        super().__init__()
        self.epochs = epochs
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self._last = 0.0
        self._start = 0.0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        now = time.perf_counter()
        if now - self._last < 0.1 and epoch + 1 < self.epochs:
            return
        self._last = now
        done = (epoch + 1) / self.epochs
        bar = "=" * int(done * self.width)
        losses = "  ".join(f"{k} {v:.4f}" for k, v in (logs or {}).items())
        self.stream.write(f"\r[{bar:<{self.width}}] {epoch + 1}/{self.epochs}  {losses}  {now - self._start:.1f}s")
        self.stream.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.stream.write("\n")
        self.stream.flush()
