"""Fault injection: full disks, read-only folders, signals to real processes, concurrent runs.

Each test checks what is on disk afterwards. They start several real training
processes or mount file systems, so they carry the `faults` marker and run in
their own session (`nox -s faults`); the quick fault tests are beside the code
they test (`test_signals.py`, `test_write.py`, `test_folder.py`).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import gan1d
from gan1d.run.folder import RunFolder
from support.runs import COMMAND, assert_complete, no_temporary_files, read_strict_json, started

pytestmark = pytest.mark.faults


def mounted(tmp_path: Path, *options: str) -> Path:
    """A small tmpfs (root only); skips the test where mounting is not allowed."""
    point = tmp_path / "mnt"
    point.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(point)]
    if shutil.which("mount") is None or subprocess.run(command, capture_output=True, check=False).returncode:
        pytest.skip("mounting a tmpfs needs root (or CAP_SYS_ADMIN)")
    return point


@pytest.fixture
def small_disk(tmp_path):
    point = mounted(tmp_path, "size=400k")
    yield point
    subprocess.run(["umount", str(point)], check=False)


@pytest.fixture
def read_only_disk(tmp_path):
    point = mounted(tmp_path, "ro,size=50m")
    yield point
    subprocess.run(["umount", str(point)], check=False)


def test_a_disk_too_small_for_the_run_is_refused_up_front(small_disk):
    result = subprocess.run(
        [*COMMAND, "train", "--snapshot-every", "1", "--out", str(small_disk / "run")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "MB free" in result.stderr
    assert not (small_disk / "run").exists() or not any((small_disk / "run").iterdir())


def test_a_file_size_limit_mid_run_keeps_the_model_and_exits_74(tmp_path):
    out = tmp_path / "run"
    # 250 KB per file: the models and the numbers fit; the snapshots with their
    # layers, or the 1000-frame animation, do not.
    script = (
        f"ulimit -f 250; exec {sys.executable} -m gan1d train --epochs 1000 --snapshot-every 1 "
        f"--snapshot-points 10 --out {out}"
    )
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 74, result.stderr
    said = [line for line in result.stderr.splitlines() if line.startswith("gan1d:")]
    assert said[-1].startswith("gan1d: could not write")
    assert said[-1].endswith("the trained model is in gan.keras")
    metrics = read_strict_json(out / "metrics.json")
    assert metrics["files"] in {
        f"incomplete: could not write {name} (File too large)" for name in ("snapshots.npz", "training.gif")
    }
    assert int(gan1d.load_gan(out / "gan.keras").g_optimizer.iterations) == 1000
    assert_complete(out)
    assert no_temporary_files(out)


def test_a_read_only_folder_is_refused(read_only_disk):
    result = subprocess.run(
        [*COMMAND, "train", "--out", str(read_only_disk / "run")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("gan1d: error: cannot create --out")


@pytest.mark.parametrize("attempt", range(3))
def test_ctrl_c_is_never_lost(tmp_path, attempt):
    out = tmp_path / "run"
    with started("train", "--epochs", "400000", "--snapshot-every", "0", "--out", str(out)) as process:
        time.sleep(0.2 * attempt)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=300)
    assert process.returncode == 130
    assert read_strict_json(out / "metrics.json")["status"] == "interrupted"


def test_a_second_ctrl_c_while_writing_stops_at_once_with_the_model_on_disk(tmp_path):
    out = tmp_path / "run"
    # A snapshot every epoch makes the animation long to write.
    with started("train", "--epochs", "150000", "--snapshot-every", "1", "--out", str(out)) as process:
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        while not (out / "gan.keras").exists() and process.poll() is None:
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=300)
    assert process.returncode == 130
    gan1d.load_gan(out / "gan.keras")
    metrics = read_strict_json(out / "metrics.json")
    assert metrics["status"] == "interrupted"
    assert metrics["files"].startswith("incomplete: interrupted while writing")
    assert_complete(out)
    assert no_temporary_files(out)


def test_sigkill_while_writing_leaves_no_visible_file_truncated(tmp_path):
    out = tmp_path / "run"
    with started("train", "--epochs", "150000", "--snapshot-every", "1", "--out", str(out)) as process:
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        while not (out / "config.json").exists() and process.poll() is None:
            time.sleep(0.005)
        process.kill()
    assert_complete(out)


def test_a_folder_is_locked_while_a_run_writes_it(tmp_path):
    with (
        started("train", "--epochs", "400000", "--out", str(tmp_path / "run")),
        pytest.raises(gan1d.Gan1dError, match="another gan1d run"),
    ):
        RunFolder.claim(tmp_path / "run", overwrite=True)
