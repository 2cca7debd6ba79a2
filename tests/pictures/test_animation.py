"""gan1d.pictures.animation: GIF, MP4 and PNG files, written and opened again, their frames inspected."""

from __future__ import annotations

import base64
import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gan1d.errors import Gan1dError
from gan1d.pictures import animation, encoders
from gan1d.pictures.palette import BAND_COLORS as BAND_COLORS_ARRAY
from gan1d.pictures.style import PUSH_COLOR
from support.pictures import (
    BOUNDS,
    CURVE,
    REAL,
    assert_real_image,
    frames,
    history,
    no_leftovers,
    share_near,
    snapshots,
    views,
)

BAND_COLORS = [tuple(int(c) for c in rgb) for rgb in BAND_COLORS_ARRAY]
ORANGE = (255, 127, 14)  # the generated points' colour
LOSS_GREEN = (44, 160, 44)
PUSH = tuple(int(PUSH_COLOR[i : i + 2], 16) for i in (1, 3, 5))


def heat_share(image: Image.Image) -> float:
    """The share of a frame in the heatmap's band colours, leaving out the nearly white middle bands."""
    return sum(share_near(image, color, 2) for color in BAND_COLORS[:3] + BAND_COLORS[-3:])


def test_animate_gif_of_points_alone(tmp_path: Path) -> None:
    snaps = snapshots(12)
    out = animation.animate(snaps, REAL, tmp_path / "anim.gif", curve=CURVE, bounds=BOUNDS)
    assert out == tmp_path / "anim.gif"
    assert isinstance(out, Path)
    assert_real_image(out)
    with Image.open(out) as image:
        assert image.n_frames == len(snaps)
        assert image.info["loop"] == 0
        assert image.info["duration"] == 40
        image.seek(image.n_frames - 1)
        assert image.info["duration"] == 2000  # the last frame is held
    shown = frames(out)
    assert all(a.tobytes() != b.tobytes() for a, b in itertools.pairwise(shown))
    # Without layers there is no heatmap and no loss panel.
    assert heat_share(shown[-1]) < 0.001
    assert share_near(shown[-1], LOSS_GREEN) == 0
    assert no_leftovers(tmp_path)


def test_default_layers_are_the_heatmap_and_the_losses(tmp_path: Path) -> None:
    snaps = snapshots(8)
    out = animation.animate(snaps, REAL, tmp_path / "anim.gif", views=views(snaps), history=history(160), curve=CURVE)
    shown = frames(out)
    width, height = shown[0].size
    assert 600 <= width <= 700  # the plane and the loss panel, about 640 px
    assert height >= 400
    assert all(heat_share(frame) > 0.05 for frame in shown)
    # The loss curves grow with the frames: none at the first, most at the last.
    green = [share_near(frame, LOSS_GREEN, 30) for frame in shown]
    assert green[-1] > green[1] > green[0]
    # The heatmap follows the captured verdict, which changes with every snapshot.
    assert shown[1].tobytes() != shown[-1].tobytes()


def test_show_picks_the_layers(tmp_path: Path) -> None:
    snaps = snapshots(4)
    layers = {"views": views(snaps), "history": history(80), "curve": CURVE}
    bare = frames(animation.animate(snaps, REAL, tmp_path / "none.gif", show="none", **layers))
    heat = frames(animation.animate(snaps, REAL, tmp_path / "heat.gif", show=["heatmap"], **layers))
    every = frames(animation.animate(snaps, REAL, tmp_path / "all.gif", show="all", **layers))
    assert heat_share(bare[-1]) < 0.001 < heat_share(heat[-1])
    assert heat[-1].size[0] < every[-1].size[0]  # the loss panel adds width
    assert share_near(every[-1], PUSH, 30) > 0
    assert share_near(heat[-1], PUSH, 30) == 0


def test_a_layer_without_its_data_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Gan1dError, match="cannot show heatmap"):
        animation.animate(snapshots(3), REAL, tmp_path / "a.gif", show="heatmap")
    with pytest.raises(Gan1dError, match="cannot show losses"):
        animation.animate(snapshots(3), REAL, tmp_path / "a.gif", show=("losses",))
    with pytest.raises(Gan1dError, match="show takes"):
        animation.animate(snapshots(3), REAL, tmp_path / "a.gif", show="sparkles")
    with pytest.raises(Gan1dError, match="views hold 4 snapshots, but there are 3"):
        animation.animate(snapshots(3), REAL, tmp_path / "a.gif", views=views(snapshots(4)))
    assert list(tmp_path.iterdir()) == []


