"""Reading a run folder back: the whole GAN (in Keras's safe mode), its history, snapshots and layers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np

from gan1d.core.gan import GAN
from gan1d.core.views import Views
from gan1d.errors import Gan1dError
from gan1d.files import read_csv
from gan1d.run.config import TrainConfig

__all__ = ["SavedRun", "load_gan", "load_run"]


class SavedRun(NamedTuple):
    """What a run folder keeps, as `resume` continues from it.

    Attributes:
        config: Its settings.
        gan: The whole GAN, both optimizers and the random state included.
        history: `{"d_loss": [...], "g_loss": [...]}`, one value per epoch trained.
        snapshots: `(epoch, points)` pairs.
        accuracy: `(epoch, on_real, on_generated)` per snapshot.
        views: The layers of the snapshots, or None.
    """

    config: TrainConfig
    gan: GAN
    history: dict[str, list[float]]
    snapshots: list[tuple[int, np.ndarray]]
    accuracy: list[tuple[int, float, float]]
    views: Views | None


def load_run(path: Path) -> SavedRun:
    """The config, whole GAN, history, snapshots, accuracies and layers a run folder keeps.

    The GAN is loaded in Keras's safe mode: a file that would run code (a `Lambda`
    layer, say) is refused.

    Raises:
        Gan1dError: If a file is missing or cannot be loaded safely.
    """
    config = TrainConfig.from_file(path / "config.json")
    model_file = path / "gan.keras"
    if not model_file.is_file():
        raise Gan1dError(f"{str(path)!r} has no gan.keras to continue from")
    gan = load_gan(model_file)
    if not isinstance(gan, GAN):
        raise Gan1dError(f"{str(model_file)!r} holds a {type(gan).__name__}, not a gan1d GAN")
    try:
        columns = read_csv(path / "history.csv")
        history = {name: [float(v) for v in columns.get(name, [])] for name in ("d_loss", "g_loss")}
    except (OSError, ValueError) as error:
        raise Gan1dError(f"cannot read the history of {str(path)!r}: {error}") from None
    updates = int(keras.ops.convert_to_numpy(gan.g_optimizer.iterations))
    if len(history["d_loss"]) * config.generator_steps != updates:
        raise Gan1dError(f"the history and the saved GAN of {str(path)!r} disagree on the steps trained")
    snapshots: list[tuple[int, np.ndarray]] = []
    accuracy: list[tuple[int, float, float]] = []
    views = None
    if (path / "snapshots.npz").is_file():
        with np.load(path / "snapshots.npz") as saved:
            epochs = [int(e) for e in saved["epochs"]]
            snapshots = list(zip(epochs, list(saved["points"]), strict=True))
            if len(saved["accuracy"]) == len(epochs):
                accuracy = [(e, float(a), float(b)) for e, (a, b) in zip(epochs, saved["accuracy"], strict=True)]
            views = Views.from_arrays(saved)
    return SavedRun(config, gan, history, snapshots, accuracy, views)


def load_gan(path: str | os.PathLike[str]) -> keras.Model:
    """Loads a whole GAN saved with `GAN.save` (or a network, such as `generator.keras`), in Keras's safe mode.

    `keras.saving.load_model(path)` does the same once gan1d is imported; this one
    refuses a file that would run code and says why in one line.

    Raises:
        Gan1dError: If the file cannot be read, or would run code to load.
    """
    try:
        loaded: keras.Model = keras.saving.load_model(path, safe_mode=True)
    except (OSError, ValueError, TypeError, KeyError) as error:
        message = " ".join(str(error).split())
        if "safe_mode" in message or "lambda" in message.lower():
            raise Gan1dError(
                f"{str(path)!r} would run code to load (e.g. a Lambda layer); gan1d loads models only in Keras's "
                "safe mode"
            ) from None
        raise Gan1dError(f"cannot load {str(path)!r}: {message[:300]}") from None
    return loaded
