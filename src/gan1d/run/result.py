"""What a run produced: `TrainResult`, its quality numbers, and the scene its pictures draw."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from gan1d.core.gan import GAN
from gan1d.core.views import Views
from gan1d.data import metrics
from gan1d.data.distribution import Target
from gan1d.data.metrics import HEADLINE
from gan1d.errors import Gan1dError
from gan1d.pictures.animation import AnimationFile, write_animation, write_still
from gan1d.pictures.report import notebook_view, write_report
from gan1d.pictures.scene import Scene
from gan1d.run.config import TrainConfig

__all__ = ["QUALITY_SHOWN", "REAL_POINTS", "TrainResult", "quality", "quality_curves"]

# The run's pictures draw this many real points, drawn with the run's seed.
REAL_POINTS = 100
# The quality number the animation draws under the losses.
QUALITY_SHOWN = "energy_distance"


@dataclasses.dataclass(frozen=True, repr=False)
class TrainResult:
    """What `train` produced.

    Attributes:
        config: The run's settings.
        gan: The trained `gan1d.GAN` (both networks, both optimizers).
        history: `{"d_loss": [...], "g_loss": [...]}`, one value per epoch run.
        snapshots: `(epoch, points (n, 2))` pairs, as `SnapshotCallback` stores them.
        quality: Metric name -> one value per snapshot (`epoch` holds the epochs):
            `x_w1`, `curve_residual`, `energy_distance`, `coverage` of the snapshot's
            points and the discriminator's accuracy on real and generated points.
        metrics: Final quality and timing numbers (see the README's "Metrics").
        status: `"completed"`, `"stopped"` (by a callback), `"diverged"` or `"interrupted"`.
        out_dir: The run folder, or None when nothing was written.
        artifacts: File name -> path of each file written.
        discriminator_accuracy: `(epoch, on_real, on_generated)` per snapshot.
        views: The layers of the teaching pictures at every snapshot (a
            `gan1d.core.views.Views`: heatmap, pushes, manifold), or None.
        target: The distribution trained on (a `gan1d.Target`).
    """

    config: TrainConfig
    gan: GAN
    history: dict[str, list[float]]
    snapshots: list[tuple[int, np.ndarray]]
    quality: dict[str, list[float]]
    metrics: dict[str, Any]
    status: str = "completed"
    out_dir: Path | None = None
    artifacts: dict[str, Path] = dataclasses.field(default_factory=dict)
    discriminator_accuracy: list[tuple[int, float, float]] = dataclasses.field(default_factory=list)
    views: Views | None = None
    target: Target | None = None

    @property
    def generator(self) -> keras.Model:
        """The trained generator, a `keras.Model`: latent noise -> points (with `ema`, the moving average's)."""
        return self.gan.averaged_generator()

    @property
    def discriminator(self) -> keras.Model:
        """The trained discriminator, a `keras.Model`: points -> scores."""
        return self.gan.discriminator

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.metrics.items() if k in HEADLINE and v is not None)
        where = f", out_dir={str(self.out_dir)!r}" if self.out_dir else ""
        return f"TrainResult({self.config.function!r}, status={self.status!r}, steps={self.steps}, {shown}{where})"

    @property
    def steps(self) -> int:
        """Epochs trained."""
        return len(self.history.get("d_loss", []))

    @property
    def distribution(self) -> Target:
        """The target trained on (`target`, else rebuilt from the config)."""
        return self.target if self.target is not None else self.config.target()

    def scene(self, show: str | Sequence[str] | None = None, *, real_points: np.ndarray | None = None) -> Scene:
        """What every picture of the run draws: its snapshots, layers, losses and quality.

        Args:
            show: The layers shown (None: the run's `show` setting); those the run
                did not capture are left out rather than refused.
            real_points: The real points drawn; default 100 drawn with the run's seed.

        Raises:
            Gan1dError: For a run that kept no snapshots.
        """
        if not self.snapshots:
            raise Gan1dError("this run kept no snapshots (snapshot_every=0), so there is nothing to animate")
        distribution = self.distribution
        names = [name for name in (QUALITY_SHOWN,) if name in self.quality]
        scene = Scene.build(
            self.snapshots,
            distribution.sample(REAL_POINTS, seed=self.config.seed) if real_points is None else real_points,
            views=self.views,
            history=self.history if self.history.get("d_loss") else None,
            quality=(names[0].replace("_", " "), self.quality[names[0]]) if names else None,
            curve=distribution.curve(),
            show="none",
            objective=self.config.loss,
            penalty=self.config.penalty,
        )
        return scene.showing_available(self.config.show if show is None else show)

    def write_report(
        self,
        path: str | os.PathLike[str],
        *,
        pictures: Mapping[str, Path] | None = None,
        scene: Scene | None = None,
        metrics: Mapping[str, Any] | None = None,
    ) -> Path:
        """Writes the run's report page (`report.html`): settings, metrics, pictures and the animation player.

        Args:
            path: The page to write.
            pictures: File name -> path of the run's files, whose pictures the page
                embeds; default `artifacts`.
            scene: The scene the player draws; default `scene()` (None for a run without snapshots).
            metrics: The metrics shown; default `metrics`.

        Returns:
            The path written.
        """
        config, metrics = self.config, self.metrics if metrics is None else metrics
        settings = config.to_dict()
        described = settings.get("target", {})
        what = described.get("expression") or described.get("name") or config.function
        domain = f" on [{config.domain[0]:g}, {config.domain[1]:g}]" if config.domain else ""
        seconds = metrics.get("train_seconds")
        facts = (
            f"{metrics.get('status', self.status)} after {metrics.get('steps', self.steps)} of "
            f"{config.epochs} epochs · {config.preset} preset · {metrics.get('backend', '')} backend · "
            f"{seconds if seconds is None else f'{seconds:.4g}'} s of training"
        )
        return write_report(
            path,
            scene if scene is not None or not self.snapshots else self.scene(),
            title=f"gan1d run: {what}{domain}",
            facts=facts,
            metrics=metrics,
            settings=settings,
            pictures=self.artifacts if pictures is None else pictures,
        )

    def _repr_html_(self) -> str:
        """Jupyter's view: the key numbers and the animation player."""
        numbers = {"status": self.status, "steps": self.metrics.get("steps", self.steps)}
        numbers |= {name: self.metrics[name] for name in HEADLINE if self.metrics.get(name) is not None}
        scene = self.scene() if self.snapshots else None
        return notebook_view(scene, title=f"TrainResult: {self.config.function}", numbers=numbers, folder=self.out_dir)

    def animate(
        self, path: str | os.PathLike[str], *, show: str | Sequence[str] | None = None, frame: int = -1, **options: Any
    ) -> AnimationFile:
        """Writes the run's animation to `path` (.gif, .mp4 or a .png still of `frame`) with every layer it captured.

        Args:
            path: The file to write.
            show: The layers drawn (None: the run's `show` setting), e.g. `("heatmap", "gradients")`.
            frame: The snapshot a .png still shows.
            **options: `gan1d.animate`'s `fps`, `dpi` and `hold` (a still takes `dpi`).

        Returns:
            The file, as `gan1d.animate` returns it (Jupyter shows it).
        """
        scene = self.scene(show)
        if Path(path).suffix.lower() == ".png":
            return write_still(scene, path, frame=frame, **options)
        return write_animation(scene, path, **options)


def quality(points: np.ndarray, distribution: Target) -> dict[str, float | None]:
    """The quality metrics of generated points, None where not finite."""
    return {name: _finite_or_none(value) for name, value in metrics.summarize(points, distribution).items()}


def quality_curves(
    snapshots: Sequence[tuple[int, np.ndarray]],
    accuracy: Sequence[tuple[int, float, float]],
    distribution: Target,
) -> dict[str, list[float]]:
    """Quality of every snapshot, for `quality.csv` and `quality.png`."""
    if not snapshots:
        return {}
    curves: dict[str, list[float]] = {"epoch": [float(epoch) for epoch, _ in snapshots]}
    for _, points in snapshots:
        for name, value in quality(points, distribution).items():
            curves.setdefault(name, []).append(math.nan if value is None else value)
    if len(accuracy) == len(snapshots):
        curves["d_accuracy_real"] = [real for _, real, _ in accuracy]
        curves["d_accuracy_generated"] = [fake for _, _, fake in accuracy]
    return curves


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
