"""gan1d.pictures.streaming: planes drawn as snapshots arrive, panels at the end, the frames drawn whole."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gan1d.core.views import CAPTURED, Views
from gan1d.pictures.frames import Frames
from gan1d.pictures.scene import Scene
from gan1d.pictures.streaming import StreamedFrames
from support.pictures import CURVE, REAL, snapshots, views

DPI = 40


def scene(frames: int = 10, show: str | tuple[str, ...] = "all") -> Scene:
    snaps = snapshots(frames)
    # Points beyond the edges: markers and a label outside the plane's axes.
    snaps = [(e, np.vstack([p, [[3.0, 0.1], [0.0, -2.0]]])) for e, p in snaps]
    rng = np.random.default_rng(5)
    history = {"d_loss": rng.random(20 * frames).tolist(), "g_loss": rng.random(20 * frames).tolist()}
    quality = ("energy distance", rng.random(frames) + 0.01)
    return Scene.build(snaps, REAL, views=views(snaps), history=history, quality=quality, curve=CURVE, show=show)


def streamed(drawn: Scene) -> StreamedFrames:
    """The planes of `drawn`'s frames, each drawn as its snapshot arrived."""
    assert drawn.views is not None
    frames = StreamedFrames(
        real=drawn.real, curve=drawn.curve, plane=drawn.views.plane, show=drawn.show, dpi=DPI, quality="energy distance"
    )
    for i, (epoch, points) in enumerate(zip(drawn.epochs, drawn.points, strict=True)):
        frames.add(epoch, points, {name: getattr(drawn.views, name)[i] for name in CAPTURED})
    return frames


def assert_frames(composed: StreamedFrames, final: Scene) -> None:
    """`compose` gives, byte for byte, the frames `Frames.draw` draws whole."""
    whole = Frames(final, DPI)
    images = list(composed.compose(final))
    assert len(images) == len(final)
    for i, image in enumerate(images):
        assert image.tobytes() == whole.draw(i).tobytes(), f"frame {i}"


def test_planes_drawn_as_their_snapshots_arrive_make_the_frames_drawn_whole() -> None:
    drawn = scene()
    frames = streamed(drawn)
    assert_frames(frames, drawn)
    assert frames.reused == len(drawn)


def test_a_frame_whose_snapshot_the_run_changed_is_drawn_again() -> None:
    drawn = scene()
    points = list(drawn.points)
    points[4] = points[4] + 0.01
    final = dataclasses.replace(drawn, points=tuple(points))
    frames = streamed(drawn)
    assert_frames(frames, final)
    assert frames.reused == len(drawn) - 1


@pytest.mark.parametrize("show", [("heatmap", "gradients", "losses"), ("heatmap",)])
def test_other_layers_or_no_panel_draw_every_frame_again(show: tuple[str, ...]) -> None:
    frames = streamed(scene())
    final = scene(show=show)
    assert_frames(frames, final)
    assert frames.reused == 0


def first(drawn: Scene, count: int) -> Scene:
    """The scene of `drawn`'s first `count` frames."""
    assert drawn.views is not None
    assert drawn.quality is not None
    views = Views(drawn.views.plane, *(getattr(drawn.views, name)[:count] for name in CAPTURED))
    return dataclasses.replace(
        drawn,
        epochs=drawn.epochs[:count],
        points=drawn.points[:count],
        views=views,
        quality=(drawn.quality[0], drawn.quality[1][:count]),
    )


def test_a_scene_of_fewer_or_more_frames_than_were_sent() -> None:
    # The scene a run ends with may hold fewer frames than were sent, or more.
    drawn = scene(10)
    fewer = streamed(drawn)
    assert_frames(fewer, first(drawn, 7))
    assert fewer.reused == 7
    more = streamed(first(drawn, 6))
    assert_frames(more, drawn)
    assert more.reused == 6
