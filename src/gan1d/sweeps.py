"""Many seeds of one configuration: success rate, per-seed quality, a grid of samples."""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gan1d.checks import integer
from gan1d.config import MAX_SEED, TrainConfig
from gan1d.errors import Gan1dError
from gan1d.metrics import HIGHER_IS_BETTER, MIXTURE_THRESHOLDS, SUCCESS_THRESHOLDS, meets, success_thresholds
from gan1d.runs import RunFolder, write_csv, write_json
from gan1d.targets import Target
from gan1d.training import METRIC_POINTS, METRIC_SEED

__all__ = [
    "HIGHER_IS_BETTER",
    "MIXTURE_THRESHOLDS",
    "SUCCESS_THRESHOLDS",
    "SweepResult",
    "default_thresholds",
    "describe_run",
    "sweep",
]


@dataclasses.dataclass(frozen=True)
class SweepResult:
    """What `sweep` produced.

    Attributes:
        config: The resolved configuration shared by every seed.
        seeds: The seeds, in order.
        runs: One dict per seed: `seed`, the metrics of `gan1d.metrics.summarize`,
            `final_d_loss`, `final_g_loss` and `success`.
        samples: The `METRIC_POINTS` generated points `(n, 2)` of each seed that were scored.
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

    @property
    def metric_names(self) -> list[str]:
        """The quality metrics each run holds (those that apply to the target)."""
        return [name for name in self.runs[0] if name not in ("seed", "final_d_loss", "final_g_loss", "success")]

    def mean(self, name: str) -> tuple[float, float]:
        """Mean of a metric over the seeds and its standard error, as papers report them."""
        values = np.array([run[name] for run in self.runs], dtype=np.float64)
        error = float(np.std(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else math.nan
        return float(np.mean(values)), error

    def summary(self) -> dict[str, Any]:
        """JSON-able summary: success count and rate, means with standard errors, medians, timing, every run."""
        names = self.metric_names
        medians = {name: float(np.nanmedian([run[name] for run in self.runs])) for name in names}
        means = {name: self.mean(name)[0] for name in names}
        errors = {name: self.mean(name)[1] for name in names}
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
            "mean": means,
            "standard_error": errors,
            "mode": self.mode,
            "train_seconds_per_seed": round(self.train_seconds / len(self.seeds), 3),
            "train_seconds": round(self.train_seconds, 3),
            "runs": self.runs,
        }


def sweep(
    target: str = "square",
    seeds: int | Sequence[int] = 10,
    *,
    config: TrainConfig | None = None,
    out_dir: str | os.PathLike[str] | RunFolder | None = None,
    vectorized: bool | None = None,
    thresholds: Mapping[str, float] | None = None,
    overwrite: bool = False,
    **options: Any,
) -> SweepResult:
    """Trains one configuration on many seeds and scores each against `thresholds`.

    Args:
        target: Built-in target name or expression in `x`.
        seeds: How many seeds (0, 1, ...), or the seeds themselves.
        config: A ready `TrainConfig` (its `seed` is replaced by each seed);
            otherwise one is made from `target` and `options`.
        out_dir: Folder for `sweep.json`, `sweep.csv` and `samples.png`; None writes nothing.
        vectorized: Train all seeds in one computation (JAX only); None picks it
            where the backend allows.
        thresholds: Metric -> the worst value that counts as a success (a lower
            bound for `HIGHER_IS_BETTER` metrics); None for `default_thresholds`.
        overwrite: Replace gan1d's files in a non-empty `out_dir`.
        **options: `TrainConfig` fields (`preset`, `domain`, `epochs`, `batch_size`, ...).

    Returns:
        A `SweepResult`.

    Raises:
        Gan1dError: On bad input, before anything is trained or written.
    """
    seed_list = _seed_list(seeds)
    if config is None:
        config = TrainConfig.from_preset(**{"function": target, **options, "snapshot_every": 0, "animation": "none"})
    elif options:
        raise Gan1dError("give either config= or settings, not both")
    from gan1d import metrics

    distribution = config.target()
    limits = dict(default_thresholds(distribution) if thresholds is None else thresholds)
    known = set(metrics.summarize(distribution.sample(2, seed=0), distribution))
    unknown = set(limits) - known
    if unknown:
        raise Gan1dError(
            f"unknown threshold metric(s) {sorted(unknown)} for {config.function!r}; choose from {sorted(known)}"
        )

    from keras import ops

    from gan1d import backend
    from gan1d.loop import fit_target_many
    from gan1d.models import build_gan

    if vectorized and backend.vectorize is None:
        raise Gan1dError("vectorized sweeps need the JAX backend; TensorFlow trains the seeds one after another")
    folder = (
        out_dir if isinstance(out_dir, RunFolder) or out_dir is None else RunFolder.claim(out_dir, overwrite=overwrite)
    )
    try:
        gans = [build_gan(config, seed, distribution=distribution) for seed in seed_list]
        start = time.perf_counter()
        finals, d_losses, g_losses = fit_target_many(
            gans[0],
            distribution,
            [gan.copy_state() for gan in gans],
            config.epochs,
            config.batch_size,
            vectorized=vectorized is not False,
        )
        train_seconds = time.perf_counter() - start
        mode = "vectorized" if backend.vectorize is not None and vectorized is not False else "sequential"

        runs, samples = [], []
        for seed, gan, state, d_row, g_row in zip(seed_list, gans, finals, d_losses, g_losses, strict=True):
            gan.write_state(state)
            points = gan.generate(METRIC_POINTS, seed=METRIC_SEED)
            scores = metrics.summarize(points, distribution)
            success = meets(scores, limits)
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
        result = SweepResult(
            config=config,
            seeds=seed_list,
            runs=runs,
            samples=samples,
            thresholds=limits,
            mode=mode,
            train_seconds=train_seconds,
            out_dir=folder.path if folder is not None else None,
        )
        if folder is not None:
            write_sweep(result, distribution, folder)
    finally:
        if folder is not None and not isinstance(out_dir, RunFolder):
            folder.release()
    return result


def _seed_list(seeds: object) -> list[int]:
    message = f"seeds must be a positive count or a list of seeds >= 0, got {seeds!r}"
    if isinstance(seeds, bool):
        raise Gan1dError(message)
    if isinstance(seeds, numbers.Integral):
        if seeds <= 0:
            raise Gan1dError(message)
        return list(range(int(seeds)))
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Sequence) or not seeds:
        raise Gan1dError(message)
    return [integer("a seed", s, 0, MAX_SEED) for s in seeds]


def default_thresholds(distribution: Target) -> dict[str, float]:
    """The success bar of a target (`gan1d.metrics.success_thresholds`)."""
    return success_thresholds(distribution)


def describe_run(run: Mapping[str, Any]) -> str:
    """One line of a run's headline metrics, e.g. `x_w1 0.0081  curve_residual 0.0065`."""
    shown = [name for name in _HEADLINE if name in run] or ["energy_distance"]
    return "  ".join(f"{name} {run[name]:.4g}" for name in shown)


