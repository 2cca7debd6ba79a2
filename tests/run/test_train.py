"""gan1d.train and gan1d.resume end to end: real files on disk, checked by opening them."""

from __future__ import annotations

import csv
import json
import math
import subprocess

import keras
import numpy as np
import pytest
from PIL import Image

import gan1d
from gan1d.run.config import TrainConfig
from gan1d.run.folder import RUN_FILES
from support.runs import COMMAND, read_strict_json

SHORT = {"epochs": 200, "snapshot_every": 20}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "square"
    return gan1d.train(out_dir=out, **SHORT)


def test_run_writes_every_artifact(run):
    expected = {"config.json", "history.csv", "metrics.json", "target.png", "losses.png", "samples.png"}
    expected |= {"training.gif", "generator.keras", "gan.keras", "quality.csv", "quality.png", "snapshots.npz"}
    expected |= {"layers.png", "report.html"}
    assert set(run.artifacts) == expected
    for name in expected:
        assert (run.out_dir / name).stat().st_size > 0
    assert sorted(p.name for p in run.out_dir.iterdir()) == sorted(expected)


def test_gif_has_one_frame_per_snapshot(run):
    with Image.open(run.out_dir / "training.gif") as gif:
        assert gif.n_frames == len(run.snapshots) == 11


def test_pngs_are_real_pictures(run):
    for name in ("target.png", "losses.png", "samples.png"):
        with Image.open(run.out_dir / name) as image:
            assert image.format == "PNG"
            colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
            assert colours is None or len(colours) > 10, name


def test_saved_generator_loads_and_generates_what_the_trained_one_does(run):
    loaded = keras.saving.load_model(run.out_dir / "generator.keras")
    noise = np.random.default_rng(0).standard_normal((16, run.config.latent_dim)).astype("float32")
    points = keras.ops.convert_to_numpy(loaded(noise))
    assert points.shape == (16, 2)
    np.testing.assert_allclose(points, keras.ops.convert_to_numpy(run.generator(noise)), rtol=1e-5, atol=1e-6)


def test_the_result_and_the_folder_keep_the_whole_gan(run):
    assert isinstance(run.gan, gan1d.GAN)
    assert run.discriminator is run.gan.discriminator
    loaded = gan1d.load_gan(run.out_dir / "gan.keras")
    assert int(loaded.g_optimizer.iterations) == 200
    points = np.array([[0.1, 0.01], [0.3, 0.5]], "float32")
    np.testing.assert_allclose(loaded.discriminate(points), run.gan.discriminate(points), rtol=1e-5, atol=1e-6)


def test_history_csv_and_metrics_json_match_the_result(run):
    with open(run.out_dir / "history.csv") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 200 == len(run.history["d_loss"])
    assert [int(r["epoch"]) for r in rows[:3]] == [1, 2, 3]
    assert float(rows[-1]["g_loss"]) == pytest.approx(run.history["g_loss"][-1])
    metrics = json.loads((run.out_dir / "metrics.json").read_text())
    assert metrics["backend"] == keras.backend.backend()
    assert (metrics["steps"], metrics["planned_steps"], metrics["status"]) == (200, 200, "completed")
    assert 0 <= metrics["x_w1"] <= 1
    assert metrics["curve_residual"] >= 0
    assert metrics["train_seconds"] > 0
    assert metrics["success_thresholds"] == {"x_w1": 0.02, "curve_residual": 0.02}
    assert metrics["success"] == (metrics["x_w1"] <= 0.02 and metrics["curve_residual"] <= 0.02)
    assert metrics["generator"] == "graph"
    config = json.loads((run.out_dir / "config.json").read_text())
    assert config["function"] == "square"
    assert config["preset"] == "default"
    assert config["latent_dim"] == 2
    assert config["target"]["domain"] == [-0.5, 0.5]
    assert TrainConfig.from_dict(config) == run.config


def test_snapshots_are_every_k_epochs_of_fixed_latent_points(run):
    assert [epoch for epoch, _ in run.snapshots] == list(range(0, 201, 20))
    assert all(points.shape == (100, 2) for _, points in run.snapshots)


def test_quality_is_measured_at_every_snapshot(run):
    with open(run.out_dir / "quality.csv") as stream:
        rows = list(csv.DictReader(stream))
    assert [int(r["epoch"]) for r in rows] == [epoch for epoch, _ in run.snapshots]
    names = {"x_w1", "curve_residual", "energy_distance", "coverage", "d_accuracy_real", "d_accuracy_generated"}
    assert names <= set(rows[0])
    for row in rows:
        assert 0 <= float(row["d_accuracy_real"]) <= 1
        assert 0 <= float(row["coverage"]) <= 1
    last = gan1d.data.metrics.summarize(run.snapshots[-1][1], gan1d.target("square"))
    assert float(rows[-1]["x_w1"]) == pytest.approx(last["x_w1"])
    metrics = json.loads((run.out_dir / "metrics.json").read_text())
    assert {"energy_distance", "coverage", "d_accuracy_real", "d_accuracy_generated"} <= set(metrics)
    with Image.open(run.out_dir / "quality.png") as image:
        assert image.size[1] > 300


