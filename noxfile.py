"""Test, lint, type-check and benchmark gan1d under each Keras backend.

nox                       # tests under JAX and TensorFlow, lint, typecheck
nox -s "tests(backend='jax')" -- -k cli
nox -s slow               # long convergence checks
nox -s "bench(backend='jax', device='cpu')"
nox -s "planar(backend='jax')" -- --trials 10   # ring and grid, scored like the papers
"""

from __future__ import annotations

import nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint", "typecheck"]

BACKENDS = ["jax", "tensorflow"]
GPU_EXTRAS = {"jax": "jax-cuda", "tensorflow": "tensorflow-cuda"}


def _install(session: nox.Session, extra: str, *groups: str) -> None:
    session.install(f".[{extra}]", *(arg for group in groups for arg in ("--group", group)))


@nox.session
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def tests(session: nox.Session, backend: str) -> None:
    """Fast test suite under one backend."""
    _install(session, backend, "test")
    session.env["KERAS_BACKEND"] = backend
    session.run("pytest", "-m", "not slow", *session.posargs)


@nox.session(default=False)
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def slow(session: nox.Session, backend: str) -> None:
    """Long convergence checks under one backend."""
    _install(session, backend, "test")
    session.env["KERAS_BACKEND"] = backend
    session.run("pytest", "-m", "slow", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install("--group", "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Mypy over the package."""
    _install(session, "jax", "typecheck")
    session.run("mypy")


@nox.session(default=False)
@nox.parametrize("device", ["cpu", "gpu"], ids=["cpu", "gpu"])
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def bench(session: nox.Session, backend: str, device: str) -> None:
    """Benchmarks under one backend and device; arguments after -- go to the script."""
    extra = GPU_EXTRAS[backend] if device == "gpu" else backend
    _install(session, extra)
    session.env["KERAS_BACKEND"] = backend
    if device == "cpu":
        session.env["CUDA_VISIBLE_DEVICES"] = ""
        session.env["JAX_PLATFORMS"] = "cpu"
    session.run("python", "benchmarks/run.py", "--device", device, *session.posargs)


@nox.session(default=False)
@nox.parametrize("backend", BACKENDS, ids=BACKENDS)
def planar(session: nox.Session, backend: str) -> None:
    """The planar mode-collapse benchmarks on the CPU; arguments after -- go to the script."""
    _install(session, backend)
    session.env["KERAS_BACKEND"] = backend
    session.env["CUDA_VISIBLE_DEVICES"] = ""
    session.env["JAX_PLATFORMS"] = "cpu"
    session.run("python", "benchmarks/planar.py", *session.posargs)
