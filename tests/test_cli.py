"""The gan1d command: one line and exit status 2 for bad input, a full run otherwise."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

import gan1d
from gan1d.cli import build_parser, main
from gan1d.pictures.palette import BAND_COLORS
from support.pictures import frames, share_near


def gan1d_command(*args: str, env: dict[str, str] | None = None, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gan1d", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        check=False,
    )


def test_help_and_version_answer_without_importing_a_framework():
    code = (
        "import sys; from gan1d.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m in ('keras', 'jax', 'tensorflow')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    result = gan1d_command("train", "--help")
    assert result.returncode == 0
    assert "--function" in result.stdout
    assert "{gif,mp4,none}" in result.stdout
    assert "{default,planar,seed,dirac}" in result.stdout
    assert "examples:" in result.stdout
    assert "--no-logits" in result.stdout
    version = gan1d_command("--version")
    assert version.returncode == 0
    assert version.stdout.strip() == f"gan1d {gan1d.__version__}"


def test_every_setting_of_a_config_is_an_option():
    parser = build_parser()
    args = parser.parse_args(
        ["train", "--generator-units", "8", "16", "--no-logits", "--domain", "-1e-3", "1e-3", "--beta-1", "0.7"]
    )
    assert args.generator_units == [8, 16]
    assert args.logits is False
    assert args.domain == [-1e-3, 1e-3]
    assert args.beta_1 == 0.7


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["train", "--function", "nonsense"], "unknown target"),
        (["train", "--function", "__import__('os').system('touch pwned')"], "not allowed"),
        (["train", "--function", "x.__class__"], "not allowed"),
        (["train", "--function", "sqrt(x)", "--domain", "-1", "1"], "not finite"),
        (["train", "--function", "tan(x)", "--domain", "-2", "2"], "float32"),
        (["train", "--domain", "1", "1"], "domain"),
        (["train", "--domain", "1", "-1"], "domain"),
        (["train", "--domain", "0", "1e-40"], "domain"),
        (["train", "--epochs", "0"], "epochs"),
        (["train", "--epochs", "ten"], "invalid int"),
        (["train", "--batch-size", "-1"], "batch_size"),
        (["train", "--batch-size", "1000000000"], "batch_size must be at most"),
        (["train", "--seed", "4294967296"], "seed must be at most"),
        (["train", "--learning-rate", "-1e-3"], "learning_rate must be a positive number"),
        (["train", "--snapshot-every", "-5"], "snapshot_every"),
        (["train", "--animation", "avi"], "invalid choice"),
        (["train", "--preset", "magic"], "invalid choice"),
        (["train", "--config", "missing.json"], "cannot read config"),
        (["train", "--resume", "nowhere"], "--resume takes no other settings"),
        (["train", "--bogus"], "unrecognized"),
        (["train", "--loss", "hinge", "--no-logits"], "raw score"),
        (["train", "--loss", "sideways"], "invalid choice"),
        (["train", "--discriminator-steps", "0", "--generator-steps", "0"], "both be 0"),
        (["train", "--generator-steps", "11"], "at most 10"),
        (["train", "--momentum", "0.9"], "momentum is a setting of sgd and rmsprop"),
        (["train", "--ema", "2"], "ema must be a decay"),
        (["train", "--generator", "dirac"], "for the dirac target"),
        (["sweep", "--seeds", "0"], "--seeds"),
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
    result = gan1d_command("train", "--out", str(tmp_path / "run"), env={"KERAS_BACKEND": "torch"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "gan1d: error: KERAS_BACKEND='torch' is not supported by gan1d; use one of jax, tensorflow"
    ]


def test_existing_non_empty_out_is_refused_and_kept(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    assert main(["train", "--out", str(tmp_path)]) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["precious.txt"]


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    status = main(["train", "--epochs", "100", "--snapshot-every", "25", "--out", str(out), "--seed", "3"])
    return status, out


def test_train_writes_the_run_and_summarises_it(cli_run, capsys):
    status, out = cli_run
    assert status == 0
    for name in ("config.json", "history.csv", "metrics.json", "training.gif", "generator.keras", "gan.keras"):
        assert (out / name).is_file()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 100
    assert metrics["success"] is False  # 100 epochs are far too few
    assert metrics["success_thresholds"] == {"x_w1": 0.02, "curve_residual": 0.02}
    with Image.open(out / "training.gif") as gif:
        assert gif.n_frames == 5  # epoch 0, then every 25
    config = json.loads((out / "config.json").read_text())
    assert (config["seed"], config["snapshot_every"]) == (3, 25)
    assert config["show"] == ["heatmap", "losses"]
    assert (out / "report.html").is_file()


def test_the_default_animation_shows_the_heatmap_and_the_losses_from_epoch_0(cli_run):
    _, out = cli_run
    first = frames(out / "training.gif")[0]
    assert first.size[0] >= 600
    bands = [tuple(int(c) for c in rgb) for rgb in BAND_COLORS]
    assert sum(share_near(first, color, 2) for color in bands) > 0.1
    # The loss panel's legend and frame are there from the first frame on.
    assert share_near(first, (44, 160, 44), 30) > 0


def test_show_picks_the_layers_of_the_animation(tmp_path):
    out = tmp_path / "run"
    args = ["train", "--epochs", "40", "--snapshot-every", "20", "--out", str(out), "--show", "none"]
    assert main(args) == 0
    assert json.loads((out / "config.json").read_text())["show"] == []
    first = frames(out / "training.gif")[0]
    bands = [tuple(int(c) for c in rgb) for rgb in BAND_COLORS]
    assert sum(share_near(first, color, 2) for color in bands[:3]) < 0.001
    with pytest.raises(SystemExit) as refused:
        main(["train", "--show", "sparkles", "--out", str(tmp_path / "x")])
    assert refused.value.code == 2


def test_the_last_line_says_whether_the_run_met_the_success_bar(tmp_path, capsys):
    args = ["train", "--snapshot-every", "0", "--animation", "none", "--quiet"]
    assert main([*args, "--epochs", "20", "--out", str(tmp_path / "short")]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    metrics = json.loads((tmp_path / "short" / "metrics.json").read_text())
    assert metrics["success"] is False  # 20 epochs leave the points far from the curve
    assert last.startswith("completed: 20 epochs")
    # The graph generator spreads x evenly from the start: only the residual misses.
    assert last.split("; no success: ")[1] == f"curve_residual {metrics['curve_residual']:.3g} > 0.02"
    assert main([*args, "--epochs", "20", "--generator", "plain", "--out", str(tmp_path / "plain")]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    metrics = json.loads((tmp_path / "plain" / "metrics.json").read_text())
    missed = f"x_w1 {metrics['x_w1']:.3g} > 0.02, curve_residual {metrics['curve_residual']:.3g} > 0.02"
    assert last.split("; no success: ")[1] == missed
    assert main([*args, "--out", str(tmp_path / "whole")]) == 0  # the default run converges
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads((tmp_path / "whole" / "metrics.json").read_text())["success"] is True
    assert last.endswith("; success: x_w1 <= 0.02, curve_residual <= 0.02")


def test_a_config_file_repeats_a_run_and_options_override_it(cli_run, tmp_path, capsys):
    _, out = cli_run
    assert main(["train", "--config", str(out / "config.json"), "--out", str(tmp_path / "again")]) == 0
    assert "completed: 100 epochs" in capsys.readouterr().out
    first = (out / "history.csv").read_text()
    assert (tmp_path / "again" / "history.csv").read_text() == first
    assert main(["train", "--config", str(out), "--seed", "4", "--out", str(tmp_path / "other")]) == 0
    assert json.loads((tmp_path / "other" / "config.json").read_text())["seed"] == 4
    assert (tmp_path / "other" / "history.csv").read_text() != first
    assert main(["train", "--config", str(out), "--preset", "seed", "--out", str(tmp_path / "x")]) == 2


# Long; `tests/run/test_train.py` checks the same resume in the default suite.
@pytest.mark.slow
def test_resume_finishes_an_interrupted_run_like_one_that_never_stopped(tmp_path, capsys):
    class InterruptAt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 44:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        gan1d.train(epochs=90, snapshot_every=30, out_dir=tmp_path / "cut", callbacks=[InterruptAt()])
    assert main(["train", "--resume", str(tmp_path / "cut")]) == 0
    assert main(["train", "--epochs", "90", "--snapshot-every", "30", "--out", str(tmp_path / "whole")]) == 0
    with open(tmp_path / "cut" / "history.csv") as a, open(tmp_path / "whole" / "history.csv") as b:
        assert list(csv.DictReader(a)) == list(csv.DictReader(b))
    assert main(["train", "--resume", str(tmp_path / "cut"), "--seed", "2"]) == 2


def test_resume_refuses_a_run_folder_whose_model_would_run_code(cli_run, tmp_path):
    _, out = cli_run
    folder = tmp_path / "suspect"
    folder.mkdir()
    for name in ("config.json", "history.csv", "metrics.json"):
        (folder / name).write_bytes((out / name).read_bytes())
    points = keras.Input((2,))
    discriminator = keras.Model(points, keras.layers.Dense(1)(keras.layers.Lambda(lambda x: x * 2)(points)))
    gan = gan1d.GAN(discriminator, gan1d.build_generator(2, (32, 32)), 2)
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    gan.save(folder / "gan.keras")
    result = gan1d_command("train", "--resume", str(folder))
    assert result.returncode == 2
    said = [line for line in result.stderr.splitlines() if line.startswith("gan1d")]
    assert len(said) == 2  # the "resuming ..." line, then the refusal
    assert said[-1].endswith("gan1d loads models only in Keras's safe mode")
    assert "Traceback" not in result.stderr


def test_default_out_is_a_new_folder_under_runs(tmp_path, monkeypatch):
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


def test_a_study_prints_no_framework_log_lines(tmp_path):
    # TensorFlow writes its C++ start-up lines straight to file descriptor 2 unless held back.
    (tmp_path / "quiet.toml").write_text('name = "quiet"\nseeds = 1\ntargets = ["square"]\n\n[settings]\nepochs = 20\n')
    env = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-m", "gan1d", "study", str(tmp_path / "quiet.toml"), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if not line.startswith("gan1d")] == []
    assert (tmp_path / "out" / "summary.md").exists()


def _pickled_array(path):
    # An object array: loading it would unpickle, so gan1d must refuse it unread.
    np.save(path, np.array([{"a": 1}, 2.0], dtype=object), allow_pickle=True)


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("missing.csv", None, "does not exist"),
        ("nan.csv", "x,y\n1,2\n3,nan\n", "holds (3, nan) on line 3"),
        ("wide.csv", "1,2,3\n4,5,6\n", "has 3 columns"),
        ("single.csv", "5\n", "holds 1 point"),
        ("pickled.npy", _pickled_array, "holds Python objects"),
    ],
)
def test_a_bad_data_file_is_one_line_and_exit_status_2_with_nothing_written(tmp_path, capsys, name, content, fragment):
    path = tmp_path / name
    if callable(content):
        content(path)
    elif content is not None:
        path.write_text(content)
    assert main(["train", "--data", str(path), "--out", str(tmp_path / "run")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("gan1d: error: data file")
    assert fragment in lines[0]
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--data", "values.txt"], "argument --data: a data file must end in .npy or .csv"),
        (["--data", "POINTS.CSV", "--domain", "0", "1"], "takes no domain"),
        (["--target", "POINTS.CSV", "--generator", "graph"], "for curves"),
    ],
)
def test_data_options_that_do_not_fit_are_refused_in_one_line(tmp_path, monkeypatch, capsys, args, fragment):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "POINTS.CSV").write_text("1,2\n3,4\n")
    try:
        status = main(["train", *args, "--out", "run"])
    except SystemExit as refused:  # argparse's own refusals
        status = refused.code
    assert status == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert fragment in lines[0]
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def data_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    t = np.random.default_rng(0).uniform(0, 3 * np.pi, 400)
    points = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / 5
    np.savetxt(folder / "spiral.csv", points, delimiter=",", header="x,y", comments="")
    args = ["train", "--data", str(folder / "spiral.csv"), "--epochs", "200", "--snapshot-every", "25"]
    return main([*args, "--out", str(folder / "run")]), folder


def test_training_on_a_data_file_writes_every_file_and_scores_it(data_run, capsys):
    status, folder = data_run
    assert status == 0
    run = folder / "run"
    expected = {"config.json", "history.csv", "metrics.json", "quality.csv", "snapshots.npz", "report.html"}
    expected |= {"gan.keras", "generator.keras", "training.gif"}
    expected |= {"target.png", "samples.png", "losses.png", "quality.png", "layers.png"}
    assert sorted(p.name for p in run.iterdir()) == sorted(expected)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["steps"] == 200
    assert 0 <= metrics["energy_distance"] < 1
    assert 0 < metrics["coverage"] <= 1
    assert (metrics["success"], metrics["success_thresholds"]) == (True, {})  # finite points
    assert "x_w1" not in metrics
    config = json.loads((run / "config.json").read_text())
    assert (config["function"], config["domain"]) == (str(folder / "spiral.csv"), None)
    assert config["target"]["kind"] == "data"
    assert config["target"]["points"] == 400
    with open(run / "quality.csv") as file:
        assert {"energy_distance", "coverage"} <= set(next(csv.reader(file)))
    with Image.open(run / "training.gif") as gif:
        assert gif.n_frames == 9  # epoch 0, then every 25
    for picture in ("samples.png", "layers.png"):
        with Image.open(run / picture) as image:
            assert image.size[0] > 300


def test_a_run_on_a_data_file_that_changed_is_not_replayed(data_run, tmp_path, capsys):
    _, folder = data_run
    config = json.loads((folder / "run" / "config.json").read_text())
    changed = tmp_path / "spiral.csv"
    changed.write_bytes((folder / "spiral.csv").read_bytes() + b"0,0\n")  # one point more
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / "config.json").write_text(json.dumps({**config, "function": str(changed)}))
    capsys.readouterr()
    for args in (
        ["--config", str(tmp_path / "cut"), "--out", str(tmp_path / "again")],
        ["--resume", str(tmp_path / "cut")],
    ):
        assert main(["train", *args]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1
        assert "changed since this config was written" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut", "spiral.csv"]
    assert [p.name for p in (tmp_path / "cut").iterdir()] == ["config.json"]
