"""The Dirac-GAN's pictures: one method, every method side by side, and their GIF."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gan1d.errors import Gan1dError
from gan1d.pictures.dirac import DiracPanel, animate_dirac, plot_dirac, plot_dirac_methods
from support.pictures import assert_real_image, no_leftovers


def panel(title: str = "Standard GAN", clip: float | None = None) -> DiracPanel:
    """A spiral into the origin over a rotating field, as a converging method draws."""
    grid = np.linspace(-2.0, 2.0, 11)
    theta, psi = np.meshgrid(grid, grid)
    change = 0.2 * np.stack([psi, -theta - 0.3 * psi], axis=-1)
    turns = np.linspace(0.0, 6 * np.pi, 200)
    radius = np.sqrt(2.0) * np.exp(-turns / 8)
    trajectory = np.c_[radius * np.cos(turns - np.pi / 4), radius * np.sin(turns - np.pi / 4)]
    return DiracPanel(f"{title}\ndistance 0.1", trajectory, grid, grid, change, clip)


def test_one_method_is_drawn(tmp_path):
    path = plot_dirac(panel(clip=1.0), tmp_path / "dirac-wgan.png")
    assert_real_image(path, (600, 600))
    assert no_leftovers(tmp_path)


def test_every_method_side_by_side(tmp_path):
    panels = [panel(f"method {i}", clip=1.0 if i == 2 else None) for i in range(8)]
    path = plot_dirac_methods(panels, tmp_path / "dirac.png")
    assert_real_image(path, (1600, 860))


@pytest.mark.parametrize(
    ("change", "trajectory", "fragment"),
    [
        (np.zeros((11, 10, 2)), np.zeros((3, 2)), "change must be (11, 11, 2)"),
        (np.zeros((11, 11, 2)), np.zeros((3, 3)), "trajectory must be (n, 2)"),
    ],
)
def test_bad_arrays_are_refused(change, trajectory, fragment):
    grid = np.linspace(-2.0, 2.0, 11)
    with pytest.raises(Gan1dError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        DiracPanel("x", trajectory, grid, grid, change)


def test_no_panels_and_bad_suffixes_are_refused(tmp_path):
    with pytest.raises(Gan1dError, match="no Dirac-GAN panels"):
        plot_dirac_methods([], tmp_path / "dirac.png")
    with pytest.raises(Gan1dError, match="unsupported image format"):
        plot_dirac(panel(), tmp_path / "dirac.xyz")


def gif_frames(path: Path) -> tuple[list[np.ndarray], list[int]]:
    """Every frame of a GIF as RGB, and how long each is shown (ms)."""
    frames, durations = [], []
    with Image.open(path) as image:
        assert image.is_animated
        for index in range(image.n_frames):
            image.seek(index)
            durations.append(image.info["duration"])
            frames.append(np.asarray(image.convert("RGB"), dtype=int))
    return frames, durations


def test_the_gif_moves_the_training_along_its_path_in_every_panel(tmp_path):
    panels = [panel(f"method {i}", clip=1.0 if i == 2 else None) for i in range(3)]
    path = animate_dirac(panels, tmp_path / "dirac.gif", frames=12)
    assert no_leftovers(tmp_path)
    frames, durations = gif_frames(path)
    # 12 of the trajectory's 200 points, side by side as in `plot_dirac_methods` (3 panels of 4 inches, 60 dpi).
    assert len(frames) == 12
    assert frames[0].shape == (270, 720, 3)
    assert all(np.any(before != after) for before, after in itertools.pairwise(frames))
    # The last frame is held before the animation loops.
    assert durations[-1] > durations[0]
    # The point (orange) is somewhere else at the end.
    orange = [np.abs(frame - (255, 127, 14)).max(axis=-1) < 30 for frame in frames]
    assert (orange[0] & ~orange[-1]).sum() > 20
    assert (orange[-1] & ~orange[0]).sum() > 20


def test_every_frame_of_the_gif_shows_the_field(tmp_path):
    """The arrows are drawn once, before the frames: the frames' artists are recorded apart from
    them, so they stay in every frame, the first as the last."""
    field = panel()
    blank = dataclasses.replace(field, change=np.zeros_like(field.change))
    with_arrows, _ = gif_frames(animate_dirac([field], tmp_path / "field.gif", frames=6, dpi=100))
    without, _ = gif_frames(animate_dirac([blank], tmp_path / "blank.gif", frames=6, dpi=100))
    assert len(with_arrows) == len(without) == 6
    arrows = [np.abs(a - b).max(axis=-1) > 20 for a, b in zip(with_arrows, without, strict=True)]
    assert arrows[0].sum() > 1500
    for shown in arrows[1:]:
        assert (shown & arrows[0]).sum() > 0.9 * arrows[0].sum()


def test_the_gif_refuses_what_it_cannot_draw(tmp_path):
    with pytest.raises(Gan1dError, match="no Dirac-GAN panels"):
        animate_dirac([], tmp_path / "dirac.gif")
    with pytest.raises(Gan1dError, match=r"use \.gif"):
        animate_dirac([panel()], tmp_path / "dirac.png")
    with pytest.raises(Gan1dError, match="frames must be an integer >= 2"):
        animate_dirac([panel()], tmp_path / "dirac.gif", frames=1)
    assert not list(tmp_path.iterdir())
