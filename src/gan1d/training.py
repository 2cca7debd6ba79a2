"""`gan1d.train`: one call from a validated config to a trained GAN and a run directory."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gan1d.errors import Gan1dError
from gan1d.files import atomic_path
from gan1d.targets import FunctionTarget, Target, target

__all__ = [
    "ANIMATIONS",
    "PRESETS",
    "RUN_FILES",
    "TrainConfig",
    "TrainResult",
    "TrainingDiverged",
    "build_gan",
    "prepare_out_dir",
    "train",
]

ANIMATIONS = ("gif", "mp4", "none")
SCHEDULES = ("constant", "cosine")
ACTIVATIONS = ("relu", "leaky_relu", "elu", "tanh", "gelu", "silu")

# Model and optimizer settings per preset; options a user passes override them.
PRESETS: Mapping[str, Mapping[str, Any]] = {
    # machinelearningmastery's 1D GAN, as the seed article trains it with fit().
    "seed": {
        "latent_dim": 5,
        "batch_size": 64,
        "generator_units": (15,),
        "discriminator_units": (25,),
        "learning_rate": 1e-3,
        "activation": "relu",
        "logits": False,
        "beta_1": 0.9,
        "schedule": "constant",
    },
    # The default: converges on 20/20 seeds of x**2 and on every function tried
    # (README, "How the default was chosen"). Logits, Adam(beta_1=0.5) with a high
    # learning rate decayed to 0 by a cosine, a 2-D latent and a 2-layer generator.
    "default": {
        "latent_dim": 2,
        "batch_size": 128,
        "generator_units": (32, 32),
        "discriminator_units": (128,),
        "learning_rate": 1e-2,
        "activation": "leaky_relu",
        "logits": True,
        "beta_1": 0.5,
        "schedule": "cosine",
    },
    # The planar mode-collapse benchmarks (ring, grid): README, "Planar targets".
    "planar": {
        "epochs": 8000,
        "latent_dim": 2,
        "batch_size": 512,
        "generator_units": (128, 128, 128),
        "discriminator_units": (128, 128, 128),
        "learning_rate": 3e-3,
        "activation": "relu",
        "discriminator_activation": "leaky_relu",
        "logits": True,
        "beta_1": 0.5,
        "schedule": "cosine",
        "normalize": True,
        "residual": True,
    },
}
DEFAULT_PRESET = "default"
# Training steps when neither the caller nor the preset gives them (the seed's).
DEFAULT_EPOCHS = 5000

# What a run directory holds; `--overwrite` replaces these names and nothing else.
RUN_FILES = (
    "config.json",
    "history.csv",
    "metrics.json",
    "target.png",
    "losses.png",
    "samples.png",
    "quality.csv",
    "quality.png",
    "training.gif",
    "training.mp4",
    "generator.keras",
)

# Generated points scored for the final metrics; fixed so runs compare.
METRIC_POINTS = 2500
METRIC_SEED = 1234


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run; `resolved()` fills preset values and validates.

    Attributes:
        function: Built-in target name or expression in `x` (see `gan1d.target`).
        domain: `(lo, hi)` of x, or None for the target's default.
        epochs: Training steps; one batch per epoch, as in the seed article
            (None: the preset's, else 5000).
        batch_size: Real points per step (the generator sees twice as many).
        latent_dim: Size of the generator's latent noise.
        generator_units: Hidden layer widths of the generator.
        discriminator_units: Hidden layer widths of the discriminator.
        learning_rate: Adam learning rate of the generator, and of the
            discriminator unless `discriminator_learning_rate` is set.
        discriminator_learning_rate: Adam learning rate of the discriminator.
        activation: Activation of the generator's hidden layers (one of
            `ACTIVATIONS`), and of the discriminator's unless set below.
        discriminator_activation: Activation of the discriminator's hidden layers.
        logits: The discriminator outputs logits and the loss is
            `BinaryCrossentropy(from_logits=True)` (else a sigmoid and probabilities).
        beta_1: Adam's first-moment decay for both networks.
        schedule: `"constant"` learning rate, or `"cosine"` decay to 0 over `epochs`.
        residual: The generator adds its latent vector to its output (see
            `gan1d.models.build_generator`), so it starts spread over the data.
        pack: Points the discriminator judges together (PacGAN; 1 for one by one).
        instance_noise: Standard deviation of the noise added to every point the
            discriminator sees, as a fraction of the target's `scale`, at the first
            step; it decays linearly to 0 halfway through training (0: none).
        normalize: Divide the discriminator's input and multiply the generator's
            output by the target's `scale`, so both networks work on unit-sized values.
        seed: Seed of weights, latent noise and real samples.
        snapshot_every: Store generated points every this many epochs (0: never).
        snapshot_points: Generated points per snapshot.
        animation: `"gif"`, `"mp4"` or `"none"`.
        preset: Name in `PRESETS` that supplies the values left as None.
    """

    function: str = "square"
    domain: tuple[float, float] | None = None
    epochs: int | None = None
    batch_size: int | None = None
    latent_dim: int | None = None
    generator_units: tuple[int, ...] | None = None
    discriminator_units: tuple[int, ...] | None = None
    learning_rate: float | None = None
    discriminator_learning_rate: float | None = None
    activation: str | None = None
    discriminator_activation: str | None = None
    logits: bool | None = None
    beta_1: float | None = None
    schedule: str | None = None
    residual: bool | None = None
    pack: int | None = None
    instance_noise: float | None = None
    normalize: bool | None = None
    seed: int = 0
    snapshot_every: int = 20
    snapshot_points: int = 100
    animation: str = "gif"
    preset: str = DEFAULT_PRESET

    def resolved(self) -> TrainConfig:
        """Returns a copy with preset values filled in, after checking every field.

        Raises:
            Gan1dError: If any value is out of range or unknown.
        """
        if self.preset not in PRESETS:
            raise Gan1dError(f"unknown preset {self.preset!r}; choose one of {', '.join(PRESETS)}")
        filled: dict[str, Any] = {
            k: v if v is not None else PRESETS[self.preset].get(k) for k, v in dataclasses.asdict(self).items()
        }
        filled["epochs"] = filled["epochs"] if filled["epochs"] is not None else DEFAULT_EPOCHS
        filled["pack"] = filled["pack"] if filled["pack"] is not None else 1
        filled["discriminator_activation"] = filled["discriminator_activation"] or filled["activation"]
        filled["instance_noise"] = filled["instance_noise"] if filled["instance_noise"] is not None else 0.0
        noise = filled["instance_noise"]
        if isinstance(noise, bool) or not isinstance(noise, int | float) or not math.isfinite(noise) or noise < 0:
            raise Gan1dError(f"instance_noise must be a number >= 0, got {noise!r}")
        filled["discriminator_learning_rate"] = filled["discriminator_learning_rate"] or filled["learning_rate"]
        for name in ("epochs", "batch_size", "latent_dim", "snapshot_points", "pack"):
            _check_int(name, filled[name], minimum=1)
        if filled["batch_size"] % filled["pack"]:
            raise Gan1dError(f"batch_size {filled['batch_size']} must be a multiple of pack={filled['pack']}")
        _check_int("snapshot_every", filled["snapshot_every"], minimum=0)
        _check_int("seed", filled["seed"], minimum=0)
        for name in ("generator_units", "discriminator_units"):
            units = tuple(filled[name])
            for u in units:
                _check_int(name, u, minimum=1)
            filled[name] = units
        for name in ("learning_rate", "discriminator_learning_rate"):
            rate = filled[name]
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not math.isfinite(rate) or rate <= 0:
                raise Gan1dError(f"{name} must be a positive number, got {rate!r}")
        beta = filled["beta_1"]
        if not isinstance(beta, int | float) or not 0 <= beta < 1:
            raise Gan1dError(f"beta_1 must be a number in [0, 1), got {beta!r}")
        if filled["schedule"] not in SCHEDULES:
            raise Gan1dError(f"schedule must be one of {', '.join(SCHEDULES)}, got {filled['schedule']!r}")
        for name in ("activation", "discriminator_activation"):
            if filled[name] not in ACTIVATIONS:
                raise Gan1dError(f"{name} must be one of {', '.join(ACTIVATIONS)}, got {filled[name]!r}")
        filled["logits"] = bool(filled["logits"])
        filled["normalize"] = bool(filled["normalize"])
        filled["residual"] = bool(filled["residual"])
        if filled["animation"] not in ANIMATIONS:
            raise Gan1dError(f"animation must be one of {', '.join(ANIMATIONS)}, got {filled['animation']!r}")
        if filled["domain"] is not None:
            filled["domain"] = tuple(filled["domain"])
        config = TrainConfig(**filled)
        config.target()  # parses the expression and checks it is finite on the domain
        return config

    def target(self) -> Target:
        return target(self.function, self.domain)


