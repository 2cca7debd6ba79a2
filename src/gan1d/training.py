"""`gan1d.train` and `gan1d.resume`: from a config to a trained GAN and a run folder."""

from __future__ import annotations

import dataclasses
import math
import os
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gan1d.config import TrainConfig
from gan1d.errors import Gan1dError, RunInterrupted, TrainingDiverged
from gan1d.runs import RunFolder
from gan1d.targets import Target
from gan1d.targets import target as make_target

__all__ = ["METRIC_POINTS", "METRIC_SEED", "TrainResult", "check_outputs", "resume", "train"]

# Generated points scored for the final metrics; fixed so runs compare.
METRIC_POINTS = 2500
METRIC_SEED = 1234

OutDir = str | os.PathLike[str] | RunFolder | None


@dataclasses.dataclass(frozen=True, repr=False)
class TrainResult:
    """What `train` produced.

    Attributes:
        config: The run's settings.
        gan: The trained `gan1d.GAN` (both networks, both optimizers).
        history: `{"d_loss": [...], "g_loss": [...]}`, one value per epoch run.
        snapshots: `(epoch, points (n, 2))` pairs, as `SnapshotCallback` stores them.
        quality: Metric name -> one value per snapshot (`epoch` holds the epochs):
            `x_w1`, `curve_residual`, `energy_distance`, `coverage` of the snapshot's
            points and the discriminator's accuracy on real and generated points.
        metrics: Final quality and timing numbers (see the README's "Metrics").
        status: `"completed"`, `"stopped"` (by a callback), `"diverged"` or `"interrupted"`.
        out_dir: The run folder, or None when nothing was written.
        artifacts: File name -> path of each file written.
        discriminator_accuracy: `(epoch, on_real, on_generated)` per snapshot.
        views: The layers of the teaching pictures at every snapshot (a
            `gan1d.views.Views`: heatmap, pushes, manifold), or None.
        target: The distribution trained on (a `gan1d.Target`).
    """

    config: TrainConfig
    gan: Any
    history: dict[str, list[float]]
    snapshots: list[tuple[int, np.ndarray]]
    quality: dict[str, list[float]]
    metrics: dict[str, Any]
    status: str = "completed"
    out_dir: Path | None = None
    artifacts: dict[str, Path] = dataclasses.field(default_factory=dict)
    discriminator_accuracy: list[tuple[int, float, float]] = dataclasses.field(default_factory=list)
    views: Any = None
    target: Any = None

    @property
    def generator(self) -> Any:
        """The trained generator, a `keras.Model`: latent noise -> points."""
        return self.gan.generator

    @property
    def discriminator(self) -> Any:
        """The trained discriminator, a `keras.Model`: points -> scores."""
        return self.gan.discriminator

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.metrics.items() if k in _HEADLINE and v is not None)
        where = f", out_dir={str(self.out_dir)!r}" if self.out_dir else ""
        return f"TrainResult({self.config.function!r}, status={self.status!r}, steps={self.steps}, {shown}{where})"

    @property
    def steps(self) -> int:
        """Epochs trained."""
        return len(self.history.get("d_loss", []))

    def _repr_html_(self) -> str:
        """Jupyter's view: the key numbers and the animation player."""
        from gan1d.report import result_html

        return result_html(self)

    def animate(self, path: str | os.PathLike[str], **options: Any) -> Any:
        """Writes the run's animation to `path` (.gif, .mp4 or a .png still) with every layer it captured.

        Args:
            path: The file to write.
            **options: `gan1d.animate`'s keywords, e.g. `show=("heatmap", "gradients")`.

        Returns:
            The file, as `gan1d.animate` returns it (Jupyter shows it).
        """
        from gan1d.animation import animate_result

        return animate_result(self, path, **options)


_HEADLINE = ("x_w1", "curve_residual", "modes_captured", "high_quality", "energy_distance")


