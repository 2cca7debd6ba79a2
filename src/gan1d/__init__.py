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

The package's layers, from the ground up: `errors`, `checks`, `files` and
`environment`; `backend` (the glue per Keras backend); `data` (targets and
metrics); `core` (the GAN and its compiled loop); `pictures`; `run` (one run:
config, folder, `train`); `experiments` (sweeps and studies); `cli`.

Once gan1d is imported, Keras finds its classes: `keras.saving.load_model` loads a
`gan.keras` or `generator.keras` that gan1d wrote.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType
from typing import TYPE_CHECKING, Any

from gan1d.environment import default_backend
from gan1d.errors import Gan1dError, TrainingDiverged

# Must run before anything imports Keras, which reads KERAS_BACKEND once.
default_backend()

if TYPE_CHECKING:
    from gan1d.core.callbacks import SnapshotCallback
    from gan1d.core.gan import GAN
    from gan1d.core.networks import build_discriminator, build_generator
    from gan1d.data import metrics
    from gan1d.data.distribution import Target
    from gan1d.data.targets import target
    from gan1d.experiments.studies.runner import study
    from gan1d.experiments.sweeps import sweep
    from gan1d.pictures.animation import animate
    from gan1d.run.config import TrainConfig
    from gan1d.run.load import load_gan
    from gan1d.run.result import TrainResult
    from gan1d.run.train import resume, train

try:
    __version__ = version("gan1d")
except PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0+unknown"

_LAZY = {
    "GAN": "gan1d.core.gan",
    "SnapshotCallback": "gan1d.core.callbacks",
    "Target": "gan1d.data.targets",
    "TrainConfig": "gan1d.run.config",
    "TrainResult": "gan1d.run.result",
    "animate": "gan1d.pictures.animation",
    "build_discriminator": "gan1d.core.networks",
    "build_generator": "gan1d.core.networks",
    "load_gan": "gan1d.run.load",
    "resume": "gan1d.run.train",
    "study": "gan1d.experiments.studies.runner",
    "sweep": "gan1d.experiments.sweeps",
    "target": "gan1d.data.targets",
    "train": "gan1d.run.train",
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
        return importlib.import_module("gan1d.data.metrics")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gan1d' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


# ----- Keras finds gan1d's classes once both are imported ------------------------
#
# Keras looks a saved class up by its registered name ("gan1d>GAN"), which exists
# only once the module defining it has run. That module imports Keras, which
# `import gan1d` must not do; so the classes are registered as soon as Keras is
# imported, whichever of the two comes first.

_REGISTERING = ("gan1d.core.gan",)  # imports every gan1d class a saved model holds


def _register_with_keras() -> None:
    for name in _REGISTERING:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001  (a convenience: it must never break `import keras`)
            # Raised when Keras was imported by a gan1d module still being
            # imported (which registers the classes itself), or under a backend
            # gan1d does not support; loading then says what is missing.
            return


class _AfterKeras(importlib.abc.MetaPathFinder):
    """Finds Keras as usual, and registers gan1d's classes once Keras's own module has run."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "keras":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec("keras")
        if spec is None or spec.loader is None:
            return spec
        run_keras = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run_keras(module)
            _register_with_keras()

        # Only the loader of Keras's own `__init__` is changed, and only for this import.
        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if "keras" in sys.modules:
    _register_with_keras()
else:
    sys.meta_path.insert(0, _AfterKeras())
