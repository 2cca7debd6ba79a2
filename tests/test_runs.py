"""gan1d.runs: run folders, atomic writes and strict JSON."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from gan1d.errors import Gan1dError
from gan1d.runs import RUN_FILES, RunFolder, atomic_path, read_csv, strict_json, write_csv, write_json


def test_a_new_folder_is_claimed_and_locked(tmp_path):
    with RunFolder.claim(tmp_path / "run") as folder:
        assert folder.path.is_dir()
        with pytest.raises(Gan1dError, match="another gan1d run"):
            RunFolder.claim(tmp_path / "run")
    # Released: the folder (still empty) can be claimed again.
    RunFolder.claim(tmp_path / "run").release()


def test_default_folders_are_new_every_time(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folders = [RunFolder.claim(None) for _ in range(5)]
    names = {folder.path for folder in folders}
    assert len(names) == 5
    assert all(path.parent == Path("runs") for path in names)
    for folder in folders:
        folder.release()


def test_a_non_empty_folder_is_refused_and_kept(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(Gan1dError, match="not empty"):
        RunFolder.claim(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["precious.txt"]


def test_overwrite_removes_gan1d_files_only(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    for name in RUN_FILES[:4]:
        (tmp_path / name).write_text("old")
    RunFolder.claim(tmp_path, overwrite=True).release()
    assert [p.name for p in tmp_path.iterdir()] == ["precious.txt"]


def test_a_file_or_an_unwritable_place_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(Gan1dError, match="is a file"):
        RunFolder.claim(blocker)
    with pytest.raises(Gan1dError, match="cannot"):
        RunFolder.claim(blocker / "run")
    assert blocker.read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(Gan1dError, match="cannot write"):
            RunFolder.claim(locked)
    finally:
        locked.chmod(0o700)


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path):
    final = tmp_path / "data.json"
    final.write_text("old")

    def write_half(tmp):
        tmp.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), atomic_path(final) as tmp:
        write_half(tmp)
    assert final.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]


def test_json_is_strict_with_nulls_for_non_finite_numbers(tmp_path):
    value = {"a": math.nan, "b": [1.0, math.inf, -math.inf], "c": {"d": 2}}
    assert strict_json(value) == {"a": None, "b": [1.0, None, None], "c": {"d": 2}}
    write_json(tmp_path / "x.json", value)
    text = (tmp_path / "x.json").read_text()
    assert "NaN" not in text
    assert "Infinity" not in text
    assert json.loads(text) == strict_json(value)


def test_csv_floats_read_back_exactly(tmp_path):
    values = [0.1, 1 / 3, 1e-300]
    write_csv(tmp_path / "x.csv", {"epoch": [1, 2, 3], "loss": values})
    columns = read_csv(tmp_path / "x.csv")
    assert [float(v) for v in columns["loss"]] == values
    assert columns["epoch"] == ["1", "2", "3"]
