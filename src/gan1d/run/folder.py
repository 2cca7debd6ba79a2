"""Run folders: claiming one under an exclusive lock, what gan1d writes there, and room for it.

A run holds an exclusive lock on its folder while it writes; `overwrite` removes
gan1d's own files and nothing else. A folder the run created is removed again when
the run stops before writing anything (bad input, Ctrl-C while starting).
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Self

from gan1d.errors import Gan1dError
from gan1d.pictures.encoders import ffmpeg_available

if TYPE_CHECKING:
    from gan1d.run.config import TrainConfig

__all__ = ["RUN_FILES", "RunFolder", "check_outputs"]

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


class RunFolder:
    """A folder that one run writes to, held under an exclusive lock until `release`.

    Use `RunFolder.claim(...)`; a `with` block releases it.

    Attributes:
        path: The folder.
    """

    def __init__(self, path: Path, lock: int | None, created: Sequence[Path] = ()) -> None:
        self.path = path
        self._lock = lock
        # The folders `claim` made, the deepest first: removed again if nothing is written.
        self._created = tuple(created)

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
        path = Path("runs") / time.strftime("%Y%m%d-%H%M%S") if out_dir is None else Path(out_dir)
        # The folders this claim makes, the deepest first (a new run folder's name may get a suffix).
        created = [folder for folder in (path, *path.parents) if not folder.exists()]
        if out_dir is None:
            path = _new_folder(path)
            created = [path, *(folder for folder in created if folder != path and folder in path.parents)]
        else:
            if path.exists() and not path.is_dir():
                raise Gan1dError(f"--out {str(path)!r} is a file; give a folder")
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise Gan1dError(f"cannot create --out {str(path)!r}: {error.strerror or error}") from None
        folder = cls(path, _lock(path), created)
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
            folder.release(discard_if_empty=True)
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

    def release(self, *, discard_if_empty: bool = False) -> None:
        """Lets another run use the folder.

        Args:
            discard_if_empty: Also remove the folders `claim` created, if nothing
                was written into them (a run stopped before it trained anything).
        """
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
        if discard_if_empty:
            for folder in self._created:
                try:
                    folder.rmdir()  # only an empty folder goes
                except OSError:
                    break

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self.release(discard_if_empty=kind is not None)

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


def check_outputs(config: TrainConfig, out_dir: str | os.PathLike[str] | None) -> None:
    """Refuses, before any training or folder, files this machine cannot write.

    Raises:
        Gan1dError: For an mp4 animation without ffmpeg, or files clearly larger
            than the free space where they would go.
    """
    if config.animation == "mp4" and not ffmpeg_available():
        raise Gan1dError("animation mp4 needs ffmpeg on PATH; install it or use animation gif")
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
