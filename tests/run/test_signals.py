"""gan1d.run.signals: Ctrl-C and SIGTERM stop a run at the end of a compiled call, and it keeps what it trained."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

import gan1d
from gan1d.errors import RunInterrupted
from support.runs import COMMAND, assert_complete, no_temporary_files, read_strict_json, started


@pytest.mark.parametrize(
    ("sent", "status"), [(signal.SIGINT, 130), pytest.param(signal.SIGTERM, 143, marks=pytest.mark.slow)]
)
def test_a_signal_during_training_keeps_what_was_trained(tmp_path, sent, status):
    out = tmp_path / "run"
    with started("train", "--epochs", "400000", "--snapshot-every", "100", "--out", str(out)) as process:
        time.sleep(0.5)
        process.send_signal(sent)
        _, stderr = process.communicate(timeout=300)
    assert process.returncode == status, stderr
    metrics = read_strict_json(out / "metrics.json")
    assert metrics["status"] == "interrupted"
    assert metrics["signal"] == sent.name
    assert metrics["files"] == "complete"
    assert 0 < metrics["steps"] < 400000
    with open(out / "history.csv") as stream:
        assert sum(1 for _ in stream) == metrics["steps"] + 1
    assert int(gan1d.load_gan(out / "gan.keras").g_optimizer.iterations) == metrics["steps"]
    assert_complete(out)
    assert no_temporary_files(out)
    assert "--resume" in stderr.splitlines()[-1]


def test_ctrl_c_while_the_animation_is_written_keeps_the_model(tmp_path, monkeypatch):
    from gan1d.run import write

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(write, "write_animation", interrupted)
    with pytest.raises(RunInterrupted) as caught:
        gan1d.train(epochs=60, snapshot_every=20, out_dir=tmp_path)
    assert caught.value.result.status == "interrupted"
    metrics = read_strict_json(tmp_path / "metrics.json")
    assert metrics["status"] == "interrupted"
    assert metrics["files"] == "incomplete: interrupted while writing training.gif"
    assert metrics["steps"] == 60
    assert int(gan1d.load_gan(tmp_path / "gan.keras").g_optimizer.iterations) == 60
    assert not (tmp_path / "training.gif").exists()
    assert no_temporary_files(tmp_path)
    # The training was whole: resuming only writes the missing files.
    monkeypatch.undo()
    resumed = gan1d.resume(tmp_path)
    assert resumed.history["g_loss"] == caught.value.result.history["g_loss"]
    assert read_strict_json(tmp_path / "metrics.json")["files"] == "complete"
    assert (tmp_path / "training.gif").is_file()


def test_ctrl_c_before_training_leaves_no_folder(tmp_path):
    """Nothing was trained, so nothing is left: the same as for refused input."""
    out = tmp_path / "runs" / "new"
    process = subprocess.Popen(
        [*COMMAND, "train", "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # The folder is claimed before the framework is imported, which takes seconds.
    while not out.exists():
        assert process.poll() is None, process.communicate()
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert not out.exists()
    assert not (tmp_path / "runs").exists(), "the parent it created goes too"


def test_a_run_stopped_before_it_trains_removes_the_folder_it_made(tmp_path, monkeypatch):
    from gan1d.run import train

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "build_gan", stopped)
    (tmp_path / "mine").mkdir()
    with pytest.raises(KeyboardInterrupt):
        gan1d.train(epochs=10, out_dir=tmp_path / "new")
    with pytest.raises(KeyboardInterrupt):
        gan1d.train(epochs=10, out_dir=tmp_path / "mine")
    assert not (tmp_path / "new").exists()
    assert (tmp_path / "mine").is_dir(), "a folder the user made stays"
