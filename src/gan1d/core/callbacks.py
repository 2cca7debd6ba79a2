"""Callbacks that record training for the pictures, and the progress display."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
from keras import ops

from gan1d import backend
from gan1d.checks import integer
from gan1d.core import views
from gan1d.core.capture import snapshot

if TYPE_CHECKING:
    from gan1d.core.gan import GAN
    from gan1d.data.distribution import Bounds, Target

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
    costs no extra call). A run from epoch 0 also keeps a snapshot of the untrained
    generator, at epoch 0. Where the plane is known (the target's, under
    `fit_target`; that of `real_points` under `fit()`) each snapshot also keeps the
    layers of the teaching pictures (`gan1d.core.views`): the discriminator's heatmap,
    the push on each point and the generator's manifold.

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
        plane: The visible plane the layers cover, or None (no layers).
        layers: One dict of captured layers per snapshot, in the shapes of a
            `gan1d.core.views.Views` row.
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
        self.plane: Bounds | None = None
        self.layers: list[dict[str, np.ndarray]] = []
        self._compiled_snapshot: Any = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        # Under fit(); fit_target calls `prepare` instead.
        self.noise = self.model.latent_noise(self.n_points, self.seed)
        if self.real_points is not None and len(self.real_points):
            low, high = self.real_points.min(axis=0), self.real_points.max(axis=0)
            self.plane = views.plane(((low[0], high[0]), (low[1], high[1])))
        if int(ops.convert_to_numpy(self.model.optimizer.iterations)) == 0:
            self._snap(0)  # the untrained generator

    def prepare(self, gan: GAN, target: Target) -> None:
        """Fixes the latent batch and the real points for a `fit_target` run on `target`."""
        self.set_model(gan)
        self.noise = gan.latent_noise(self.n_points, self.seed)
        if self.reference is None:
            self.reference = np.asarray(target.sample(self.n_points, seed=self.seed), dtype="float32")
        self.plane = views.plane(target.bounds)

    def device_inputs(self) -> dict[str, Any]:
        """What a snapshot needs (`gan1d.core.capture.snapshot`): the latent batch, real points, the plane's grids."""
        if self.noise is None:
            raise RuntimeError("call prepare() before device_inputs()")
        # Under fit() without real points: no accuracy to measure (`_snap` drops it).
        reference = self.reference if self.reference is not None else np.zeros((0, self.model.point_dim), "float32")
        inputs = {"noise": ops.convert_to_tensor(self.noise), "reference": ops.convert_to_tensor(reference)}
        return {**inputs, **self._plane_inputs()}

    def _plane_inputs(self) -> dict[str, Any]:
        if self.plane is None:
            return {}
        return {
            "grid": ops.convert_to_tensor(views.plane_grid(self.plane)),
            "latent_grid": ops.convert_to_tensor(
                views.latent_grid(self.model.latent_dim, 1.0 if self.model.noise == "uniform" else views.LATENT_REACH)
            ),
        }

    def recorded_views(self) -> views.Views | None:
        """The layers of every snapshot, or None where some snapshot has none."""
        if self.plane is None or not self.layers or len(self.layers) != len(self.snapshots):
            return None
        return views.Views.stack(self.plane, self.layers)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        # Under fit(); fit_target records through `record` instead.
        if (epoch + 1) % self.every == 0 and self.noise is not None:
            self._snap(epoch + 1)

    def _snap(self, epoch: int) -> None:
        """Takes a snapshot from the model's variables (under `fit()`), with the loop's own function."""
        if self._compiled_snapshot is None:
            # Compiled once: op by op, JAX would compile every operation on first use.
            model = self.model
            self._compiled_snapshot = backend.compile_function(lambda state, inputs: snapshot(model, state, inputs))
        captured = self._compiled_snapshot(self.model.read_state(), self.device_inputs())
        captured = keras.tree.map_structure(ops.convert_to_numpy, captured)
        if self.real_points is None:
            captured.pop("accuracy")
        self.record(epoch, captured)

    def record(self, epoch: int, captured: Mapping[str, Any]) -> None:
        """Adds the snapshot taken after `epoch` epochs: `points`, and `accuracy` and layers if measured."""
        self.snapshots.append((int(epoch), np.asarray(captured["points"], dtype="float32")))
        if "accuracy" in captured:
            on_real, on_generated = (float(v) for v in np.asarray(captured["accuracy"]).reshape(-1))
            self.discriminator_accuracy.append((int(epoch), on_real, on_generated))
        if all(name in captured for name in views.CAPTURED):
            self.layers.append({name: np.asarray(captured[name], dtype="float32") for name in views.CAPTURED})


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
