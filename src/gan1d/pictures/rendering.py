"""A run's animation drawn by a second Python process, while the run trains and writes its other files.

Drawing 250 frames is seconds of single-threaded CPU (matplotlib holds Python's
lock, so a thread would not help), while training, saving the models and drawing
the still pictures keep the first process busy. The second process is a fresh
interpreter (`python -m gan1d.pictures.rendering`, which imports matplotlib but no
deep-learning framework) that reads messages on its standard input: named arrays
with a few settings (nothing is pickled). Only long animations go apart
(`MIN_FRAMES`): a process costs about half a second to start.

Two ways to use it:

- `start_live`, when training starts: `LiveRendering.add` sends each snapshot as
  the compiled loop hands it back, and the other process draws that frame's plane
  at once (`gan1d.pictures.streaming`), on the other core; `LiveRendering.finish`
  sends the run's scene, and the panels, the palette and the file are made then.
- `start`, with a finished scene: the whole animation is drawn apart.

Either way `Rendering.wait` collects the file. The second process starts a session
of its own, so a Ctrl-C at the terminal reaches only the first, which decides:
`cancel` ends the drawing with SIGTERM, on which the animation's temporary file is
removed. If the first process dies, the second notices within a fraction of a
second and stops the same way. Where the second process fails for any reason,
`wait` draws the animation in this process instead, so the run gets its file or the
real error.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from gan1d.core.views import CAPTURED
from gan1d.pictures.animation import FPS, HOLD_SECONDS, AnimationFile, write_animation, write_frames
from gan1d.pictures.frames import DPI
from gan1d.pictures.scene import Scene
from gan1d.pictures.streaming import StreamedFrames

__all__ = ["MIN_FRAMES", "LiveRendering", "Rendering", "start", "start_live"]

MIN_FRAMES = 100
"""Animations with fewer frames are drawn in this process: starting another costs more."""

_POLL_SECONDS = 0.2
# How much the drawing process yields to training on a busy machine (a nice value).
_NICENESS = 5


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
        _stop_process(self.process, self.sender)

    def _finish(self, timeout: float | None = None) -> None:
        """Waits for the process, and for its input to be sent (or to fail, once the process is gone)."""
        self.process.wait(timeout)
        self.sender.join()


class LiveRendering:
    """An animation whose frames another process draws while the run trains.

    Made by `start_live`. Send each snapshot with `add`, then the run's scene with
    `finish`, or stop it with `cancel`.
    """

    def __init__(self, process: subprocess.Popen[bytes], outbox: queue.SimpleQueue[bytes | None]) -> None:
        self.process = process
        self.outbox = outbox
        self.sender = threading.Thread(target=_send_all, args=(process, outbox), daemon=True)
        self.sender.start()
        self.sent = 0

    def add(self, epoch: int, captured: Mapping[str, np.ndarray]) -> None:
        """Sends a snapshot (`points` and the captured layers) to be drawn now; returns at once."""
        arrays = {"points": np.asarray(captured["points"], np.float32)}
        arrays.update({name: np.asarray(captured[name], np.float32) for name in CAPTURED})
        self.outbox.put(_message("frame", {"epoch": int(epoch)}, arrays))
        self.sent += 1

    def finish(self, scene: Scene, path: Path, **options: Any) -> Rendering:
        """Sends the run's scene; the other process draws the panels and writes `path`.

        Args:
            scene: The run's scene, whose frames the snapshots sent began.
            path: The animation file (.gif or .mp4).
            **options: `write_animation`'s `fps`, `dpi` and `hold`, as given to `start_live`.

        Returns:
            The drawing under way: `wait` returns the file.
        """
        self.outbox.put(_message("finish", {"path": str(path), **options}, scene.arrays()))
        self.outbox.put(None)
        return Rendering(path, scene, options, self.process, self.sender)

    def cancel(self) -> None:
        """Stops the drawing; no file is written."""
        self.outbox.put(None)
        _stop_process(self.process, self.sender)


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
    process = _process()
    if process is None:
        return None
    message = _message("finish", {"path": str(path), **options}, scene.arrays())
    # Sent from a thread: the other process reads only once it has imported matplotlib.
    sender = threading.Thread(target=_send, args=(process, message, True), daemon=True)
    sender.start()
    return Rendering(path, scene, options, process, sender)


def start_live(
    *,
    frames: int,
    real: np.ndarray,
    curve: tuple[np.ndarray, np.ndarray] | None,
    plane: tuple[tuple[float, float], tuple[float, float]],
    show: Sequence[str],
    quality: str | None,
    dpi: int = DPI,
) -> LiveRendering | None:
    """Starts a process that draws an animation's frames as `LiveRendering.add` sends their snapshots.

    Args:
        frames: The frames the run will have, if it trains to its end.
        real: The real points the scene will draw.
        curve: The target's curve, or None.
        plane: The view the layers are captured over.
        show: The layers the scene will show.
        quality: The name of the quality number under the losses, or None.
        dpi: Resolution.

    Returns:
        The drawing under way, or None where it is not worth another process or
        none can be started.
    """
    if frames < MIN_FRAMES:
        return None
    process = _process(nice=True)
    if process is None:
        return None
    outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    settings = {"plane": [list(side) for side in plane], "show": list(show), "quality": quality, "dpi": dpi}
    arrays = {"real": np.asarray(real, np.float64)}
    if curve is not None:
        arrays["curve"] = np.stack(curve)
    outbox.put(_message("setup", settings, arrays))
    return LiveRendering(process, outbox)


def _process(*, nice: bool = False) -> subprocess.Popen[bytes] | None:
    """A fresh interpreter running `main`, or None where none can be started."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "gan1d.pictures.rendering", str(os.getpid())]
    try:
        return subprocess.Popen(
            [*command, *(["--nice"] if nice else [])],
            stdin=subprocess.PIPE,
            # Its errors are not read: where it fails, `wait` draws here and meets them itself.
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    except OSError:  # an interpreter that cannot start: the caller draws it
        return None


def _stop_process(process: subprocess.Popen[bytes], sender: threading.Thread) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    sender.join()


# ----- messages: a JSON header (kind, settings, arrays' names, dtypes and shapes), then the arrays' bytes


def _message(kind: str, settings: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> bytes:
    # np.asarray rather than np.ascontiguousarray, which makes a 0-d array 1-d.
    contiguous = {name: np.asarray(array, order="C") for name, array in arrays.items()}
    header = json.dumps(
        {
            "kind": kind,
            "settings": dict(settings),
            "arrays": [[name, a.dtype.str, list(a.shape)] for name, a in contiguous.items()],
        }
    ).encode()
    body = b"".join(a.tobytes() for a in contiguous.values())
    return len(header).to_bytes(8, "little") + len(body).to_bytes(8, "little") + header + body


def _read_message(stream: IO[bytes]) -> tuple[str, dict[str, Any], dict[str, np.ndarray]] | None:
    """The next message, or None at the end of the stream."""
    sizes = stream.read(16)
    if not sizes:
        return None
    header_size, body_size = int.from_bytes(sizes[:8], "little"), int.from_bytes(sizes[8:16], "little")
    header = json.loads(_read_exactly(stream, header_size))
    body = _read_exactly(stream, body_size)
    arrays, offset = {}, 0
    for name, dtype, shape in header["arrays"]:
        count = int(np.prod(shape, dtype=np.int64))
        arrays[name] = np.frombuffer(body, np.dtype(dtype), count, offset).reshape(tuple(shape))
        offset += count * np.dtype(dtype).itemsize
    return header["kind"], header["settings"], arrays


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the message ended early")
    return data


def _send(process: subprocess.Popen[bytes], message: bytes, close: bool = False) -> None:
    assert process.stdin is not None
    try:
        process.stdin.write(message)
        process.stdin.flush()
    except OSError:  # the process died; `wait` draws the animation here
        pass
    finally:
        if close:
            with contextlib.suppress(OSError):
                process.stdin.close()


def _send_all(process: subprocess.Popen[bytes], outbox: queue.SimpleQueue[bytes | None]) -> None:
    """Sends the messages put in `outbox` until None, then closes the process's input."""
    while (message := outbox.get()) is not None:
        _send(process, message)
    _send(process, b"", close=True)


# ----- the other process ---------------------------------------------------------


def _stop(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _watch_parent(parent: int) -> None:
    """Ends this process (as SIGTERM does) once the process that started it is gone."""
    while os.getppid() == parent:
        time.sleep(_POLL_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str]) -> int:
    """Draws the animation that the messages on standard input describe, for the process `argv[0]`."""
    signal.signal(signal.SIGTERM, _stop)
    # The parent's id comes from the parent: it may be gone before this line runs.
    threading.Thread(target=_watch_parent, args=(int(argv[0]),), daemon=True).start()
    if "--nice" in argv[1:]:
        with contextlib.suppress(OSError):
            os.nice(_NICENESS)
    streamed: StreamedFrames | None = None
    while (message := _read_message(sys.stdin.buffer)) is not None:
        kind, settings, arrays = message
        if kind == "setup":
            (x0, x1), (y0, y1) = settings["plane"]
            curve = arrays.get("curve")
            streamed = StreamedFrames(
                real=arrays["real"],
                curve=None if curve is None else (curve[0], curve[1]),
                plane=((x0, x1), (y0, y1)),
                show=settings["show"],
                dpi=settings["dpi"],
                quality=settings["quality"],
            )
        elif kind == "frame" and streamed is not None:
            streamed.add(settings["epoch"], arrays["points"], arrays)
        elif kind == "finish":
            scene = Scene.from_arrays(arrays)
            path = Path(settings.pop("path"))
            if streamed is None or settings.get("dpi", streamed.dpi) != streamed.dpi:
                write_animation(scene, path, **settings)
            else:
                fps, hold = settings.get("fps", FPS), settings.get("hold", HOLD_SECONDS)
                write_frames(streamed.compose(scene), path, fps=fps, hold=hold)
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
