"""Training seeds of one configuration together and scoring them: the work of a sweep and of a study's block."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from keras import ops

from gan1d import backend
from gan1d.core.loop import fit_target_many
from gan1d.data import metrics
from gan1d.data.distribution import Target
from gan1d.data.metrics import METRIC_POINTS, METRIC_SEED, meets
from gan1d.run.build import build_gan
from gan1d.run.config import TrainConfig

__all__ = ["ScoredSeeds", "train_and_score"]


@dataclasses.dataclass(frozen=True)
class ScoredSeeds:
    """Seeds of one configuration, trained together and scored (what `train_and_score` returns).

    Attributes:
        runs: One dict per seed, as in `SweepResult.runs`.
        samples: The `METRIC_POINTS` scored points `(n, 2)` of each seed.
        d_losses: Discriminator loss of every step, `(seeds, epochs)`; NaN from a
            seed's first non-finite step on.
        g_losses: Generator loss of every step, likewise.
        train_seconds: Wall time of training all the seeds, compilation included.
        mode: `"vectorized"` or `"sequential"`.
    """

    runs: list[dict[str, Any]]
    samples: list[np.ndarray]
    d_losses: np.ndarray
    g_losses: np.ndarray
    train_seconds: float
    mode: str


def train_and_score(
    config: TrainConfig,
    distribution: Target,
    seeds: Sequence[int],
    thresholds: Mapping[str, float],
    *,
    vectorized: bool | None = None,
    pad_to: int | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ScoredSeeds:
    """Trains `config` from each seed and scores the final points: the work of a sweep.

    Args:
        config: The configuration shared by every seed.
        distribution: Its target, `config.target()`.
        seeds: The seeds, in order.
        thresholds: Checked success bar, from `gan1d.data.metrics.check_thresholds`.
        vectorized: Train the seeds in one computation where the backend can (JAX);
            False trains them one after another.
        pad_to: Train this many copies (the last seed repeated, its copies not
            scored), so that blocks of different sizes share one compiled shape.
        should_stop: Asked before each compiled call; True abandons the training.
        on_progress: Called with the steps done (by every seed) after each compiled call.

    Returns:
        A `ScoredSeeds`.

    Raises:
        KeyboardInterrupt: When `should_stop` said so; nothing is scored.
    """
    gans = [build_gan(config, seed, distribution=distribution) for seed in seeds]
    states = [gan.copy_state() for gan in gans]
    states += states[-1:] * ((pad_to or 0) - len(states))
    start = time.perf_counter()
    finals, d_losses, g_losses = fit_target_many(
        gans[0],
        distribution,
        states,
        config.epochs,
        config.batch_size,
        vectorized=vectorized is not False,
        on_progress=on_progress,
        should_stop=should_stop,
    )
    finals, d_losses, g_losses = finals[: len(gans)], d_losses[: len(gans)], g_losses[: len(gans)]
    train_seconds = time.perf_counter() - start
    mode = "vectorized" if backend.vectorize is not None and vectorized is not False else "sequential"

    runs, samples = [], []
    for seed, gan, state, d_row, g_row in zip(seeds, gans, finals, d_losses, g_losses, strict=True):
        gan.write_state(state)
        points = gan.generate(METRIC_POINTS, seed=METRIC_SEED)
        scores = metrics.summarize(points, distribution)
        success = meets(scores, thresholds)
        runs.append(
            {
                "seed": seed,
                **scores,
                "final_d_loss": float(d_row[-1]),
                "final_g_loss": float(g_row[-1]),
                "success": success,
            }
        )
        samples.append(np.asarray(ops.convert_to_numpy(points)))
    return ScoredSeeds(runs, samples, d_losses, g_losses, train_seconds, mode)
