"""The Dirac-GAN's training methods compared, as in Mescheder, Geiger & Nowozin (ICML 2018), Figure 3.

The Dirac-GAN (the `dirac` preset) has two numbers: theta, where the generator puts
its one point `(theta, 0)`, and psi, the slope of the linear discriminator `psi * x`.
The real points are all at the origin, so the only equilibrium is theta = psi = 0.
Each method of `DIRAC_METHODS` trains the real `gan1d.GAN` (`build_gan`, then
`GAN.fit_target`) from the same start, and `train_dirac` records where (theta, psi)
goes; `dirac_field` computes the change one training round makes from every point of
a (theta, psi) grid with the GAN's own compiled step (`fit_target_many` for one step
from each point). `write_dirac` draws both for every method, animates the training
over the fields, and writes the table of final distances.

The settings are those of the authors' code (the `DiracGAN` notebook of
LMescheder/GAN_stability): gradient descent with step h = 0.2 for both networks, 500
rounds from theta = psi = 1 in the paper's signs, one discriminator update per round
for the cross-entropy GANs and five for the two WGANs, weight clipping at 1, WGAN-GP's
regularizer 0.7, instance noise of standard deviation 0.7 (1000 draws per step), R1's
gamma 0.3 and the critical gamma 1. Two conventions differ from the paper's, and the
settings below undo them, so that a gan1d round is the paper's alternating step
exactly (the tests check it on a grid):

- gan1d's discriminator scores real points high; the paper's `f(D(G(z))) + f(-D(x))`
  scores generated points high. gan1d's psi is the paper's -psi: its pictures are the
  paper's mirrored top to bottom, and the paper's start (1, 1) is gan1d's (1, -1).
- gan1d's cross-entropy is the mean over the real and the generated points together,
  half the paper's discriminator loss: the discriminator's learning rate is doubled
  (0.4) and a penalty weight is half the paper's gamma. WGAN-GP's penalty is
  `lambda * (|grad| - 1)**2`, whose derivative is twice the paper's regularizer's:
  lambda = 0.35 for its 0.7.

Consensus optimization, the eighth method of the paper's figure, is not in gan1d; R2
takes its place (on the Dirac-GAN its gradient, psi, is R1's).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import keras
import numpy as np
from keras import ops

from gan1d.checks import integer, real
from gan1d.core.gan import GAN, GANState
from gan1d.core.loop import fit_target_many
from gan1d.errors import Gan1dError
from gan1d.files import write_json, write_text
from gan1d.pictures.dirac import DiracPanel, animate_dirac, plot_dirac, plot_dirac_methods
from gan1d.run.build import build_gan
from gan1d.run.config import TrainConfig

__all__ = [
    "CONVERGED_BELOW",
    "DIRAC_EXTENT",
    "DIRAC_METHODS",
    "DIRAC_ROUNDS",
    "DIRAC_SETTINGS",
    "DIRAC_START",
    "NOT_CONVERGED_ABOVE",
    "DiracField",
    "DiracMethod",
    "DiracRun",
    "dirac_config",
    "dirac_field",
    "train_dirac",
    "verdict",
    "write_dirac",
]

# The authors' step size, for the generator; rounds; start (theta, psi) in gan1d's signs.
DIRAC_STEP = 0.2
DIRAC_ROUNDS = 500
DIRAC_START = (1.0, -1.0)
# The square of the (theta, psi) plane the pictures show, and the field's grid on it.
DIRAC_EXTENT = 2.0
DIRAC_CELLS = 11
# Real points per step for the field: enough that instance noise's mean change shows.
FIELD_BATCH = 4096

# After `DIRAC_ROUNDS` rounds from `DIRAC_START` (sqrt(2) from the equilibrium), a method
# has converged closer than the first, and has not farther than the second.
CONVERGED_BELOW = 0.05
NOT_CONVERGED_ABOVE = 0.2

# Shared by every method on top of the `dirac` preset.
DIRAC_SETTINGS: Mapping[str, Any] = MappingProxyType({"learning_rate": DIRAC_STEP})
# The cross-entropy GANs: the discriminator's rate doubled (see the module's docstring).
_CROSS_ENTROPY = {"discriminator_learning_rate": 2 * DIRAC_STEP}


@dataclasses.dataclass(frozen=True)
class DiracMethod:
    """One training method of the comparison.

    Attributes:
        title: Its name in pictures and tables.
        settings: `TrainConfig` fields set on top of the `dirac` preset and `DIRAC_SETTINGS`.
        converges: What the paper finds: whether training reaches the equilibrium
            (at a steady rate, as the regularized methods do).
        behaviour: How its trajectory goes, in a few words.
        panel: The panel of the paper's Figure 3 that shows it, or "" where none does.
    """

    title: str
    settings: Mapping[str, Any]
    converges: bool
    behaviour: str
    panel: str = ""


DIRAC_METHODS: Mapping[str, DiracMethod] = MappingProxyType(
    {
        "minimax": DiracMethod(
            "Standard GAN", {"loss": "minimax", **_CROSS_ENTROPY}, False, "circles the equilibrium", "a"
        ),
        "nonsaturating": DiracMethod(
            "Non-saturating GAN",
            {"loss": "nonsaturating", **_CROSS_ENTROPY},
            False,
            "spirals in ever more slowly",
            "b",
        ),
        "wgan": DiracMethod(
            "WGAN, n_d = 5",
            {"loss": "wasserstein", "weight_clip": 1.0, "discriminator_steps": 5},
            False,
            "circles, held in by the clipping",
            "c",
        ),
        "wgan-gp": DiracMethod(
            "WGAN-GP, n_d = 5",
            {"loss": "wasserstein", "penalty": "wgan-gp", "penalty_weight": 0.35, "discriminator_steps": 5},
            False,
            "circles the equilibrium",
            "d",
        ),
        # 1000 points per step, as the authors average the noisy field over 1000 draws.
        "instance-noise": DiracMethod(
            "Instance noise, sigma = 0.7",
            {"loss": "minimax", "instance_noise": 0.7, "batch_size": 1000, **_CROSS_ENTROPY},
            True,
            "spirals in",
            "f",
        ),
        "r1": DiracMethod(
            "R1, gamma = 0.3",
            {"loss": "minimax", "penalty": "r1", "penalty_weight": 0.15, **_CROSS_ENTROPY},
            True,
            "spirals in",
            "g",
        ),
        "r1-critical": DiracMethod(
            "R1, gamma = 1 (critical)",
            {"loss": "minimax", "penalty": "r1", "penalty_weight": 0.5, **_CROSS_ENTROPY},
            True,
            "goes straight in",
            "h",
        ),
        # Not in the figure; the paper proves R2 convergent as R1.
        "r2": DiracMethod(
            "R2, gamma = 0.3",
            {"loss": "minimax", "penalty": "r2", "penalty_weight": 0.15, **_CROSS_ENTROPY},
            True,
            "spirals in, as R1",
        ),
    }
)


@dataclasses.dataclass(frozen=True)
class DiracRun:
    """Where one method's training took (theta, psi).

    Attributes:
        method: Its name in `DIRAC_METHODS`.
        trajectory: `(theta, psi)` before training and after each recorded round,
            `(rounds + 1, 2)` float64 (only the start and the end, `(2, 2)`, when
            the rounds were not recorded).
        rounds: Training rounds run.
        seconds: Wall time of the training, compilation included.
    """

    method: str
    trajectory: np.ndarray
    rounds: int
    seconds: float

    @property
    def final(self) -> tuple[float, float]:
        """`(theta, psi)` at the end."""
        return float(self.trajectory[-1, 0]), float(self.trajectory[-1, 1])

    @property
    def distance(self) -> float:
        """The final distance to the equilibrium, `sqrt(theta**2 + psi**2)`."""
        return float(np.hypot(*self.final))


@dataclasses.dataclass(frozen=True)
class DiracField:
    """The change one training round makes, over a grid of `(theta, psi)`.

    Attributes:
        theta: The grid's theta values, `(k,)`.
        psi: Its psi values, `(m,)`.
        change: `(m, k, 2)`: at `[i, j]`, the change of `(theta, psi)` in one round
            from `(theta[j], psi[i])`.
    """

    theta: np.ndarray
    psi: np.ndarray
    change: np.ndarray


def dirac_config(method: str, *, rounds: int = DIRAC_ROUNDS, seed: int = 0) -> TrainConfig:
    """The `TrainConfig` of one method: the `dirac` preset, `DIRAC_SETTINGS` and the method's settings.

    Raises:
        Gan1dError: For a method not in `DIRAC_METHODS`.
    """
    if method not in DIRAC_METHODS:
        raise Gan1dError(f"unknown Dirac-GAN method {method!r}; choose from {', '.join(DIRAC_METHODS)}")
    settings = {**DIRAC_SETTINGS, **DIRAC_METHODS[method].settings}
    return TrainConfig.from_preset("dirac", epochs=integer("rounds", rounds), seed=seed, **settings)


def train_dirac(
    method: str,
    *,
    rounds: int = DIRAC_ROUNDS,
    start: tuple[float, float] = DIRAC_START,
    seed: int = 0,
    record: bool = True,
) -> DiracRun:
    """Trains the Dirac-GAN with one method from `start` and records where (theta, psi) goes.

    Args:
        method: A name in `DIRAC_METHODS`.
        rounds: Training rounds (`fit_target` epochs of one step).
        start: `(theta, psi)` to start from, in gan1d's signs.
        seed: Seed of the GAN's random draws (instance noise).
        record: Read (theta, psi) after every round (a Keras callback, one compiled
            call per round); False runs the rounds in a few compiled calls and keeps
            only the start and the end.

    Returns:
        A `DiracRun`.

    Raises:
        Gan1dError: For an unknown method or a bad number.
    """
    config = dirac_config(method, rounds=rounds, seed=seed)
    gan = build_gan(config)
    theta, psi = _parameters(gan)
    theta.assign(real("theta", start[0], signed=True))
    psi.assign(np.full(psi.shape, real("psi", start[1], signed=True), "float32"))
    recorder = _Trajectory(theta, psi)
    began = time.perf_counter()
    history = gan.fit_target(config.target(), rounds, config.batch_size, [recorder] if record else [], verbose=0)
    seconds = time.perf_counter() - began
    points = recorder.points if record else [(float(start[0]), float(start[1])), _read(theta, psi)]
    # A step that is not finite ends the training early, with the last good state.
    run = len(history.history.get("d_loss", []))
    return DiracRun(method, np.asarray(points, dtype="float64"), run, seconds)


def dirac_field(
    method: str,
    *,
    extent: float = DIRAC_EXTENT,
    cells: int = DIRAC_CELLS,
    batch_size: int = FIELD_BATCH,
    seed: int = 0,
) -> DiracField:
    """The change one training round of `method` makes from each point of a grid.

    Every grid point becomes a state of the method's GAN (its theta and psi set there),
    and `fit_target_many` trains each for one step: the GAN's own step, compiled once
    (under JAX one computation for the whole grid).

    Args:
        method: A name in `DIRAC_METHODS`.
        extent: The grid covers `[-extent, extent]` in theta and in psi.
        cells: Grid points along each axis.
        batch_size: Real points of the step; many, so that instance noise shows its mean.
        seed: Seed of the step's random draws.

    Returns:
        A `DiracField`.
    """
    config = dirac_config(method, rounds=1, seed=seed)
    gan = build_gan(config)
    values = np.linspace(-real("extent", extent, positive=True), extent, integer("cells", cells, 2))
    base = gan.copy_state()
    states = [_with_parameters(gan, base, theta, psi) for psi in values for theta in values]
    finals, _, _ = fit_target_many(gan, config.target(), states, 1, integer("batch_size", batch_size))
    moved = np.array([_state_parameters(gan, state) for state in finals]).reshape(len(values), len(values), 2)
    start = np.stack(np.meshgrid(values, values), axis=-1)
    return DiracField(values, values.copy(), moved - start)


def write_dirac(
    out_dir: str | Path,
    methods: Sequence[str] | None = None,
    *,
    rounds: int = DIRAC_ROUNDS,
    seed: int = 0,
    on_method: Callable[[DiracRun], None] | None = None,
) -> dict[str, Path]:
    """Trains every method, and writes its picture, the side-by-side figure, its GIF and the tables.

    Writes `dirac-<method>.png` per method (the field, the trajectory, the start and
    the end), `dirac.png` (every method side by side, each titled with its final
    distance), `dirac.gif` (the same, the training moving along its trajectory),
    `dirac.json` and `dirac.md` (the table of final distances).

    Args:
        out_dir: The folder to write to (made if missing).
        methods: Names in `DIRAC_METHODS`, in order; None: all of them.
        rounds: Training rounds of each method.
        seed: Seed of the random draws.
        on_method: Called with each method's `DiracRun` as it finishes.

    Returns:
        File name -> path of each file written.

    Raises:
        Gan1dError: For an unknown method or a bad number.
    """
    names = list(DIRAC_METHODS) if methods is None else list(methods)
    if not names:
        raise Gan1dError("no Dirac-GAN method to train")
    for name in names:
        dirac_config(name, rounds=rounds, seed=seed)  # every name checked before any training
    folder = Path(out_dir)
    files: dict[str, Path] = {}
    runs, panels = [], []
    for name in names:
        run = train_dirac(name, rounds=rounds, seed=seed)
        field = dirac_field(name, seed=seed)
        panel = DiracPanel(
            title=f"{DIRAC_METHODS[name].title}\ndistance after {run.rounds} rounds: {_shown(run.distance)}",
            trajectory=run.trajectory,
            theta=field.theta,
            psi=field.psi,
            change=field.change,
            clip=DIRAC_METHODS[name].settings.get("weight_clip"),
        )
        files[f"dirac-{name}.png"] = plot_dirac(panel, folder / f"dirac-{name}.png")
        runs.append(run)
        panels.append(panel)
        if on_method is not None:
            on_method(run)
    files["dirac.png"] = plot_dirac_methods(panels, folder / "dirac.png")
    files["dirac.gif"] = animate_dirac(panels, folder / "dirac.gif")
    rows = [_row(run) for run in runs]
    files["dirac.json"] = write_json(
        folder / "dirac.json",
        {
            "rounds": rounds,
            "start": list(DIRAC_START),
            "settings": dict(DIRAC_SETTINGS),
            "converged_below": CONVERGED_BELOW,
            "not_converged_above": NOT_CONVERGED_ABOVE,
            "backend": keras.backend.backend(),
            "methods": rows,
        },
    )
    files["dirac.md"] = write_text(folder / "dirac.md", _markdown(rows, rounds))
    return files


def verdict(distance: float) -> str:
    """`"converged"`, `"not converged"` or `"undecided"`: the final distance against the two bars."""
    if distance < CONVERGED_BELOW:
        return "converged"
    return "not converged" if distance > NOT_CONVERGED_ABOVE else "undecided"


# ----- reading and writing theta and psi -----------------------------------------


class _Trajectory(keras.callbacks.Callback):
    """Reads (theta, psi) before training and after every epoch (one round each)."""

    def __init__(self, theta: keras.Variable, psi: keras.Variable) -> None:
        super().__init__()
        self.theta, self.psi = theta, psi
        self.points: list[tuple[float, float]] = []

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self.points = [_read(self.theta, self.psi)]

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self.points.append(_read(self.theta, self.psi))


def _parameters(gan: GAN) -> tuple[keras.Variable, keras.Variable]:
    """theta (the generator's `DiracPoint` weight) and psi (the discriminator's `Dense` kernel, `(1, 1)`)."""
    return gan.generator.get_layer("point").theta, gan.discriminator.get_layer("psi").kernel


def _read(theta: keras.Variable, psi: keras.Variable) -> tuple[float, float]:
    return float(ops.convert_to_numpy(theta.value)), float(np.ravel(ops.convert_to_numpy(psi.value))[0])


def _with_parameters(gan: GAN, state: GANState, theta: float, psi: float) -> GANState:
    """`state` with theta and psi replaced, the rest shared."""
    theta_at, psi_at = _positions(gan)
    g_weights, d_weights = list(state.g_weights), list(state.d_weights)
    g_weights[theta_at] = ops.convert_to_tensor(np.float32(theta))
    d_weights[psi_at] = ops.convert_to_tensor(np.full((1, 1), psi, "float32"))
    return state._replace(g_weights=g_weights, d_weights=d_weights)


def _state_parameters(gan: GAN, state: GANState) -> tuple[float, float]:
    theta_at, psi_at = _positions(gan)
    theta = float(ops.convert_to_numpy(state.g_weights[theta_at]))
    return theta, float(np.ravel(ops.convert_to_numpy(state.d_weights[psi_at]))[0])


def _positions(gan: GAN) -> tuple[int, int]:
    """Where theta and psi are among the state's generator and discriminator weights."""
    theta, psi = _parameters(gan)
    g_ids = [id(v) for v in gan.generator.trainable_variables]
    d_ids = [id(v) for v in gan.discriminator.trainable_variables]
    return g_ids.index(id(theta)), d_ids.index(id(psi))