def _check_int(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        allowed = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise Gan1dError(f"{name} must be {allowed}, got {value!r}")


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """What `train` produced.

    Attributes:
        config: The resolved configuration.
        history: `{"d_loss": [...], "g_loss": [...]}`, one value per epoch run.
        snapshots: `(epoch, points (n, 2))` pairs, as `SnapshotCallback` stores them.
        quality: Metric name -> one value per snapshot (`epoch` holds the epochs):
            `x_w1`, `curve_residual`, `energy_distance`, `coverage` of the snapshot's
            points and the discriminator's accuracy on real and generated points.
        generator: The trained generator, a `keras.Model`.
        metrics: Final quality and timing numbers (see README, "Metrics").
        status: `"completed"`, `"diverged"` or `"interrupted"`.
        out_dir: The run directory, or None when nothing was written.
        artifacts: File name -> path of each file written.
    """

    config: TrainConfig
    history: dict[str, list[float]]
    snapshots: list[tuple[int, np.ndarray]]
    quality: dict[str, list[float]]
    generator: Any
    metrics: dict[str, Any]
    status: str = "completed"
    out_dir: Path | None = None
    artifacts: dict[str, Path] = dataclasses.field(default_factory=dict)


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; `result` holds what was produced before."""

    def __init__(self, message: str, result: TrainResult) -> None:
        super().__init__(message)
        self.result = result


def prepare_out_dir(out_dir: str | os.PathLike[str] | None, *, overwrite: bool = False) -> Path:
    """Checks that a run may be written to `out_dir` and creates it.

    `None` means a new folder under `runs/` named by date and time. An existing
    folder must be empty, unless `overwrite` is set; then gan1d's own files in it
    are replaced and anything else stays.

    Raises:
        Gan1dError: If the folder is not empty (without `overwrite`), is a file, or
            cannot be written.
    """
    if out_dir is None:
        base = Path("runs") / time.strftime("%Y%m%d-%H%M%S")
        path, n = base, 1
        while path.exists():
            n += 1
            path = base.with_name(f"{base.name}-{n}")
    else:
        path = Path(out_dir)
    if path.exists() and not path.is_dir():
        raise Gan1dError(f"--out {str(path)!r} is a file; give a folder")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise Gan1dError(f"--out {str(path)!r} is not empty; choose another folder or pass --overwrite")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        raise Gan1dError(f"cannot write to --out {str(path)!r}: {error.strerror or error}") from None
    return path


def train(
    function: str | Callable[[np.ndarray], np.ndarray] | Target = "square",
    domain: tuple[float, float] | None = None,
    epochs: int | None = None,
    seed: int = 0,
    snapshot_every: int = 20,
    out_dir: str | os.PathLike[str] | None = None,
    animation: str = "gif",
    preset: str = DEFAULT_PRESET,
    *,
    batch_size: int | None = None,
    latent_dim: int | None = None,
    generator_units: Sequence[int] | None = None,
    discriminator_units: Sequence[int] | None = None,
    learning_rate: float | None = None,
    discriminator_learning_rate: float | None = None,
    activation: str | None = None,
    discriminator_activation: str | None = None,
    logits: bool | None = None,
    beta_1: float | None = None,
    schedule: str | None = None,
    residual: bool | None = None,
    pack: int | None = None,
    instance_noise: float | None = None,
    normalize: bool | None = None,
    snapshot_points: int = 100,
    overwrite: bool = False,
    callbacks: Sequence[Any] = (),
) -> TrainResult:
    """Trains a GAN on points of a 1D function and, with `out_dir`, writes a run folder.

    With the defaults this is the seed article's run (`x**2` on [-0.5, 0.5], 5000
    epochs, generated points stored every 20 epochs) with the tuned `"default"`
    preset; `preset="seed"` trains the article's own networks and optimizer.

    Args:
        function: Built-in name, expression in `x`, Python callable or `Target`.
        domain: `(lo, hi)` of x; None for the target's default.
        epochs: Training steps (one batch per epoch); None for the preset's, else 5000.
        seed: Seed of weights, noise and real samples; same seed and backend give
            the same losses.
        snapshot_every: Store generated points every this many epochs (0: never).
        out_dir: Folder to write the run to; None writes nothing (use
            `prepare_out_dir(None)` for a fresh folder under `runs/`).
        animation: `"gif"`, `"mp4"` (needs ffmpeg) or `"none"`.
        preset: Named settings for the values not given (see `PRESETS`).
        batch_size: Real points per step.
        latent_dim: Size of the latent noise.
        generator_units: Hidden widths of the generator.
        discriminator_units: Hidden widths of the discriminator.
        learning_rate: Adam learning rate of the generator, and of the
            discriminator unless `discriminator_learning_rate` is set.
        discriminator_learning_rate: Adam learning rate of the discriminator.
        activation: Hidden-layer activation of the generator (and discriminator).
        discriminator_activation: Hidden-layer activation of the discriminator, if different.
        logits: Discriminator outputs logits (non-saturating loss on logits).
        beta_1: Adam's first-moment decay.
        schedule: `"constant"` or `"cosine"` learning rate.
        residual: The generator adds its latent vector to its output.
        pack: Points the discriminator judges together (PacGAN).
        instance_noise: Annealed noise on the discriminator's input (see `TrainConfig`).
        normalize: Scale the networks' points by the target's size (see `TrainConfig`).
        snapshot_points: Generated points per snapshot.
        overwrite: Replace gan1d's files in a non-empty `out_dir`.
        callbacks: Extra Keras callbacks (`on_epoch_end` is called for every epoch).

    Returns:
        A `TrainResult`.

    Raises:
        Gan1dError: On bad input, before anything is trained or written.
        TrainingDiverged: If a loss became non-finite; the run folder keeps what was
            produced up to then.
        KeyboardInterrupt: On Ctrl-C, after writing what was produced so far.
    """
    spec = function if isinstance(function, str) else "custom"
    config = TrainConfig(
        function=spec,
        domain=None if domain is None else (float(domain[0]), float(domain[1])),
        epochs=epochs,
        batch_size=batch_size,
        latent_dim=latent_dim,
        generator_units=None if generator_units is None else tuple(generator_units),
        discriminator_units=None if discriminator_units is None else tuple(discriminator_units),
        learning_rate=learning_rate,
        discriminator_learning_rate=discriminator_learning_rate,
        activation=activation,
        discriminator_activation=discriminator_activation,
        logits=logits,
        beta_1=beta_1,
        schedule=schedule,
        residual=residual,
        pack=pack,
        instance_noise=instance_noise,
        normalize=normalize,
        seed=seed,
        snapshot_every=snapshot_every,
        snapshot_points=snapshot_points,
        animation=animation,
        preset=preset,
    )
    if isinstance(function, str):
        config = config.resolved()
        distribution = config.target()
    else:
        distribution = target(function, domain)
        config = dataclasses.replace(config, function="square").resolved()
        config = dataclasses.replace(config, function=str(distribution.describe().get("name", "custom")))
    run_dir = prepare_out_dir(out_dir, overwrite=overwrite) if out_dir is not None else None

    # Keras is imported here, after validation, so that bad input fails fast.
    import keras

    from gan1d.callbacks import SnapshotCallback

    gan = build_gan(config, distribution=distribution)
    generator = gan.generator
    snapshotter = (
        SnapshotCallback(config.snapshot_every, config.snapshot_points, seed=config.seed)
        if config.snapshot_every
        else None
    )
    all_callbacks = [*callbacks, *([snapshotter] if snapshotter else [])]

    status = "completed"
    start = time.perf_counter()
    try:
        gan.fit_target(
            distribution, epochs=config.epochs or 0, batch_size=config.batch_size or 0, callbacks=all_callbacks
        )
    except KeyboardInterrupt:
        status = "interrupted"
    train_seconds = time.perf_counter() - start
    losses = {name: [float(v) for v in gan.history.history.get(name, [])] for name in ("d_loss", "g_loss")}
    steps = len(losses["d_loss"])
    if steps and not all(math.isfinite(v) for name in losses for v in losses[name][-1:]):
        status = "diverged"

    metrics: dict[str, Any] = {
        "backend": keras.backend.backend(),
        "status": status,
        "steps": steps,
        "train_seconds": round(train_seconds, 4),
        "us_per_step": round(1e6 * train_seconds / steps, 2) if steps else None,
    }
    if steps:
        metrics["final_d_loss"] = losses["d_loss"][-1]
        metrics["final_g_loss"] = losses["g_loss"][-1]
    metrics.update(_quality(gan.generate(METRIC_POINTS, seed=METRIC_SEED), distribution))
    if snapshotter is not None and snapshotter.discriminator_accuracy:
        _, on_real, on_generated = snapshotter.discriminator_accuracy[-1]
        metrics["d_accuracy_real"], metrics["d_accuracy_generated"] = on_real, on_generated

    result = TrainResult(
        config=config,
        history=losses,
        snapshots=list(snapshotter.snapshots) if snapshotter else [],
        quality=_quality_curves(snapshotter, distribution),
        generator=generator,
        metrics=metrics,
        status=status,
        out_dir=run_dir,
    )
    if run_dir is not None:
        result.artifacts.update(write_run(result, distribution, run_dir))
    if status == "interrupted":
        raise KeyboardInterrupt
    if status == "diverged":
        raise TrainingDiverged(
            f"a loss became non-finite at epoch {steps}; training stopped and kept the last finite weights",
            result,
        )
    return result


def build_gan(config: TrainConfig, seed: int | None = None, *, distribution: Target | None = None) -> Any:
    """Builds and compiles the GAN a resolved config describes, initialised from `seed`.

    Args:
        config: A resolved `TrainConfig` (its preset's values filled in).
        seed: Seed of the weights and of the GAN's `SeedGenerator`; defaults to
            `config.seed`. The same seed gives the same initial state.
        distribution: The target, whose `scale` `config.normalize` uses; defaults
            to `config.target()`.

    Returns:
        A compiled `gan1d.GAN`.
    """
    import keras

    from gan1d.gan import GAN
    from gan1d.models import build_discriminator, build_generator

    seed = config.seed if seed is None else seed
    keras.utils.set_random_seed(seed)
    activation = config.activation or "relu"
    # The target's size sets the networks' scale and the instance noise; parsed once.
    size = (distribution or config.target()).scale if config.normalize or config.instance_noise else 1.0
    scale = size if config.normalize else 1.0
    generator = build_generator(
        config.latent_dim or 0,
        config.generator_units or (),
        activation=activation,
        output_scale=scale,
        residual=bool(config.residual),
    )
    pack = config.pack or 1
    discriminator = build_discriminator(
        2 * pack,
        config.discriminator_units or (),
        activation=config.discriminator_activation or activation,
        output_activation=None if config.logits else "sigmoid",
        input_scale=scale,
    )
    epochs = config.epochs or DEFAULT_EPOCHS
    blur = None
    if config.instance_noise:
        blur = keras.optimizers.schedules.PolynomialDecay(
            config.instance_noise * size, max(1, epochs // 2), end_learning_rate=0.0
        )
    gan = GAN(
        discriminator=discriminator,
        generator=generator,
        latent_dim=config.latent_dim or 0,
        seed=seed,
        pack=pack,
        instance_noise=blur,
    )

    def adam(rate: Any) -> keras.optimizers.Optimizer:
        if config.schedule == "cosine":
            rate = keras.optimizers.schedules.CosineDecay(rate, decay_steps=epochs)
        return keras.optimizers.Adam(rate, beta_1=config.beta_1 if config.beta_1 is not None else 0.9)

    gan.compile(
        d_optimizer=adam(config.discriminator_learning_rate or config.learning_rate or 0.0),
        g_optimizer=adam(config.learning_rate or 0.0),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=bool(config.logits)),
    )
    return gan


def _quality(points: np.ndarray, distribution: Target) -> dict[str, float | None]:
    from gan1d import metrics

    return {name: _json_float(value) for name, value in metrics.summarize(points, distribution).items()}


def _quality_curves(snapshotter: Any, distribution: Target) -> dict[str, list[float]]:
    """Quality of every snapshot, for `quality.csv` and `quality.png`."""
    if snapshotter is None or not snapshotter.snapshots:
        return {}
    curves: dict[str, list[float]] = {"epoch": [float(epoch) for epoch, _ in snapshotter.snapshots]}
    for _, points in snapshotter.snapshots:
        for name, value in _quality(points, distribution).items():
            curves.setdefault(name, []).append(math.nan if value is None else value)
    if len(snapshotter.discriminator_accuracy) == len(snapshotter.snapshots):
        curves["d_accuracy_real"] = [real for _, real, _ in snapshotter.discriminator_accuracy]
        curves["d_accuracy_generated"] = [fake for _, _, fake in snapshotter.discriminator_accuracy]
    return curves


def _json_float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def write_run(result: TrainResult, distribution: Target, run_dir: Path) -> dict[str, Path]:
    """Writes every artifact of `result` into `run_dir`; returns name -> path."""
    from gan1d import plots
    from gan1d.models import generate

    written: dict[str, Path] = {}

    def add(name: str) -> Path:
        path = run_dir / name
        written[name] = path
        return path

    config = {**dataclasses.asdict(result.config), "target": distribution.describe()}
    _write_text(add("config.json"), json.dumps(config, indent=2) + "\n")
    epochs = range(1, len(result.history["d_loss"]) + 1)
    write_csv(add("history.csv"), {"epoch": epochs, **result.history})
    _write_text(add("metrics.json"), json.dumps(result.metrics, indent=2) + "\n")

    real = distribution.sample(100, seed=result.config.seed)
    curve = curve_of(distribution)
    bounds = distribution.bounds
    plots.plot_target(real, curve, add("target.png"), title=f"Target: {distribution.describe().get('name')}")
    if result.history["d_loss"]:
        plots.plot_losses(result.history["d_loss"], result.history["g_loss"], add("losses.png"))
    plots.plot_samples(
        real, generate(result.generator, 100, result.config.seed), add("samples.png"), curve=curve, bounds=bounds
    )
    if result.quality:
        names = [name for name in result.quality if name != "epoch"]
        write_csv(add("quality.csv"), {**result.quality, "epoch": [int(e) for e in result.quality["epoch"]]})
        plots.plot_quality(
            [int(e) for e in result.quality["epoch"]], {n: result.quality[n] for n in names}, add("quality.png")
        )
    if result.config.animation != "none" and result.snapshots:
        plots.animate(result.snapshots, real, add(f"training.{result.config.animation}"), curve=curve, bounds=bounds)
    with atomic_path(add("generator.keras")) as tmp:
        result.generator.save(tmp)
    return written


def curve_of(distribution: Target) -> tuple[np.ndarray, np.ndarray] | None:
    """400 points of the target's curve for pictures, or None for a target without one."""
    if not isinstance(distribution, FunctionTarget):
        return None
    xs = np.linspace(*distribution.domain, 400)
    return xs, distribution.f(xs)


def write_csv(path: Path, columns: Mapping[str, Sequence[float]]) -> None:
    """One column per entry; floats written with `repr` so they read back exactly."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(columns)
        for row in zip(*columns.values(), strict=True):
            writer.writerow([value if isinstance(value, int) else repr(float(value)) for value in row])


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
