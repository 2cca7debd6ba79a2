"""Many seeds of one configuration: success rate, per-seed quality, a grid of samples."""

from __future__ import annotations

import dataclasses
import numbers
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gan1d import backend
from gan1d.checks import integer
from gan1d.data.distribution import Target
from gan1d.data.metrics import HEADLINE, check_thresholds, mean_and_error
from gan1d.errors import Gan1dError, RunInterrupted
from gan1d.experiments.scoring import train_and_score
from gan1d.files import write_csv, write_json
from gan1d.pictures import stills
from gan1d.run.config import MAX_SEED, MAX_SEEDS, TrainConfig
from gan1d.run.folder import RunFolder
from gan1d.run.signals import SignalGuard

__all__ = ["SweepResult", "describe_run", "sweep"]

# Seeds trained together under JAX: a stop loses at most one block's training.
BLOCK = 10


@dataclasses.dataclass(frozen=True)
class SweepResult:
    """What `sweep` produced.

    Attributes:
        config: The resolved configuration shared by every seed.
        seeds: The seeds, in order.
        runs: One dict per seed: `seed`, the metrics of `gan1d.data.metrics.summarize`,
            `final_d_loss`, `final_g_loss` and `success`.
        samples: The `METRIC_POINTS` generated points `(n, 2)` of each seed that were scored.
        thresholds: Metric -> largest value that counts as a success.
        mode: `"vectorized"` (all seeds in one computation) or `"sequential"`.
        train_seconds: Wall time of training all seeds, compilation included.
        out_dir: Folder written, or None.
        status: `"completed"`, or `"interrupted"` when only the seeds in `runs` finished.
    """

    config: TrainConfig
    seeds: list[int]
    runs: list[dict[str, Any]]
    samples: list[np.ndarray]
    thresholds: dict[str, float]
    mode: str
    train_seconds: float
    out_dir: Path | None = None
    status: str = "completed"
    generator: str = "plain"

    @property
    def successes(self) -> int:
        return sum(run["success"] for run in self.runs)

    @property
    def metric_names(self) -> list[str]:
        """The quality metrics each run holds (those that apply to the target)."""
        first = self.runs[0] if self.runs else {}
        return [name for name in first if name not in ("seed", "final_d_loss", "final_g_loss", "success")]

    def mean(self, name: str) -> tuple[float, float]:
        """Mean of a metric over the seeds and its standard error, as papers report them."""
        return mean_and_error([run[name] for run in self.runs])

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
            "generator": self.generator,
            "epochs": self.config.epochs,
            "status": self.status,
            "seeds": len(self.seeds),
            "finished": len(self.runs),
            "successes": self.successes,
            "success_rate": self.successes / len(self.runs) if self.runs else None,
            "thresholds": self.thresholds,
            "median": medians,
            "mean": means,
            "standard_error": errors,
            "mode": self.mode,
            "train_seconds_per_seed": round(self.train_seconds / len(self.runs), 3) if self.runs else None,
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
    block: int | None = None,
    progress: Callable[[int], None] | None = None,
    **options: Any,
) -> SweepResult:
    """Trains one configuration on many seeds and scores each against `thresholds`.

    Seeds train in blocks (`BLOCK` at a time, vectorized, under JAX; one by one
    otherwise). Ctrl-C or SIGTERM stops the block under way; the seeds of the blocks
    before it are scored and written, and `RunInterrupted` (a `KeyboardInterrupt`)
    carries them.

    Args:
        target: Built-in target name or expression in `x`.
        seeds: How many seeds (0, 1, ...), or the seeds themselves.
        config: A ready `TrainConfig` (its `seed` is replaced by each seed);
            otherwise one is made from `target` and `options`.
        out_dir: Folder for `sweep.json`, `sweep.csv` and `samples.png`; None writes nothing.
        vectorized: Train all seeds in one computation (JAX only); None picks it
            where the backend allows.
        thresholds: Metric -> the worst value that counts as a success (a lower
            bound for `HIGHER_IS_BETTER` metrics); None for the target's own (`success_thresholds`).
        overwrite: Replace gan1d's files in a non-empty `out_dir`.
        block: Seeds trained together (vectorized) or between checks for a stop.
        progress: Called with the training steps done, summed over seeds.
        **options: `TrainConfig` fields (`preset`, `domain`, `epochs`, `batch_size`, ...).

    Returns:
        A `SweepResult`.

    Raises:
        Gan1dError: On bad input (more than `MAX_SEEDS` seeds, say), before anything
            is trained or written.
        RunInterrupted: On Ctrl-C or SIGTERM, after writing the finished seeds.
    """
    seed_list = _seed_list(seeds)
    if config is None:
        config = TrainConfig.from_preset(**{"function": target, **options, "snapshot_every": 0, "animation": "none"})
    elif options:
        raise Gan1dError("give either config= or settings, not both")
    distribution = config.target()
    limits = check_thresholds(distribution, thresholds, config.function)

    if vectorized and backend.vectorize is None:
        raise Gan1dError("vectorized sweeps need the JAX backend; TensorFlow trains the seeds one after another")
    generator, _ = config.architecture(distribution)
    mode = "vectorized" if backend.vectorize is not None and vectorized is not False else "sequential"
    size = integer("block", block) if block is not None else (BLOCK if mode == "vectorized" else 1)
    folder = (
        out_dir if isinstance(out_dir, RunFolder) or out_dir is None else RunFolder.claim(out_dir, overwrite=overwrite)
    )
    runs: list[dict[str, Any]] = []
    samples: list[np.ndarray] = []
    train_seconds = 0.0
    try:
        with SignalGuard() as guard:
            for first in range(0, len(seed_list), size):
                block_seeds = seed_list[first : first + size]
                try:
                    scored = train_and_score(
                        config,
                        distribution,
                        block_seeds,
                        limits,
                        vectorized=mode == "vectorized",
                        pad_to=min(size, len(seed_list)),
                        should_stop=lambda: guard.received is not None,
                        on_progress=_shifted(progress, first * config.epochs, len(block_seeds)),
                    )
                except KeyboardInterrupt:
                    break  # the seeds of this block did not finish; those before it did
                train_seconds += scored.train_seconds
                runs += scored.runs
                samples += scored.samples
            guard.raising()
            result = SweepResult(
                config=config,
                seeds=seed_list,
                runs=runs,
                samples=samples,
                thresholds=limits,
                mode=mode,
                train_seconds=train_seconds,
                out_dir=folder.path if folder is not None else None,
                status="interrupted" if guard.received is not None else "completed",
                generator=generator,
            )
            if folder is not None:
                write_sweep(result, distribution, folder)
    finally:
        if folder is not None and not isinstance(out_dir, RunFolder):
            folder.release()
    if guard.received is not None:
        raise RunInterrupted(result, guard.received)
    return result


