"""gan1d.run.config: presets, validation, and config.json round trips."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np
import pytest

from gan1d.data.dataset import DataTarget
from gan1d.data.targets import target
from gan1d.errors import Gan1dError
from gan1d.run.config import PRESETS, TrainConfig


def test_a_preset_fills_every_field_with_a_concrete_value():
    seed = TrainConfig.from_preset("seed")
    assert (seed.latent_dim, seed.batch_size, seed.learning_rate) == (5, 64, 1e-3)
    assert seed.generator_units == (15,)
    assert (seed.activation, seed.logits, seed.schedule) == ("relu", False, "constant")
    assert seed.preset == "seed"
    default = TrainConfig.from_preset()
    assert (default.latent_dim, default.batch_size, default.logits, default.schedule) == (2, 128, True, "cosine")
    assert default == TrainConfig()
    assert default.domain == (-0.5, 0.5)  # the built-in's domain, resolved
    assert default.d_learning_rate == default.learning_rate
    assert default.d_activation == default.activation
    planar = TrainConfig.from_preset("planar", function="grid")
    assert planar.epochs == PRESETS["planar"]["epochs"]
    assert planar.domain is None
    assert planar.d_activation == "leaky_relu"
    assert TrainConfig.from_preset("planar", function="ring", epochs=7).epochs == 7


def test_numbers_of_any_numeric_type_become_python_numbers():
    config = TrainConfig.from_preset(
        learning_rate=np.float32(3e-3), batch_size=np.int64(64), generator_units=[np.int32(8), 16], beta_1=0
    )
    assert type(config.learning_rate) is float
    assert config.learning_rate == pytest.approx(3e-3)
    assert type(config.batch_size) is int
    assert config.generator_units == (8, 16)
    assert type(config.beta_1) is float


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"preset": "best"}, "unknown preset"),
        ({"colour": "red"}, "unknown setting"),
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"epochs": 2.5}, "epochs"),
        ({"batch_size": True}, "batch_size"),
        ({"batch_size": 10**9}, "at most"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**32}, "seed must be at most 4294967295"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"learning_rate": -1e-3}, "positive"),
        ({"discriminator_learning_rate": 0}, "discriminator_learning_rate"),
        ({"beta_1": 1.0}, "beta_1"),
        ({"instance_noise": -0.1}, "instance_noise"),
        ({"activation": "swish!"}, "activation must be one of"),
        ({"discriminator_activation": "nope"}, "discriminator_activation"),
        ({"schedule": "linear"}, "schedule"),
        ({"animation": "avi"}, "animation"),
        ({"pack": 3}, "multiple of pack"),
        ({"generator_units": ()}, "generator_units"),
        ({"generator_units": "32"}, "generator_units"),
        ({"discriminator_units": (0,)}, "discriminator_units"),
        ({"logits": "yes"}, "logits"),
        ({"function": "nope"}, "unknown target"),
        ({"function": 5}, "function must be a string"),
        ({"function": "ring", "domain": (0, 1)}, "takes no domain"),
        ({"domain": (1,)}, "domain"),
        ({"domain": "ab"}, "domain"),
        ({"domain": (1, 2, 3)}, "domain"),
        ({"domain": (1.0, 1.0)}, "domain"),
        ({"epochs": 10**8, "snapshot_every": 1}, "snapshot points"),
    ],
)
def test_bad_settings_raise_one_clear_error(options, message):
    with pytest.raises(Gan1dError, match=message) as caught:
        TrainConfig.from_preset(**options)
    assert "\n" not in str(caught.value)


def test_a_changed_copy_is_validated_again():
    config = TrainConfig()
    assert dataclasses.replace(config, seed=3).seed == 3
    with pytest.raises(Gan1dError, match="latent_dim"):
        dataclasses.replace(config, latent_dim=0)


def test_config_json_round_trips_exactly(tmp_path):
    config = TrainConfig.from_preset("planar", function="grid", seed=4, instance_noise=0.1)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config.to_dict()))
    assert TrainConfig.from_file(path) == config
    assert TrainConfig.from_file(tmp_path) == config  # a run folder holding it
    assert TrainConfig.from_file(path, seed=5) == dataclasses.replace(config, seed=5)
    curve = TrainConfig.from_preset(function="sin(3*x)", domain=(-1, 1))
    assert TrainConfig.from_dict(json.loads(json.dumps(curve.to_dict()))) == curve


def test_config_files_that_are_not_configs_are_refused(tmp_path):
    with pytest.raises(Gan1dError, match="cannot read config"):
        TrainConfig.from_file(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(Gan1dError, match="not valid JSON"):
        TrainConfig.from_file(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(Gan1dError, match="JSON object"):
        TrainConfig.from_file(tmp_path / "list.json")
    (tmp_path / "odd.json").write_text(json.dumps({"function": "square", "magic": 1}))
    with pytest.raises(Gan1dError, match=r"unknown setting.*magic"):
        TrainConfig.from_file(tmp_path / "odd.json")


def test_a_python_target_is_described_honestly_and_cannot_be_replayed():
    def wavy(x):
        return np.sin(5 * x)

    config = TrainConfig.described(target(wavy, (-1, 1)), epochs=30)
    assert config.function.startswith("<python ")
    assert "wavy" in config.function
    assert config.domain == (-1.0, 1.0)
    assert not config.replayable
    with pytest.raises(Gan1dError, match="Python object"):
        config.target()
    saved = config.to_dict()
    assert saved["replayable"] is False
    with pytest.raises(Gan1dError, match="cannot bring back"):
        TrainConfig.from_dict(json.loads(json.dumps(saved)))


def test_every_field_is_described_for_the_command_line():
    for field in dataclasses.fields(TrainConfig):
        shown = TrainConfig.help(field.name)
        assert shown.help, field.name
    assert TrainConfig.help("activation").choices == ("relu", "leaky_relu", "elu", "tanh", "gelu", "silu")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"function": "square"}, ("graph", 0)),
        ({"function": "sine10"}, ("graph", 4)),
        ({"function": "sign(x)", "domain": (-1, 1)}, ("graph", 4)),
        ({"function": "x**3 - x", "domain": (-1, 1)}, ("graph", 0)),
        ({"function": "sine10", "generator": "plain"}, ("plain", 0)),
        ({"function": "sine10", "fourier_features": 8}, ("graph", 8)),
        ({"function": "sine10", "generator": "plain", "fourier_features": 2}, ("plain", 2)),
        ({"function": "square", "fourier_features": 3}, ("graph", 3)),
        ({"function": "stairs", "preset": "seed"}, ("plain", 0)),
        ({"function": "stairs", "pack": 2}, ("plain", 0)),
        ({"function": "ring", "preset": "planar"}, ("plain", 0)),
        ({"function": "moons"}, ("plain", 0)),
    ],
)
def test_the_architecture_adapts_to_the_curve_and_explicit_settings_win(options, expected):
    config = TrainConfig.from_preset(**options)
    assert config.architecture(config.target()) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"function": "ring", "generator": "graph"}, "for curves"),
        ({"function": "grid", "fourier_features": 4}, "for curves"),
        ({"function": "sine10", "generator": "graph", "pack": 2}, "pack=1"),
        ({"function": "sine10", "fourier_features": -1}, "fourier_features"),
        ({"function": "sine10", "generator": "wide"}, "generator must be one of"),
    ],
)
def test_bad_architecture_settings_are_refused(options, message):
    with pytest.raises(Gan1dError, match=message):
        TrainConfig.from_preset(**options)


@pytest.fixture
def points_file(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,y\n0,1\n2,3\n4,-1\n")
    return path


def test_a_data_file_is_a_target_without_a_domain_trained_by_the_plain_generator(points_file):
    config = TrainConfig.from_preset(function=str(points_file), epochs=30)
    assert config.function == str(points_file)
    assert config.domain is None
    data = config.target()
    assert isinstance(data, DataTarget)
    assert config.architecture(data) == ("plain", 0)
    saved = json.loads(json.dumps(config.to_dict()))
    assert saved["target"] == data.describe()
    assert saved["target"]["sha256"] == hashlib.sha256(points_file.read_bytes()).hexdigest()
    assert TrainConfig.from_dict(saved) == config  # the same file replays


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"domain": (0, 1)}, "takes no domain"),
        ({"generator": "graph"}, "for curves"),
        ({"fourier_features": 2}, "for curves"),
    ],
)
def test_curve_settings_are_refused_for_a_data_file(points_file, options, message):
    with pytest.raises(Gan1dError, match=message) as refused:
        TrainConfig.from_preset(function=str(points_file), **options)
    assert "\n" not in str(refused.value)


def test_a_bad_data_file_is_refused_when_the_config_is_built(tmp_path):
    (tmp_path / "wide.csv").write_text("1,2,3\n4,5,6\n")
    with pytest.raises(Gan1dError, match="has 3 columns"):
        TrainConfig.from_preset(function=str(tmp_path / "wide.csv"))
    with pytest.raises(Gan1dError, match="does not exist"):
        TrainConfig.from_preset(function=str(tmp_path / "gone.npy"))


def test_a_replayed_config_refuses_a_data_file_that_changed_since(points_file, tmp_path):
    config = TrainConfig.from_preset(function=str(points_file), epochs=30)
    (tmp_path / "config.json").write_text(json.dumps(config.to_dict()))
    assert TrainConfig.from_file(tmp_path, seed=2).seed == 2
    points_file.write_text("x,y\n0,1\n2,3\n4,-12\n")
    with pytest.raises(Gan1dError, match=r"changed since this config was written \(sha256 ") as refused:
        TrainConfig.from_file(tmp_path)
    assert "\n" not in str(refused.value)
    # Another target given on top is not the recorded one: nothing to compare.
    assert TrainConfig.from_file(tmp_path, function="square").function == "square"
