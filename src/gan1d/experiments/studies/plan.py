"""A study's plan: the study file read and checked, its targets and variants, and its blocks.

A study file (TOML) names a base preset, the targets, the variants (a grid or a list
of `TrainConfig` overrides), the seeds and the success thresholds; `load_study`
reads and checks all of it before anything runs. The study is cut into *blocks*:
one variant on one target for a run of seeds, trained together
(`gan1d.experiments.studies.blocks`). Nothing here imports a deep-learning framework.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import numbers
import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gan1d.checks import integer, real
from gan1d.data.metrics import check_thresholds
from gan1d.errors import Gan1dError
from gan1d.run.config import MAX_SEED, PRESETS, TrainConfig

__all__ = ["Block", "Study", "StudyTarget", "Variant", "load_study", "seed_range"]

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
        return f"{self.variant!r} on {self.target}, {seed_range(self.seeds)}"


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


def seed_range(seeds: Sequence[int]) -> str:
    if len(seeds) > 1 and list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"seeds {seeds[0]}-{seeds[-1]}"
    return f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"
