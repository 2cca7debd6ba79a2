"""One block of a study: a variant on a target for a run of seeds, trained together and scored.

`run_block` is the whole of a task: every executor calls it, so a study gives the
same numbers wherever its blocks run (same backend, same blocks).
"""

from __future__ import annotations

import datetime
import os
import socket
from collections.abc import Callable
from typing import Any

import numpy as np

from gan1d.experiments.studies.plan import Block
from gan1d.files import strict_json

__all__ = ["run_block"]


def run_block(
    block: Block,
    *,
    executor: str = "local",
    on_progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[dict[str, Any]]:
    """Trains a block's seeds together and returns one trial record per seed.

    This is the whole of a task: both executors call it, so a study gives the same
    numbers wherever its blocks run (same backend, same blocks).

    Args:
        block: What to train.
        executor: Recorded in each trial (`"local"` or `"ray"`).
        on_progress: Called with the steps done after each compiled call.
        should_stop: Asked before each compiled call; True abandons the block with
            a KeyboardInterrupt.

    Returns:
        One JSON-ready dict per seed: `variant`, `target`, `seed`, `backend`,
        `config_id`, `metrics`, `success`, `losses`, `seconds` (the block's training
        time, compilation included, over its trials), `block`, `host`, `pid`,
        `executor`, `finished`, `gan1d` (version).
    """
    # Imported when a block runs: the driver of a Ray study imports this module to
    # send `run_block` to its workers, and never imports a framework itself.
    import keras

    from gan1d import __version__
    from gan1d.experiments.scoring import train_and_score

    distribution = block.config.target()
    scored = train_and_score(
        block.config,
        distribution,
        block.seeds,
        block.thresholds,
        on_progress=on_progress,
        should_stop=should_stop,
    )
    finished = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    trials = []
    for run, d_row, g_row in zip(scored.runs, scored.d_losses, scored.g_losses, strict=True):
        metrics = {k: v for k, v in run.items() if k not in ("seed", "final_d_loss", "final_g_loss", "success")}
        trials.append(
            {
                "variant": block.variant,
                "target": block.target,
                "seed": run["seed"],
                "backend": keras.backend.backend(),
                "config_id": block.config_id,
                "metrics": metrics,
                "success": run["success"],
                "losses": _loss_summary(d_row, g_row),
                "seconds": scored.train_seconds / len(block.seeds),
                "block": {"seeds": list(block.seeds), "seconds": scored.train_seconds, "mode": scored.mode},
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "executor": executor,
                "finished": finished,
                "gan1d": __version__,
            }
        )
    return strict_json(trials)  # type: ignore[no-any-return]


def _loss_summary(d_row: Any, g_row: Any) -> dict[str, Any]:
    """Final losses, their means over the last tenth of the steps, and the first non-finite step."""
    tail = max(1, len(d_row) // 10)
    bad = np.flatnonzero(~np.isfinite(d_row) | ~np.isfinite(g_row))
    return {
        "final_d_loss": float(d_row[-1]),
        "final_g_loss": float(g_row[-1]),
        "last_tenth_d_loss": float(np.mean(d_row[-tail:])),
        "last_tenth_g_loss": float(np.mean(g_row[-tail:])),
        "diverged_at_step": int(bad[0]) + 1 if len(bad) else None,
    }
