"""Many seeds of one configuration: success rate, per-seed quality, a grid of samples."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gan1d.errors import Gan1dError
from gan1d.targets import FunctionTarget, Target
from gan1d.training import (
    DEFAULT_PRESET,
    METRIC_POINTS,
    METRIC_SEED,
    TrainConfig,
    build_gan,
    prepare_out_dir,
    write_csv,
)

__all__ = ["SUCCESS_THRESHOLDS", "SweepResult", "sweep"]

# A run succeeds when every listed metric is at most its threshold (issue 4's bar).
SUCCESS_THRESHOLDS: Mapping[str, float] = {"x_w1": 0.02, "curve_residual": 0.02}


@dataclasses.dataclass(frozen=True)
class SweepResult:
    """What `sweep` produced.

    Attributes:
        config: The resolved configuration shared by every seed.
        seeds: The seeds, in order.
        runs: One dict per seed: `seed`, the metrics of `gan1d.metrics.summarize`,
            `final_d_loss`, `final_g_loss` and `success`.
        samples: Generated points `(n, 2)` of each seed at the end.
        thresholds: Metric -> largest value that counts as a success.
        mode: `"vectorized"` (all seeds in one computation) or `"sequential"`.
        train_seconds: Wall time of training all seeds, compilation included.
        out_dir: Folder written, or None.
    """

    config: TrainConfig
    seeds: list[int]
    runs: list[dict[str, Any]]
    samples: list[np.ndarray]
    thresholds: dict[str, float]
    mode: str
    train_seconds: float
    out_dir: Path | None = None

    @property
    def successes(self) -> int:
        return sum(run["success"] for run in self.runs)

    def summary(self) -> dict[str, Any]:
        """JSON-able summary: success count and rate, medians, timing, every run."""
        medians = {
            name: float(np.nanmedian([run[name] for run in self.runs]))
            for name in ("x_w1", "curve_residual", "energy_distance", "coverage")
        }
        return {
            "function": self.config.function,
            "domain": list(self.config.domain) if self.config.domain else None,
            "preset": self.config.preset,
            "epochs": self.config.epochs,
            "seeds": len(self.seeds),
            "successes": self.successes,
            "success_rate": self.successes / len(self.seeds),
            "thresholds": self.thresholds,
            "median": medians,
            "mode": self.mode,
            "train_seconds": round(self.train_seconds, 3),
            "runs": self.runs,
        }


def sweep(
    function: str = "square",
    domain: tuple[float, float] | None = None,
    seeds: int | Sequence[int] = 10,
    epochs: int = 5000,
    preset: str = DEFAULT_PRESET,
    out_dir: str | os.PathLike[str] | None = None,
    *,
    vectorized: bool | None = None,
    thresholds: Mapping[str, float] = SUCCESS_THRESHOLDS,
    overwrite: bool = False,
    **options: Any,
) -> SweepResult:
    """Trains one configuration on many seeds and scores each against `thresholds`.

    Args:
        function: Built-in target name or expression in `x`.
        domain: `(lo, hi)` of x, or None for the target's default.
        seeds: How many seeds (0, 1, ...), or the seeds themselves.
        epochs: Training steps per seed.
        preset: Named settings (see `gan1d.training.PRESETS`).
        out_dir: Folder for `sweep.json`, `sweep.csv` and `samples.png`; None writes nothing.
        vectorized: Train all seeds in one computation (JAX only); None picks it
            where the backend allows.
        thresholds: Metric -> largest value that counts as a success.
        overwrite: Replace gan1d's files in a non-empty `out_dir`.
        **options: Other `TrainConfig` fields (`batch_size`, `latent_dim`, ...).

    Returns:
        A `SweepResult`.

    Raises:
        Gan1dError: On bad input, before anything is trained or written.
    """
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    if not seed_list or any(s < 0 for s in seed_list) or (isinstance(seeds, int) and seeds <= 0):
        raise Gan1dError(f"seeds must be a positive count or a list of seeds >= 0, got {seeds!r}")
    unknown = set(thresholds) - set(SUCCESS_THRESHOLDS) - {"energy_distance", "coverage"}
    if unknown:
        raise Gan1dError(f"unknown threshold metric(s) {sorted(unknown)}")
    config = TrainConfig(
        function=function, domain=domain, epochs=epochs, preset=preset, snapshot_every=0, animation="none", **options
    ).resolved()
    run_dir = prepare_out_dir(out_dir, overwrite=overwrite) if out_dir is not None else None

    from keras import ops

    from gan1d import backend, metrics

    if vectorized and backend.vectorize is None:
        raise Gan1dError("vectorized sweeps need the JAX backend; TensorFlow trains the seeds one after another")
    distribution = config.target()
    if not isinstance(distribution, FunctionTarget):
        raise Gan1dError(f"sweeps score points on a curve; {config.function!r} is not a function target")
    gans = [build_gan(config, seed) for seed in seed_list]
    start = time.perf_counter()
    finals, d_losses, g_losses = gans[0].fit_target_many(
        distribution,
        [gan.copy_state() for gan in gans],
        config.epochs,
        config.batch_size or 0,
        vectorized=vectorized is not False,
    )
    train_seconds = time.perf_counter() - start
    mode = "vectorized" if backend.vectorize is not None and vectorized is not False else "sequential"

    runs, samples = [], []
    for seed, gan, state, d_row, g_row in zip(seed_list, gans, finals, d_losses, g_losses, strict=True):
        gan.write_state(state)
        points = gan.generate(METRIC_POINTS, seed=METRIC_SEED)
        scores = metrics.summarize(points, distribution)
        success = all(math.isfinite(scores[name]) and scores[name] <= limit for name, limit in thresholds.items())
        runs.append(
            {
                "seed": seed,
                **scores,
                "final_d_loss": float(d_row[-1]),
                "final_g_loss": float(g_row[-1]),
                "success": success,
            }
        )
        samples.append(np.asarray(ops.convert_to_numpy(points))[:200])
    result = SweepResult(
        config=config,
        seeds=seed_list,
        runs=runs,
        samples=samples,
        thresholds=dict(thresholds),
        mode=mode,
        train_seconds=train_seconds,
        out_dir=run_dir,
    )
    if run_dir is not None:
        write_sweep(result, distribution, run_dir)
    return result


def write_sweep(result: SweepResult, distribution: Target, run_dir: Path) -> dict[str, Path]:
    """Writes `sweep.json`, `sweep.csv` and the grid `samples.png`; returns name -> path."""
    from gan1d import plots
    from gan1d.files import atomic_path
    from gan1d.training import curve_of

    paths = {name: run_dir / name for name in ("sweep.json", "sweep.csv", "samples.png")}
    with atomic_path(paths["sweep.json"]) as tmp:
        tmp.write_text(json.dumps(result.summary(), indent=2) + "\n")
    columns = {name: [run[name] for run in result.runs] for name in result.runs[0]}
    write_csv(paths["sweep.csv"], columns)
    titles = [
        f"seed {run['seed']} {'ok' if run['success'] else 'miss'}\nx_w1 {run['x_w1']:.3f} res {run['curve_residual']:.3f}"
        for run in result.runs
    ]
    plots.plot_grid(
        result.samples,
        distribution.sample(200, seed=0),
        paths["samples.png"],
        titles=titles,
        curve=curve_of(distribution),
        bounds=distribution.bounds,
    )
    return paths
