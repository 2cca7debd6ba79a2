"""Studies: variants of a configuration x targets x seeds, resumable, on this machine or a Ray cluster.

A study file (TOML) names a base preset, the targets, the variants (a grid or a list
of `TrainConfig` overrides), the seeds and the success thresholds; `load_study`
reads and checks all of it before anything runs. The study is cut into *blocks*:
one variant on one target for a run of seeds, trained together by `run_block` (one
`jax.vmap`-ed computation under JAX, one after another under TensorFlow) and scored
as `gan1d sweep` scores. A block is the unit of work of both executors: the local
one runs the blocks one after another in this process; the Ray one
(`gan1d.ray_executor`) sends each block to a cluster as one task.

The study folder keeps `trials.jsonl`, one JSON line per finished trial, appended
as each block finishes and read back first by every run: a trial whose line is
there is never trained again, so a rerun of the same command finishes an
interrupted study, and a study whose file gained seeds, targets or variants trains
only what is new. From the lines it writes `summary.csv`, `summary.md` (the tables
of docs/presets.md: successes/N and the mean ± standard error of each metric per
variant and target) and `summary.png`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import itertools
import json
import math
import numbers
import os
import socket
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gan1d.checks import integer, real
from gan1d.config import MAX_SEED, PRESETS, TrainConfig
from gan1d.errors import Gan1dError, RunInterrupted
from gan1d.interrupts import SignalGuard
from gan1d.metrics import meets
from gan1d.runs import RunFolder, atomic_path, strict_json, write_csv, write_json, write_text
from gan1d.sweeps import HIGHER_IS_BETTER, check_thresholds, mean_and_error

__all__ = [
    "STUDY_FILES",
    "Block",
    "Study",
    "StudyResult",
    "StudyTarget",
    "TrialLog",
    "Variant",
    "load_study",
    "run_block",
    "study",
]

# What a study writes into its folder.
STUDY_FILES = ("study.json", "trials.jsonl", "summary.csv", "summary.md", "summary.png")

# Settings a study sets itself: the seeds, the targets, and no snapshots or animation.
_STUDY_OWNED = {
    "seed": "the study's seeds",
    "function": "the study's targets",
    "domain": "the study's targets",
    "snapshot_every": "the study (no snapshots)",
    "snapshot_points": "the study (no snapshots)",
    "animation": "the study (no animation)",
}
_TOP_LEVEL = (
    "name",
    "description",
    "preset",
    "seeds",
    "block",
    "targets",
    "settings",
    "thresholds",
    "grid",
    "variants",
)
_TARGET_KEYS = ("name", "function", "domain", "thresholds")

# How summary tables show each metric: heading, scale, decimals (docs/presets.md's style).
_SHOWN: Mapping[str, tuple[str, float, int]] = {
    "x_w1": ("x_w1", 1.0, 4),
    "curve_residual": ("curve_residual", 1.0, 4),
    "coverage": ("% coverage", 100.0, 1),
    "modes_captured": ("modes", 1.0, 2),
    "high_quality": ("% high quality", 100.0, 1),
    "reverse_kl": ("reverse KL", 1.0, 3),
    "energy_distance": ("energy distance", 1.0, 4),
}
# The metric a picture shows per kind of target, best known first.
_HEADLINE = ("high_quality", "curve_residual", "energy_distance")


@dataclasses.dataclass(frozen=True)
class StudyTarget:
    """A target of a study.

    Attributes:
        name: Its label in the tables (a built-in name, or the file's `name`).
        function: A built-in name or an expression in `x` (`TrainConfig.function`).
        domain: The x range, or None for the built-in's (and for planar targets).
        thresholds: Metric -> the worst value that counts as a success, checked.
    """

    name: str
    function: str
    domain: tuple[float, float] | None
    thresholds: Mapping[str, float]


@dataclasses.dataclass(frozen=True)
class Variant:
    """One configuration a study compares: `TrainConfig` overrides on the study's preset and settings.

    Attributes:
        name: Its label in the tables.
        overrides: `TrainConfig` fields (lists as tuples), `preset` included if it has its own.
        targets: The labels of the targets it runs on.
        seeds: Its seeds.
    """

    name: str
    overrides: Mapping[str, Any]
    targets: tuple[str, ...]
    seeds: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class Block:
    """The unit of work: one variant on one target for a run of seeds, trained together.

    Attributes:
        variant: The variant's name.
        target: The target's label.
        seeds: The seeds, in order.
        config: The resolved configuration (its `seed` is replaced by each seed).
        thresholds: The target's success bar.
        config_id: A fingerprint of `config` without its seed; a trial line counts
            for a block only when it carries the same one.
    """

    variant: str
    target: str
    seeds: tuple[int, ...]
    config: TrainConfig
    thresholds: Mapping[str, float]
    config_id: str

    def describe(self) -> str:
        return f"{self.variant!r} on {self.target}, {_seed_range(self.seeds)}"


@dataclasses.dataclass(frozen=True)
class Study:
    """A checked study file: what to train and how to score it.

    Build one with `load_study`. Every variant-and-target configuration has already
    been validated, so running it cannot fail on a setting.

    Attributes:
        name: The study's name (the file's stem unless it says).
        description: Free text for the summary.
        preset: The base preset.
        settings: `TrainConfig` overrides shared by every variant.
        targets: The targets, in order.
        variants: The variants, in order.
        block: Seeds per block; None trains each variant's seeds on a target together.
        source: The file it was read from, if any.
    """

    name: str
    description: str
    preset: str
    settings: Mapping[str, Any]
    targets: tuple[StudyTarget, ...]
    variants: tuple[Variant, ...]
    block: int | None = None
    source: str | None = None
    # Built configurations by (variant, target): checking a curve's target takes a
    # noticeable fraction of a second, so each is built once.
    _configs: dict[tuple[str, str], TrainConfig] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def config(self, variant: Variant, target: StudyTarget) -> TrainConfig:
        """The full configuration of `variant` on `target` (seed 0)."""
        key = (variant.name, target.name)
        if key not in self._configs:
            overrides = dict(variant.overrides)
            preset = overrides.pop("preset", self.preset)
            self._configs[key] = TrainConfig.from_preset(
                preset,
                **{**self.settings, **overrides},
                function=target.function,
                domain=target.domain,
                snapshot_every=0,
                animation="none",
            )
        return self._configs[key]

    def blocks(self, block: int | None = None) -> list[Block]:
        """Every block of the study, variant by variant, target by target.

        Args:
            block: Seeds per block; None for the study's own `block`.
        """
        size = block if block is not None else self.block
        targets = {target.name: target for target in self.targets}
        planned = []
        for variant in self.variants:
            for label in variant.targets:
                target = targets[label]
                config = self.config(variant, target)
                step = size or len(variant.seeds)
                for start in range(0, len(variant.seeds), step):
                    seeds = variant.seeds[start : start + step]
                    planned.append(
                        Block(variant.name, label, seeds, config, dict(target.thresholds), _config_id(config))
                    )
        return planned

    @property
    def trial_count(self) -> int:
        return sum(len(variant.seeds) * len(variant.targets) for variant in self.variants)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the study as resolved, every variant's full configuration included."""
        return {
            "name": self.name,
            "description": self.description,
            "preset": self.preset,
            "settings": _plain(self.settings),
            "block": self.block,
            "source": self.source,
            "targets": [
                {"name": t.name, "function": t.function, "domain": _plain(t.domain), "thresholds": dict(t.thresholds)}
                for t in self.targets
            ],
            "variants": [
                {
                    "name": v.name,
                    "overrides": _plain(v.overrides),
                    "targets": list(v.targets),
                    "seeds": list(v.seeds),
                    "configs": {t.name: _fields(self.config(v, t)) for t in self.targets if t.name in v.targets},
                }
                for v in self.variants
            ],
        }


