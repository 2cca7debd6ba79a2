"""gan1d: watch a GAN learn the curve of a 1D function, under JAX or TensorFlow.

The public API, imported lazily so that `gan1d --help` and input checks do not
pay for importing a deep-learning framework:

- `train(...) -> TrainResult`, `resume(run_dir)`: the whole job, optionally
  writing a run folder; `sweep(...)`: one configuration on many seeds;
  `study(...)`: variants x targets x seeds, resumable, here or on a Ray cluster.
- `TrainConfig`: every setting of a run, and the presets.
- `target(spec, domain)`: the distribution of real points.
- `GAN`, `build_generator`, `build_discriminator`, `SnapshotCallback`: the
  keras.io-style building blocks; `load_gan(path)` loads a saved GAN safely.
- `animate`, `metrics`, `Gan1dError`, `TrainingDiverged`.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from gan1d.environment import default_backend
from gan1d.errors import Gan1dError, TrainingDiverged

# Must run before anything imports Keras, which reads KERAS_BACKEND once.
default_backend()

if TYPE_CHECKING:
    from gan1d import metrics
    from gan1d.animation import animate
    from gan1d.callbacks import SnapshotCallback
    from gan1d.config import TrainConfig
    from gan1d.gan import GAN
    from gan1d.models import build_discriminator, build_generator
    from gan1d.runs import load_gan
    from gan1d.studies import study
    from gan1d.sweeps import sweep
    from gan1d.targets import Target, target
    from gan1d.training import TrainResult, resume, train

try:
    __version__ = version("gan1d")
except PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0+unknown"

_LAZY = {
    "GAN": "gan1d.gan",
    "SnapshotCallback": "gan1d.callbacks",
    "Target": "gan1d.targets",
    "TrainConfig": "gan1d.config",
    "TrainResult": "gan1d.training",
    "animate": "gan1d.animation",
    "build_discriminator": "gan1d.models",
    "build_generator": "gan1d.models",
    "load_gan": "gan1d.runs",
    "resume": "gan1d.training",
    "study": "gan1d.studies",
    "sweep": "gan1d.sweeps",
    "target": "gan1d.targets",
    "train": "gan1d.training",
}

__all__ = [
    "GAN",
    "Gan1dError",
    "SnapshotCallback",
    "Target",
    "TrainConfig",
    "TrainResult",
    "TrainingDiverged",
    "__version__",
    "animate",
    "build_discriminator",
    "build_generator",
    "load_gan",
    "metrics",
    "resume",
    "study",
    "sweep",
    "target",
    "train",
]


def __getattr__(name: str) -> Any:
    if name == "metrics":
        return importlib.import_module("gan1d.metrics")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gan1d' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
