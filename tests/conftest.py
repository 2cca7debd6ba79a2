"""Shared test set-up: headless matplotlib, no figure leaks, tests that run under one backend only.

Markers are registered in `pyproject.toml`; shared test code is in `tests/support/`,
saved files the tests load in `tests/fixtures/`.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("MPLBACKEND", "Agg")
# The CLI keeps JAX's compiled programs on disk; keep the tests' out of ~/.cache.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", tempfile.mkdtemp(prefix="gan1d-jax-cache-"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib.pyplot as plt
import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    current = keras.backend.backend()
    for item in items:
        marker = item.get_closest_marker("backend")
        if marker is not None and marker.args[0] != current:
            item.add_marker(pytest.mark.skip(reason=f"needs the {marker.args[0]} backend, running {current}"))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")