# ----- reading a study file --------------------------------------------------------


def load_study(spec: str | os.PathLike[str] | Mapping[str, Any] | Study) -> Study:
    """Reads and checks a study: a TOML file, or the same content as a mapping.

    The file's keys (all optional but `targets`):

    - `name`, `description`: text for the summary (`name` defaults to the file's stem).
    - `preset`: the base preset (default `"default"`).
    - `seeds`: a count (seeds 0..N-1, default 10) or a list of seeds.
    - `block`: seeds trained together per block (default: all of a variant's seeds).
    - `targets`: names or expressions in `x`, or tables `{name, function, domain,
      thresholds}`.
    - `[settings]`: `TrainConfig` fields shared by every variant.
    - `[thresholds]`: metric -> the worst value that counts as a success, for every
      target (default: `gan1d sweep`'s bar per target).
    - `[grid]`: `TrainConfig` fields -> lists of values; one variant per combination.
    - `[[variants]]`: or a list of variants, each with `name`, `TrainConfig` fields,
      and optionally its own `preset`, `targets` (labels) and `seeds`.

    Raises:
        Gan1dError: On anything wrong, with one line that says what and where.
    """
    if isinstance(spec, Study):
        return spec
    source = None
    if isinstance(spec, Mapping):
        values: Mapping[str, Any] = spec
        default_name = "study"
    else:
        path = Path(spec)
        source = str(spec)
        try:
            text = path.read_text()
        except OSError as error:
            raise Gan1dError(f"cannot read study file {source!r}: {error.strerror or error}") from None
        try:
            values = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise Gan1dError(f"study file {source!r} is not valid TOML: {error}") from None
        default_name = path.stem
    where = f"study file {source!r}" if source else "study"
    try:
        return _parse(values, default_name, source)
    except Gan1dError as error:
        raise Gan1dError(f"{where}: {error}") from None


