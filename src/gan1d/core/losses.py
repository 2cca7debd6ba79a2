"""The GAN's labels and losses, written once in `keras.ops` for every backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keras import ops

__all__ = ["discriminator_loss", "generator_loss"]

LossFn = Callable[[Any, Any], Any]


def discriminator_loss(loss_fn: LossFn, real_scores: Any, fake_scores: Any) -> Any:
    """Loss of the discriminator on one batch: real points are labelled 1, generated 0.

    Args:
        loss_fn: A Keras loss `(y_true, y_pred) -> scalar`, e.g. `BinaryCrossentropy()`.
        real_scores: Discriminator output on real points, `(n, 1)`.
        fake_scores: Discriminator output on generated points, `(m, 1)`.

    Returns:
        Scalar loss over the `n + m` points together, as one `train_on_batch` on the
        concatenated batch would compute it.
    """
    scores = ops.concatenate([real_scores, fake_scores], axis=0)
    labels = ops.concatenate([ops.ones_like(real_scores), ops.zeros_like(fake_scores)], axis=0)
    return loss_fn(labels, scores)


def generator_loss(loss_fn: LossFn, fake_scores: Any) -> Any:
    """Non-saturating generator loss: generated points labelled as real.

    Args:
        loss_fn: The same Keras loss the discriminator uses.
        fake_scores: Discriminator output on generated points, `(m, 1)`.

    Returns:
        Scalar loss.
    """
    return loss_fn(ops.ones_like(fake_scores), fake_scores)