def test_a_short_repr_for_notebooks(run):
    text = repr(run)
    assert len(text) < 300
    assert "completed" in text
    assert "x_w1=" in text


def test_notebooks_show_the_key_numbers_and_the_player(run):
    page = run._repr_html_()
    assert "x_w1" in page
    assert f"{run.metrics['x_w1']:.4g}" in page
    assert 'class="gan1d-player"' in page
    assert "<canvas" in page
    assert "http" not in page  # nothing to fetch
    assert len(page) < 3_000_000


def test_the_report_embeds_the_run_s_pictures(run):
    page = (run.out_dir / "report.html").read_text()
    for name in ("layers.png", "samples.png", "losses.png", "quality.png", "target.png"):
        assert f'alt="{name}" src="data:image/png;base64,' in page
    assert "training.gif" in page


def test_the_result_animates_itself_with_the_layers_asked_for(run, tmp_path):
    gif = run.animate(tmp_path / "mine.gif", show=("heatmap", "gradients"))
    with Image.open(gif) as image:
        assert image.n_frames == len(run.snapshots)
    still = run.animate(tmp_path / "first.png", frame=0)
    with Image.open(still) as image:
        assert image.format == "PNG"
    with np.load(run.out_dir / "snapshots.npz") as saved:
        assert saved["view_verdict"].shape[0] == len(run.snapshots)


def test_same_seed_same_losses_without_writing():
    first = gan1d.train(epochs=60, snapshot_every=0, seed=7)
    second = gan1d.train(epochs=60, snapshot_every=0, seed=7)
    assert first.out_dir is None
    assert not first.artifacts
    assert first.history == second.history
    assert first.snapshots == []


def test_a_config_trains_as_the_keywords_that_made_it():
    config = TrainConfig.from_preset("seed", function="sin(3*x)", domain=(-1.0, 1.0), epochs=40, snapshot_every=20)
    by_config = gan1d.train(config=config)
    by_keywords = gan1d.train("sin(3*x)", preset="seed", domain=(-1.0, 1.0), epochs=40, snapshot_every=20)
    assert by_config.config == by_keywords.config == config
    assert by_config.history == by_keywords.history
    with pytest.raises(gan1d.Gan1dError, match="either config"):
        gan1d.train("cube", config=config)


def test_a_python_callable_trains_and_its_config_says_what_it_was(tmp_path):
    def wave(x):
        return np.cos(x)

    result = gan1d.train(wave, epochs=40, snapshot_every=0, out_dir=tmp_path / "run")
    assert len(result.history["d_loss"]) == 40
    assert "wave" in result.config.function
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["replayable"] is False
    with pytest.raises(gan1d.Gan1dError, match="Python object"):
        result.config.target()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"function": "nope"}, "unknown"),
        ({"function": "__import__('os').system('true')"}, "not allowed"),
        ({"function": "log(x)", "domain": (-1.0, 1.0)}, "finite"),
        ({"domain": (1.0, 1.0)}, "domain"),
        ({"epochs": 0}, "epochs"),
        ({"animation": "avi"}, "animation"),
        ({"preset": "best"}, "preset"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"seed": 2**32}, "seed"),
        ({"colour": "blue"}, "unknown setting"),
    ],
)
def test_bad_input_raises_gan1d_error_before_writing(tmp_path, options, message):
    out = tmp_path / "run"
    with pytest.raises(gan1d.Gan1dError, match=message):
        gan1d.train(out_dir=out, **{"epochs": 10, **options})
    assert not out.exists()


def test_divergence_keeps_the_last_good_step_and_the_files(tmp_path):
    with pytest.raises(gan1d.TrainingDiverged) as caught:
        gan1d.train(out_dir=tmp_path, epochs=3000, learning_rate=3e38, schedule="constant", snapshot_every=10)
    result = caught.value.result
    assert result.status == "diverged"
    steps = len(result.history["d_loss"])
    assert steps < 3000
    assert np.isfinite(result.history["d_loss"]).all()
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert (metrics["status"], metrics["steps"]) == ("diverged", steps)
    loaded = keras.saving.load_model(tmp_path / "generator.keras")
    assert np.isfinite(keras.ops.convert_to_numpy(loaded(np.zeros((4, result.config.latent_dim), "float32")))).all()


