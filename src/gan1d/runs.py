"""Run folders and the files in them: claiming a folder, atomic writes, JSON and CSV.

Every file is written to a temporary name beside its final one and renamed into
place when complete, so an interrupted write never leaves a half-written file
under a final name. A run holds an exclusive lock on its folder while it writes.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import math
import os
import secrets
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

from gan1d.errors import Gan1dError, RunWriteError

__all__ = ["RUN_FILES", "RunFolder", "atomic_path", "read_csv", "strict_json", "write_csv", "write_json", "write_text"]

# What gan1d writes into a run folder; `overwrite` removes these and nothing else.
RUN_FILES = (
    "gan.keras",
    "generator.keras",
    "config.json",
    "metrics.json",
    "history.csv",
    "snapshots.npz",
    "quality.csv",
    "target.png",
    "losses.png",
    "samples.png",
    "quality.png",
    "layers.png",
    "training.gif",
    "training.mp4",
    "report.html",
    "sweep.json",
    "sweep.csv",
)


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yields a temporary path beside `final`, renamed onto it only on success.

    The temporary name keeps `final`'s suffix (Keras picks the format from it) and
    contains `.tmp.`; on any error, Ctrl-C included, it is removed and an older
    file under the final name is left as it was.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    # A random name in the same folder: the rename is then atomic, and writers
    # create the file with the usual permissions (mkstemp would force 0600).
    tmp = final.with_name(f".{final.stem}.{secrets.token_hex(4)}.tmp{final.suffix}")
    try:
        yield tmp
        if tmp.is_dir():
            raise OSError(f"{tmp} is a folder")
        tmp.replace(final)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def strict_json(value: Any) -> Any:
    """`value` with every non-finite float replaced by None, so the JSON is standard."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(v) for v in value]
    return value


