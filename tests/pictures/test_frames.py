"""gan1d.pictures.frames: each frame's pixels are its own, whatever was drawn before it."""

from __future__ import annotations

import numpy as np

from gan1d.pictures.frames import Frames
from gan1d.pictures.scene import Scene
from support.pictures import CURVE, REAL, snapshots, views


def scene(frames: int = 12) -> Scene:
    snaps = snapshots(frames)
    # Points beyond every edge, and points on the edges, where clipping decides pixels.
    snaps = [
        (e, np.vstack([p, [[3.0, 0.1], [-2.0, 0.0], [0.0, 4.0], [0.1, -3.0], [0.5, 0.0], [-0.5, 0.25]]]))
        for e, p in snaps
    ]
    rng = np.random.default_rng(3)
    history = {"d_loss": rng.random(20 * frames).tolist(), "g_loss": rng.random(20 * frames).tolist()}
    return Scene.build(
        snaps, REAL, views=views(snaps), history=history, quality=("x w1", rng.random(frames)), curve=CURVE, show="all"
    )


def test_a_frame_is_the_same_whatever_was_drawn_before_it() -> None:
    drawn = scene()
    forwards = Frames(drawn, 40)
    in_order = [np.asarray(forwards.draw(i)) for i in range(len(drawn))]
    backwards = Frames(drawn, 40)
    for i in reversed(range(len(drawn))):
        np.testing.assert_array_equal(np.asarray(backwards.draw(i)), in_order[i])
    assert len({image.tobytes() for image in in_order}) == len(drawn)