# ----- the table ------------------------------------------------------------------


def _row(run: DiracRun) -> dict[str, Any]:
    method = DIRAC_METHODS[run.method]
    theta, psi = run.final
    return {
        "method": run.method,
        "title": method.title,
        "paper_panel": method.panel,
        "paper_converges": method.converges,
        "behaviour": method.behaviour,
        "settings": dict(method.settings),
        "rounds": run.rounds,
        "final_theta": theta,
        "final_psi": psi,
        "final_distance": run.distance,
        "verdict": verdict(run.distance),
        "train_seconds": round(run.seconds, 3),
    }


def _shown(distance: float) -> str:
    """A distance as a reader compares them: two decimals, or two digits where it is below 0.01."""
    return f"{distance:.2f}" if distance >= 0.01 else f"{distance:.1e}"


def _markdown(rows: Sequence[Mapping[str, Any]], rounds: int) -> str:
    start = np.hypot(*DIRAC_START)
    heading = (
        f"Distance to the equilibrium sqrt(theta^2 + psi^2) after {rounds} rounds from "
        f"(theta, psi) = {DIRAC_START} (distance {start:.3g}), {keras.backend.backend()} backend; "
        f"converged below {CONVERGED_BELOW}, not converged above {NOT_CONVERGED_ABOVE}."
    )
    lines = [
        heading,
        "",
        "| method | settings on the dirac preset | paper's Figure 3 | trajectory | final distance | verdict |",
        "|---|---|---|---|---:|---|",
    ]
    for row in rows:
        settings = ", ".join(f"{k}={v}" for k, v in row["settings"].items())
        paper = "converges" if row["paper_converges"] else "does not converge"
        panel = f"({row['paper_panel']}) {paper}" if row["paper_panel"] else f"not shown; {paper} (its theory)"
        lines.append(
            f"| {row['title']} | `{settings}` | {panel} | {row['behaviour']} | {_shown(row['final_distance'])} "
            f"| {row['verdict']} |"
        )
    return "\n".join(lines) + "\n"
