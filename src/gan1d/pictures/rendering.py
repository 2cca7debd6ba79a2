"""A run's animation drawn by a second Python process while this one writes the other files.

Drawing 250 frames is seconds of single-threaded CPU (matplotlib holds Python's
lock, so a thread would not help), while saving the models and drawing the still
pictures keep the first process busy. `start` hands the scene to a fresh
interpreter (`python -m gan1d.pictures.rendering`, which imports matplotlib but no
deep-learning framework) through its standard input, as the arrays of an `.npz`
(`Scene.arrays`; nothing is pickled), and `Rendering.wait` collects the file. Only
long animations go apart (`MIN_FRAMES`): a process costs about half a second to
start.

The second process starts a session of its own, so a Ctrl-C at the terminal
reaches only the first, which decides: `Rendering.cancel` ends the drawing with
SIGTERM, on which the animation's temporary file is removed. If the first process
dies, the second notices within a fraction of a second and stops the same way.
Where the second process fails for any reason, `wait` draws the animation in this
process instead, so the run gets its file or the real error.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from gan1d.pictures.animation import AnimationFile, write_animation
from gan1d.pictures.scene import Scene

__all__ = ["MIN_FRAMES", "Rendering", "start"]

MIN_FRAMES = 100
"""Animations with fewer frames are drawn in this process: starting another costs more."""

_POLL_SECONDS = 0.2


class Rendering:
    """An animation being drawn by another process; `wait` returns its file."""

    def __init__(
        self,
        path: Path,
        scene: Scene,
        options: dict[str, Any],
        process: subprocess.Popen[bytes],
        sender: threading.Thread,
    ) -> None:
        self.path = path
        self.scene = scene
        self.options = options
        self.process = process
        self.sender = sender

    def wait(self) -> AnimationFile:
        """Waits for the file; draws it here if the other process failed."""
        try:
            self._finish()
        except BaseException:
            self.cancel()
            raise
        if self.process.returncode == 0 and self.path.is_file():
            return AnimationFile(self.path)
        return write_animation(self.scene, self.path, **self.options)

    def cancel(self) -> None:
        """Stops the drawing; its temporary file is removed, the final file never appears."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self._finish(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self._finish()

    def _finish(self, timeout: float | None = None) -> None:
        """Waits for the process, and for its input to be sent (or to fail, once the process is gone)."""
        self.process.wait(timeout)
        self.sender.join()


def start(scene: Scene, path: Path, **options: Any) -> Rendering | None:
    """Starts drawing `write_animation(scene, path, **options)` in another process.

    Args:
        scene: The scene to animate.
        path: The animation file (.gif or .mp4).
        **options: `write_animation`'s keywords (`fps`, `dpi`, `hold`).

    Returns:
        The drawing under way, or None where it is not worth another process
        (fewer than `MIN_FRAMES` frames) or none can be started: then the
        caller draws it itself.
    """
    if len(scene) < MIN_FRAMES:
        return None
    message = io.BytesIO()
    settings = json.dumps({"path": str(path), **options}).encode()
    message.write(len(settings).to_bytes(8, "little") + settings)
    arrays: dict[str, Any] = scene.arrays()  # every value an array, none pickled
    np.savez(message, **arrays)
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "gan1d.pictures.rendering", str(os.getpid())],
            stdin=subprocess.PIPE,
            # Its errors are not read: where it fails, `wait` draws here and meets them itself.
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    except OSError:  # an interpreter that cannot start: the caller draws it
        return None
    # Sent from a thread: the other process reads only once it has imported matplotlib.
    sender = threading.Thread(target=_send, args=(process, message.getvalue()), daemon=True)
    sender.start()
    return Rendering(path, scene, options, process, sender)


def _send(process: subprocess.Popen[bytes], message: bytes) -> None:
    assert process.stdin is not None
    try:
        process.stdin.write(message)
    except OSError:  # the process died; `wait` draws the animation here
        pass
    finally:
        with contextlib.suppress(OSError):
            process.stdin.close()


def _stop(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _watch_parent(parent: int) -> None:
    """Ends this process (as SIGTERM does) once the process that started it is gone."""
    while os.getppid() == parent:
        time.sleep(_POLL_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str]) -> int:
    """Draws the animation whose scene `start` sends on standard input, for the process `argv[0]`."""
    signal.signal(signal.SIGTERM, _stop)
    # The parent's id comes from the parent: it may be gone before this line runs.
    threading.Thread(target=_watch_parent, args=(int(argv[0]),), daemon=True).start()
    message = sys.stdin.buffer.read()
    length = int.from_bytes(message[:8], "little")
    settings = json.loads(message[8 : 8 + length])
    with np.load(io.BytesIO(message[8 + length :])) as stored:
        scene = Scene.from_arrays({name: stored[name] for name in stored.files})
    write_animation(scene, Path(settings.pop("path")), **settings)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