# Generated points per panel of the grid picture.
GRID_POINTS = 200

_HEADLINE = ("x_w1", "curve_residual", "modes_captured", "high_quality", "reverse_kl")


def _short(run: Mapping[str, Any]) -> str:
    """A picture title's line of metrics."""
    if "x_w1" in run:
        return f"x_w1 {run['x_w1']:.3f} res {run['curve_residual']:.3f}"
    if "modes_captured" in run:
        return f"modes {run['modes_captured']:.0f} HQ {run['high_quality']:.1%} rKL {run['reverse_kl']:.2f}"
    return f"energy {run['energy_distance']:.3g}"


def write_sweep(result: SweepResult, distribution: Target, folder: RunFolder) -> dict[str, Path]:
    """Writes `sweep.json`, `sweep.csv` and the grid `samples.png`; returns name -> path."""
    from gan1d import plots

    paths = {name: folder / name for name in ("sweep.json", "sweep.csv", "samples.png")}
    write_json(paths["sweep.json"], result.summary())
    columns = {name: [run[name] for run in result.runs] for name in result.runs[0]}
    write_csv(paths["sweep.csv"], columns)
    titles = [f"seed {run['seed']} {'ok' if run['success'] else 'miss'}\n{_short(run)}" for run in result.runs]
    curve = distribution.curve()
    plots.plot_grid(
        [points[:GRID_POINTS] for points in result.samples],
        distribution.sample(200, seed=0),
        paths["samples.png"],
        titles=titles,
        curve=curve,
        bounds=distribution.bounds,
    )
    return paths