def write_text(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return path


def write_json(path: Path, value: Any) -> Path:
    """Standard JSON (NaN and infinities become null), indented, atomically."""
    return write_text(path, json.dumps(strict_json(value), indent=2, allow_nan=False) + "\n")


def write_csv(path: Path, columns: Mapping[str, Sequence[Any]]) -> Path:
    """One column per entry; floats written with `repr` so they read back exactly."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(columns)
        for row in zip(*columns.values(), strict=True):
            writer.writerow([value if isinstance(value, int | str | bool) else repr(float(value)) for value in row])
    return path


def read_csv(path: Path) -> dict[str, list[str]]:
    """The columns of a CSV file that `write_csv` wrote, as strings."""
    with open(path, newline="") as stream:
        rows = list(csv.reader(stream))
    if not rows:
        return {}
    return {name: [row[i] for row in rows[1:]] for i, name in enumerate(rows[0])}


class RunFolder:
    """A folder that one run writes to, held under an exclusive lock until `release`.

    Use `RunFolder.claim(...)`; a `with` block releases it.

    Attributes:
        path: The folder.
    """

    def __init__(self, path: Path, lock: int | None) -> None:
        self.path = path
        self._lock = lock

    @classmethod
    def claim(
        cls,
        out_dir: str | os.PathLike[str] | None,
        *,
        overwrite: bool = False,
        resume: bool = False,
        holds: str = "config.json",
    ) -> RunFolder:
        """Creates (or takes) a run folder and locks it.

        `None` claims a new folder under `runs/` named by date and time (with a
        suffix if that name is taken). An existing folder must be empty, unless
        `overwrite` is set (then gan1d's own files in it are removed and anything
        else stays) or `resume` is set (then it must hold `holds`: a run's
        `config.json`, or a study's `study.json`).

        Raises:
            Gan1dError: If the folder is not empty, is a file, cannot be written, or
                another run holds it.
        """
        if out_dir is None:
            path = _new_folder(Path("runs") / time.strftime("%Y%m%d-%H%M%S"))
        else:
            path = Path(out_dir)
            if path.exists() and not path.is_dir():
                raise Gan1dError(f"--out {str(path)!r} is a file; give a folder")
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise Gan1dError(f"cannot create --out {str(path)!r}: {error.strerror or error}") from None
        folder = cls(path, _lock(path))
        try:
            if resume:
                if not (path / holds).is_file():
                    raise Gan1dError(f"{str(path)!r} holds no gan1d run (no {holds}) to resume")
            elif any(path.iterdir()):
                if not overwrite:
                    raise Gan1dError(f"--out {str(path)!r} is not empty; choose another folder or pass --overwrite")
                blocked = [name for name in RUN_FILES if (path / name).is_dir()]
                if blocked:
                    raise Gan1dError(
                        f"--out {str(path)!r} holds a folder named {blocked[0]!r}, where gan1d writes a file; "
                        "move it or choose another folder"
                    )
                folder.remove(RUN_FILES)
            _check_writable(path)
        except BaseException:
            folder.release()
            raise
        return folder

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def remove(self, names: Sequence[str]) -> None:
        """Deletes these gan1d files from the folder, where present."""
        for name in names:
            file = self.path / name
            if file.is_file():
                file.unlink()

    def release(self) -> None:
        """Lets another run use the folder."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"


def _new_folder(base: Path) -> Path:
    """Creates and returns the first free folder among `base`, `base-2`, ... (atomic: mkdir)."""
    base.parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        path = base if n == 1 else base.with_name(f"{base.name}-{n}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        except OSError as error:
            raise Gan1dError(f"cannot create {str(path)!r}: {error.strerror or error}") from None
        return path
    raise Gan1dError(f"no free run folder name next to {str(base)!r}")


def _lock(path: Path) -> int | None:
    """An exclusive lock on the folder itself (flock on its descriptor), or None where unsupported."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks on folders
        return None
    descriptor = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise Gan1dError(f"another gan1d run is writing to {str(path)!r}; choose another folder") from None
    except OSError:
        return descriptor  # a file system without locks: carry on unlocked
    return descriptor


def _check_writable(path: Path) -> None:
    probe = path / f".gan1d-probe.{secrets.token_hex(4)}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise Gan1dError(f"cannot write to --out {str(path)!r}: {error.strerror or error}") from None


# ----- what a run folder holds ---------------------------------------------------


def write_run(result: Any, distribution: Any, folder: RunFolder, guard: Any = None) -> dict[str, Path]:
    """Writes every file of a finished (or stopped) run; returns name -> path.

    The trained models come first, with signals held back until they are on disk
    (`guard`, a `gan1d.interrupts.SignalGuard`), then the numbers, then the
    pictures. `metrics.json` says in `files` whether every file was written; if a
    signal or a write error stops the rest, it says which file was under way.

    Raises:
        KeyboardInterrupt: On a signal while the files after the models are written.
        RunWriteError: If a file cannot be written.
    """
    import numpy as np

    from gan1d import animation, plots

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

    rendering: Any = None
    try:
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
            accuracy = np.array([row[1:] for row in result.discriminator_accuracy], dtype=np.float32).reshape(-1, 2)
            with atomic_path(add("snapshots.npz")) as tmp:
                np.savez_compressed(
                    tmp,
                    epochs=np.array([epoch for epoch, _ in result.snapshots], dtype=np.int64),
                    points=np.stack([points for _, points in result.snapshots]),
                    accuracy=accuracy,
                    **(result.views.arrays() if result.views is not None else {}),
                )
        if result.quality:
            write_csv(add("quality.csv"), {**result.quality, "epoch": [int(e) for e in result.quality["epoch"]]})

        animated = result.config.animation != "none" and bool(result.snapshots)
        if animated:
            from gan1d import rendering as background

            # A long animation is drawn by a second process while this one draws the rest.
            animation_name = f"training.{result.config.animation}"
            animation_options = animation.result_options(result)
            rendering = background.start(folder / animation_name, **animation_options)
        real = distribution.sample(100, seed=result.config.seed)
        curve = distribution.curve()
        bounds = distribution.bounds
        name = distribution.describe().get("name")
        plots.plot_target(real, curve, add("target.png"), title=f"Target: {name}")
        if result.history["d_loss"]:
            plots.plot_losses(result.history["d_loss"], result.history["g_loss"], add("losses.png"))
        generated = result.gan.generate(100, result.config.seed)
        plots.plot_samples(real, generated, add("samples.png"), curve=curve, bounds=bounds)
        if result.quality:
            names = [name for name in result.quality if name != "epoch"]
            plots.plot_quality(
                [int(e) for e in result.quality["epoch"]], {n: result.quality[n] for n in names}, add("quality.png")
            )
        if result.snapshots:
            animation.animate_result(result, add("layers.png"), show="all" if result.views is not None else None)
        if animated:
            if rendering is None:
                animation.animate(path=add(animation_name), **animation_options)
            else:
                add(animation_name)
                rendering.wait()
                rendering = None
        from gan1d.report import write_report

        write_report(result, add("report.html"), files=written)
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
        if rendering is not None:  # the animation drawn apart is not needed any more
            rendering.cancel()
    metrics["files"] = "complete"
    save_metrics()
    return written


def _try_to_save(save: Any) -> None:
    """Records how writing ended, where the disk still lets it."""
    with contextlib.suppress(OSError, KeyboardInterrupt):
        save()


def check_free_space(out_dir: str | os.PathLike[str] | None, config: Any) -> None:
    """Refuses, before the folder is made, a run whose files clearly cannot fit where they would go.

    Raises:
        Gan1dError: If the estimated files are larger than the free space.
    """
    import shutil

    path = Path("runs" if out_dir is None else out_dir).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent

    snapshots = config.epochs // config.snapshot_every if config.snapshot_every else 0
    parameters = 0
    for sizes in ([config.latent_dim, *config.generator_units, 2], [2 * config.pack, *config.discriminator_units, 1]):
        parameters += sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    estimate = (
        2 * 3 * 4 * parameters  # two model files with Adam's two moments
        + 40 * config.epochs  # history.csv
        + snapshots * (8 * config.snapshot_points + 4_000)  # snapshots.npz and the animation's frames
        + 400_000  # the pictures
    )
    free = shutil.disk_usage(path).free
    if estimate > free:
        raise Gan1dError(
            f"the run's files need about {estimate / 1e6:.1f} MB and {str(path)!r} has {free / 1e6:.2f} MB free; "
            "free some space or choose another --out"
        )


def load_run(
    path: Path,
) -> tuple[Any, Any, dict[str, list[float]], list[tuple[int, Any]], list[tuple[int, float, float]]]:
    """The config, whole GAN, history, snapshots and accuracies a run folder keeps.

    The GAN is loaded in Keras's safe mode: a file that would run code (a `Lambda`
    layer, say) is refused.

    Raises:
        Gan1dError: If a file is missing or cannot be loaded safely.
    """
    import keras
    import numpy as np

    from gan1d.config import TrainConfig

    config = TrainConfig.from_file(path / "config.json")
    model_file = path / "gan.keras"
    if not model_file.is_file():
        raise Gan1dError(f"{str(path)!r} has no gan.keras to continue from")
    gan = load_gan(model_file)
    try:
        columns = read_csv(path / "history.csv")
        history = {name: [float(v) for v in columns.get(name, [])] for name in ("d_loss", "g_loss")}
    except (OSError, ValueError) as error:
        raise Gan1dError(f"cannot read the history of {str(path)!r}: {error}") from None
    if len(history["d_loss"]) != int(keras.ops.convert_to_numpy(gan.g_optimizer.iterations)):
        raise Gan1dError(f"the history and the saved GAN of {str(path)!r} disagree on the steps trained")
    snapshots: list[tuple[int, Any]] = []
    accuracy: list[tuple[int, float, float]] = []
    if (path / "snapshots.npz").is_file():
        with np.load(path / "snapshots.npz") as saved:
            epochs = [int(e) for e in saved["epochs"]]
            snapshots = list(zip(epochs, list(saved["points"]), strict=True))
            if len(saved["accuracy"]) == len(epochs):
                accuracy = [(e, float(a), float(b)) for e, (a, b) in zip(epochs, saved["accuracy"], strict=True)]
    return config, gan, history, snapshots, accuracy


def load_views(path: Path) -> Any:
    """The layers (`gan1d.views.Views`) a run folder's snapshots keep, or None."""
    import numpy as np

    from gan1d.views import Views

    if not (path / "snapshots.npz").is_file():
        return None
    with np.load(path / "snapshots.npz") as saved:
        return Views.from_arrays(saved)


def load_gan(path: str | os.PathLike[str]) -> Any:
    """Loads a whole GAN saved with `GAN.save`, in Keras's safe mode.

    Raises:
        Gan1dError: If the file cannot be read, or would run code to load.
    """
    import keras

    import gan1d.gan  # registers the GAN class for deserialising
    import gan1d.models  # noqa: F401  (registers the graph generator's layers)

    try:
        return keras.saving.load_model(path, safe_mode=True)
    except (OSError, ValueError, TypeError, KeyError) as error:
        message = " ".join(str(error).split())
        if "safe_mode" in message or "lambda" in message.lower():
            raise Gan1dError(
                f"{str(path)!r} would run code to load (e.g. a Lambda layer); gan1d loads models only in Keras's "
                "safe mode"
            ) from None
        raise Gan1dError(f"cannot load {str(path)!r}: {message[:300]}") from None