def train(
    target: str | Callable[[np.ndarray], np.ndarray] | Target | None = None,
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
            a Python callable on float64 arrays, or a `Target`; default `"square"`.
        config: A ready `TrainConfig` (then `target` and `options` must be empty).
        out_dir: Folder to write the run to (new or empty, or a claimed
            `RunFolder`); None writes nothing.
        overwrite: Replace gan1d's files in a non-empty `out_dir`.
        callbacks: Keras callbacks (see `gan1d.loop` for when they are called).
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
    if out_dir is not None:
        check_outputs(config, out_dir.path if isinstance(out_dir, RunFolder) else out_dir)
    if isinstance(out_dir, RunFolder) or out_dir is None:
        folder = out_dir
    else:
        folder = RunFolder.claim(out_dir, overwrite=overwrite)
    try:
        from gan1d.models import build_gan

        gan = build_gan(config, distribution=distribution)
        return _train_and_write(gan, config, distribution, folder, callbacks)
    finally:
        if folder is not None and not isinstance(out_dir, RunFolder):
            folder.release()


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
        from gan1d.runs import load_run, load_views

        config, gan, history, snapshots, accuracy = load_run(folder.path)
        before = load_views(folder.path)
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


def _generator_kind(gan: Any) -> str:
    """`"graph"` for a generator that draws x uniformly over the domain, else `"plain"`."""
    from gan1d.models import UniformX

    return "graph" if any(isinstance(layer, UniformX) for layer in gan.generator.layers) else "plain"


def _files_complete(path: Path) -> bool:
    """Whether a run folder's metrics say every file was written."""
    import json

    try:
        return bool(json.loads((path / "metrics.json").read_text()).get("files") == "complete")
    except (OSError, ValueError):
        return False


def check_outputs(config: TrainConfig, out_dir: str | os.PathLike[str] | None) -> None:
    """Refuses, before any training or folder, files this machine cannot write.

    Raises:
        Gan1dError: For an mp4 animation without ffmpeg, or too little free space.
    """
    from gan1d.runs import check_free_space

    if config.animation == "mp4":
        from gan1d.animation import ffmpeg_available

        if not ffmpeg_available():
            raise Gan1dError("animation mp4 needs ffmpeg on PATH; install it or use animation gif")
    check_free_space(out_dir, config)


def _config_and_target(
    target: str | Callable[[np.ndarray], np.ndarray] | Target | None,
    config: TrainConfig | None,
    options: dict[str, Any],
) -> tuple[TrainConfig, Target]:
    if config is not None:
        if target is not None or options:
            raise Gan1dError("give either config= or a target and settings, not both")
        if not isinstance(config, TrainConfig):
            raise Gan1dError(f"config must be a TrainConfig, got {type(config).__name__}")
        return config, config.target()
    if target is None or isinstance(target, str):
        if "function" in options and target is not None:
            raise Gan1dError("give the target once: as the first argument or as function=")
        config = TrainConfig.from_preset(**{"function": "square" if target is None else target, **options})
        return config, config.target()
    distribution = make_target(target, options.pop("domain", None))
    return TrainConfig.described(distribution, **options), distribution


def _train_and_write(
    gan: Any,
    config: TrainConfig,
    distribution: Target,
    folder: RunFolder | None,
    callbacks: Sequence[Any],
    *,
    start: tuple[dict[str, list[float]], list[tuple[int, np.ndarray]], list[tuple[int, float, float]]] | None = None,
    views_before: Any = None,
) -> TrainResult:
    from gan1d.interrupts import SignalGuard

    def stop(_: int) -> None:
        gan.stop_training = True

    with SignalGuard(on_stop=stop) as guard:
        result = _train(gan, config, distribution, folder, callbacks, guard, start, views_before)
        if folder is not None:
            from gan1d.runs import write_run

            try:
                result.artifacts.update(write_run(result, distribution, folder, guard))
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
    gan: Any,
    config: TrainConfig,
    distribution: Target,
    folder: RunFolder | None,
    callbacks: Sequence[Any],
    guard: Any,
    start: tuple[dict[str, list[float]], list[tuple[int, np.ndarray]], list[tuple[int, float, float]]] | None,
    views_before: Any,
) -> TrainResult:
    """Trains to the planned epochs (or until stopped) and measures the result; writes nothing."""
    import keras

    from gan1d.callbacks import SnapshotCallback

    history_before, snapshots_before, accuracy_before = start or ({"d_loss": [], "g_loss": []}, [], [])
    initial_epoch = len(history_before["d_loss"])
    snapshotter = None
    if config.snapshot_every:
        snapshotter = SnapshotCallback(config.snapshot_every, config.snapshot_points, seed=config.seed)
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

    metrics: dict[str, Any] = {
        "backend": keras.backend.backend(),
        "status": status,
        "generator": _generator_kind(gan),
        "steps": steps,
        "planned_steps": config.epochs,
        "train_seconds": round(train_seconds, 4),
        "us_per_step": round(1e6 * train_seconds / max(1, steps - initial_epoch), 2) if steps > initial_epoch else None,
    }
    if guard.received is not None:
        metrics["signal"] = signal.Signals(guard.received).name
    if steps:
        metrics["final_d_loss"] = losses["d_loss"][-1]
        metrics["final_g_loss"] = losses["g_loss"][-1]
    from gan1d.metrics import judge

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


def quality(points: np.ndarray, distribution: Target) -> dict[str, float | None]:
    """The quality metrics of generated points, None where not finite."""
    from gan1d import metrics

    return {name: _finite_or_none(value) for name, value in metrics.summarize(points, distribution).items()}


def quality_curves(
    snapshots: Sequence[tuple[int, np.ndarray]],
    accuracy: Sequence[tuple[int, float, float]],
    distribution: Target,
) -> dict[str, list[float]]:
    """Quality of every snapshot, for `quality.csv` and `quality.png`."""
    if not snapshots:
        return {}
    curves: dict[str, list[float]] = {"epoch": [float(epoch) for epoch, _ in snapshots]}
    for _, points in snapshots:
        for name, value in quality(points, distribution).items():
            curves.setdefault(name, []).append(math.nan if value is None else value)
    if len(accuracy) == len(snapshots):
        curves["d_accuracy_real"] = [real for _, real, _ in accuracy]
        curves["d_accuracy_generated"] = [fake for _, _, fake in accuracy]
    return curves


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
