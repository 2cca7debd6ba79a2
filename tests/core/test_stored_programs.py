"""gan1d.core.stored_programs: a loop traced once is read back by a later run, and trains the same.

Each run here starts without the loops compiled before it, as a new process does,
and keeps its programs in a temporary folder, as where the command line turns on
the compilation cache.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from gan1d import environment
from gan1d.core import programs
from gan1d.core.stored_programs import StoredProgram
from gan1d.data.targets import target
from gan1d.run.build import build_gan
from gan1d.run.config import TrainConfig

SQUARE = target("square")
EPOCHS = 40
CONFIG = TrainConfig.from_preset("seed", seed=3)


@dataclasses.dataclass
class Run:
    losses: dict[str, list[float]]
    loop: object


def train(folder: Path | None, monkeypatch: pytest.MonkeyPatch) -> Run:
    """A run as a new process makes it: no loop compiled before, programs kept in `folder` (None: none kept)."""
    with monkeypatch.context() as patched:
        patched.setitem(environment._PROGRAMS, "folder", folder)
        patched.setattr(programs, "_LOOPS", {})
        gan = build_gan(CONFIG)
        losses = gan.fit_target(SQUARE, epochs=EPOCHS).history
        (loops,) = programs._LOOPS.values()
        return Run(losses, loops[-1].compiled)


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, bytes]:
    """The first run with programs kept, and the file it wrote."""
    folder = tmp_path_factory.mktemp("programs")
    with pytest.MonkeyPatch.context() as monkeypatch:
        first = train(folder, monkeypatch)
    (path,) = folder.glob("*.program")
    return first, path.read_bytes()


def test_a_loop_traced_once_is_read_back_and_trains_as_a_traced_one(
    kept: tuple[Run, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, program = kept
    assert isinstance(first.loop, StoredProgram)
    assert first.loop.origin == "traced"
    (tmp_path / first.loop.file.name).write_bytes(program)
    second = train(tmp_path, monkeypatch)
    assert isinstance(second.loop, StoredProgram)
    assert second.loop.origin == "file"
    assert second.losses == first.losses
    # With no programs kept the run traces its loop, as before they were: the same losses.
    plain = train(None, monkeypatch)
    assert not isinstance(plain.loop, StoredProgram)
    assert plain.losses == first.losses


@pytest.mark.parametrize(
    "damage",
    [
        "another key",  # a file of another version, or renamed onto this name
        "garbage",
        pytest.param("truncated", marks=pytest.mark.slow),
    ],
)
def test_a_stale_or_broken_file_is_traced_again_and_replaced(
    kept: tuple[Run, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    first, program = kept
    damaged = {
        "another key": program.replace(b'"format": 1', b'"format": 0', 1),
        "garbage": b"\x00not a program" * 50,
        "truncated": program[: len(program) // 2],
    }[damage]
    path = tmp_path / first.loop.file.name
    path.write_bytes(damaged)
    again = train(tmp_path, monkeypatch)
    assert isinstance(again.loop, StoredProgram)
    assert again.loop.origin == "traced"
    assert again.losses == first.losses
    # Written again, whole, for the next run to read.
    assert again.loop.read(path) is not None


def test_a_loop_whose_target_a_python_function_draws_is_never_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def square(x: np.ndarray) -> np.ndarray:
        return x**2

    monkeypatch.setitem(environment._PROGRAMS, "folder", tmp_path)
    monkeypatch.setattr(programs, "_LOOPS", {})
    gan = build_gan(CONFIG)
    drawn_by_python = target(square, (-0.5, 0.5))
    assert not isinstance(programs.Programs(gan, drawn_by_python, 64)(20, 2), StoredProgram)
    assert isinstance(programs.Programs(gan, SQUARE, 64)(20, 2), StoredProgram)
