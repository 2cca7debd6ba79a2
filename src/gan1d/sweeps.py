"""Many seeds of one configuration: success rate, per-seed quality, a grid of samples."""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gan1d.checks import integer
from gan1d.config import MAX_SEED, TrainConfig
from gan1d.errors import Gan1dError, RunInterrupted
from gan1d.interrupts import SignalGuard
from gan1d.metrics import HIGHER_IS_BETTER, MIXTURE_THRESHOLDS, SUCCESS_THRESHOLDS, meets, success_thresholds
from gan1d.runs import RunFolder, write_csv, write_json
from gan1d.targets import Target
from gan1d.training import METRIC_POINTS, METRIC_SEED

__all__ = [
    "HIGHER_IS_BETTER",
    "MIXTURE_THRESHOLDS",
    "SUCCESS_THRESHOLDS",
    "ScoredSeeds",
    "SweepResult",
    "check_thresholds",
    "default_thresholds",
    "describe_run",
    "mean_and_error",
    "sweep",
    "train_and_score",
]

# Most seeds one sweep takes: each needs its own networks built on the host first.
MAX_SEEDS = 10_000
# Seeds trained together under JAX: a stop loses at most one block's training.
BLOCK = 10


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
            bound for `HIGHER_IS_BETTER` metrics); None for `default_thresholds`.
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

    from gan1d import backend

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
        thresholds: Checked success bar, from `check_thresholds`.
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
    from keras import ops

    from gan1d import backend, metrics
    from gan1d.loop import fit_target_many
    from gan1d.models import build_gan

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


def check_thresholds(distribution: Target, thresholds: Mapping[str, float] | None, name: str) -> dict[str, float]:
    """The success bar for `distribution`: `thresholds`, or `default_thresholds` when None.

    Args:
        distribution: The target.
        thresholds: Metric -> the worst value that counts as a success.
        name: How the target is named in the error message.

    Raises:
        Gan1dError: If a threshold names a metric the target is not scored on.
    """
    from gan1d import metrics

    limits = dict(default_thresholds(distribution) if thresholds is None else thresholds)
    known = set(metrics.summarize(distribution.sample(2, seed=0), distribution))
    unknown = set(limits) - known
    if unknown:
        raise Gan1dError(f"unknown threshold metric(s) {sorted(unknown)} for {name!r}; choose from {sorted(known)}")
    return limits


def mean_and_error(values: Sequence[float]) -> tuple[float, float]:
    """The mean of `values` and its standard error (NaN for fewer than two), as papers report them."""
    array = np.asarray(values, dtype=np.float64)
    error = float(np.std(array, ddof=1) / math.sqrt(len(array))) if len(array) > 1 else math.nan
    return float(np.mean(array)), error


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
    if not result.runs:  # stopped before any seed finished: the summary says so
        return {"sweep.json": paths["sweep.json"]}
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
