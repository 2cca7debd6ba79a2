"""Choosing CPU or GPU for the backend under test, and describing the machine.

`pin_device` must run before JAX or TensorFlow is imported; the other functions
import the backend themselves.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.common import MB, HostMemory, MemoryProbe


class NoGpu(RuntimeError):
    """`--device gpu` was asked for but the backend sees no GPU."""


def pin_device(device: str) -> None:
    """Hides GPUs from both frameworks for `--device cpu` (before they are imported)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
        os.environ["JAX_PLATFORMS"] = "cpu"


def check_device(backend: str, device: str) -> str:
    """Returns the name of the device the backend will compute on.

    Raises:
        NoGpu: For `device == "gpu"` when the backend sees no GPU.
        RuntimeError: For `device == "cpu"` when a GPU is still the default.
    """
    if backend == "jax":
        import jax

        if device == "gpu":
            try:
                gpus = jax.devices("gpu")
            except RuntimeError as error:
                raise NoGpu(f"jax.devices('gpu') failed: {str(error).splitlines()[0]}") from None
            return f"{gpus[0].device_kind} (jax {gpus[0].platform})"
        if jax.default_backend() != "cpu":
            raise RuntimeError(f"JAX still defaults to {jax.default_backend()}; set JAX_PLATFORMS=cpu")
        return f"{cpu_model()} (jax cpu)"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if device == "gpu":
        if not gpus:
            raise NoGpu("tf.config.list_physical_devices('GPU') is empty")
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"{details.get('device_name', gpus[0].name)} (tensorflow)"
    if tf.config.get_visible_devices("GPU"):
        raise RuntimeError("TensorFlow still sees a GPU; set CUDA_VISIBLE_DEVICES=")
    return f"{cpu_model()} (tensorflow cpu)"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as stream:
            for line in stream:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


class JaxDeviceMemory:
    """The GPU's `peak_bytes_in_use`; JAX cannot reset it, so this is the process's peak so far."""

    kind = "GPU peak_bytes_in_use (process peak so far)"

    def start(self) -> None:
        pass

    def stop(self) -> float:
        import jax

        stats = jax.devices()[0].memory_stats() or {}
        return float(stats.get("peak_bytes_in_use", 0)) / MB


class TfDeviceMemory:
    """The GPU's peak bytes between `start()` (which resets it) and `stop()`."""

    kind = "GPU peak (tf.config.experimental.get_memory_info)"

    def start(self) -> None:
        import tensorflow as tf

        tf.config.experimental.reset_memory_stats("GPU:0")

    def stop(self) -> float:
        import tensorflow as tf

        return float(tf.config.experimental.get_memory_info("GPU:0")["peak"]) / MB


def memory_probe(backend: str, device: str) -> MemoryProbe:
    """Device memory on a GPU where the backend reports it, else host resident memory."""
    if device == "gpu":
        probe: MemoryProbe = JaxDeviceMemory() if backend == "jax" else TfDeviceMemory()
        try:
            probe.start()
            probe.stop()
        except (RuntimeError, ValueError, KeyError, AttributeError):
            return HostMemory()
        return probe
    return HostMemory()


def machine_info(backend: str, device: str, device_name: str) -> dict[str, Any]:
    """What the numbers depend on: hardware, load, and library versions."""
    packages = ("gan1d", "keras", "numpy", "jax", "jaxlib", "tensorflow", "tensorflow-cpu")
    versions = {package: version for package in packages if (version := _version(package))}
    try:
        usable_cpus: int | None = len(os.sched_getaffinity(0))
    except AttributeError:
        usable_cpus = os.cpu_count()
    info = {
        "backend": backend,
        "device": device,
        "device_name": device_name,
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable_cpus,
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "python": sys.version.split()[0],
        "versions": versions,
        "gan1d_commit": _git_commit(),
    }
    if backend == "jax":
        import jax

        # A persistent compilation cache would hide compile times; say if one is on.
        info["jax_compilation_cache_dir"] = getattr(jax.config, "jax_compilation_cache_dir", None)
    return info


def _git_commit() -> str | None:
    """The checkout's commit (with "+dirty" for uncommitted changes), if run from one."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+dirty" if dirty else "")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
