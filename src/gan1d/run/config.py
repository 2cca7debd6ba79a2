"""What defines a run: `TrainConfig`, the named presets, and the table of its fields.

A `TrainConfig` is a concrete, validated value: every field has its final type and
value (a preset fills what the caller leaves out, once, in `TrainConfig.from_preset`).
Each field carries its help text and choices, from which the command line builds its
options, so a setting is described in one place. A config written to `config.json`
(`to_dict`) reads back (`from_dict`) to the same value, which repeats the run.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gan1d.checks import integer, real
from gan1d.core.methods import (
    MAX_STEPS_PER_ROUND,
    MOMENTUM_OPTIMIZERS,
    NOISES,
    OBJECTIVES,
    OPTIMIZERS,
    PENALTIES,
    RAW_SCORE,
)
from gan1d.data.dataset import is_data_path
from gan1d.data.distribution import Target
from gan1d.data.planar import PLANAR_TARGETS
from gan1d.data.targets import BUILTIN_TARGETS, FunctionTarget, target
from gan1d.errors import Gan1dError
from gan1d.pictures.style import DEFAULT_LAYERS, LAYERS, layer_names
from gan1d.run.presets import PRESETS

__all__ = [
    "ACTIVATIONS",
    "ANIMATIONS",
    "DEFAULT_PRESET",
    "GENERATORS",
    "GRAPH_FREQUENCIES",
    "PRESETS",
    "SCHEDULES",
    "FieldHelp",
    "TrainConfig",
]

ANIMATIONS = ("gif", "mp4", "none")
SCHEDULES = ("constant", "cosine")
ACTIVATIONS = ("relu", "leaky_relu", "elu", "tanh", "gelu", "silu")
GENERATORS = ("auto", "plain", "graph", "dirac")
DEFAULT_PRESET = "default"
# Sine and cosine pairs of x both networks see with the graph generator on a curve
# whose shape needs them (`CurveShape.needs_features`), unless set.
GRAPH_FREQUENCIES = 4
MAX_FREQUENCIES = 256

# Keras seeds its generators with 32-bit numbers.
MAX_SEED = 2**32 - 1
# Most seeds one sweep takes: each needs its own networks built on the host first.
MAX_SEEDS = 10_000
# Bounds that keep a mistyped size from exhausting memory before training starts.
MAX_BATCH_SIZE = 2**20
MAX_UNITS = 2**14
MAX_SNAPSHOT_VALUES = 20_000_000

# A config trained on a Python object rather than a name or an expression says so
# in `function`, which no target parses.
_PYTHON_TARGET = "<python "


@dataclasses.dataclass(frozen=True)
class FieldHelp:
    """How a `TrainConfig` field is shown to users (command line, docs).

    Attributes:
        help: One line on what the field does.
        choices: The allowed values of a string field, if a fixed set.
        metavar: Placeholder(s) in `--help`.
        cli: Whether the command line offers it as an option.
    """

    help: str
    choices: tuple[str, ...] | None = None
    metavar: str | tuple[str, ...] | None = None
    cli: bool = True


def _field(default: Any, help: str, **shown: Any) -> Any:
    return dataclasses.field(default=default, metadata={"help": FieldHelp(help, **shown)})


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run, validated on construction.

    Build one with `TrainConfig.from_preset(...)` (a preset plus overrides) or
    `TrainConfig.from_dict(...)` (a saved `config.json`); `dataclasses.replace`
    gives a changed copy, validated again. The defaults are the `default` preset.
    Each field's help is in `TrainConfig.help(name)`.
    """

    function: str = _field(
        "square",
        "built-in name (" + ", ".join([*BUILTIN_TARGETS, *PLANAR_TARGETS]) + "), an expression in x such as "
        "'sin(3*x)', or a .npy or .csv file of points",
        metavar="F",
    )
    domain: tuple[float, float] | None = _field(
        None,
        "x range of a curve (default: the built-in's, else -0.5 0.5); None for planar targets and data files",
        metavar=("LO", "HI"),
    )
    preset: str = _field(
        DEFAULT_PRESET, "named settings the other fields start from", choices=("default", "planar", "seed", "dirac")
    )
    epochs: int = _field(
        5000, "training steps: rounds of --discriminator-steps and --generator-steps updates", metavar="N"
    )
    batch_size: int = _field(
        128, "real points per step (the generator makes as many, and twice as many for its own step)", metavar="N"
    )
    latent_dim: int = _field(2, "size of the generator's latent noise", metavar="N")
    generator_units: tuple[int, ...] = _field((32, 32), "hidden layer widths of the generator", metavar="N")
    discriminator_units: tuple[int, ...] = _field((128,), "hidden layer widths of the discriminator", metavar="N")
    learning_rate: float = _field(1e-2, "learning rate of the generator (and of the discriminator)", metavar="R")
    discriminator_learning_rate: float | None = _field(
        None, "learning rate of the discriminator (default: --learning-rate)", metavar="R"
    )
    activation: str = _field(
        "leaky_relu", "hidden activation of the generator (and discriminator)", choices=ACTIVATIONS
    )
    discriminator_activation: str | None = _field(
        None, "hidden activation of the discriminator (default: --activation)", choices=ACTIVATIONS
    )
    logits: bool = _field(True, "the discriminator outputs logits (else a sigmoid and probabilities)")
    loss: str = _field(
        "nonsaturating",
        "objective: nonsaturating (-log D(G(z))), minimax (log(1 - D(G(z)))), least-squares (LSGAN), hinge, "
        "or wasserstein (a critic; with --weight-clip, --penalty wgan-gp or --spectral-norm)",
        choices=OBJECTIVES,
    )
    penalty: str = _field(
        "none",
        "gradient penalty on the discriminator: r1 (zero-centred, on real points), r2 (on generated points), "
        "wgan-gp (the gradient's norm pulled to 1 between them)",
        choices=PENALTIES,
    )
    penalty_weight: float | None = _field(
        None, "weight of the penalty (default: 10 for wgan-gp, 1 for r1 and r2)", metavar="W"
    )
    spectral_norm: bool = _field(False, "spectral normalization of every discriminator layer")
    weight_clip: float | None = _field(
        None, "clip every discriminator weight to [-C, C] after each of its updates (the original WGAN)", metavar="C"
    )
    discriminator_steps: int = _field(1, "discriminator updates per round, 0 to 10", metavar="K")
    generator_steps: int = _field(1, "generator updates per round, 0 to 10", metavar="K")
    ema: float | None = _field(
        None,
        "keep a moving average of the generator's weights with this decay (e.g. 0.999); snapshots, metrics and "
        "generator.keras use it",
        metavar="D",
    )
    optimizer: str = _field("adam", "optimizer of the generator (and of the discriminator)", choices=tuple(OPTIMIZERS))
    discriminator_optimizer: str | None = _field(
        None, "optimizer of the discriminator (default: --optimizer)", choices=tuple(OPTIMIZERS)
    )
    beta_1: float = _field(0.5, "first-moment decay of Adam and its kin", metavar="B")
    beta_2: float = _field(0.999, "second-moment decay of Adam and its kin", metavar="B")
    momentum: float = _field(0.0, "momentum of SGD and RMSprop", metavar="M")
    schedule: str = _field("cosine", "learning rate: constant, or decayed to 0 by a cosine", choices=SCHEDULES)
    residual: bool = _field(False, "the generator adds its latent vector to its output")
    generator: str = _field(
        "auto",
        "plain (a network makes x and y), graph (x drawn uniformly over the domain, a network makes y from x), "
        "dirac (the Dirac-GAN: a point (theta, 0) and a linear discriminator psi*x, for the dirac target), "
        "or auto: graph for a curve, plain for a planar target or with --pack above 1",
        choices=GENERATORS,
    )
    fourier_features: int | None = _field(
        None,
        f"sine and cosine pairs of x both networks see (default: {GRAPH_FREQUENCIES} with the graph generator, else 0)",
        metavar="N",
    )
    pack: int = _field(1, "points the discriminator judges together (PacGAN)", metavar="N")
    instance_noise: float = _field(
        0.0,
        "noise on what the discriminator sees, a fraction of the target's size, annealed to 0 by half-way",
        metavar="S",
    )
    anneal_noise: bool = _field(True, "anneal the instance noise to 0 by half-way (else it stays)")
    noise: str = _field("normal", "latent noise: standard normal, or uniform on [-1, 1]", choices=NOISES)
    normalize: bool = _field(False, "scale both networks' points by the target's size")
    seed: int = _field(0, "seed of weights, latent noise and real samples", metavar="N")
    snapshot_every: int = _field(20, "epochs between stored snapshots of generated points (0: none)", metavar="N")
    snapshot_points: int = _field(100, "generated points per snapshot", metavar="N")
    animation: str = _field("gif", "animation file: gif, mp4 (needs ffmpeg) or none", choices=ANIMATIONS)
    show: tuple[str, ...] = _field(
        DEFAULT_LAYERS,
        "layers the animation draws over the points: the discriminator's heatmap, the gradients pushing each "
        "generated point, the generator's manifold, the loss panel; or all, or none",
        choices=(*LAYERS, "all", "none"),
    )

    def __post_init__(self) -> None:
        values, distribution = _validated(self)
        for name, value in values.items():
            object.__setattr__(self, name, value)
        # Built once, while checking: the CLI, `train`, `to_dict` and the report all use it.
        object.__setattr__(self, "_target", distribution)

    # ----- building ------------------------------------------------------------

    @classmethod
    def from_preset(cls, preset: str = DEFAULT_PRESET, **options: Any) -> TrainConfig:
        """A preset's settings with `options` (other fields) on top.

        Raises:
            Gan1dError: On an unknown preset or field, or a bad value.
        """
        if preset not in PRESETS:
            raise Gan1dError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
        _check_names(options)
        return cls(**{**PRESETS[preset], **options, "preset": preset})

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], **overrides: Any) -> TrainConfig:
        """The config `to_dict` wrote, with `overrides` on top.

        Raises:
            Gan1dError: If it names an unknown field, holds a bad value, or was
                trained on a Python object (which JSON cannot bring back).
        """
        if not isinstance(values, Mapping):
            raise Gan1dError(f"a config must be a JSON object, got {type(values).__name__}")
        fields = {k: v for k, v in values.items() if k not in _RECORD_ONLY}
        if values.get("replayable") is False or str(fields.get("function", "")).startswith(_PYTHON_TARGET):
            raise Gan1dError(
                f"this config was trained on a Python object ({fields.get('function')}), which a config file "
                "cannot bring back; pass that object to gan1d.train again"
            )
        _check_names(fields)
        _check_names(overrides)
        config = cls(**{**fields, **overrides})
        _check_same_data(config, values)
        return config

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], **overrides: Any) -> TrainConfig:
        """Reads a `config.json` (or a run folder holding one), with `overrides` on top.

        Raises:
            Gan1dError: If the file cannot be read or is not a valid config.
        """
        file = Path(path)
        if file.is_dir():
            file = file / "config.json"
        try:
            values = json.loads(file.read_text())
        except OSError as error:
            raise Gan1dError(f"cannot read config {str(file)!r}: {error.strerror or error}") from None
        except ValueError as error:
            raise Gan1dError(f"config {str(file)!r} is not valid JSON: {error}") from None
        return cls.from_dict(values, **overrides)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values of every field, plus the target's description."""
        values = {name: list(v) if isinstance(v, tuple) else v for name, v in dataclasses.asdict(self).items()}
        values["replayable"] = self.replayable
        if self.replayable:
            values["target"] = self.target().describe()
        return values

    @classmethod
    def described(cls, distribution: Target, **options: Any) -> TrainConfig:
        """A config for training on a Python target object, which it describes honestly.

        Its `function` names the object (e.g. `"<python callable mymodule.f>"`);
        `replayable` is False, and `target()` refuses to rebuild it.
        """
        description = distribution.describe()
        name = description.get("callable") or f"{type(distribution).__name__} {description.get('name')}"
        domain = getattr(distribution, "domain", None)
        return cls.from_preset(**{"domain": domain, **options, "function": f"{_PYTHON_TARGET}{name}>"})

    # ----- reading -------------------------------------------------------------

    @property
    def replayable(self) -> bool:
        """Whether `function` names a target that `target()` can rebuild (not a Python object)."""
        return not self.function.startswith(_PYTHON_TARGET)

    @property
    def d_learning_rate(self) -> float:
        """The discriminator's learning rate."""
        return self.learning_rate if self.discriminator_learning_rate is None else self.discriminator_learning_rate

    @property
    def d_optimizer(self) -> str:
        """The discriminator's optimizer."""
        return self.optimizer if self.discriminator_optimizer is None else self.discriminator_optimizer

    @property
    def d_activation(self) -> str:
        """The discriminator's hidden activation."""
        return self.activation if self.discriminator_activation is None else self.discriminator_activation

    def architecture(self, distribution: Target) -> tuple[str, int]:
        """The generator (`"plain"`, `"graph"` or `"dirac"`) and Fourier feature count used on `distribution`.

        `generator="auto"` picks the graph generator for a curve when `pack` is 1,
        else the plain one. `fourier_features=None` gives a graph generator
        `GRAPH_FREQUENCIES` when the curve's `CurveShape.needs_features` (many turns,
        a jump or a steep part) and none otherwise, and the plain generator none.

        Raises:
            Gan1dError: For the graph generator or Fourier features on a planar target.
        """
        curve = isinstance(distribution, FunctionTarget)
        kind = self.generator
        if kind == "auto":
            kind = "graph" if curve and self.pack == 1 else "plain"
        frequencies = self.fourier_features
        if frequencies is None:
            hard = isinstance(distribution, FunctionTarget) and distribution.shape.needs_features
            frequencies = GRAPH_FREQUENCIES if kind == "graph" and hard else 0
        if not curve and (kind == "graph" or frequencies):
            raise Gan1dError("the graph generator and Fourier features are for curves (x, f(x)), not planar targets")
        return kind, frequencies

    def target(self) -> Target:
        """The distribution this config trains on.

        Raises:
            Gan1dError: For a config trained on a Python object.
        """
        built: Target | None = getattr(self, "_target", None)
        if built is None:
            raise Gan1dError(
                f"this config was trained on a Python object ({self.function}); it cannot be rebuilt from its "
                "description"
            )
        return built

    @staticmethod
    def help(name: str) -> FieldHelp:
        """How field `name` is described to users."""
        shown: FieldHelp = _FIELDS[name].metadata["help"]
        return shown


