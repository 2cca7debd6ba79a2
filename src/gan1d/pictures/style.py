"""How the pictures look and what they can show: colours, and the names of the layers.

Plain constants, free of matplotlib, so a config can check `show` without loading it.
"""

from __future__ import annotations

import os
from typing import TypeAlias

import numpy as np

from gan1d.errors import Gan1dError

__all__ = [
    "CONTOUR_COLOR",
    "CURVE_COLOR",
    "DEFAULT_LAYERS",
    "D_LOSS_COLOR",
    "GENERATED_COLOR",
    "GENERATED_EDGE_COLOR",
    "G_LOSS_COLOR",
    "KEY_COLORS",
    "LAYERS",
    "LOSS_LABELS",
    "LOSS_MEANINGS",
    "MANIFOLD_COLOR",
    "OUTSIDE_COLOR",
    "PUSH_COLOR",
    "REAL_COLOR",
    "VERDICT_COLORS",
    "VERDICT_LABELS",
    "Curve",
    "PathArg",
    "layer_names",
    "loss_labels",
    "loss_meanings",
]

PathArg: TypeAlias = str | os.PathLike[str]
Curve: TypeAlias = tuple[np.ndarray, np.ndarray]
"""A target's curve for pictures: `(x, y)` arrays of the same length."""

# What the animation can show besides the points (`gan1d.core.capture` captures them all).
LAYERS = ("heatmap", "gradients", "manifold", "losses")
DEFAULT_LAYERS = ("heatmap", "losses")

REAL_COLOR = "tab:blue"
GENERATED_COLOR = "tab:orange"
CURVE_COLOR = "0.35"
# The discriminator's verdict, from "fake" (0) through "cannot tell" (0.5) to
# "real" (1): pale tints of the generated and real points' colours, so the points
# stand out on them and each side of the plane reads as the points it belongs to.
VERDICT_COLORS = ("#f7b27a", "#ffffff", "#8dbbe6")
PUSH_COLOR = "#6a1b9a"
# Opaque: blending a half-transparent mesh costs more and adds colours to the GIF.
MANIFOLD_COLOR = "#8c8c8c"
D_LOSS_COLOR = "tab:red"
G_LOSS_COLOR = "tab:green"
# The heatmap's "cannot tell" contour, the edge of generated markers, the note on points beyond the view.
CONTOUR_COLOR = "0.2"
GENERATED_EDGE_COLOR = "#6b3000"
OUTSIDE_COLOR = "#8a3d00"
# Greys of text, axes and grid lines.
KEY_COLORS = ("#000000", "#ffffff", "#262626", "#444444", "#808080", "#bfbfbf")


# What the heatmap and the losses are under each objective (`TrainConfig.loss`): the
# colour bar's title and the legend of the line where the verdict is 0.5 (the
# heatmap always runs from "fake" (0) to "real" (1)), the losses' legend in a
# frame's small panel, and what each loss is in words.
VERDICT_LABELS = {
    "nonsaturating": ("discriminator: P(real)", "P(real) = 0.5"),
    "minimax": ("discriminator: P(real)", "P(real) = 0.5"),
    "least-squares": ("discriminator's score (fake 0, real 1)", "score = 0.5"),
    "hinge": ("discriminator's score, margin -1..1", "score = 0"),
    "wasserstein": ("critic: score, centred between real and fake", "critic halfway"),
}
LOSS_LABELS = {
    "nonsaturating": ("discriminator", "generator"),
    "minimax": ("discriminator", "generator (minimax)"),
    "least-squares": ("discriminator (LS)", "generator (LS)"),
    "hinge": ("discriminator (hinge)", "generator"),
    "wasserstein": ("critic", "generator"),
}
LOSS_MEANINGS = {
    "nonsaturating": ("binary cross-entropy, real 1 and generated 0", "-log D(G(z)), non-saturating"),
    "minimax": ("binary cross-entropy, real 1 and generated 0", "log(1 - D(G(z))), the game's own value"),
    "least-squares": ("(D(x) - 1)^2 / 2 + D(G(z))^2 / 2", "(D(G(z)) - 1)^2 / 2"),
    "hinge": ("max(0, 1 - D(x)) + max(0, 1 + D(G(z)))", "-D(G(z))"),
    "wasserstein": ("D(G(z)) - D(x), the negated Wasserstein estimate", "-D(G(z))"),
}
PENALTY_LABELS = {"none": "", "r1": " + R1", "r2": " + R2", "wgan-gp": " + GP"}
PENALTY_MEANINGS = {
    "none": "",
    "r1": " + R1 penalty (gradient on real points)",
    "r2": " + R2 penalty (gradient on generated points)",
    "wgan-gp": " + WGAN-GP penalty (gradient norm pulled to 1)",
}


def loss_labels(objective: str, penalty: str = "none") -> tuple[str, str]:
    """The discriminator's and the generator's losses, as a frame's legend names them."""
    d_label, g_label = LOSS_LABELS[objective]
    return d_label + PENALTY_LABELS[penalty], g_label


def loss_meanings(objective: str, penalty: str = "none") -> tuple[str, str]:
    """What the discriminator's and the generator's losses are, in words."""
    d_meaning, g_meaning = LOSS_MEANINGS[objective]
    return d_meaning + PENALTY_MEANINGS[penalty], g_meaning


def layer_names(show: object) -> tuple[str, ...]:
    """The layers named, in their canonical order; "all" and "none" stand alone, and () is none.

    Raises:
        Gan1dError: On a name that is not a layer.
    """
    names = (show,) if isinstance(show, str) else show
    if not isinstance(names, tuple | list) or not all(isinstance(n, str) for n in names):
        raise Gan1dError(f"show must be one or more of {', '.join(LAYERS)}, or all, or none; got {show!r}")
    if len(names) == 1 and names[0] in ("all", "none"):
        return LAYERS if names[0] == "all" else ()
    unknown = [n for n in names if n not in LAYERS]
    if unknown:
        raise Gan1dError(f"show takes {', '.join(LAYERS)} (or all, or none alone), got {', '.join(map(repr, unknown))}")
    return tuple(name for name in LAYERS if name in names)
