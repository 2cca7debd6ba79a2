"""`gan1d.train` and `gan1d.resume`: from a config to a trained GAN and a run folder.

The whole job of a run, in the order it happens: the config and its target
(built once), the folder claimed, the GAN built (`gan1d.run.build`), trained with
`GAN.fit_target` while Ctrl-C and SIGTERM only ask it to stop (`gan1d.run.signals`),
measured (`TrainResult`), and its files written (`gan1d.run.write`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from gan1d.core.callbacks import SnapshotCallback
from gan1d.core.gan import GAN
from gan1d.core.layers import DiracPoint, UniformX
from gan1d.core.views import CAPTURED, Views
from gan1d.data.dataset import DataTarget
from gan1d.data.distribution import Target
from gan1d.data.metrics import METRIC_POINTS, METRIC_SEED, judge
from gan1d.data.targets import target as make_target
from gan1d.errors import Gan1dError, RunInterrupted, TrainingDiverged
from gan1d.pictures.rendering import LiveRendering
from gan1d.pictures.style import loss_meanings
from gan1d.run.build import build_gan
from gan1d.run.config import TrainConfig
from gan1d.run.folder import RunFolder, check_outputs
from gan1d.run.load import load_run
from gan1d.run.result import TrainResult, quality, quality_curves
from gan1d.run.signals import SignalGuard
from gan1d.run.write import start_animation, write_run

__all__ = ["resume", "train"]

OutDir = str | os.PathLike[str] | RunFolder | None


def train(
    target: str | os.PathLike[str] | Callable[[np.ndarray], np.ndarray] | Target | None = None,
    *,
    config: TrainConfig | None = None,
    out_dir: OutDir = None,
    overwrite: bool = False,
    callbacks: Sequence[Any] = (),
    **options: Any,
) -> TrainResult:
    """Trains a GAN on a target and, with `out_dir`, writes a run folder.

    With no arguments this is the seed article's run (`x**2` on [-0.5, 0.5], 5000
    epochs, generated points stored every 20 epochs) with the tuned `default`
    preset. Settings are `TrainConfig`'s fields, given as keywords
    (`train("sin(3*x)", domain=(-1, 1), epochs=3000, preset="seed")`) or as a ready
    `config`.

    Args:
        target: A built-in name, an expression in `x`, a planar target name,
            the path of a `.npy` or `.csv` file of points, a Python callable on
            float64 arrays, or a `Target`; default `"square"`.
        config: A ready `TrainConfig` (then `target` and `options` must be empty).
        out_dir: Folder to write the run to (new or empty, or a claimed
            `RunFolder`); None writes nothing.
        overwrite: Replace gan1d's files in a non-empty `out_dir`.
        callbacks: Keras callbacks (see `gan1d.core.loop` for when they are called).
        **options: `TrainConfig` fields: `preset`, `domain`, `epochs`, `seed`, ...

    Returns:
        A `TrainResult`.

    Raises:
        Gan1dError: On bad input, before anything is trained or written.
        TrainingDiverged: If a step's losses or weights became non-finite; the run
            keeps the last good step, and the folder what was produced.
        RunInterrupted: On Ctrl-C or SIGTERM (a `KeyboardInterrupt`): training
            stops at the end of the compiled call under way and the folder gets
            what was trained, the models first.
        RunWriteError: If a file could not be written (disk full, say); the model
            files come first, so they are on disk unless writing them failed.
    """
    config, distribution = _config_and_target(target, config, options)
    if isinstance(out_dir, RunFolder) or out_dir is None:
        folder = out_dir  # a folder claimed by the caller, who checked the outputs
    else:
        check_outputs(config, out_dir)
        folder = RunFolder.claim(out_dir, overwrite=overwrite)
    try:
        # Started first: the drawing process starts up while the GAN is built.
        drawing = start_animation(config, distribution) if folder is not None else None
        try:
            gan = build_gan(config, distribution=distribution)
        except BaseException:
            if drawing is not None:
                drawing.cancel()
            raise
        result = _train_and_write(gan, config, distribution, folder, callbacks, drawing=drawing)
    except BaseException:
        if folder is not None and folder is not out_dir:
            folder.release(discard_if_empty=True)
        raise
    if folder is not None and folder is not out_dir:
        folder.release()
    return result


def resume(run_dir: str | os.PathLike[str] | RunFolder, callbacks: Sequence[Any] = ()) -> TrainResult:
    """Continues a run that stopped early (interrupted, or stopped by a callback) to its planned epochs.

    A run that trained all its epochs but was stopped while writing its files gets
    them written.

    Loads the whole GAN the folder keeps (`gan.keras`, in Keras's safe mode, so a
    folder from someone else cannot run code), its history and snapshots, and
    trains on from where it stopped; the same backend gives the same losses as a
    run that never stopped.

    Raises:
        Gan1dError: If the folder holds no resumable run, or its model cannot be
            loaded safely.
    """
    folder = run_dir if isinstance(run_dir, RunFolder) else RunFolder.claim(run_dir, resume=True)
    try:
        config, gan, history, snapshots, accuracy, before = load_run(folder.path)
        done = len(history["d_loss"])
        if done >= config.epochs and _files_complete(folder.path):
            raise Gan1dError(f"the run in {str(folder.path)!r} already trained all {config.epochs} epochs")
        return _train_and_write(
            gan,
            config,
            config.target(),
            folder,
            callbacks,
            start=(history, snapshots, accuracy),
            views_before=before,
        )
    finally:
        if not isinstance(run_dir, RunFolder):
            folder.release()


class _DrawnSnapshots(SnapshotCallback):
    """A `SnapshotCallback` that also sends each snapshot with its layers to the animation drawn meanwhile."""

    def __init__(self, *args: Any, drawing: LiveRendering, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.drawing = drawing

    def record(self, epoch: int, captured: Mapping[str, Any]) -> None:
        super().record(epoch, captured)
        if all(name in captured for name in CAPTURED):
            self.drawing.add(epoch, captured)


def _generator_kind(gan: GAN) -> str:
    """`"graph"` for a generator that draws x uniformly over the domain, `"dirac"` for the Dirac-GAN's, else `"plain"`."""
    kinds = {UniformX: "graph", DiracPoint: "dirac"}
    return next((kinds[type(layer)] for layer in gan.generator.layers if type(layer) in kinds), "plain")


