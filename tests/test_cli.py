"""The gan1d command: one line and exit status 2 for bad input, a full run otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import keras
import pytest
from PIL import Image

from gan1d.cli import main


def gan1d(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gan1d", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_help_answers_without_importing_a_framework():
    code = "import sys; from gan1d.cli import build_parser; build_parser(); print(sorted(m for m in sys.modules if m in ('keras', 'jax', 'tensorflow')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    result = gan1d("train", "--help")
    assert result.returncode == 0
    assert "--function" in result.stdout
    assert "--animation" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["train", "--function", "nonsense"], "unknown target"),
        (["train", "--function", "__import__('os').system('touch pwned')"], "not allowed"),
        (["train", "--function", "x.__class__"], "not allowed"),
        (["train", "--function", "sqrt(x)", "--domain", "-1", "1"], "not finite"),
        (["train", "--domain", "1", "1"], "domain"),
        (["train", "--domain", "1", "-1"], "domain"),
        (["train", "--epochs", "0"], "epochs"),
        (["train", "--epochs", "ten"], "invalid int"),
        (["train", "--batch-size", "-1"], "batch_size"),
        (["train", "--snapshot-every", "-5"], "snapshot_every"),
        (["train", "--animation", "avi"], "animation"),
        (["train", "--preset", "magic"], "preset"),
        (["train", "--bogus"], "unrecognized"),
        ([], "required"),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(tmp_path, args, fragment):
    result = subprocess.run(
        [sys.executable, "-m", "gan1d", *args, *(["--out", str(tmp_path / "run")] if args else [])],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists()
    assert not (tmp_path / "pwned").exists()


def test_unsupported_backend_is_refused(tmp_path):
    result = gan1d("train", "--out", str(tmp_path / "run"), env={"KERAS_BACKEND": "torch"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "gan1d: error: KERAS_BACKEND='torch' is not supported by gan1d; use one of jax, tensorflow"
    ]


def test_existing_non_empty_out_is_refused_and_kept(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    result = gan1d("train", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "not empty" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["precious.txt"]


def test_unwritable_out_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = gan1d("train", "--out", str(blocker / "run"))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert blocker.read_text() == "x"


def test_train_writes_the_run_and_reports_it(tmp_path, capsys):
    out = tmp_path / "run"
    status = main(["train", "--epochs", "100", "--snapshot-every", "25", "--out", str(out), "--seed", "3"])
    assert status == 0
    printed = capsys.readouterr().out
    for name in ("config.json", "history.csv", "metrics.json", "training.gif", "generator.keras"):
        assert name in printed
        assert (out / name).is_file()
    metrics = json.loads(printed.splitlines()[-1].removeprefix("metrics "))
    assert metrics["steps"] == 100
    assert metrics["backend"] == keras.backend.backend()
    with Image.open(out / "training.gif") as gif:
        assert gif.n_frames == 4
    config = json.loads((out / "config.json").read_text())
    assert config["seed"] == 3
    assert config["snapshot_every"] == 25


def test_default_out_is_a_new_folder_under_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--epochs", "20", "--snapshot-every", "10", "--animation", "none"]) == 0
    assert main(["train", "--epochs", "20", "--snapshot-every", "10", "--animation", "none"]) == 0
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2
    assert all((run / "metrics.json").is_file() and not (run / "training.gif").exists() for run in runs)


def test_an_unset_backend_falls_back_to_an_installed_one(tmp_path):
    # keras.json names a backend that is not installed: gan1d must not follow it.
    (tmp_path / "keras.json").write_text('{"backend": "not-installed"}')
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env["KERAS_HOME"] = str(tmp_path)
    code = "import os, gan1d; print(os.environ['KERAS_BACKEND'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() in {"jax", "tensorflow"}
