"""gan1d.run.folder: claiming a run folder, refusing what cannot be written, and locking it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gan1d.errors import Gan1dError
from gan1d.run.folder import RUN_FILES, RunFolder
from support.runs import COMMAND, started


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


def test_mp4_without_ffmpeg_is_refused_before_training(tmp_path):
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "ffmpeg").exists())
    result = subprocess.run(
        [*COMMAND, "train", "--animation", "mp4", "--out", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "gan1d: error: animation mp4 needs ffmpeg on PATH; install it or use animation gif"
    ]
    assert not (tmp_path / "run").exists()


def test_a_folder_where_a_file_goes_is_refused_up_front(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "generator.keras").mkdir()
    (run / "generator.keras" / "mine.txt").write_text("keep")
    result = subprocess.run(
        [*COMMAND, "train", "--out", str(run), "--overwrite"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "holds a folder named 'generator.keras'" in result.stderr
    assert (run / "generator.keras" / "mine.txt").read_text() == "keep"


def test_a_second_run_into_a_busy_folder_is_refused(tmp_path):
    out = tmp_path / "run"
    with started("train", "--epochs", "400000", "--out", str(out)):
        second = subprocess.run([*COMMAND, "train", "--out", str(out)], capture_output=True, text=True, check=False)
    assert second.returncode == 2
    assert second.stderr.strip().splitlines()[-1].startswith("gan1d: error: ")
    assert "not empty" in second.stderr or "another gan1d run" in second.stderr


def test_default_folders_claimed_at_the_same_moment_are_all_different(tmp_path):
    code = "from gan1d.run.folder import RunFolder; print(RunFolder.claim(None).path)"
    processes = [
        subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, stdout=subprocess.PIPE, text=True)
        for _ in range(12)
    ]
    folders = [process.communicate()[0].strip() for process in processes]
    assert all(process.returncode == 0 for process in processes)
    assert len(set(folders)) == 12
    assert len(list((tmp_path / "runs").iterdir())) == 12
