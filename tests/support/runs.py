"""What tests of run folders share: the `gan1d` command as a process, and checks of the files it leaves."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

COMMAND = [sys.executable, "-m", "gan1d"]


def read_strict_json(path: Path) -> object:
    """Loads JSON, refusing NaN and Infinity as JSON.parse does."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{path.name} holds the non-standard constant {constant}")

    return json.loads(path.read_text(), parse_constant=refuse)


def no_temporary_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if ".tmp" in p.name]


def assert_complete(folder: Path) -> None:
    """Every visible file in a run folder is whole: it opens and reads to its end."""
    for path in folder.iterdir():
        if path.name.startswith("."):
            continue
        if path.suffix == ".json":
            read_strict_json(path)
        elif path.suffix in (".png", ".gif"):
            with Image.open(path) as image:
                for frame in range(getattr(image, "n_frames", 1)):
                    image.seek(frame)
                    image.load()
        elif path.suffix == ".keras":
            keras.saving.load_model(path)
        elif path.suffix == ".npz":
            with np.load(path) as data:
                [data[name] for name in data.files]
        elif path.suffix == ".csv":
            assert path.read_text().endswith("\n"), path


@contextlib.contextmanager
def started(*args: str, cwd: Path | None = None) -> Iterator[subprocess.Popen[str]]:
    """A `gan1d` process, once it says training runs; killed if still alive at the end."""
    process = subprocess.Popen([*COMMAND, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("gan1d: compiled; training"):
                break
        else:
            pytest.fail(f"gan1d never started training: {process.wait()}")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()  # waits, and closes the pipes
