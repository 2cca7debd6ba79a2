"""A run's animation drawn by a second Python process while this one writes the other files.

Drawing 250 frames is seconds of single-threaded CPU (matplotlib holds Python's
lock, so a thread would not help), while saving the models and drawing the still
pictures keep the first process busy. `start` hands the frames' data to a fresh
interpreter (`python -m gan1d.rendering FOLDER`, which imports matplotlib but no
deep-learning framework) through an `.npz` file in a private temporary folder, and
`Rendering.wait` collects the file. Only long animations go apart
(`MIN_FRAMES`): a process costs about half a second to start.

The second process starts a session of its own, so a Ctrl-C at the terminal
reaches only the first, which decides: `Rendering.cancel` ends the drawing with
SIGTERM, on which the animation's temporary file is removed. If the first process
dies, the second notices within a fraction of a second and stops the same way. Where
the second process fails for any reason, `wait` draws the animation in this process
instead, so the run gets its file or the real error.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MIN_FRAMES", "Rendering", "start"]

MIN_FRAMES = 100
"""Animations with fewer frames are drawn in this process: starting another costs more."""

_POLL_SECONDS = 0.2


class Rendering:
    """An animation being drawn by another process; `wait` returns its file."""

    def __init__(self, path: Path, options: dict[str, Any], folder: Path, process: subprocess.Popen[bytes]) -> None:
        self.path = path
        self.options = options
        self.folder = folder
        self.process = process

    def wait(self) -> Any:
        """Waits for the file; draws it here if the other process failed. Returns an `AnimationFile`."""
        from gan1d.animation import AnimationFile, animate

        try:
            self.process.communicate()
        except BaseException:
            self.cancel()
            raise
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
        if self.process.returncode == 0 and self.path.is_file():
            return AnimationFile(self.path)
        return animate(path=self.path, **self.options)

    def cancel(self) -> None:
        """Stops the drawing; its temporary file is removed, the final file never appears."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
        shutil.rmtree(self.folder, ignore_errors=True)


def start(path: Path, **options: Any) -> Rendering | None:
    """Starts drawing `gan1d.animate(snapshots, real_points, path, **options)` in another process.

    Args:
        path: The animation file (.gif or .mp4).
        **options: `animate`'s arguments: `snapshots`, `real_points` and its keywords.

    Returns:
        The drawing under way, or None where it is not worth another process
        (fewer than `MIN_FRAMES` frames) or none can be started: then the
        caller draws it itself.
    """
    snapshots = options["snapshots"]
    if len(snapshots) < MIN_FRAMES:
        return None
    folder = Path(tempfile.mkdtemp(prefix="gan1d-render-"))
    try:
        arrays, settings = _pack(options)
        stored: dict[str, Any] = arrays  # every value an array, none pickled
        np.savez(folder / "inputs.npz", **stored)
        (folder / "settings.json").write_text(json.dumps({"path": str(path), **settings}))
        package_root = str(Path(__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        process = subprocess.Popen(  # an interpreter that cannot start is the OSError below
            [sys.executable, "-m", "gan1d.rendering", str(folder), str(os.getpid())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Rendering(path, options, folder, process)


def _pack(options: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """`animate`'s arguments as arrays (for `np.savez`) and plain settings (for JSON)."""
    snapshots = options["snapshots"]
    arrays: dict[str, np.ndarray] = {
        "epochs": np.array([epoch for epoch, _ in snapshots], dtype=np.int64),
        "points": np.stack([np.asarray(points) for _, points in snapshots]),
        "real_points": np.asarray(options["real_points"]),
    }
    settings: dict[str, Any] = {}
    if options.get("views") is not None:
        arrays.update(options["views"].arrays())
    if options.get("history") is not None:
        arrays["d_loss"] = np.asarray(options["history"]["d_loss"], dtype=np.float64)
        arrays["g_loss"] = np.asarray(options["history"]["g_loss"], dtype=np.float64)
    if options.get("quality") is not None:
        name, values = options["quality"]
        settings["quality"] = name
        arrays["quality"] = np.asarray(values, dtype=np.float64)
    if options.get("curve") is not None:
        arrays["curve_x"], arrays["curve_y"] = (np.asarray(part) for part in options["curve"])
    for name in ("show", "bounds", "fps", "dpi", "hold"):
        if options.get(name) is not None:
            settings[name] = options[name]
    return arrays, settings


def _unpack(folder: Path) -> dict[str, Any]:
    """`animate`'s arguments from what `_pack` wrote into `folder`."""
    from gan1d.views import Views

    settings = json.loads((folder / "settings.json").read_text())
    with np.load(folder / "inputs.npz") as stored:
        arrays = {name: stored[name] for name in stored.files}
    options: dict[str, Any] = {
        "snapshots": list(zip(arrays["epochs"].tolist(), arrays["points"], strict=True)),
        "real_points": arrays["real_points"],
        "path": Path(settings.pop("path")),
        "views": Views.from_arrays(arrays),
    }
    if "d_loss" in arrays:
        options["history"] = {"d_loss": arrays["d_loss"].tolist(), "g_loss": arrays["g_loss"].tolist()}
    if "quality" in settings:
        options["quality"] = (settings.pop("quality"), arrays["quality"])
    if "curve_x" in arrays:
        options["curve"] = (arrays["curve_x"], arrays["curve_y"])
    if "show" in settings:
        settings["show"] = tuple(settings["show"]) if isinstance(settings["show"], list) else settings["show"]
    if "bounds" in settings:
        settings["bounds"] = tuple(tuple(pair) for pair in settings["bounds"])
    return {**options, **settings}


def _stop(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _watch_parent(parent: int) -> None:
    """Ends this process (as SIGTERM does) once the process that started it is gone."""
    while os.getppid() == parent:
        time.sleep(_POLL_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str]) -> int:
    """Draws the animation whose data `start` left in the folder `argv[0]`, for the process `argv[1]`."""
    signal.signal(signal.SIGTERM, _stop)
    # The parent's id comes from the parent: it may be gone before this line runs.
    threading.Thread(target=_watch_parent, args=(int(argv[1]),), daemon=True).start()
    from gan1d.animation import animate

    animate(**_unpack(Path(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