def _parse(values: Mapping[str, Any], default_name: str, source: str | None) -> Study:
    unknown = [key for key in values if key not in _TOP_LEVEL]
    if unknown:
        raise Gan1dError(f"unknown key(s) {', '.join(unknown)}; the keys are {', '.join(_TOP_LEVEL)}")
    name = _text("name", values.get("name", default_name))
    description = _text("description", values.get("description", ""))
    preset = values.get("preset", "default")
    if preset not in PRESETS:
        raise Gan1dError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    seeds = _seeds("seeds", values.get("seeds", 10))
    block = None if values.get("block") is None else integer("block", values["block"])
    settings = _overrides("[settings]", _table("settings", values.get("settings", {})), allow_preset=False)
    thresholds = _thresholds("[thresholds]", values.get("thresholds"))
    targets = _targets(values.get("targets"), thresholds)
    labels = tuple(target.name for target in targets)

    if "grid" in values and "variants" in values:
        raise Gan1dError("give [grid] or [[variants]], not both")
    if "grid" in values:
        variants = _grid(_table("grid", values["grid"]), labels, seeds)
    elif "variants" in values:
        variants = _variants(values["variants"], labels, seeds)
    else:
        variants = (Variant("base", {}, labels, seeds),)
    study = Study(name, description, preset, settings, targets, variants, block, source)
    for variant in study.variants:
        for target in targets:
            if target.name in variant.targets:
                try:
                    study.config(variant, target)
                except Gan1dError as error:
                    raise Gan1dError(f"variant {variant.name!r} on {target.name}: {error}") from None
    return study


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise Gan1dError(f"{name} must be a string, got {value!r}")
    return value