def _shifted(progress: Callable[[int], None] | None, before: int, copies: int) -> Callable[[int], None] | None:
    """`progress` for one block: its steps times its copies, after the steps of the blocks before."""
    if progress is None:
        return None
    report = progress
    return lambda steps: report(before + steps * copies)


def _seed_list(seeds: object) -> list[int]:
    message = f"seeds must be a positive count or a list of seeds >= 0, got {seeds!r}"
    if isinstance(seeds, bool):
        raise Gan1dError(message)
    if isinstance(seeds, numbers.Integral):
        return list(range(integer("seeds", seeds, 1, MAX_SEEDS)))
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Sequence) or not seeds:
        raise Gan1dError(message)
    if len(seeds) > MAX_SEEDS:
        raise Gan1dError(f"at most {MAX_SEEDS} seeds in one sweep, got {len(seeds)}; split it into several")
    return [integer("a seed", s, 0, MAX_SEED) for s in seeds]


def describe_run(run: Mapping[str, Any]) -> str:
    """One line of a run's headline metrics, e.g. `x_w1 0.0081  curve_residual 0.0065  energy_distance 0.0012`."""
    return "  ".join(f"{name} {run[name]:.4g}" for name in HEADLINE if name in run)


# Generated points per panel of the grid picture.
GRID_POINTS = 200


def _short(run: Mapping[str, Any]) -> str:
    """A picture title's line of metrics."""
    if "x_w1" in run:
        return f"x_w1 {run['x_w1']:.3f} res {run['curve_residual']:.3f}"
    if "modes_captured" in run:
        return f"modes {run['modes_captured']:.0f} HQ {run['high_quality']:.1%} rKL {run['reverse_kl']:.2f}"
    return f"energy {run['energy_distance']:.3g}"


def write_sweep(result: SweepResult, distribution: Target, folder: RunFolder) -> dict[str, Path]:
    """Writes `sweep.json`, `sweep.csv` and the grid `samples.png`; returns name -> path."""
    paths = {name: folder / name for name in ("sweep.json", "sweep.csv", "samples.png")}
    write_json(paths["sweep.json"], result.summary())
    if not result.runs:  # stopped before any seed finished: the summary says so
        return {"sweep.json": paths["sweep.json"]}
    columns = {name: [run[name] for run in result.runs] for name in result.runs[0]}
    write_csv(paths["sweep.csv"], columns)
    titles = [f"seed {run['seed']} {'ok' if run['success'] else 'miss'}\n{_short(run)}" for run in result.runs]
    curve = distribution.curve()
    stills.plot_grid(
        [points[:GRID_POINTS] for points in result.samples],
        distribution.sample(200, seed=0),
        paths["samples.png"],
        titles=titles,
        curve=curve,
        bounds=distribution.bounds,
    )
    return paths
