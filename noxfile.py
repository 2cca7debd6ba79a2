#!/usr/bin/env -S uv run --script
# /// script
# dependencies = ["nox>=2024.10.9"]
# ///
"""Test, lint, type-check and benchmark gan1d under each Keras backend.

nox                       # tests under JAX and TensorFlow, lint, typecheck
nox -s "tests(backend='jax')" -- -k cli
nox -s slow               # long convergence checks
nox -s faults             # fault injection: signals, full disks, concurrent runs
nox -s "bench(backend='jax', device='cpu')"
nox -s "planar(backend='jax')" -- --trials 10   # ring and grid, scored like the papers
"""

from __future__ import annotations

import os

import nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"

# Compiled bytecode at install time: tests start fresh interpreters that import
# TensorFlow and Keras, which is several times slower from source alone.
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")

BACKENDS = ["jax", "tensorflow"]
GPU_EXTRAS = {"jax": "jax-cuda", "tensorflow": "tensorflow-cuda"}


def _install(session: nox.Session, extra: str, *groups: str) -> None:
    session.install(f".[{extra}]", *(arg for group in groups for arg in ("--group", group)))


def _use_backend(session: nox.Session, backend: str, *, cpu_only: bool = False) -> None:
    session.env["KERAS_BACKEND"] = backend
    session.env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    if cpu_only:
        session.env["CUDA_VISIBLE_DEVICES"] = ""
        session.env["JAX_PLATFORMS"] = "cpu"


@nox.session(default=True)
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def tests(session: nox.Session, backend: str) -> None:
    """Fast test suite under one backend."""
    _install(session, backend, "test")
    _use_backend(session, backend)
    session.run("pytest", "-m", "not slow and not faults", *session.posargs)


@nox.session(default=False)
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def slow(session: nox.Session, backend: str) -> None:
    """Long convergence checks under one backend."""
    _install(session, backend, "test")
    _use_backend(session, backend)
    session.run("pytest", "-m", "slow", *session.posargs)


@nox.session(default=False)
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def faults(session: nox.Session, backend: str) -> None:
    """Fault injection: signals to real processes, full and read-only disks (tmpfs needs root)."""
    _install(session, backend, "test")
    _use_backend(session, backend)
    session.run("pytest", "-m", "faults", *session.posargs)


@nox.session(default=True)
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install("--group", "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(default=True)
def typecheck(session: nox.Session) -> None:
    """Mypy over the package."""
    _install(session, "jax", "typecheck")
    session.run("mypy")


@nox.session(default=False)
@nox.parametrize("device", ["cpu", "gpu"], ids=["cpu", "gpu"])
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def bench(session: nox.Session, backend: str, device: str) -> None:
    """Benchmarks under one backend and device; arguments after -- go to the script."""
    _install(session, GPU_EXTRAS[backend] if device == "gpu" else backend)
    _use_backend(session, backend, cpu_only=device == "cpu")
    session.run("python", "benchmarks/run.py", "--device", device, *session.posargs)


@nox.session(default=False)
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def planar(session: nox.Session, backend: str) -> None:
    """The planar mode-collapse benchmarks on the CPU; arguments after -- go to the script."""
    _install(session, backend)
    _use_backend(session, backend, cpu_only=True)
    session.run("python", "benchmarks/planar.py", *session.posargs)


if __name__ == "__main__":
    nox.main()
