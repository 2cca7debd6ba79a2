"""What a snapshot keeps, computed in `keras.ops` from a GAN's state inside the compiled loop.

The generated points of a fixed latent batch, the discriminator's accuracy on real
and generated points, and, where the visible plane is known, the layers of the
teaching pictures (`gan1d.core.views`): the discriminator's verdict over a grid of
the plane, the push of the generator's loss on each point, and the generator's
manifold. `fit()`'s `SnapshotCallback` compiles the same function, so both ways of
training record the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from keras import ops

from gan1d import backend
from gan1d.core.losses import generator_loss
from gan1d.core.methods import CROSS_ENTROPY
from gan1d.core.views import MANIFOLD_SAMPLES

if TYPE_CHECKING:
    from gan1d.core.gan import GAN, GANState

__all__ = ["decision_level", "snapshot", "verdict"]


def snapshot(gan: GAN, state: GANState, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """What a snapshot keeps of `state`.

    Args:
        gan: The GAN.
        state: Its state (values), as the compiled loop carries it.
        inputs: `noise` (the fixed latent batch, `(n, latent_dim)`) and `reference`
            (real points, `(m, 2)`); for the layers also `grid` (the plane's cell
            centres, `(cells * cells, 2)`) and `latent_grid` (from
            `gan1d.core.views.latent_grid`).

    Returns:
        `points` `(n, 2)`; `accuracy` `(2,)`: the shares of real points scored
        real and of generated points scored fake (against `decision_level`); with the layers, `verdict`
        `(cells, cells)`, `push` `(n, 2)` and `manifold` `(lines, samples, 2)`,
        as `gan1d.core.views.Views` holds them per snapshot.
    """
    generator = state.g_average if gan.ema is not None else state.g_weights
    points, _ = gan.generator.stateless_call(generator, state.g_state, inputs["noise"])
    points = ops.cast(points, "float32")
    real, fake = gan.packed(inputs["reference"], whole=True), gan.packed(points, whole=True)
    scores, _ = gan.discriminator.stateless_call(state.d_weights, state.d_state, ops.concatenate([real, fake], axis=0))
    split = ops.shape(real)[0]
    level = decision_level(gan.objective, scores[:split], scores[split:], from_logits=gan.from_logits)
    accuracy = ops.stack(
        [
            ops.mean(ops.cast(scores[:split] > level, "float32")),
            ops.mean(ops.cast(scores[split:] <= level, "float32")),
        ]
    )
    if "grid" not in inputs:
        return {"points": points, "accuracy": accuracy}
    return {"points": points, "accuracy": accuracy, **_layers(gan, state, inputs, points, generator, level)}


def _layers(
    gan: GAN, state: GANState, inputs: Mapping[str, Any], points: Any, generator: Any, level: Any
) -> dict[str, Any]:
    """The heatmap's verdict, the push on each point, and the manifold (see `snapshot`)."""
    grid = ops.convert_to_tensor(inputs["grid"], "float32")
    cells = math.isqrt(int(grid.shape[0]))
    packs = ops.tile(grid, (1, gan.pack)) if gan.pack > 1 else grid
    scores, _ = gan.discriminator.stateless_call(state.d_weights, state.d_state, packs)
    scores = ops.cast(ops.reshape(scores, (cells, cells)), "float32")
    shown = verdict(gan.objective, scores, from_logits=gan.from_logits, level=level)

    def loss(weights: list[Any], aux: Any) -> tuple[Any, Any]:
        judged = gan.packed(weights[0], whole=True)
        fake_scores, _ = gan.discriminator.stateless_call(state.d_weights, state.d_state, judged)
        # The loss is a mean over packs; times their number, each point's gradient
        # is that of its own pack's loss, whatever the snapshot's size.
        loss = generator_loss(gan.loss_fn, fake_scores, gan.objective)
        return loss * ops.cast(ops.shape(judged)[0], "float32"), aux

    (_, _), (gradient,) = backend.value_and_grad(loss)([ops.cast(points, "float32")], ops.zeros(()))
    manifold, _ = gan.generator.stateless_call(generator, state.g_state, inputs["latent_grid"])
    samples = int(manifold.shape[0])
    samples = MANIFOLD_SAMPLES if samples % MANIFOLD_SAMPLES == 0 else samples
    return {
        "verdict": shown,
        "push": -ops.cast(gradient, "float32"),
        "manifold": ops.reshape(ops.cast(manifold, "float32"), (-1, samples, 2)),
    }


def verdict(objective: str, scores: Any, *, from_logits: bool, level: Any = 0.0) -> Any:
    """The discriminator's scores shown as a verdict in [0, 1], with 0.5 where it cannot tell.

    Cross-entropy: the probability that a point is real. Least squares: the score
    (its targets are 0 and 1), clipped. Hinge: the score's margin [-1, 1] mapped
    onto [0, 1]. Wasserstein: a critic's score has no level of its own, so the
    logistic of its distance from `level` (`decision_level`: midway between its mean
    score on real and on generated points).
    """
    scores = ops.cast(scores, "float32")
    if objective in CROSS_ENTROPY:
        return ops.sigmoid(scores) if from_logits else scores
    if objective == "least-squares":
        return ops.clip(scores, 0.0, 1.0)
    if objective == "hinge":
        return ops.clip((scores + 1.0) / 2.0, 0.0, 1.0)
    return ops.sigmoid(scores - level)


def decision_level(objective: str, real_scores: Any, fake_scores: Any, *, from_logits: bool) -> Any:
    """The score above which a point counts as real: where `verdict` is 0.5.

    Fixed for every objective but the Wasserstein critic's, whose level is midway
    between its mean score on the real and on the generated points.
    """
    if objective == "wasserstein":
        return 0.5 * (ops.mean(ops.cast(real_scores, "float32")) + ops.mean(ops.cast(fake_scores, "float32")))
    fixed = 0.5 if objective == "least-squares" or (objective in CROSS_ENTROPY and not from_logits) else 0.0
    return ops.convert_to_tensor(fixed, "float32")
