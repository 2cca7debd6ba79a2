"""gan1d.train end to end: real files on disk, checked by opening them."""

from __future__ import annotations

import csv
import json

import keras
import numpy as np
import pytest
from PIL import Image

import gan1d
from gan1d.training import PRESETS, RUN_FILES, TrainConfig, TrainingDiverged, prepare_out_dir

SHORT = {"epochs": 200, "snapshot_every": 20}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "square"
    return gan1d.train(out_dir=out, **SHORT)


def test_run_writes_every_artifact(run):
    expected = {"config.json", "history.csv", "metrics.json", "target.png", "losses.png", "samples.png"}
    expected |= {"training.gif", "generator.keras", "quality.csv", "quality.png"}
    assert set(run.artifacts) == expected
    for name in expected:
        assert (run.out_dir / name).stat().st_size > 0
    assert not [p for p in run.out_dir.iterdir() if ".tmp" in p.name]


def test_gif_has_one_frame_per_snapshot(run):
    with Image.open(run.out_dir / "training.gif") as gif:
        assert gif.n_frames == len(run.snapshots) == 10


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


def test_history_csv_and_metrics_json_match_the_result(run):
    with open(run.out_dir / "history.csv") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 200 == len(run.history["d_loss"])
    assert [int(r["epoch"]) for r in rows[:3]] == [1, 2, 3]
    assert float(rows[-1]["g_loss"]) == pytest.approx(run.history["g_loss"][-1])
    metrics = json.loads((run.out_dir / "metrics.json").read_text())
    assert metrics["backend"] == keras.backend.backend()
    assert metrics["steps"] == 200
    assert metrics["status"] == "completed"
    assert 0 <= metrics["x_w1"] <= 1
    assert metrics["curve_residual"] >= 0
    assert metrics["train_seconds"] > 0
    config = json.loads((run.out_dir / "config.json").read_text())
    assert config["function"] == "square"
    assert config["preset"] == "default"
    assert config["latent_dim"] == 2
    assert config["target"]["domain"] == [-0.5, 0.5]


def test_snapshots_are_every_k_epochs_of_fixed_latent_points(run):
    assert [epoch for epoch, _ in run.snapshots] == list(range(20, 201, 20))
    assert all(points.shape == (100, 2) for _, points in run.snapshots)


def test_same_seed_same_losses_without_writing():
    first = gan1d.train(epochs=60, snapshot_every=0, seed=7)
    second = gan1d.train(epochs=60, snapshot_every=0, seed=7)
    assert first.out_dir is None
    assert not first.artifacts
    assert first.history == second.history
    assert first.snapshots == []


def test_expression_and_domain_reach_the_target():
    result = gan1d.train("sin(3*x)", domain=(-1.0, 1.0), epochs=40, snapshot_every=20)
    assert result.config.function == "sin(3*x)"
    assert result.config.domain == (-1.0, 1.0)
    assert len(result.snapshots) == 2


def test_callable_target_trains():
    result = gan1d.train(lambda x: np.cos(x), epochs=40, snapshot_every=0)
    assert len(result.history["d_loss"]) == 40


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"function": "nope"}, "unknown"),
        ({"function": "__import__('os').system('true')"}, "not allowed"),
        ({"function": "log(x)", "domain": (-1.0, 1.0)}, "finite"),
        ({"domain": (1.0, 1.0)}, "domain"),
        ({"domain": (2.0, 1.0)}, "domain"),
        ({"epochs": 0}, "epochs"),
        ({"batch_size": -3}, "batch_size"),
        ({"snapshot_every": -1}, "snapshot_every"),
        ({"animation": "avi"}, "animation"),
        ({"preset": "best"}, "preset"),
        ({"learning_rate": float("nan")}, "learning_rate"),
    ],
)
def test_bad_input_raises_gan1d_error_before_writing(tmp_path, kwargs, message):
    out = tmp_path / "run"
    with pytest.raises(gan1d.Gan1dError, match=message):
        gan1d.train(out_dir=out, **{"epochs": 10, **kwargs})
    assert not out.exists()


def test_existing_folder_is_refused_and_kept(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(gan1d.Gan1dError, match="not empty"):
        gan1d.train(out_dir=tmp_path, epochs=10)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_overwrite_replaces_only_gan1d_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "metrics.json").write_text("old")
    gan1d.train(out_dir=tmp_path, epochs=20, snapshot_every=10, overwrite=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert json.loads((tmp_path / "metrics.json").read_text())["steps"] == 20
    assert {p.name for p in tmp_path.iterdir()} <= {*RUN_FILES, "notes.txt"}


def test_out_dir_that_is_a_file_is_refused(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(gan1d.Gan1dError, match="is a file"):
        prepare_out_dir(path)
    assert path.read_text() == "x"


def test_divergence_stops_keeps_files_and_raises(tmp_path):
    with pytest.raises(TrainingDiverged) as caught:
        gan1d.train(out_dir=tmp_path, epochs=3000, learning_rate=1e37, snapshot_every=10)
    result = caught.value.result
    assert result.status == "diverged"
    steps = len(result.history["d_loss"])
    assert steps < 3000
    assert not np.isfinite(result.history["d_loss"][-1]) or not np.isfinite(result.history["g_loss"][-1])
    assert (tmp_path / "history.csv").exists()
    assert json.loads((tmp_path / "metrics.json").read_text())["status"] == "diverged"
    loaded = keras.saving.load_model(tmp_path / "generator.keras")
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(loaded(np.zeros((4, result.config.latent_dim), "float32")))))


