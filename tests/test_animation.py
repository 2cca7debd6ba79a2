"""gan1d.animation: GIF and MP4 files, written and opened again."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gan1d import animation
from gan1d.errors import Gan1dError
from pictures import BOUNDS, CURVE, REAL, assert_real_image, no_leftovers, snapshots


def test_animate_gif(tmp_path: Path) -> None:
    snaps = snapshots(12)
    out = animation.animate(snaps, REAL, tmp_path / "anim.gif", curve=CURVE, bounds=BOUNDS)
    assert out == tmp_path / "anim.gif"
    assert_real_image(out, (288, 288))
    with Image.open(out) as image:
        assert image.n_frames == len(snaps)
        assert image.info["loop"] == 0
        assert image.info["duration"] == 40
        frames = []
        for i in range(image.n_frames):
            image.seek(i)
            frames.append(image.convert("RGB").tobytes())
    assert all(a != b for a, b in itertools.pairwise(frames))
    assert no_leftovers(tmp_path)


def test_animate_gif_keeps_repeated_frames_and_planar_targets(tmp_path: Path) -> None:
    # Identical consecutive snapshots (same epoch, same points) would be merged by
    # Pillow; the animation must still hold one frame per snapshot.
    blob = np.random.default_rng(6).normal(size=(50, 2))
    snaps = [(10, blob), (10, blob), (10, blob), (20, blob * 0.5)]
    out = animation.animate(snaps, blob, tmp_path / "anim.GIF", fps=10, dpi=50)
    with Image.open(out) as image:
        assert image.size == (200, 200)
        assert image.n_frames == 4
        assert image.info["duration"] == 100


def test_animate_250_frames(tmp_path: Path) -> None:
    out = animation.animate(snapshots(250), REAL, tmp_path / "anim.gif", curve=CURVE, bounds=BOUNDS)
    with Image.open(out) as image:
        assert image.n_frames == 250


@pytest.mark.skipif(not animation.ffmpeg_available(), reason="ffmpeg not on PATH")
def test_animate_mp4(tmp_path: Path) -> None:
    out = animation.animate(snapshots(10), REAL, tmp_path / "anim.mp4", curve=CURVE, dpi=73)
    data = out.read_bytes()
    assert len(data) > 0
    assert data[4:8] == b"ftyp"
    assert no_leftovers(tmp_path)


def test_animate_mp4_without_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(animation.shutil, "which", lambda _name: None)
    assert not animation.ffmpeg_available()
    with pytest.raises(Gan1dError, match=r"^mp4 needs ffmpeg on PATH; use --animation gif$"):
        animation.animate(snapshots(3), REAL, tmp_path / "anim.mp4")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["anim.avi", "anim.png", "anim"])
def test_animate_bad_suffix(tmp_path: Path, name: str) -> None:
    with pytest.raises(Gan1dError, match=r"use \.gif or \.mp4"):
        animation.animate(snapshots(3), REAL, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("snaps", "kwargs"),
    [
        ([], {}),
        ([(1, np.zeros((5, 3)))], {}),
        ([np.zeros((5, 2))], {}),
        ([("one", np.zeros((5, 2)))], {}),
        (snapshots(2), {"fps": 0}),
        (snapshots(2), {"dpi": 0}),
        (snapshots(2), {"fps": 2.5}),
    ],
)
def test_animate_rejects_bad_input(
    tmp_path: Path, snaps: list[tuple[int, np.ndarray]], kwargs: dict[str, object]
) -> None:
    with pytest.raises(Gan1dError):
        animation.animate(snaps, REAL, tmp_path / "anim.gif", **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "anim.gif").exists()


def test_interrupted_gif_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def half_write(self: Image.Image, fp: Path, *args: object, **kwargs: object) -> None:
        Path(fp).write_bytes(b"GIF89a half")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", half_write)
    with pytest.raises(OSError, match="disk full"):
        animation.animate(snapshots(3), REAL, tmp_path / "anim.gif")
    assert list(tmp_path.iterdir()) == []
