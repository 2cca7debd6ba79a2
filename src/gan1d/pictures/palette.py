"""The colour maps of the pictures: the discriminator's verdict, as a ramp and in bands, and every colour a frame uses."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import BoundaryNorm, LinearSegmentedColormap, ListedColormap, to_rgb

from gan1d.pictures.style import (
    CONTOUR_COLOR,
    CURVE_COLOR,
    D_LOSS_COLOR,
    G_LOSS_COLOR,
    GENERATED_COLOR,
    GENERATED_EDGE_COLOR,
    KEY_COLORS,
    MANIFOLD_COLOR,
    OUTSIDE_COLOR,
    PUSH_COLOR,
    REAL_COLOR,
    VERDICT_COLORS,
)

__all__ = ["BANDS", "BAND_COLORS", "BAND_MAP", "BAND_NORM", "FRAME_COLORS", "VERDICT"]

VERDICT = LinearSegmentedColormap.from_list("verdict", VERDICT_COLORS)
# The heatmap is drawn in bands of 0.1: flat colours read as levels, like a contour
# map, and a GIF stores them far more compactly than a smooth ramp.
BANDS = 10
# The heatmap bands' colours, (bands, 3) uint8, from "fake" to "real".
BAND_COLORS = (VERDICT((np.arange(BANDS) + 0.5) / BANDS)[:, :3] * 255).round().astype(np.uint8)
BAND_MAP = ListedColormap(BAND_COLORS / 255.0, name="verdict bands")
BAND_NORM = BoundaryNorm(np.linspace(0.0, 1.0, BANDS + 1), BANDS)
# Every colour that carries meaning in a frame besides the bands, (k, 3) uint8: a
# GIF keeps them exactly, where a palette's median cut would merge a rare one (a
# legend's line) into its neighbours.
FRAME_COLORS = (
    (
        np.array(
            [
                to_rgb(color)
                for color in (
                    *KEY_COLORS,
                    GENERATED_COLOR,
                    REAL_COLOR,
                    CURVE_COLOR,
                    PUSH_COLOR,
                    MANIFOLD_COLOR,
                    D_LOSS_COLOR,
                    G_LOSS_COLOR,
                    CONTOUR_COLOR,
                    OUTSIDE_COLOR,
                    GENERATED_EDGE_COLOR,
                )
            ]
        )
        * 255
    )
    .round()
    .astype(np.uint8)
)