def test_ctrl_c_keeps_what_was_produced(tmp_path):
    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 120:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        gan1d.train(out_dir=tmp_path, epochs=5000, snapshot_every=20, callbacks=[Interrupt()])
    with open(tmp_path / "history.csv") as stream:
        assert len(list(csv.DictReader(stream))) == 120
    assert json.loads((tmp_path / "metrics.json").read_text())["status"] == "interrupted"
    assert (tmp_path / "generator.keras").stat().st_size > 0
    with Image.open(tmp_path / "training.gif") as gif:
        assert gif.n_frames >= 1


def test_config_resolves_preset_values():
    seed = TrainConfig(preset="seed").resolved()
    assert (seed.latent_dim, seed.batch_size, seed.learning_rate) == (5, 64, 1e-3)
    assert seed.generator_units == (15,)
    assert (seed.activation, seed.logits, seed.schedule) == ("relu", False, "constant")
    default = TrainConfig().resolved()
    assert (default.latent_dim, default.batch_size, default.logits, default.schedule) == (2, 128, True, "cosine")
    assert TrainConfig(latent_dim=3).resolved().latent_dim == 3
    assert default.epochs == 5000
    assert default.discriminator_learning_rate == default.learning_rate
    assert default.normalize is False
    planar = TrainConfig(function="grid", preset="planar").resolved()
    assert planar.epochs == PRESETS["planar"]["epochs"]
    assert TrainConfig(preset="planar", epochs=7).resolved().epochs == 7


def test_planar_preset_scales_the_networks_to_the_target():
    from gan1d.training import build_gan

    config = TrainConfig(function="grid", preset="planar", discriminator_learning_rate=3e-3).resolved()
    gan = build_gan(config)
    assert gan.generator.layers[-1].scale == pytest.approx(4.0)
    assert gan.discriminator.layers[0].scale == pytest.approx(0.25)
    rate = keras.ops.convert_to_numpy(gan.d_optimizer.learning_rate)
    assert float(rate) == pytest.approx(3e-3)
    assert float(keras.ops.convert_to_numpy(gan.g_optimizer.learning_rate)) == pytest.approx(config.learning_rate)
    hidden = [layer for layer in gan.generator.layers if isinstance(layer, keras.layers.Dense)][:-1]
    assert [layer.activation.__name__ for layer in hidden] == ["relu"] * 3
    assert gan.discriminator.layers[1].activation.__name__ == "leaky_relu"
    with pytest.raises(gan1d.Gan1dError, match="discriminator_learning_rate"):
        TrainConfig(discriminator_learning_rate=-1.0).resolved()
    with pytest.raises(gan1d.Gan1dError, match="discriminator_activation"):
        TrainConfig(discriminator_activation="swish!").resolved()
    with pytest.raises(gan1d.Gan1dError, match="instance_noise"):
        TrainConfig(instance_noise=-0.1).resolved()
    with pytest.raises(gan1d.Gan1dError, match="multiple of pack"):
        TrainConfig(pack=3, batch_size=128).resolved()


def test_instance_noise_is_scaled_to_the_target_and_gone_halfway():
    from gan1d.training import build_gan

    gan = build_gan(TrainConfig(function="grid", preset="planar", epochs=100, instance_noise=0.25).resolved())
    start, middle = (float(keras.ops.convert_to_numpy(gan.instance_noise(step))) for step in (0, 50))
    assert start == pytest.approx(0.25 * 4)
    assert middle == pytest.approx(0.0)
    assert build_gan(TrainConfig(function="grid", preset="planar").resolved()).instance_noise is None


def test_seed_preset_builds_the_articles_networks():
    from gan1d.training import build_gan

    gan = build_gan(TrainConfig(preset="seed").resolved())
    assert [layer.units for layer in gan.generator.layers] == [15, 2]
    assert [layer.units for layer in gan.discriminator.layers] == [25, 1]
    assert gan.discriminator.layers[-1].activation.__name__ == "sigmoid"
    assert gan.score_threshold == 0.5
    tuned = build_gan(TrainConfig().resolved())
    assert tuned.discriminator.layers[-1].activation.__name__ == "linear"
    assert tuned.score_threshold == 0.0
    assert float(keras.ops.convert_to_numpy(tuned.d_optimizer.learning_rate)) == pytest.approx(1e-2)


def test_quality_is_measured_at_every_snapshot(run):
    with open(run.out_dir / "quality.csv") as stream:
        rows = list(csv.DictReader(stream))
    assert [int(r["epoch"]) for r in rows] == [epoch for epoch, _ in run.snapshots]
    names = {"x_w1", "curve_residual", "energy_distance", "coverage", "d_accuracy_real", "d_accuracy_generated"}
    assert names <= set(rows[0])
    for row in rows:
        assert 0 <= float(row["d_accuracy_real"]) <= 1
        assert 0 <= float(row["coverage"]) <= 1
    # The last row scores the last snapshot, which is the generator at the end.
    last = gan1d.metrics.summarize(run.snapshots[-1][1], gan1d.target("square"))
    assert float(rows[-1]["x_w1"]) == pytest.approx(last["x_w1"])
    metrics = json.loads((run.out_dir / "metrics.json").read_text())
    assert {"energy_distance", "coverage", "d_accuracy_real", "d_accuracy_generated"} <= set(metrics)
    with Image.open(run.out_dir / "quality.png") as image:
        assert image.size[1] > 300


def test_a_planar_run_saves_a_residual_generator_that_loads(tmp_path):
    result = gan1d.train("ring", preset="planar", epochs=40, snapshot_every=20, out_dir=tmp_path / "ring")
    assert {"modes_captured", "high_quality", "reverse_kl"} <= set(result.metrics)
    assert "modes_captured" in result.quality
    loaded = keras.saving.load_model(tmp_path / "ring" / "generator.keras")
    noise = np.random.default_rng(0).standard_normal((20, 2)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(noise)), keras.ops.convert_to_numpy(result.generator(noise)), rtol=1e-5
    )