def _files_complete(path: Path) -> bool:
    """Whether a run folder's metrics say every file was written."""
    try:
        return bool(json.loads((path / "metrics.json").read_text()).get("files") == "complete")
    except (OSError, ValueError):
        return False


def _config_and_target(
    target: str | os.PathLike[str] | Callable[[np.ndarray], np.ndarray] | Target | None,
    config: TrainConfig | None,
    options: dict[str, Any],
) -> tuple[TrainConfig, Target]:
    if config is not None:
        if target is not None or options:
            raise Gan1dError("give either config= or a target and settings, not both")
        if not isinstance(config, TrainConfig):
            raise Gan1dError(f"config must be a TrainConfig, got {type(config).__name__}")
        return config, config.target()
    if isinstance(target, os.PathLike):
        target = os.fspath(target)
    if isinstance(target, DataTarget):
        # Named by its path in the config, so the run replays from config.json.
        config, distribution = _config_and_target(target.path, None, options)
        if distribution != target:
            raise Gan1dError(f"data file {target.path!r} changed since it was read; read it again")
        return config, distribution
    if target is None or isinstance(target, str):
        if "function" in options and target is not None:
            raise Gan1dError("give the target once: as the first argument or as function=")
        # Without a target, the preset's (the dirac preset has one) or the default curve.
        config = TrainConfig.from_preset(**({} if target is None else {"function": target}), **options)
        return config, config.target()
    distribution = make_target(target, options.pop("domain", None))
    return TrainConfig.described(distribution, **options), distribution


def _train_and_write(
    gan: GAN,
    config: TrainConfig,
    distribution: Target,
    folder: RunFolder | None,
    callbacks: Sequence[Any],
    *,
    start: tuple[dict[str, list[float]], list[tuple[int, np.ndarray]], list[tuple[int, float, float]]] | None = None,
    views_before: Views | None = None,
    drawing: LiveRendering | None = None,
) -> TrainResult:
    def stop(_: int) -> None:
        gan.stop_training = True

    with SignalGuard(on_stop=stop) as guard:
        try:
            result = _train(gan, config, distribution, folder, callbacks, guard, start, views_before, drawing)
        except BaseException:
            if drawing is not None:
                drawing.cancel()
            raise
        if folder is not None:
            try:
                result.artifacts.update(write_run(result, folder, guard, drawing=drawing))
            except KeyboardInterrupt:
                raise RunInterrupted(
                    dataclasses.replace(result, status="interrupted"), guard.received or signal.SIGINT
                ) from None
    if result.status == "interrupted":
        raise RunInterrupted(result, guard.received or signal.SIGINT)
    if result.status == "diverged":
        raise TrainingDiverged(
            f"a step's losses or weights became non-finite after epoch {result.steps}; training stopped and kept "
            "the last good step",
            result,
        )
    return result


