"""The GAN's objectives and gradient penalties, written once in `keras.ops` for every backend.

An objective says what the discriminator's score means and what each network
minimises (`discriminator_loss`, `generator_loss`):

- `nonsaturating` (Goodfellow et al. 2014, the form everyone trains): binary
  cross-entropy with real points labelled 1 and generated 0; the generator
  labels its points real, `-log D(G(z))`.
- `minimax`: the same discriminator; the generator minimises the game's own value,
  `log(1 - D(G(z)))`, which saturates where the discriminator is sure.
- `least-squares` (LSGAN, Mao et al. 2017): the score regresses 1 for real and 0
  for generated points; the generator pulls its scores to 1.
- `hinge` (Lim & Ye 2017; Miyato et al. 2018): a margin of 1 on each side of 0;
  the generator raises its points' scores.
- `wasserstein` (WGAN, Arjovsky et al. 2017): a critic whose score difference
  between real and generated points estimates the Wasserstein-1 distance, given a
  Lipschitz critic (weight clipping, a gradient penalty or spectral norm).

The two cross-entropy objectives use the GAN's Keras loss (`loss_fn`), so a
discriminator may output logits or probabilities; the others read its raw score.
A gradient penalty (`gradient_penalty`) is added to the discriminator's loss:
`r1` and `r2` (Mescheder et al. 2018) are zero-centred, on real and on generated
points; `wgan-gp` (Gulrajani et al. 2017) pulls the gradient's norm to 1 between them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keras import ops

from gan1d.core.methods import CROSS_ENTROPY

__all__ = [
    "discriminator_loss",
    "generator_loss",
    "gradient_penalty",
]

LossFn = Callable[[Any, Any], Any]


def discriminator_loss(loss_fn: LossFn, real_scores: Any, fake_scores: Any, objective: str = "nonsaturating") -> Any:
    """Loss of the discriminator on one batch.

    Args:
        loss_fn: A Keras loss `(y_true, y_pred) -> scalar` for the cross-entropy
            objectives, e.g. `BinaryCrossentropy(from_logits=True)`.
        real_scores: Discriminator output on real points, `(n, 1)`.
        fake_scores: Discriminator output on generated points, `(m, 1)`.
        objective: One of `OBJECTIVES`.

    Returns:
        Scalar loss. For the cross-entropy objectives, over the `n + m` points
        together, as one `train_on_batch` on the concatenated batch would compute it.
    """
    if objective in CROSS_ENTROPY:
        scores = ops.concatenate([real_scores, fake_scores], axis=0)
        labels = ops.concatenate([ops.ones_like(real_scores), ops.zeros_like(fake_scores)], axis=0)
        return loss_fn(labels, scores)
    if objective == "least-squares":
        return 0.5 * ops.mean(ops.square(real_scores - 1.0)) + 0.5 * ops.mean(ops.square(fake_scores))
    if objective == "hinge":
        return ops.mean(ops.relu(1.0 - real_scores)) + ops.mean(ops.relu(1.0 + fake_scores))
    if objective == "wasserstein":
        return ops.mean(fake_scores) - ops.mean(real_scores)
    raise ValueError(f"unknown objective {objective!r}")


def generator_loss(loss_fn: LossFn, fake_scores: Any, objective: str = "nonsaturating") -> Any:
    """Loss of the generator on one batch of its points' scores, `(m, 1)`.

    Args:
        loss_fn: The same Keras loss the discriminator uses.
        fake_scores: Discriminator output on generated points, `(m, 1)`.
        objective: One of `OBJECTIVES`.

    Returns:
        Scalar loss.
    """
    if objective == "nonsaturating":
        return loss_fn(ops.ones_like(fake_scores), fake_scores)
    if objective == "minimax":
        return -loss_fn(ops.zeros_like(fake_scores), fake_scores)
    if objective == "least-squares":
        return 0.5 * ops.mean(ops.square(fake_scores - 1.0))
    if objective in ("hinge", "wasserstein"):
        return -ops.mean(fake_scores)
    raise ValueError(f"unknown objective {objective!r}")


def gradient_penalty(penalty: str, gradients: Any) -> Any:
    """The penalty on the discriminator's gradients with respect to its inputs, `(n, d)`.

    `r1` and `r2`: half the mean squared norm (zero-centred; the caller takes the
    gradients at real or generated points). `wgan-gp`: the mean squared distance
    of the norm from 1 (at points between real and generated ones).
    """
    squared = ops.sum(ops.square(gradients), axis=-1)
    if penalty in ("r1", "r2"):
        return 0.5 * ops.mean(squared)
    if penalty == "wgan-gp":
        # A tiny floor keeps the norm's gradient finite where the gradient is exactly 0.
        return ops.mean(ops.square(ops.sqrt(squared + 1e-12) - 1.0))
    raise ValueError(f"unknown penalty {penalty!r}")
