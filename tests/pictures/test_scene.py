"""gan1d.pictures.scene: what each frame draws, worked out once for the animation and the player."""

from __future__ import annotations

import numpy as np
import pytest

from gan1d.core.views import Views
from gan1d.errors import Gan1dError
from gan1d.pictures import scene as scene_module
from gan1d.pictures.scene import EDGES, HIDDEN, Scene
from support.pictures import BOUNDS, CURVE, REAL, history, snapshots, views

UNIT = ((0.0, 1.0), (0.0, 1.0))


def one_frame(points, push=None, verdict=None) -> Scene:
    points = np.asarray(points, dtype=float)
    layers = Views(
        UNIT,
        verdict[None] if verdict is not None else np.full((1, 4, 4), 0.5),
        np.asarray(push if push is not None else np.zeros_like(points))[None],
        np.zeros((1, 1, 3, 2)),
    )
    return Scene.build([(0, points)], REAL, views=layers)


def test_points_inside_stay_and_points_beyond_go_to_the_edge_they_are_farthest_beyond():
    scene = one_frame([[0.5, 0.5], [1.5, 0.5], [-3.0, 0.9], [0.2, -0.5], [0.3, 9.0], [2.0, 1.1], [np.nan, 0.0]])
    positions, kinds = scene.placed(0)
    names = ["inside", *EDGES, "hidden"]
    assert [names[k] for k in kinds] == ["inside", "right", "left", "bottom", "top", "right", "hidden"]
    assert len(names) - 1 == HIDDEN
    np.testing.assert_allclose(positions[0], [0.5, 0.5])
    inset = scene_module.EDGE_INSET
    np.testing.assert_allclose(positions[1], [1 - inset, 0.5])
    np.testing.assert_allclose(positions[3], [0.2, inset])
    assert scene.outside_count(0) == 6
    beyond = scene.beyond(0)
    assert {name: len(marked) for name, marked in beyond.items()} == {"left": 1, "right": 2, "bottom": 1, "top": 1}


def test_arrows_point_where_the_loss_pushes_scaled_per_frame_and_capped():
    # Ten gentle pushes turning in all directions (one of them half as strong), one huge push,
    # and a point beyond the view.
    points = [[0.05 + 0.08 * i, 0.5] for i in range(11)] + [[5.0, 5.0]]
    directions = [[1, 0], [0, 1], [-1, 0], [0, -1]]
    push = [np.multiply(directions[i % 4], 1e-3 / (1 + (i == 1))) for i in range(10)] + [[0.0, 1.0], [1.0, 1.0]]
    scene = one_frame(points, push)
    segments = scene.push_segments(0)
    assert np.isnan(segments[11]).all()  # beyond the view: no arrow
    arrows = scene.arrows(0)
    assert len(arrows) == 11
    np.testing.assert_allclose(arrows[:, 0], points[:11])
    steps = arrows[:, 1] - arrows[:, 0]
    for step, direction in zip(steps[:4], directions, strict=True):
        np.testing.assert_allclose(step / np.hypot(*step), direction, atol=1e-12)
    lengths = np.hypot(steps[:, 0], steps[:, 1])
    # The typical push spans ARROW_LENGTH of the view (here a unit square); lengths
    # keep their proportions, and the huge push is capped.
    assert lengths[0] == pytest.approx(scene_module.ARROW_LENGTH)
    assert lengths[1] == pytest.approx(scene_module.ARROW_LENGTH / 2)
    assert lengths[10] == pytest.approx(scene_module.ARROW_LIMIT)


def test_the_boundary_is_where_the_verdict_crosses_one_half():
    cells = 8
    columns = (np.arange(cells) + 0.5) / cells
    verdict = np.tile(columns, (cells, 1))  # rises left to right; 0.5 at x = 0.5
    lines = one_frame([[0.5, 0.5]], verdict=verdict).boundary(0)
    assert lines
    xs = np.concatenate([line[:, 0] for line in lines])
    np.testing.assert_allclose(xs, 0.5, atol=1e-9)


def test_long_histories_are_averaged_and_a_frame_never_shows_a_later_loss():
    snaps = snapshots(5)
    scene = Scene.build(snaps, REAL, history=history(5000))
    assert scene.losses is not None
    epochs, d_loss, _ = scene.losses
    assert len(epochs) <= scene_module.LOSS_POINTS
    assert epochs[-1] == 5000
    assert np.all(np.diff(epochs) > 0)
    full = np.asarray(history(5000)["d_loss"])
    window = int(epochs[0])
    assert d_loss[0] == pytest.approx(full[:window].mean())
    assert scene.losses_until(20) == int(np.searchsorted(epochs, 20, side="right"))
    assert epochs[scene.losses_until(20) - 1] <= 20 < epochs[scene.losses_until(20)]
    assert scene.losses_until(0) == 0


def test_default_layers_follow_the_data_given():
    snaps = snapshots(3)
    assert Scene.build(snaps, REAL).show == ()
    assert Scene.build(snaps, REAL, history=history(60)).show == ("losses",)
    with_views = Scene.build(snaps, REAL, views=views(snaps), history=history(60), curve=CURVE)
    assert with_views.show == ("heatmap", "losses")
    assert with_views.limits == views(snaps).plane  # the view is the plane the heatmap covers
    assert Scene.build(snaps, REAL, views=views(snaps), bounds=BOUNDS).limits != with_views.limits
    every = Scene.build(snaps, REAL, views=views(snaps), history=history(60), show="all")
    assert every.show == ("heatmap", "gradients", "manifold", "losses")


def test_a_snapshot_callback_brings_its_layers():
    class Recorded:
        def __init__(self, snaps):
            self.snapshots = snaps
            self.layers = views(snaps)

        def recorded_views(self):
            return self.layers

    snaps = snapshots(4)
    scene = Scene.build(Recorded(snaps), REAL)
    assert scene.views is not None
    assert len(scene) == 4
    assert scene.show == ("heatmap",)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"history": {"d_loss": [1.0, 2.0], "g_loss": [1.0]}}, "differ in length"),
        ({"history": [1.0]}, "d_loss"),
        ({"quality": ("energy", [1.0])}, "3 snapshots"),
        ({"quality": 5}, "quality"),
        ({"views": "heatmap"}, "gan1d.core.views.Views"),
        ({"show": "all"}, "cannot show"),
    ],
)
def test_bad_input_is_refused(kwargs, message):
    with pytest.raises(Gan1dError, match=message):
        Scene.build(snapshots(3), REAL, **kwargs)


def test_the_loss_panel_shows_every_loss_drawn():
    scene = Scene.build(snapshots(3), REAL, history=history(60))
    low, high = scene.loss_limits()
    assert scene.losses is not None
    drawn = np.concatenate(scene.losses[1:])
    assert low < drawn.min()
    assert drawn.max() < high
