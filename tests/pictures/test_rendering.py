"""The animation drawn by a second process, whole or while the run trains: the same file, stopped cleanly, drawn here when it fails."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from gan1d.core.views import CAPTURED
from gan1d.pictures import rendering
from gan1d.pictures.animation import write_animation
from gan1d.pictures.scene import Scene
from support.pictures import CURVE, REAL, snapshots, views


def scene(frames: int = rendering.MIN_FRAMES) -> Scene:
    rng = np.random.default_rng(0)
    snapshots = [(20 * i, rng.normal(size=(50, 2)) / (1 + i / 10)) for i in range(frames)]
    history = {"d_loss": rng.random(20 * frames).tolist(), "g_loss": rng.random(20 * frames).tolist()}
    curve = (np.linspace(-1, 1, 50), np.linspace(-1, 1, 50) ** 2)
    return Scene.build(
        snapshots,
        rng.normal(size=(40, 2)),
        history=history,
        curve=curve,
        quality=("energy distance", rng.random(frames)),
        show=("losses",),
    )


def leftovers(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if ".tmp" in path.name)


def test_the_animation_drawn_apart_is_the_one_drawn_here(tmp_path):
    drawing = rendering.start(scene(), tmp_path / "apart.gif", dpi=30)
    assert drawing is not None
    written = drawing.wait()
    assert drawing.process.returncode == 0
    here = write_animation(scene(), tmp_path / "here.gif", dpi=30)
    assert written.read_bytes() == here.read_bytes()
    assert leftovers(tmp_path) == []


def live(drawn: Scene, **options) -> rendering.LiveRendering:
    """A drawing started before its snapshots, sent one by one as a run would."""
    assert drawn.views is not None
    drawing = rendering.start_live(
        frames=len(drawn),
        real=drawn.real,
        curve=drawn.curve,
        plane=drawn.views.plane,
        show=drawn.show,
        quality=None if drawn.quality is None else drawn.quality[0],
        **options,
    )
    assert drawing is not None
    for i, (epoch, points) in enumerate(zip(drawn.epochs, drawn.points, strict=True)):
        drawing.add(epoch, {"points": points, **{name: getattr(drawn.views, name)[i] for name in CAPTURED}})
    return drawing


def layered(frames: int = rendering.MIN_FRAMES) -> Scene:
    snaps = snapshots(frames)
    rng = np.random.default_rng(2)
    history = {"d_loss": rng.random(20 * frames).tolist(), "g_loss": rng.random(20 * frames).tolist()}
    return Scene.build(
        snaps, REAL, views=views(snaps), history=history, curve=CURVE, quality=("x w1", rng.random(frames)), show="all"
    )


def test_an_animation_drawn_while_its_snapshots_arrive_is_the_one_drawn_here(tmp_path):
    drawn = layered()
    written = live(drawn, dpi=30).finish(drawn, tmp_path / "live.gif", dpi=30).wait()
    here = write_animation(drawn, tmp_path / "here.gif", dpi=30)
    assert written.read_bytes() == here.read_bytes()
    assert leftovers(tmp_path) == []


def test_a_live_drawing_cancelled_leaves_nothing(tmp_path):
    drawing = live(layered(), dpi=30)
    drawing.cancel()
    assert drawing.process.returncode is not None
    assert list(tmp_path.iterdir()) == []
    assert (
        rendering.start_live(
            frames=rendering.MIN_FRAMES - 1, real=REAL, curve=None, plane=((0, 1), (0, 1)), show=(), quality=None
        )
        is None
    )


def test_short_animations_are_left_to_the_caller(tmp_path):
    assert rendering.start(scene(rendering.MIN_FRAMES - 1), tmp_path / "short.gif") is None


def test_cancel_stops_the_drawing_and_leaves_nothing(tmp_path):
    drawing = rendering.start(scene(400), tmp_path / "cancelled.gif", dpi=30)
    assert drawing is not None
    while not _catches_sigterm(drawing.process.pid):  # the drawing has begun
        assert drawing.process.poll() is None
        time.sleep(0.01)
    drawing.cancel()
    assert drawing.process.returncode == 1 + 127 + signal.SIGTERM  # SystemExit(128 + SIGTERM)
    assert not (tmp_path / "cancelled.gif").exists()
    assert leftovers(tmp_path) == []


def test_a_failed_drawing_is_done_here(tmp_path, monkeypatch):
    send = rendering._send

    def cut_short(process, message, *rest):
        send(process, message[: len(message) // 2], *rest)  # the other process cannot read the scene

    monkeypatch.setattr(rendering, "_send", cut_short)
    drawing = rendering.start(scene(), tmp_path / "fallback.gif", dpi=30)
    assert drawing is not None
    written = drawing.wait()
    assert drawing.process.returncode != 0
    assert written.read_bytes() == write_animation(scene(), tmp_path / "here.gif", dpi=30).read_bytes()


def test_no_interpreter_means_drawing_here(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    assert rendering.start(scene(), tmp_path / "none.gif") is None


def test_the_drawing_stops_when_its_parent_dies(tmp_path):
    script = (
        "import json, os, sys\n"
        "sys.path[:0] = [sys.argv[1], os.path.dirname(sys.argv[1])]\n"
        "import test_rendering as t\n"
        "from gan1d.pictures import rendering\n"
        "from pathlib import Path\n"
        "drawing = rendering.start(t.scene(1000), Path(sys.argv[2]) / 'orphan.gif', dpi=30)\n"
        "print(json.dumps(drawing.process.pid), flush=True)\n"
        "os._exit(0)\n"
    )
    tests = str(Path(__file__).parent)
    done = subprocess.run(
        [sys.executable, "-c", script, tests, str(tmp_path)], capture_output=True, text=True, check=True
    )
    pid = json.loads(done.stdout)
    # The orphan checks for its parent every fraction of a second; 1000 frames take far longer.
    while _alive(pid):
        time.sleep(0.05)
    assert not (tmp_path / "orphan.gif").exists()
    assert leftovers(tmp_path) == []


def _catches_sigterm(pid: int) -> bool:
    with open(f"/proc/{pid}/status") as status:
        caught = next(line for line in status if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) >> (signal.SIGTERM - 1) & 1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as ended.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("frames", [rendering.MIN_FRAMES])
def test_a_run_folder_gets_the_animation_drawn_apart(tmp_path, frames):
    import gan1d

    result = gan1d.train(epochs=20 * (frames - 1), snapshot_every=20, out_dir=tmp_path / "run")
    gif = tmp_path / "run" / "training.gif"
    assert result.artifacts["training.gif"] == gif
    from PIL import Image

    with Image.open(gif) as image:
        assert image.n_frames >= frames
    # Drawn while the run trained, frame by frame: the animation drawn from the finished run.
    assert gif.read_bytes() == result.animate(tmp_path / "after.gif").read_bytes()
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["files"] == "complete"
    assert leftovers(tmp_path / "run") == []