def _table(name: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Gan1dError(f"{name} must be a table of key = value, got {value!r}")
    return value


def _seeds(name: str, value: object) -> tuple[int, ...]:
    if isinstance(value, numbers.Integral):
        return tuple(range(integer(name, value)))
    if isinstance(value, list) and value:
        seeds = tuple(integer(f"a seed in {name}", seed, 0, MAX_SEED) for seed in value)
        if len(set(seeds)) != len(seeds):
            raise Gan1dError(f"{name} lists a seed twice: {list(seeds)}")
        return seeds
    raise Gan1dError(f"{name} must be a positive count or a list of seeds >= 0, got {value!r}")


def _overrides(where: str, values: Mapping[str, Any], *, allow_preset: bool = True) -> dict[str, Any]:
    """`TrainConfig` fields from TOML (arrays become tuples); the study-owned ones refused."""
    overrides = {}
    for key, value in values.items():
        if key in _STUDY_OWNED:
            raise Gan1dError(f"{where} sets {key!r}, which is set by {_STUDY_OWNED[key]}")
        if key == "preset" and not allow_preset:
            raise Gan1dError(f"{where} sets 'preset'; put the base preset at the top of the file")
        overrides[key] = tuple(value) if isinstance(value, list) else value
    # Names and values are checked when the configurations are built.
    return overrides


def _thresholds(where: str, value: object) -> dict[str, float] | None:
    if value is None:
        return None
    table = _table(where, value)
    return {str(metric): real(f"threshold {metric}", limit, signed=True) for metric, limit in table.items()}


def _targets(value: object, thresholds: Mapping[str, float] | None) -> tuple[StudyTarget, ...]:
    if not isinstance(value, list) or not value:
        raise Gan1dError(f"targets must be a list of one or more targets, got {value!r}")
    targets = []
    for entry in value:
        if isinstance(entry, str):
            entry = {"function": entry}
        table = _table("a target", entry)
        unknown = [key for key in table if key not in _TARGET_KEYS]
        if unknown:
            raise Gan1dError(f"target {dict(table)!r} has unknown key(s) {', '.join(unknown)}; use {_TARGET_KEYS}")
        if "function" not in table:
            raise Gan1dError(f"target {dict(table)!r} needs a function (a name or an expression in x)")
        function = _text("a target's function", table["function"]).strip()
        domain = table.get("domain")
        label = _text("a target's name", table.get("name", function))
        try:
            checked = TrainConfig.from_preset(function=function, domain=tuple(domain) if domain else None)
        except Gan1dError as error:
            raise Gan1dError(f"target {label!r}: {error}") from None
        own = _thresholds(f"target {label!r} thresholds", table.get("thresholds"))
        limits = check_thresholds(checked.target(), own if own is not None else thresholds, label)
        targets.append(StudyTarget(label, checked.function, checked.domain if domain else None, limits))
    labels = [target.name for target in targets]
    if len(set(labels)) != len(labels):
        raise Gan1dError(f"two targets share a name: {labels}; give them names")
    return tuple(targets)


def _grid(grid: Mapping[str, Any], labels: tuple[str, ...], seeds: tuple[int, ...]) -> tuple[Variant, ...]:
    if not grid:
        raise Gan1dError("[grid] is empty; give fields with lists of values")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise Gan1dError(f"[grid] {key} must be a list of one or more values, got {values!r}")
    names = list(grid)
    variants = []
    for combination in itertools.product(*(grid[key] for key in names)):
        overrides = _overrides("[grid]", dict(zip(names, combination, strict=True)))
        variants.append(Variant(_variant_name(overrides), overrides, labels, seeds))
    return tuple(variants)


def _variants(entries: object, labels: tuple[str, ...], seeds: tuple[int, ...]) -> tuple[Variant, ...]:
    if not isinstance(entries, list) or not entries:
        raise Gan1dError("[[variants]] must be one or more tables")
    variants = []
    for entry in entries:
        table = dict(_table("a variant", entry))
        name = table.pop("name", None)
        where = f"variant {name!r}" if name is not None else f"variant {table!r}"
        own_targets = labels
        if "targets" in table:
            chosen = table.pop("targets")
            if not isinstance(chosen, list) or not chosen or any(label not in labels for label in chosen):
                raise Gan1dError(f"{where}: targets must name one or more of the study's targets {list(labels)}")
            own_targets = tuple(chosen)
        own_seeds = _seeds(f"{where} seeds", table.pop("seeds")) if "seeds" in table else seeds
        overrides = _overrides(where, table)
        variants.append(
            Variant(_text("a variant's name", name or _variant_name(overrides)), overrides, own_targets, own_seeds)
        )
    names = [variant.name for variant in variants]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise Gan1dError(f"variant names must differ; repeated: {', '.join(duplicates)}")
    return tuple(variants)


def _variant_name(overrides: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={json.dumps(_plain(value))}" for key, value in overrides.items()) or "base"


def _plain(value: Any) -> Any:
    """Tuples as lists, for JSON."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def _fields(config: TrainConfig) -> dict[str, Any]:
    """Every field of a configuration, JSON-ready."""
    return {key: _plain(value) for key, value in dataclasses.asdict(config).items()}


def _config_id(config: TrainConfig) -> str:
    values = {key: value for key, value in _fields(config).items() if key != "seed"}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def _seed_range(seeds: Sequence[int]) -> str:
    if len(seeds) > 1 and list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"seeds {seeds[0]}-{seeds[-1]}"
    return f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"


# ----- one block of trials -----------------------------------------------------------


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
    import keras

    from gan1d import __version__
    from gan1d.sweeps import train_and_score

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
    import numpy as np

    tail = max(1, len(d_row) // 10)
    bad = np.flatnonzero(~np.isfinite(d_row) | ~np.isfinite(g_row))
    return {
        "final_d_loss": float(d_row[-1]),
        "final_g_loss": float(g_row[-1]),
        "last_tenth_d_loss": float(np.mean(d_row[-tail:])),
        "last_tenth_g_loss": float(np.mean(g_row[-tail:])),
        "diverged_at_step": int(bad[0]) + 1 if len(bad) else None,
    }


# ----- the results file -------------------------------------------------------------


def trial_key(trial: Mapping[str, Any]) -> tuple[str, str, int, str, str]:
    """What makes a trial the same trial: variant, target, seed, backend and configuration."""
    return (trial["variant"], trial["target"], int(trial["seed"]), trial["backend"], trial["config_id"])


class TrialLog:
    """`trials.jsonl`: one JSON line per finished trial, append-only.

    Lines are appended with one `write` per block to a file opened for appending,
    then flushed to disk, so a finished block survives anything that stops the
    process after it. A process killed during a write can leave a partial last
    line; opening the log drops it (those trials are trained again).

    Attributes:
        path: The file.
        trials: Every trial it holds, in order.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.trials: list[dict[str, Any]] = []
        self._keys: set[tuple[str, str, int, str, str]] = set()
        if not path.exists():
            return
        data = path.read_bytes()
        complete = data.rfind(b"\n") + 1
        if complete < len(data):
            with open(path, "r+b") as stream:
                stream.truncate(complete)
        for number, line in enumerate(data[:complete].decode().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                trial = json.loads(line)
                key = trial_key(trial)
            except (ValueError, KeyError, TypeError):
                raise Gan1dError(
                    f"line {number} of {str(path)!r} is not a trial; move the file away to start over"
                ) from None
            if key not in self._keys:
                self._keys.add(key)
                self.trials.append(trial)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def append(self, trials: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Appends the trials not yet in the log; returns those appended."""
        new = []
        for trial in trials:
            key = trial_key(trial)
            if key not in self._keys:
                self._keys.add(key)
                new.append(dict(trial))
        if new:
            data = "".join(json.dumps(strict_json(t), allow_nan=False) + "\n" for t in new).encode()
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                written = 0
                while written < len(data):
                    written += os.write(descriptor, data[written:])
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            self.trials.extend(new)
        return new


# ----- running a study ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class StudyResult:
    """What `study` produced.

    Attributes:
        study: The study.
        out_dir: Its folder.
        backend: The Keras backend its trials ran under.
        trials: This study's finished trials under `backend`, in the study's order.
        rows: One summary dict per variant and target (see `summary.csv`).
        trained: Trials trained by this call.
        failed: A line per block that failed (its trials are not in the log; a rerun tries again).
        files: File name -> path of each file written.
    """

    study: Study
    out_dir: Path
    backend: str
    trials: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    trained: int
    failed: list[str]
    files: dict[str, Path]

    @property
    def complete(self) -> bool:
        """Whether every trial of the study is in the log."""
        return len(self.trials) == self.study.trial_count


def study(
    spec: str | os.PathLike[str] | Mapping[str, Any] | Study,
    out_dir: str | os.PathLike[str] | None = None,
    *,
    ray: str | None = None,
    block: int | None = None,
    retries: int = 3,
    gpus_per_task: float | None = None,
    progress: bool = True,
    steps: bool = False,
) -> StudyResult:
    """Runs the trials of a study that are not yet in its folder, then writes the summary.

    Args:
        spec: A study file (TOML), its content as a mapping, or a `Study`.
        out_dir: The study's folder: new, empty, or holding this study's earlier
            results (which are kept; only missing trials run). Default `runs/<name>`.
        ray: None trains here; `"auto"` or a cluster address (`"ray://host:10001"`,
            `"host:6379"`) sends each block to that Ray cluster as a task.
        block: Seeds per block, instead of the study's.
        retries: On Ray, how many times a task whose worker died is run again.
        gpus_per_task: On Ray, GPUs each task asks for; None asks for one where the
            cluster has GPUs, else none.
        progress: Print a line per finished block on stderr.
        steps: Show the steps of the block under way (local executor).

    Returns:
        A `StudyResult`.

    Raises:
        Gan1dError: On a bad study or folder, before anything is trained.
        RunInterrupted: On Ctrl-C or SIGTERM, which stop the blocks under way (at the
            end of their compiled call here; on Ray their tasks are cancelled), after
            writing the summary of the finished trials, which are in the log.
    """
    from gan1d.environment import check_backend

    plan = load_study(spec)
    block = None if block is None else integer("block", block)
    retries = integer("retries", retries, 0)
    if gpus_per_task is not None:
        gpus_per_task = real("gpus_per_task", gpus_per_task)
    backend = check_backend()
    path = Path(out_dir) if out_dir is not None else Path("runs") / plan.name
    resuming = (path / "study.json").is_file()
    if not resuming and path.is_dir() and any(path.iterdir()):
        raise Gan1dError(f"--out {str(path)!r} is not empty and holds no study; choose another folder")
    with contextlib.ExitStack() as cluster:
        if ray is not None:
            from gan1d.ray_executor import joined

            cluster.enter_context(joined(ray))  # before the folder: a bad address leaves none
        result = _study(plan, path, resuming, backend, ray, block, retries, gpus_per_task, progress, steps)
    return result


def _study(
    plan: Study,
    path: Path,
    resuming: bool,
    backend: str,
    ray: str | None,
    block: int | None,
    retries: int,
    gpus_per_task: float | None,
    progress: bool,
    steps: bool,
) -> StudyResult:
    """`study` once its input is checked (and the cluster joined)."""
    folder = RunFolder.claim(path, resume=resuming, holds="study.json")
    with folder:
        log = TrialLog(folder / "trials.jsonl")
        write_json(folder / "study.json", plan.to_dict())
        blocks = plan.blocks(block)
        todo = [b for b in blocks if any(_key(b, seed, backend) not in log for seed in b.seeds)]
        done_before = sum(len(b.seeds) for b in blocks) - sum(
            sum(_key(b, seed, backend) not in log for seed in b.seeds) for b in todo
        )
        say = _say if progress else _quiet
        say(
            f"gan1d: study {plan.name!r}: {plan.trial_count} trials in {len(blocks)} blocks, {done_before} done "
            f"before; {len(todo)} blocks to run with {backend} {'on Ray' if ray else 'here'}; writing {folder.path}"
        )
        trained = 0
        counter = itertools.count(1)

        def record(finished: Block, trials: list[dict[str, Any]]) -> None:
            nonlocal trained
            mine = [t for t in trials if t["seed"] in finished.seeds]
            new = log.append(mine)
            trained += len(new)
            wins = sum(bool(t["success"]) for t in mine)
            seconds = mine[0]["seconds"] if mine else math.nan
            where = f" on {mine[0]['host']}" if ray and mine else ""
            say(
                f"gan1d: [{next(counter)}/{len(todo)}] {finished.describe()}: {wins}/{len(mine)} successes, "
                f"{seconds:.1f} s per trial{where}"
            )

        with SignalGuard() as guard:

            def stopping() -> bool:
                return guard.received is not None

            if ray is None:
                failed = _run_here(todo, record, steps, stopping)
            else:
                from gan1d.ray_executor import run_on_ray

                failed = run_on_ray(
                    todo,
                    record,
                    address=ray,
                    retries=retries,
                    gpus_per_task=gpus_per_task,
                    say=say,
                    should_stop=stopping,
                )
            # The summary is written whole even if a second signal comes meanwhile.
            with guard.deferred():
                current = _current(blocks, log, backend)
                rows = summarize(plan, blocks, current)
                files = write_summary(plan, rows, current, folder.path, backend)
    result = StudyResult(plan, folder.path, backend, current, rows, trained, failed, files)
    if guard.received is not None:
        raise RunInterrupted(result, guard.received)
    for line in failed:
        say(f"gan1d: failed: {line}")
    return result


def _key(block: Block, seed: int, backend: str) -> tuple[str, str, int, str, str]:
    return (block.variant, block.target, seed, backend, block.config_id)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _quiet(line: str) -> None:
    pass


def _run_here(
    blocks: Sequence[Block],
    record: Callable[[Block, list[dict[str, Any]]], None],
    steps: bool,
    should_stop: Callable[[], bool],
) -> list[str]:
    """The local executor: the blocks one after another in this process, until `should_stop`."""
    for block in blocks:
        bar = _step_bar(block.config.epochs) if steps else None
        try:
            trials = run_block(block, executor="local", on_progress=bar, should_stop=should_stop)
        except KeyboardInterrupt:
            if should_stop():
                break  # this block did not finish; those before it are in the log
            raise
        record(block, trials)
    return []


def _step_bar(total: int) -> Callable[[int], None]:
    """Keras's progress bar over one block's `total` steps, as a function of the steps done."""
    import keras

    bar = keras.utils.Progbar(total, unit_name="step")
    return lambda done: bar.update(done, finalize=done >= total)


def _current(blocks: Sequence[Block], log: TrialLog, backend: str) -> list[dict[str, Any]]:
    """The log's trials that belong to this study and backend, in the study's order."""
    by_key = {trial_key(t): t for t in log.trials}
    return [by_key[k] for b in blocks for seed in b.seeds if (k := _key(b, seed, backend)) in by_key]


# ----- the summary -----------------------------------------------------------------------


def summarize(plan: Study, blocks: Sequence[Block], trials: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per variant and target: trials planned and done, successes, each metric's mean and standard error.

    Success is judged again from the stored metrics against the study's current
    thresholds, so changing a threshold needs no training.
    """
    rows = []
    for variant in plan.variants:
        for label in variant.targets:
            limits = next(t.thresholds for t in plan.targets if t.name == label)
            mine = [t for t in trials if t["variant"] == variant.name and t["target"] == label]
            names = list(mine[0]["metrics"]) if mine else []
            row: dict[str, Any] = {
                "variant": variant.name,
                "target": label,
                "planned": len(variant.seeds),
                "trials": len(mine),
                "successes": sum(meets(_floats(t["metrics"]), limits) for t in mine),
            }
            for name in names:
                mean, error = mean_and_error([_float(t["metrics"][name]) for t in mine])
                row[f"{name}_mean"], row[f"{name}_se"] = mean, error
            row["seconds_per_trial"] = mean_and_error([t["seconds"] for t in mine])[0] if mine else math.nan
            rows.append(row)
    return rows


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


def _floats(values: Mapping[str, Any]) -> dict[str, float]:
    return {name: _float(value) for name, value in values.items()}


def write_summary(
    plan: Study, rows: Sequence[Mapping[str, Any]], trials: Sequence[Mapping[str, Any]], folder: Path, backend: str
) -> dict[str, Path]:
    """Writes `summary.csv`, `summary.md` and `summary.png`; returns name -> path."""
    files = {name: folder / name for name in ("study.json", "trials.jsonl", "summary.csv", "summary.md", "summary.png")}
    metric_names = list(dict.fromkeys(k[:-5] for row in rows for k in row if k.endswith("_mean")))
    columns: dict[str, list[Any]] = {
        key: [row[key] for row in rows] for key in ("variant", "target", "planned", "trials", "successes")
    }
    for name in metric_names:
        for suffix in ("_mean", "_se"):
            columns[name + suffix] = [row.get(name + suffix, math.nan) for row in rows]
    columns["seconds_per_trial"] = [row["seconds_per_trial"] for row in rows]
    write_csv(files["summary.csv"], columns)
    write_text(files["summary.md"], summary_markdown(plan, rows, trials, backend))
    _plot(plan, rows, files["summary.png"])
    return files


def _cell(row: Mapping[str, Any], name: str) -> str:
    if f"{name}_mean" not in row:
        return ""
    _, scale, digits = _SHOWN.get(name, (name, 1.0, 4))
    mean, error = row[f"{name}_mean"] * scale, row[f"{name}_se"] * scale
    if not math.isfinite(mean):
        return "n/a"
    return f"{mean:.{digits}f}" + (f" ± {error:.{digits}f}" if math.isfinite(error) else "")


def summary_markdown(
    plan: Study, rows: Sequence[Mapping[str, Any]], trials: Sequence[Mapping[str, Any]], backend: str
) -> str:
    """The summary tables: successes per variant and target, then each target's metrics."""
    done = sum(row["trials"] for row in rows)
    seeds = sorted({seed for variant in plan.variants for seed in variant.seeds})
    hosts = sorted({t["host"] for t in trials})
    lines = [f"# Study: {plan.name}", ""]
    if plan.description:
        lines += [plan.description.strip(), ""]
    counts = (
        f"{done} of {plan.trial_count} trials done, under {backend} ({plan.preset} preset, "
        f"{_seed_range(seeds)}; hosts: {', '.join(hosts) or 'none'})."
    )
    lines += [counts, ""]
    if plan.source:
        lines += [f"Regenerate: `gan1d study {plan.source}` (add `--ray auto` to run it on a Ray cluster).", ""]
    labels = [target.name for target in plan.targets]
    lines += ["## Successes", "", "| variant | " + " | ".join(labels) + " | total |", "|---" * (len(labels) + 2) + "|"]
    for variant in plan.variants:
        cells, wins, count = [], 0, 0
        for label in labels:
            row = next((r for r in rows if r["variant"] == variant.name and r["target"] == label), None)
            if row is None:
                cells.append("")
                continue
            cells.append(f"{row['successes']}/{row['trials']}")
            wins, count = wins + row["successes"], count + row["trials"]
        lines.append(f"| {variant.name} | " + " | ".join(cells) + f" | {wins}/{count} |")
    for target in plan.targets:
        mine = [row for row in rows if row["target"] == target.name]
        names = list(dict.fromkeys(k[:-5] for row in mine for k in row if k.endswith("_mean")))
        bar = ", ".join(
            f"{name} {'>=' if name in HIGHER_IS_BETTER else '<='} {limit:g}"
            for name, limit in target.thresholds.items()
        )
        lines += [
            "",
            f"## {target.name}",
            "",
            f"Success: {bar or 'finite points'}. Mean ± standard error over the trials.",
            "",
        ]
        headings = [_SHOWN.get(name, (name,))[0] for name in names]
        lines.append("| variant | successes | " + " | ".join(headings) + " | training s per trial |")
        lines.append("|---" * (len(names) + 3) + "|")
        for row in mine:
            cells = [_cell(row, name) for name in names]
            lines.append(
                f"| {row['variant']} | {row['successes']}/{row['trials']} | "
                + " | ".join(cells)
                + f" | {row['seconds_per_trial']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def _plot(plan: Study, rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Success share per variant, one panel per target, each bar labelled with its headline metric."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [target.name for target in plan.targets]
    names = [variant.name for variant in plan.variants]
    figure = Figure(figsize=(4.5 * len(labels) + 2.5, 0.45 * len(names) + 1.6), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(labels), sharey=True, squeeze=False)[0]
    for ax, label in zip(axes, labels, strict=True):
        positions, shares, notes = [], [], []
        for i, name in enumerate(names):
            row = next((r for r in rows if r["variant"] == name and r["target"] == label), None)
            if row is None or not row["trials"]:
                continue
            headline = next((m for m in _HEADLINE if f"{m}_mean" in row), None)
            shown = f"  {_SHOWN[headline][0]} {_cell(row, headline)}" if headline else ""
            positions.append(i)
            shares.append(row["successes"] / row["trials"])
            notes.append(f"{row['successes']}/{row['trials']}{shown}")
        ax.barh(positions, shares, color="#a6c8e8")
        for y, note in zip(positions, notes, strict=True):
            ax.text(0.02, y, note, va="center", fontsize=9, color="black")
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of trials that succeed")
        ax.set_title(label)
        ax.set_yticks(range(len(names)), names)
        ax.invert_yaxis()
    figure.suptitle(f"Study: {plan.name}")
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=100)
