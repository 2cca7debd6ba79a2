"""The process around the GAN: which Keras backend, loading it quietly, its seeds, and its compilation cache."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from gan1d.errors import Gan1dError

__all__ = [
    "SUPPORTED_BACKENDS",
    "check_backend",
    "default_backend",
    "enable_compilation_cache",
    "import_backend",
    "program_folder",
    "seed_everything",
    "start_backend",
]

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
    name = _backend_name()
    if name not in SUPPORTED_BACKENDS:
        raise Gan1dError(
            f"KERAS_BACKEND={name!r} is not supported by gan1d; use one of {', '.join(SUPPORTED_BACKENDS)}"
        )
    if not _installed(name):
        raise Gan1dError(f'KERAS_BACKEND={name!r} but {name} is not installed; pip install "gan1d[{name}]"')
    return name


def _backend_name() -> str:
    """The backend Keras will use, read without importing Keras."""
    return os.environ.get("KERAS_BACKEND") or _keras_config_backend() or "tensorflow"


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gan1d"


# XLA's persistent cache under TensorFlow fails the training step when it cannot write
# an entry (a full disk, a file size limit), where JAX's only warns; so TensorFlow's is
# turned on only where entries of several megabytes surely fit.
_CACHE_ROOM = 256 * 2**20


def _room_for_cache(folder: Path) -> bool:
    """Whether `folder` (or the nearest folder above it that exists) has room for cache entries."""
    try:
        import resource

        if resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY:
            return False
    except ImportError:  # no such limits where the module is missing
        pass
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        return os.access(existing, os.W_OK) and shutil.disk_usage(existing).free >= _CACHE_ROOM
    except OSError:
        return False


# Where `enable_compilation_cache` keeps traced training loops, once it is called.
_PROGRAMS: dict[str, Path | None] = {"folder": None}


def enable_compilation_cache() -> Path | None:
    """Keeps compiled programs on disk, so a second run skips most compiling.

    The command line calls this (a library should not change a framework's
    settings for its caller). Under JAX: JAX's cache, in
    `$JAX_COMPILATION_CACHE_DIR` if set, else `$XDG_CACHE_HOME/gan1d/jax`
    (`~/.cache/gan1d/jax`). Under TensorFlow: XLA's persistent cache, in the
    folder `TF_XLA_FLAGS` names with `--tf_xla_persistent_cache_directory` if it
    does, else `$XDG_CACHE_HOME/gan1d/tensorflow` where it has room (256 MB free,
    no file size limit: XLA stops the training when it cannot write an entry). TensorFlow reads its flags
    once, when it is imported, so call this before anything imports TensorFlow.
    Traced training loops are kept beside the compiled programs (`program_folder`).

    Returns:
        The cache folder, or None where none could be set: another backend,
        TensorFlow already imported without the flag, or no room for its cache.
    """
    backend = _backend_name()
    if backend == "tensorflow":
        flags = os.environ.get("TF_XLA_FLAGS", "")
        named = re.search(r"--tf_xla_persistent_cache_directory=(\S+)", flags)
        if named:
            _PROGRAMS["folder"] = Path(named.group(1)) / "gan1d-programs"
            return Path(named.group(1))
        if "tensorflow" in sys.modules:
            return None
        folder = _cache_home() / "tensorflow"
        if not _room_for_cache(folder):
            return None
        os.environ["TF_XLA_FLAGS"] = f"{flags} --tf_xla_persistent_cache_directory={folder}".strip()
        _PROGRAMS["folder"] = folder / "gan1d-programs"
        return folder
    if backend != "jax":
        return None
    import jax

    jax_folder = os.environ.get("JAX_COMPILATION_CACHE_DIR") or str(_cache_home() / "jax")
    jax.config.update("jax_compilation_cache_dir", jax_folder)
    # Every program, the tiny ones too: building the networks, initialising their
    # weights and generating points eagerly compile dozens of one-operation programs
    # (about a second and a half in all, each 20 to 50 ms), which read back in a few ms each.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    # In a folder of its own inside JAX's, which evicts only its own "*-cache" files.
    _PROGRAMS["folder"] = Path(jax_folder) / "gan1d-programs"
    return Path(jax_folder)


def program_folder() -> Path | None:
    """Where traced training loops are kept as files, so a run need not trace its loop again.

    Set by `enable_compilation_cache` (`gan1d-programs` in the compilation
    cache's folder; see `gan1d.core.stored_programs`); None before, and where no
    compilation cache could be set.
    """
    return _PROGRAMS["folder"]


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Holds a Ctrl-C back until the block ends, then raises it as `KeyboardInterrupt`.

    An interrupt raised in the middle of a framework's import can leave its native
    start-up half done, and the process has been seen to crash on the way out
    instead of exiting 130. Only Python's own handler is replaced, only in the main
    thread: a notebook's or gan1d's training handler is left alone.
    """
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    caught: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if caught:
        raise KeyboardInterrupt


def import_backend() -> str:
    """Imports Keras and starts its backend, without the frameworks' start-up log lines.

    TensorFlow's C++ logging writes lines such as "WARNING: All log messages before
    absl::InitializeLog() is called are written to STDERR" and "Could not find
    cuda drivers" straight to file descriptor 2, some before `TF_CPP_MIN_LOG_LEVEL`
    applies. Everything written to it while the framework loads and finds its
    devices is held back, and shown only if that fails; and `TF_CPP_MIN_LOG_LEVEL`
    defaults to 3 for the rest of the run, because loading a program from XLA's
    persistent cache logs harmless lines at error level (a failed text parse before
    the binary one, and CPU "features" such as +prefer-no-scatter that the host
    does not list). Failures still raise Python exceptions with their messages.

    Returns:
        The backend's name.
    """
    if not os.environ.get("TF_CPP_MIN_LOG_LEVEL"):
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    with _sigint_deferred(), _stderr_held_back():
        import keras

        backend = str(keras.backend.backend())
        if backend == "tensorflow":
            import tensorflow as tf

            tf.config.list_logical_devices()
        elif backend == "jax":
            import jax

            jax.devices()
    return backend


def start_backend() -> str:
    """What a command does before it trains: the compilation cache on, then the backend imported quietly.

    In that order, since TensorFlow reads the cache's flags when it is imported.

    Returns:
        The backend's name.
    """
    enable_compilation_cache()
    return import_backend()


@contextlib.contextmanager
def _stderr_held_back() -> Iterator[None]:
    """Sends file descriptor 2 to a temporary file; replays it if the block raises."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile() as held:
            os.dup2(held.fileno(), 2)
            try:
                yield
            except BaseException:
                sys.stderr.flush()
                os.dup2(saved, 2)
                held.seek(0)
                sys.stderr.write(held.read().decode(errors="replace"))
                sys.stderr.flush()
                raise
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def seed_everything(seed: int) -> None:
    """Seeds what builds and initialises gan1d's networks: Python's `random`.

    Keras's initializers and `SeedGenerator`s without a seed draw their seeds from
    Python's `random`, so this makes the same seed build the same weights under
    every backend. Unlike `keras.utils.set_random_seed`, it does not import
    TensorFlow under JAX, and under TensorFlow it does not call
    `tf.random.set_seed`, which would clear the caches of every compiled function
    in the process (none of gan1d's draws use TensorFlow's global seed).
    """
    import random

    random.seed(seed)
