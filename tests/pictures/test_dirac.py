"""The Dirac-GAN's pictures: one method, and every method side by side."""

from __future__ import annotations

import numpy as np
import pytest

from gan1d.errors import Gan1dError
from gan1d.pictures.dirac import DiracPanel, plot_dirac, plot_dirac_methods
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