# Keys of config.json that record the run rather than set it.
_RECORD_ONLY = frozenset({"replayable", "target"})

_FIELDS = {field.name: field for field in dataclasses.fields(TrainConfig)}


def _check_names(options: Mapping[str, Any]) -> None:
    unknown = sorted(set(options) - set(_FIELDS))
    if unknown:
        raise Gan1dError(f"unknown setting(s) {', '.join(unknown)}; the settings are {', '.join(_FIELDS)}")


def _validated(config: TrainConfig) -> tuple[dict[str, Any], Target | None]:
    """Every field checked and converted to its exact type, and the target (None for a Python object).

    Raises:
        Gan1dError: On any bad value.
    """
    values: dict[str, Any] = {}
    for name in ("epochs", "batch_size", "latent_dim", "snapshot_points", "pack"):
        values[name] = integer(name, getattr(config, name), 1)
    values["snapshot_every"] = integer("snapshot_every", config.snapshot_every, 0)
    values["seed"] = integer("seed", config.seed, 0, MAX_SEED)
    if values["batch_size"] > MAX_BATCH_SIZE:
        raise Gan1dError(f"batch_size must be at most {MAX_BATCH_SIZE}, got {values['batch_size']}")
    if values["batch_size"] % values["pack"]:
        raise Gan1dError(f"batch_size {values['batch_size']} must be a multiple of pack={values['pack']}")
    if values["snapshot_every"]:
        stored = (values["epochs"] // values["snapshot_every"] + 1) * values["snapshot_points"]
        if stored > MAX_SNAPSHOT_VALUES:
            raise Gan1dError(
                f"{stored} snapshot points would be kept in memory (the limit is {MAX_SNAPSHOT_VALUES}); "
                "raise snapshot_every or lower snapshot_points"
            )
    for name in ("generator_units", "discriminator_units"):
        units = getattr(config, name)
        if isinstance(units, str | bytes) or not isinstance(units, tuple | list) or not units:
            raise Gan1dError(f"{name} must be one or more positive integers, got {units!r}")
        values[name] = tuple(integer(name, u, 1, MAX_UNITS) for u in units)
    values["learning_rate"] = real("learning_rate", config.learning_rate, positive=True)
    if config.discriminator_learning_rate is not None:
        values["discriminator_learning_rate"] = real(
            "discriminator_learning_rate", config.discriminator_learning_rate, positive=True
        )
    if config.fourier_features is not None:
        values["fourier_features"] = integer("fourier_features", config.fourier_features, 0, MAX_FREQUENCIES)
    if values["pack"] > 1 and (config.generator == "graph" or config.fourier_features):
        raise Gan1dError("the graph generator and Fourier features judge points one by one; they need pack=1")
    values["instance_noise"] = real("instance_noise", config.instance_noise)
    for name in ("logits", "residual", "normalize", "spectral_norm", "anneal_noise"):
        value = getattr(config, name)
        if not isinstance(value, bool):
            raise Gan1dError(f"{name} must be true or false, got {value!r}")
    for name in (
        *("activation", "discriminator_activation", "schedule", "generator", "animation", "preset"),
        *("loss", "penalty", "optimizer", "discriminator_optimizer", "noise"),
    ):
        value = getattr(config, name)
        choices = TrainConfig.help(name).choices or ()
        if name.startswith("discriminator_") and value is None:
            continue
        if value not in choices:
            raise Gan1dError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    values.update(_method_values(config))
    values["show"] = layer_names(config.show)
    values["function"], values["domain"], distribution = _target_fields(config.function, config.domain)
    planar = values["domain"] is None and distribution is not None
    if planar and (config.generator == "graph" or config.fourier_features):
        raise Gan1dError(f"the graph generator and Fourier features are for curves, not {values['function']!r}")
    if config.generator == "dirac" and values["function"] != "dirac":
        raise Gan1dError(
            f"the Dirac-GAN's networks (--generator dirac) are for the dirac target, not {values['function']!r}"
        )
    if config.generator == "dirac" and values["pack"] > 1:
        raise Gan1dError("the Dirac-GAN judges its one point alone; it needs pack=1")
    return values, distribution


def _method_values(config: TrainConfig) -> dict[str, Any]:
    """How the networks train, checked: updates per round, optimizers' settings, penalty, clipping, average."""
    values: dict[str, Any] = {}
    for name in ("discriminator_steps", "generator_steps"):
        values[name] = integer(name, getattr(config, name), 0, MAX_STEPS_PER_ROUND)
    if not values["discriminator_steps"] + values["generator_steps"]:
        raise Gan1dError("discriminator_steps and generator_steps cannot both be 0: nothing would train")
    for name in ("beta_1", "beta_2", "momentum"):
        values[name] = real(name, getattr(config, name))
        if not values[name] < 1:
            raise Gan1dError(f"{name} must be a number in [0, 1), got {getattr(config, name)!r}")
    for name in ("penalty_weight", "weight_clip", "ema"):
        if getattr(config, name) is not None:
            values[name] = real(name, getattr(config, name), positive=name == "weight_clip")
    if config.ema is not None and not values["ema"] < 1:
        raise Gan1dError(f"ema must be a decay in [0, 1), got {config.ema!r}")
    if config.loss in RAW_SCORE and not config.logits:
        raise Gan1dError(
            f"the {config.loss} objective reads the discriminator's raw score: it cannot end in a sigmoid "
            "(drop --no-logits)"
        )
    used = {config.optimizer, config.discriminator_optimizer or config.optimizer}
    if values["momentum"] and not used & set(MOMENTUM_OPTIMIZERS):
        raise Gan1dError(f"momentum is a setting of {' and '.join(MOMENTUM_OPTIMIZERS)}, not of {', '.join(used)}")
    return values


def _check_same_data(config: TrainConfig, values: Mapping[str, Any]) -> None:
    """Refuses to replay a run on a data file whose bytes changed since `config.json` was written."""
    recorded = values.get("target")
    if not isinstance(recorded, Mapping) or recorded.get("kind") != "data" or config.function != values.get("function"):
        return
    now = config.target().describe()["sha256"]
    if recorded.get("sha256") not in (None, now):
        raise Gan1dError(
            f"data file {config.function!r} changed since this config was written (sha256 {recorded.get('sha256')} "
            f"then, {now} now); restore the file, or train on it anew without the old config"
        )


def _target_fields(function: object, domain: object) -> tuple[str, tuple[float, float] | None, Target | None]:
    """The target's spec, its concrete domain (None for planar targets) and the target itself, checked.

    The target is None for a config that describes a Python object.
    """
    if not isinstance(function, str):
        raise Gan1dError(f"function must be a string (a name or an expression in x), got {type(function).__name__}")
    if domain is not None:
        if isinstance(domain, str | bytes) or not isinstance(domain, tuple | list) or len(domain) != 2:
            raise Gan1dError(f"domain must be two numbers LO HI, got {domain!r}")
        domain = (real("domain", domain[0], signed=True), real("domain", domain[1], signed=True))
    if function.startswith(_PYTHON_TARGET):
        return function, domain, None
    if function.strip() in PLANAR_TARGETS:
        if domain is not None:
            raise Gan1dError(f"{function.strip()!r} is a distribution in the plane and takes no domain")
        return function.strip(), None, target(function)
    if is_data_path(function):
        return function.strip(), None, target(function, domain)
    built = target(function, domain)
    assert isinstance(built, FunctionTarget)
    return function.strip(), built.domain, built