def _train(
    gan: GAN,
    config: TrainConfig,
    distribution: Target,
    folder: RunFolder | None,
    callbacks: Sequence[Any],
    guard: SignalGuard,
    start: tuple[dict[str, list[float]], list[tuple[int, np.ndarray]], list[tuple[int, float, float]]] | None,
    views_before: Views | None,
    drawing: LiveRendering | None = None,
) -> TrainResult:
    """Trains to the planned epochs (or until stopped) and measures the result; writes nothing.

    Each snapshot also goes to `drawing`, the animation drawn meanwhile.
    """
    history_before, snapshots_before, accuracy_before = start or ({"d_loss": [], "g_loss": []}, [], [])
    initial_epoch = len(history_before["d_loss"])
    snapshotter = None
    if config.snapshot_every:
        snapshotter = (
            SnapshotCallback(config.snapshot_every, config.snapshot_points, seed=config.seed)
            if drawing is None
            else _DrawnSnapshots(config.snapshot_every, config.snapshot_points, seed=config.seed, drawing=drawing)
        )
        snapshotter.snapshots = list(snapshots_before)
        snapshotter.discriminator_accuracy = list(accuracy_before)
        if views_before is not None:  # the layers of the snapshots before, for a run continued
            snapshotter.plane = views_before.plane
            snapshotter.layers = views_before.rows()
    status = "completed"
    started = time.perf_counter()
    trained: dict[str, list[float]] = {}
    if initial_epoch < config.epochs:  # else only the files are left to write
        try:
            gan.fit_target(
                distribution,
                epochs=config.epochs,
                batch_size=config.batch_size,
                callbacks=[*callbacks, *([snapshotter] if snapshotter else [])],
                initial_epoch=initial_epoch,
            )
        except KeyboardInterrupt:
            status = "interrupted"
        trained = gan.history.history
    # From here on a signal stops at once; the model files are written under a deferral.
    guard.raising()
    train_seconds = time.perf_counter() - started
    losses = {name: [*history_before[name], *map(float, trained.get(name, []))] for name in ("d_loss", "g_loss")}
    steps = len(losses["d_loss"])
    if gan.diverged_at_epoch is not None:
        status = "diverged"
    elif guard.received is not None:
        status = "interrupted"
    elif status == "completed" and steps < config.epochs:
        status = "stopped"

    d_meaning, g_meaning = loss_meanings(config.loss, config.penalty)
    metrics: dict[str, Any] = {
        "backend": keras.backend.backend(),
        "status": status,
        "generator": _generator_kind(gan),
        "steps": steps,
        "planned_steps": config.epochs,
        # A step is a round of both networks' updates; what each did, as their optimizers counted it.
        "discriminator_updates": int(keras.ops.convert_to_numpy(gan.d_optimizer.iterations)),
        "generator_updates": int(keras.ops.convert_to_numpy(gan.g_optimizer.iterations)),
        "losses": {"d_loss": d_meaning, "g_loss": g_meaning},
        "train_seconds": round(train_seconds, 4),
        "us_per_step": round(1e6 * train_seconds / max(1, steps - initial_epoch), 2) if steps > initial_epoch else None,
    }
    if guard.received is not None:
        metrics["signal"] = signal.Signals(guard.received).name
    if steps:
        metrics["final_d_loss"] = losses["d_loss"][-1]
        metrics["final_g_loss"] = losses["g_loss"][-1]
    scores = quality(gan.generate(METRIC_POINTS, seed=METRIC_SEED), distribution)
    metrics.update(scores)
    metrics.update(judge(scores, distribution))
    accuracy = snapshotter.discriminator_accuracy if snapshotter else []
    if accuracy:
        _, metrics["d_accuracy_real"], metrics["d_accuracy_generated"] = accuracy[-1]
    snapshots = list(snapshotter.snapshots) if snapshotter else []
    return TrainResult(
        config=config,
        gan=gan,
        history=losses,
        snapshots=snapshots,
        quality=quality_curves(snapshots, accuracy, distribution),
        metrics=metrics,
        status=status,
        out_dir=folder.path if folder else None,
        discriminator_accuracy=list(accuracy),
        views=snapshotter.recorded_views() if snapshotter else None,
        target=distribution,
    )