def test_points_beyond_the_view_are_marked_on_its_edges_not_hidden(tmp_path: Path) -> None:
    far = np.c_[np.linspace(2.0, 3.0, 30), np.linspace(-0.2, 0.4, 30)]  # all right of the view
    out = animation.animate([(0, far), (20, REAL[:30])], REAL, tmp_path / "a.gif", bounds=BOUNDS)
    first, second = frames(out)
    plane = np.asarray(first)[58:348, 72:372]  # the plane's pixels at 100 dpi
    orange = np.abs(plane.astype(int) - ORANGE).max(axis=-1) <= 30
    columns = np.flatnonzero(orange.any(axis=0))
    assert len(columns) > 0
    assert columns.min() > 250  # every marker sits at the right edge
    # The count is written above the plane (dark orange text), only while points are out.
    strip = (0, 0, first.size[0], 60)
    text = (138, 61, 0)
    assert share_near(first.crop(strip), text, 40) > 0
    assert share_near(second.crop(strip), text, 40) == 0


def test_animate_gif_keeps_repeated_frames_and_planar_targets(tmp_path: Path) -> None:
    # Identical consecutive snapshots (same epoch, same points) would be merged by
    # Pillow; the animation must still hold one frame per snapshot.
    blob = np.random.default_rng(6).normal(size=(50, 2))
    snaps = [(10, blob), (10, blob), (10, blob), (20, blob * 0.5)]
    out = animation.animate(snaps, blob, tmp_path / "anim.GIF", fps=10, dpi=50, hold=0.5)
    with Image.open(out) as image:
        assert image.size[1] == 210
        assert image.n_frames == 4
        assert image.info["duration"] == 100
        image.seek(3)
        assert image.info["duration"] == 500


def test_animate_250_frames_with_every_layer(tmp_path: Path) -> None:
    snaps = snapshots(250)
    out = animation.animate(
        snaps, REAL, tmp_path / "anim.gif", views=views(snaps, cells=8), history=history(5000), show="all", dpi=40
    )
    with Image.open(out) as image:
        assert image.n_frames == 250


def test_still_draws_one_frame_as_a_png(tmp_path: Path) -> None:
    snaps = snapshots(5)
    layers = {"views": views(snaps), "history": history(100), "curve": CURVE}
    first = animation.still(snaps, REAL, tmp_path / "first.png", frame=0, **layers)
    last = animation.still(snaps, REAL, tmp_path / "last.png", **layers)
    assert_real_image(first)
    with Image.open(first) as a, Image.open(last) as b:
        assert a.format == b.format == "PNG"
        assert a.size == b.size
        assert share_near(a, LOSS_GREEN, 30) < share_near(b, LOSS_GREEN, 30)
    with pytest.raises(Gan1dError, match="out of range"):
        animation.still(snaps, REAL, tmp_path / "x.png", frame=5)
    with pytest.raises(Gan1dError, match=r"use \.png"):
        animation.still(snaps, REAL, tmp_path / "x.jpg")


def test_the_returned_path_shows_itself_in_a_notebook(tmp_path: Path) -> None:
    out = animation.animate(snapshots(3), REAL, tmp_path / "anim.gif")
    page = out._repr_html_()
    assert page.startswith("<img")
    encoded = page.split("base64,")[1].split('"')[0]
    assert base64.b64decode(encoded) == out.read_bytes()
    assert out.read_bytes()[:6] == b"GIF89a"


@pytest.mark.skipif(not encoders.ffmpeg_available(), reason="ffmpeg not on PATH")
def test_animate_mp4(tmp_path: Path) -> None:
    out = animation.animate(snapshots(10), REAL, tmp_path / "anim.mp4", curve=CURVE, dpi=73)
    data = out.read_bytes()
    assert len(data) > 0
    assert data[4:8] == b"ftyp"
    assert "video" in out._repr_html_()
    assert no_leftovers(tmp_path)


def test_animate_mp4_without_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoders.shutil, "which", lambda _name: None)
    assert not encoders.ffmpeg_available()
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
        (snapshots(2), {"hold": -1}),
        (snapshots(2), {"history": {"d_loss": [1.0]}}),
        (snapshots(2), {"quality": ("energy", [0.1])}),
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
