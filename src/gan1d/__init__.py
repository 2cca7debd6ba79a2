"""gan1d: watch a GAN learn the curve of a 1D function, under JAX or TensorFlow.

The public API, imported lazily so that `gan1d --help` and input checks do not
pay for importing a deep-learning framework:

- `train(...) -> TrainResult`: the whole job, optionally writing a run folder.
- `target(spec, domain)`: the distribution of real points.
- `GAN`, `build_generator`, `build_discriminator`, `SnapshotCallback`: the
  keras.io-style building blocks.
- `animate`, `metrics`, `TrainConfig`, `TrainResult`, `Gan1dError`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gan1d.environment import default_backend
from gan1d.errors import Gan1dError

# Must run before anything imports Keras, which reads KERAS_BACKEND once.
default_backend()

if TYPE_CHECKING:
    from gan1d import metrics
    from gan1d.callbacks import SnapshotCallback
    from gan1d.gan import GAN
    from gan1d.models import build_discriminator, build_generator
    from gan1d.plots import animate
    from gan1d.targets import Target, target
    from gan1d.training import TrainConfig, TrainingDiverged, TrainResult, train

__version__ = "0.1.0"

_LAZY = {
    "GAN": "gan1d.gan",
    "SnapshotCallback": "gan1d.callbacks",
    "Target": "gan1d.targets",
    "TrainConfig": "gan1d.training",
    "TrainResult": "gan1d.training",
    "TrainingDiverged": "gan1d.training",
    "animate": "gan1d.plots",
    "build_discriminator": "gan1d.models",
    "build_generator": "gan1d.models",
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
    "metrics",
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
