"""Faults: signals, full disks, read-only folders, concurrent runs. Each test checks what is on disk afterwards.

The quick ones run in the default suite; those that start several real training
processes carry the `faults` marker (`nox -s faults`).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

import gan1d
from gan1d.errors import RunInterrupted, RunWriteError
from gan1d.runs import RunFolder

COMMAND = [sys.executable, "-m", "gan1d"]


def strict_json(path: Path) -> object:
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
            strict_json(path)
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


@pytest.mark.parametrize(("sent", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_training_keeps_what_was_trained(tmp_path, sent, status):
    out = tmp_path / "run"
    with started("train", "--epochs", "400000", "--snapshot-every", "100", "--out", str(out)) as process:
        time.sleep(0.5)
        process.send_signal(sent)
        _, stderr = process.communicate(timeout=300)
    assert process.returncode == status, stderr
    metrics = strict_json(out / "metrics.json")
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


def test_ctrl_c_while_the_animation_is_written_keeps_the_model(tmp_path, monkeypatch):
    from gan1d import animation

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(animation, "animate", interrupted)
    with pytest.raises(RunInterrupted) as caught:
        gan1d.train(epochs=60, snapshot_every=20, out_dir=tmp_path)
    assert caught.value.result.status == "interrupted"
    metrics = strict_json(tmp_path / "metrics.json")
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
    assert strict_json(tmp_path / "metrics.json")["files"] == "complete"
    assert (tmp_path / "training.gif").is_file()


def test_a_write_error_keeps_the_model_and_says_what_failed(tmp_path, monkeypatch):
    from gan1d import plots

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plots, "plot_losses", full)
    with pytest.raises(
        RunWriteError, match=r"losses\.png: No space left on device; the trained model is in gan\.keras"
    ):
        gan1d.train(epochs=40, snapshot_every=20, out_dir=tmp_path)
    metrics = strict_json(tmp_path / "metrics.json")
    assert metrics["files"] == "incomplete: could not write losses.png (No space left on device)"
    gan1d.load_gan(tmp_path / "gan.keras")
    assert no_temporary_files(tmp_path)


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


def test_a_diverged_run_exits_3_and_keeps_the_last_good_step(tmp_path):
    result = subprocess.run(
        [
            *COMMAND,
            "train",
            "--learning-rate",
            "1e6",
            "--schedule",
            "constant",
            "--snapshot-every",
            "1",
            "--out",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    metrics = strict_json(tmp_path / "run" / "metrics.json")
    assert metrics["status"] == "diverged"
    assert metrics["files"] == "complete"
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert len(history) == metrics["steps"] + 1
    assert all(math.isfinite(float(value)) for row in history[1:] for value in row.split(",")[1:])
    assert metrics["steps"] > 0
    with np.load(tmp_path / "run" / "snapshots.npz") as saved:
        assert saved["epochs"].tolist() == list(range(metrics["steps"] + 1))  # the untrained one first


def test_metrics_and_sweeps_are_standard_json(tmp_path):
    # Seeds that diverge end with NaN losses (their weights stay at the last good step).
    result = gan1d.sweep(seeds=2, epochs=50, learning_rate=1e6, schedule="constant", out_dir=tmp_path / "sweep")
    assert all(math.isnan(run["final_d_loss"]) for run in result.runs)
    summary = strict_json(tmp_path / "sweep" / "sweep.json")
    assert [run["final_d_loss"] for run in summary["runs"]] == [None, None]
    assert all(math.isfinite(run["x_w1"]) for run in summary["runs"])


def test_a_second_run_into_a_busy_folder_is_refused(tmp_path):
    out = tmp_path / "run"
    with started("train", "--epochs", "400000", "--out", str(out)):
        second = subprocess.run([*COMMAND, "train", "--out", str(out)], capture_output=True, text=True, check=False)
    assert second.returncode == 2
    assert second.stderr.strip().splitlines()[-1].startswith("gan1d: error: ")
    assert "not empty" in second.stderr or "another gan1d run" in second.stderr


def test_default_folders_claimed_at_the_same_moment_are_all_different(tmp_path):
    code = "from gan1d.runs import RunFolder; print(RunFolder.claim(None).path)"
    processes = [
        subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, stdout=subprocess.PIPE, text=True)
        for _ in range(12)
    ]
    folders = [process.communicate()[0].strip() for process in processes]
    assert all(process.returncode == 0 for process in processes)
    assert len(set(folders)) == 12
    assert len(list((tmp_path / "runs").iterdir())) == 12


def test_sweep_interrupted_keeps_the_seeds_that_finished(tmp_path):
    def interrupt_after_two_blocks(steps: int) -> None:
        if steps >= 2 * 60:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(RunInterrupted) as caught:
        gan1d.sweep(
            seeds=6, epochs=60, block=1, vectorized=False, out_dir=tmp_path, progress=interrupt_after_two_blocks
        )
    finished = caught.value.result.runs
    assert 2 <= len(finished) < 6
    summary = strict_json(tmp_path / "sweep.json")
    assert summary["status"] == "interrupted"
    assert summary["finished"] == len(finished)
    assert [run["seed"] for run in summary["runs"]] == list(range(len(finished)))


def test_sweep_progress_counts_every_step_of_every_seed():
    seen: list[int] = []
    gan1d.sweep(seeds=3, epochs=50, progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 3 * 50


@pytest.mark.parametrize("count", ["0", "1000000"])
def test_absurd_seed_counts_are_refused(tmp_path, count):
    result = subprocess.run(
        [*COMMAND, "sweep", "--seeds", count, "--out", str(tmp_path / "s")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "--seeds must be an integer from 1 to 10000" in result.stderr
    assert not (tmp_path / "s").exists()


def test_fit_refuses_points_of_the_wrong_shape():
    gan = gan1d.GAN(gan1d.build_discriminator(), gan1d.build_generator(5), 5)
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    with pytest.raises(gan1d.Gan1dError, match=r"shape \(n, 2\)"):
        gan.fit(np.zeros((64, 3), "float32"), batch_size=32, epochs=1, verbose=0)


# ----- slower: several real processes, real file systems ----------------------------


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


@pytest.mark.faults
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


@pytest.mark.faults
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
    metrics = strict_json(out / "metrics.json")
    assert metrics["files"] in {
        f"incomplete: could not write {name} (File too large)" for name in ("snapshots.npz", "training.gif")
    }
    assert int(gan1d.load_gan(out / "gan.keras").g_optimizer.iterations) == 1000
    assert_complete(out)
    assert no_temporary_files(out)


@pytest.mark.faults
def test_a_read_only_folder_is_refused(read_only_disk):
    result = subprocess.run(
        [*COMMAND, "train", "--out", str(read_only_disk / "run")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("gan1d: error: cannot create --out")


@pytest.mark.faults
@pytest.mark.parametrize("attempt", range(3))
def test_ctrl_c_is_never_lost(tmp_path, attempt):
    out = tmp_path / "run"
    with started("train", "--epochs", "400000", "--snapshot-every", "0", "--out", str(out)) as process:
        time.sleep(0.2 * attempt)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=300)
    assert process.returncode == 130
    assert strict_json(out / "metrics.json")["status"] == "interrupted"


@pytest.mark.faults
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
    metrics = strict_json(out / "metrics.json")
    assert metrics["status"] == "interrupted"
    assert metrics["files"].startswith("incomplete: interrupted while writing")
    assert_complete(out)
    assert no_temporary_files(out)


@pytest.mark.faults
def test_sigkill_while_writing_leaves_no_visible_file_truncated(tmp_path):
    out = tmp_path / "run"
    with started("train", "--epochs", "150000", "--snapshot-every", "1", "--out", str(out)) as process:
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        while not (out / "config.json").exists() and process.poll() is None:
            time.sleep(0.005)
        process.kill()
    assert_complete(out)


@pytest.mark.faults
def test_a_folder_is_locked_while_a_run_writes_it(tmp_path):
    with (
        started("train", "--epochs", "400000", "--out", str(tmp_path / "run")),
        pytest.raises(gan1d.Gan1dError, match="another gan1d run"),
    ):
        RunFolder.claim(tmp_path / "run", overwrite=True)
