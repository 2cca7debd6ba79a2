"""The process around the GAN: which Keras backend, its seeds, and its compilation cache."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

from gan1d.errors import Gan1dError

__all__ = ["SUPPORTED_BACKENDS", "check_backend", "default_backend", "enable_compilation_cache", "seed_everything"]

SUPPORTED_BACKENDS = ("jax", "tensorflow")


def _keras_config_backend() -> str | None:
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    try:
        value = json.loads((home / "keras.json").read_text()).get("backend")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def default_backend() -> None:
    """Sets `KERAS_BACKEND` when it is unset, to a backend that is installed.

    Keras would use `keras.json`'s backend, else TensorFlow. Keras writes that file
    itself on first import, so it can name TensorFlow on a machine where only
    `pip install "gan1d[jax]"` ran; gan1d keeps the file's choice only when that
    backend is installed, and otherwise picks the first installed of JAX and
    TensorFlow.
    """
    if os.environ.get("KERAS_BACKEND"):
        return
    configured = _keras_config_backend()
    if configured in SUPPORTED_BACKENDS and _installed(configured):
        os.environ["KERAS_BACKEND"] = configured
        return
    for name in SUPPORTED_BACKENDS:
        if _installed(name):
            os.environ["KERAS_BACKEND"] = name
            return


def check_backend() -> str:
    """Returns the backend Keras will use, after checking gan1d supports it.

    Raises:
        Gan1dError: If the backend is not JAX or TensorFlow, or is not installed.
    """
    name = os.environ.get("KERAS_BACKEND") or _keras_config_backend() or "tensorflow"
    if name not in SUPPORTED_BACKENDS:
        raise Gan1dError(
            f"KERAS_BACKEND={name!r} is not supported by gan1d; use one of {', '.join(SUPPORTED_BACKENDS)}"
        )
    if not _installed(name):
        raise Gan1dError(f'KERAS_BACKEND={name!r} but {name} is not installed; pip install "gan1d[{name}]"')
    return name


def enable_compilation_cache() -> Path | None:
    """Keeps JAX's compiled programs on disk, so a second run skips most compiling.

    The command line calls this (a library should not change JAX's settings for
    its caller). The folder is `$JAX_COMPILATION_CACHE_DIR` if set, else
    `$XDG_CACHE_HOME/gan1d/jax` (`~/.cache/gan1d/jax`). Does nothing under
    TensorFlow.

    Returns:
        The cache folder, or None when not under JAX.
    """
    import keras

    if keras.backend.backend() != "jax":
        return None
    import jax

    folder = os.environ.get("JAX_COMPILATION_CACHE_DIR") or str(
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gan1d" / "jax"
    )
    jax.config.update("jax_compilation_cache_dir", folder)
    # The training loop takes about a second to compile; tiny programs are not worth a file.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
    return Path(folder)


def seed_everything(seed: int) -> None:
    """Seeds what builds and initialises gan1d's networks: Python's `random`, and the backend.

    Keras's initializers draw their seeds from Python's `random`, so this makes the
    same seed build the same weights. Unlike `keras.utils.set_random_seed`, it
    does not import TensorFlow under JAX.
    """
    import random

    import keras

    random.seed(seed)
    if keras.backend.backend() == "tensorflow":
        keras.utils.set_random_seed(seed)