class InterruptAt(keras.callbacks.Callback):
    """Raises KeyboardInterrupt, as Ctrl-C would, at the end of an epoch."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_what_was_produced_and_resume_finishes_it_with_the_same_losses(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        gan1d.train(out_dir=tmp_path / "cut", epochs=150, snapshot_every=20, callbacks=[InterruptAt(69)])
    metrics = json.loads((tmp_path / "cut" / "metrics.json").read_text())
    assert (metrics["status"], metrics["steps"]) == ("interrupted", 70)
    with open(tmp_path / "cut" / "history.csv") as stream:
        assert len(list(csv.DictReader(stream))) == 70
    with Image.open(tmp_path / "cut" / "training.gif") as gif:
        assert gif.n_frames == 4  # epochs 0, 20, 40 and 60

    resumed = gan1d.resume(tmp_path / "cut")
    whole = gan1d.train(epochs=150, snapshot_every=20)
    assert resumed.status == "completed"
    assert resumed.history == whole.history
    assert [epoch for epoch, _ in resumed.snapshots] == [epoch for epoch, _ in whole.snapshots]
    np.testing.assert_array_equal(resumed.snapshots[-1][1], whole.snapshots[-1][1])
    # The layers of the snapshots before the cut come back from the folder.
    np.testing.assert_allclose(resumed.views.verdict, whole.views.verdict, rtol=1e-5, atol=1e-6)
    assert json.loads((tmp_path / "cut" / "metrics.json").read_text())["steps"] == 150
    with pytest.raises(gan1d.Gan1dError, match="already trained"):
        gan1d.resume(tmp_path / "cut")


def test_a_folder_without_a_run_cannot_be_resumed(tmp_path):
    with pytest.raises(gan1d.Gan1dError, match="no gan1d run"):
        gan1d.resume(tmp_path)


def test_a_planar_run_saves_a_residual_generator_that_loads(tmp_path):
    result = gan1d.train("ring", preset="planar", epochs=40, snapshot_every=20, out_dir=tmp_path / "ring")
    assert {"modes_captured", "high_quality", "reverse_kl"} <= set(result.metrics)
    assert "modes_captured" in result.quality
    loaded = keras.saving.load_model(tmp_path / "ring" / "generator.keras")
    noise = np.random.default_rng(0).standard_normal((20, 2)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(noise)), keras.ops.convert_to_numpy(result.generator(noise)), rtol=1e-5
    )


def test_overwrite_replaces_only_gan1d_files(tmp_path):
    gan1d.train(out_dir=tmp_path, epochs=20, snapshot_every=10)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(gan1d.Gan1dError, match="not empty"):
        gan1d.train(out_dir=tmp_path, epochs=20)
    gan1d.train(out_dir=tmp_path, epochs=20, snapshot_every=0, animation="none", overwrite=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert json.loads((tmp_path / "metrics.json").read_text())["steps"] == 20
    left = {p.name for p in tmp_path.iterdir()}
    assert left <= {*RUN_FILES, "notes.txt"}
    # Nothing of the first run that the second did not write stays behind.
    assert not {"training.gif", "quality.csv", "quality.png", "snapshots.npz"} & left


def test_a_hard_curve_trains_the_graph_generator_with_features_and_it_saves_and_loads(tmp_path):
    result = gan1d.train("stairs", out_dir=tmp_path / "stairs", epochs=50, snapshot_every=0, animation="none")
    metrics = json.loads((tmp_path / "stairs" / "metrics.json").read_text())
    assert metrics["generator"] == "graph"
    assert json.loads((tmp_path / "stairs" / "config.json").read_text())["generator"] == "auto"
    assert result.gan.generator.get_layer("x_features").frequencies == 4
    points = result.gan.generate(500, seed=1)
    assert np.all((points[:, 0] >= -1) & (points[:, 0] <= 1))
    loaded = keras.saving.load_model(tmp_path / "stairs" / "gan.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.generate(500, seed=1), points, rtol=1e-5, atol=1e-6)
    generator = keras.saving.load_model(tmp_path / "stairs" / "generator.keras", safe_mode=True)
    noise = np.random.default_rng(0).standard_normal((8, 2)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(generator(noise)), keras.ops.convert_to_numpy(result.gan.generator(noise)), rtol=1e-5
    )


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
    metrics = read_strict_json(tmp_path / "run" / "metrics.json")
    assert metrics["status"] == "diverged"
    assert metrics["files"] == "complete"
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert len(history) == metrics["steps"] + 1
    assert all(math.isfinite(float(value)) for row in history[1:] for value in row.split(",")[1:])
    assert metrics["steps"] > 0
    with np.load(tmp_path / "run" / "snapshots.npz") as saved:
        assert saved["epochs"].tolist() == list(range(metrics["steps"] + 1))  # the untrained one first


def test_a_data_target_object_trains_as_its_path_so_the_run_replays(tmp_path):
    from gan1d.data.dataset import DataTarget
    from gan1d.errors import Gan1dError
    from gan1d.run.train import _config_and_target

    path = tmp_path / "points.csv"
    path.write_text("1,2\n3,4\n")
    data = DataTarget(path)
    config, distribution = _config_and_target(data, None, {"epochs": 10})
    assert (config.function, config.replayable, config.epochs) == (str(path), True, 10)
    assert distribution == data
    assert _config_and_target(path, None, {})[0].function == str(path)
    path.write_text("1,2\n3,40\n")
    with pytest.raises(Gan1dError, match="changed since it was read"):
        _config_and_target(data, None, {})
