"""Writing a run's folder: the models first, then the numbers, then the pictures.

Every file is written atomically (`gan1d.files`). `metrics.json` says in `files`
whether every file was written; if a signal or a write error stops the rest, it
says which file was under way. The pictures share one `Scene` and one draw of the
real points; a long animation is drawn by a second process meanwhile
(`gan1d.pictures.rendering`), which `start_animation` starts with the training so
that it draws each frame's plane as its snapshot comes back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from gan1d.core.views import plane
from gan1d.data.distribution import Target
from gan1d.errors import RunWriteError
from gan1d.files import atomic_path, write_csv, write_json
from gan1d.pictures import rendering, stills
from gan1d.pictures.animation import write_animation, write_still
from gan1d.pictures.style import layer_names
from gan1d.run.config import TrainConfig
from gan1d.run.folder import RunFolder
from gan1d.run.result import QUALITY_SHOWN, REAL_POINTS, TrainResult
from gan1d.run.signals import SignalGuard

__all__ = ["start_animation", "write_run"]


def start_animation(config: TrainConfig, distribution: Target) -> rendering.LiveRendering | None:
    """Starts drawing the animation of a run from epoch 0, for its snapshots to be sent as they come.

    Returns:
        The drawing, for `write_run` to finish; None where the run has no
        animation or too short a one to draw apart.
    """
    if config.animation == "none" or not config.snapshot_every:
        return None
    return rendering.start_live(
        frames=config.epochs // config.snapshot_every + 1,
        real=distribution.sample(REAL_POINTS, seed=config.seed),
        curve=distribution.curve(),
        plane=plane(distribution.bounds),
        show=layer_names(config.show),
        quality=QUALITY_SHOWN.replace("_", " "),
    )


def write_run(
    result: TrainResult,
    folder: RunFolder,
    guard: SignalGuard | None = None,
    *,
    drawing: rendering.LiveRendering | None = None,
) -> dict[str, Path]:
    """Writes every file of a finished (or stopped) run; returns name -> path.

    The trained models come first, with signals held back until they are on disk
    (`guard`), then the numbers, then the pictures.

    Args:
        result: The run.
        folder: Its folder.
        guard: The run's signal handling, which holds signals while the models are saved.
        drawing: The animation drawn while the run trained (`start_animation`),
            finished here with the run's scene, or stopped if there is none.

    Raises:
        KeyboardInterrupt: On a signal while the files after the models are written.
        RunWriteError: If a file cannot be written.
    """
    written: dict[str, Path] = {}
    metrics = result.metrics
    under_way = ""

    def add(name: str) -> Path:
        nonlocal under_way
        under_way = name
        written[name] = folder / name
        return written[name]

    def save_metrics() -> None:
        write_json(folder / "metrics.json", metrics)
        written["metrics.json"] = folder / "metrics.json"

    live, drawn = drawing, None
    try:
        distribution = result.distribution
        real = distribution.sample(REAL_POINTS, seed=result.config.seed)
        scene = result.scene(real_points=real) if result.snapshots else None
        animation_name = f"training.{result.config.animation}"
        animated = result.config.animation != "none" and scene is not None
        if scene is not None and animated:
            # A long animation is finished by a second process while this one writes the rest, from now on.
            if live is not None:
                drawn, live = live.finish(scene, folder / animation_name), None
            else:
                drawn = rendering.start(scene, folder / animation_name)
        with guard.deferred() if guard is not None else contextlib.nullcontext():
            with atomic_path(add("gan.keras")) as tmp:
                result.gan.save(tmp)
            with atomic_path(add("generator.keras")) as tmp:
                result.generator.save(tmp)
            write_json(add("config.json"), result.config.to_dict())
            metrics["files"] = "writing"
            under_way = "metrics.json"
            save_metrics()
        epochs = list(range(1, len(result.history["d_loss"]) + 1))
        write_csv(add("history.csv"), {"epoch": epochs, **result.history})
        if result.snapshots:
            arrays: dict[str, Any] = {
                "epochs": np.array([epoch for epoch, _ in result.snapshots], dtype=np.int64),
                "points": np.stack([points for _, points in result.snapshots]),
                "accuracy": np.array([row[1:] for row in result.discriminator_accuracy], dtype=np.float32).reshape(
                    -1, 2
                ),
                **(result.views.arrays() if result.views is not None else {}),
            }
            with atomic_path(add("snapshots.npz")) as tmp:
                np.savez_compressed(tmp, **arrays)
        if result.quality:
            write_csv(add("quality.csv"), {**result.quality, "epoch": [int(e) for e in result.quality["epoch"]]})

        curve = distribution.curve()
        stills.plot_target(real, curve, add("target.png"), title=f"Target: {distribution.describe().get('name')}")
        if result.history["d_loss"]:
            stills.plot_losses(result.history["d_loss"], result.history["g_loss"], add("losses.png"))
        generated = result.gan.generate(100, result.config.seed)
        stills.plot_samples(real, generated, add("samples.png"), curve=curve, bounds=distribution.bounds)
        if result.quality:
            names = [name for name in result.quality if name != "epoch"]
            stills.plot_quality(
                [int(e) for e in result.quality["epoch"]], {n: result.quality[n] for n in names}, add("quality.png")
            )
        if scene is not None:
            every = "all" if result.views is not None else result.config.show
            write_still(scene.showing_available(every), add("layers.png"))
            if animated:
                if drawn is None:
                    write_animation(scene, add(animation_name))
                else:
                    add(animation_name)
                    drawn.wait()
                    drawn = None
        # The page shows the run as it will stand once the page itself is written.
        final = {**metrics, "files": "complete"}
        result.write_report(add("report.html"), pictures=written, scene=scene, metrics=final)
    except KeyboardInterrupt:
        written.pop(under_way, None)
        metrics["status"] = "interrupted"
        metrics["files"] = f"incomplete: interrupted while writing {under_way}"
        _try_to_save(save_metrics)
        raise
    except (OSError, RuntimeError) as error:  # Keras's h5 writer reports a full disk as RuntimeError
        written.pop(under_way, None)
        reason = getattr(error, "strerror", None) or " ".join(str(error).split())[:200]
        metrics["files"] = f"incomplete: could not write {under_way} ({reason})"
        _try_to_save(save_metrics)
        kept = "; the trained model is in gan.keras" if "gan.keras" in written else ""
        raise RunWriteError(f"could not write {folder / under_way}: {reason}{kept}", result) from error
    finally:
        # An animation drawn apart that is not needed any more.
        if live is not None:
            live.cancel()
        if drawn is not None:
            drawn.cancel()
    metrics["files"] = "complete"
    save_metrics()
    return written


def _try_to_save(save: Callable[[], None]) -> None:
    """Records how writing ended, where the disk still lets it."""
    with contextlib.suppress(OSError, KeyboardInterrupt):
        save()
