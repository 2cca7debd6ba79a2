"""The ways a GAN can train: objectives, gradient penalties, spectral norm, clipping, updates per round,
optimizers per network, latent noise and a moving average, on either backend, through save and resume."""

from __future__ import annotations

import json
import math

import keras
import numpy as np
import pytest

import gan1d
from gan1d.core.gan import GANState
from gan1d.core.losses import discriminator_loss, generator_loss, gradient_penalty
from gan1d.data.targets import target
from gan1d.run.build import build_gan
from gan1d.run.config import TrainConfig

SMALL = {"preset": "seed", "batch_size": 32, "snapshot_every": 0, "animation": "none"}

# Every objective, penalty and schedule at least once, several to a run, as a user may combine them.
METHODS = {
    "hinge+r1+spectral+ema+2:1+sgd+uniform": {
        "loss": "hinge",
        "logits": True,
        "penalty": "r1",
        "spectral_norm": True,
        "ema": 0.9,
        "discriminator_steps": 2,
        "optimizer": "sgd",
        "momentum": 0.5,
        "noise": "uniform",
    },
    "wasserstein+gp+clip+3:1": {
        "loss": "wasserstein",
        "logits": True,
        "penalty": "wgan-gp",
        "weight_clip": 0.5,
        "discriminator_steps": 3,
    },
    "minimax+r2+1:2+rmsprop": {
        "loss": "minimax",
        "penalty": "r2",
        "generator_steps": 2,
        "discriminator_optimizer": "rmsprop",
        "momentum": 0.1,
    },
    "least-squares+steady-noise": {
        "loss": "least-squares",
        "logits": True,
        "instance_noise": 0.1,
        "anneal_noise": False,
    },
}


def numpy(value) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(value))


class StopAfter(keras.callbacks.Callback):
    """Stops training after `epochs` epochs (a callback called every epoch)."""

    def __init__(self, epochs: int) -> None:
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 >= self.epochs:
            self.model.stop_training = True


@pytest.mark.parametrize(
    "method",
    # The first in the default suite; the rest, three more compiles each, with the long checks.
    [pytest.param(m, id=name, marks=() if i == 0 else pytest.mark.slow) for i, (name, m) in enumerate(METHODS.items())],
)
def test_a_stopped_run_resumed_trains_as_one_that_never_stopped(tmp_path, method):
    options = {**SMALL, **method, "epochs": 12}
    whole = gan1d.train("cube", **options)
    stopped = gan1d.train("cube", **options, out_dir=tmp_path / "run", callbacks=[StopAfter(5)])
    assert stopped.status == "stopped"
    resumed = gan1d.resume(tmp_path / "run")
    assert resumed.history == whole.history
    assert all(math.isfinite(v) for v in whole.history["d_loss"] + whole.history["g_loss"])
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    rounds = options["epochs"]
    assert metrics["discriminator_updates"] == rounds * options.get("discriminator_steps", 1)
    assert metrics["generator_updates"] == rounds * options.get("generator_steps", 1)
    assert metrics["losses"]["d_loss"]
    assert metrics["losses"]["g_loss"]


def test_each_objective_s_losses_are_what_its_paper_writes():
    real, fake = np.array([[2.0], [-0.5]], "float32"), np.array([[0.5], [-3.0]], "float32")
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def value(x) -> float:
        return float(numpy(x))

    def softplus(x):
        return np.log1p(np.exp(x))

    cross_entropy = (softplus(-real).sum() + softplus(fake).sum()) / 4
    assert value(discriminator_loss(bce, real, fake, "nonsaturating")) == pytest.approx(cross_entropy, rel=1e-5)
    assert value(discriminator_loss(bce, real, fake, "minimax")) == pytest.approx(cross_entropy, rel=1e-5)
    assert value(generator_loss(bce, fake, "nonsaturating")) == pytest.approx(softplus(-fake).mean(), rel=1e-5)
    assert value(generator_loss(bce, fake, "minimax")) == pytest.approx(-softplus(fake).mean(), rel=1e-5)
    least = 0.5 * np.mean((real - 1) ** 2) + 0.5 * np.mean(fake**2)
    assert value(discriminator_loss(bce, real, fake, "least-squares")) == pytest.approx(least)
    assert value(generator_loss(bce, fake, "least-squares")) == pytest.approx(0.5 * np.mean((fake - 1) ** 2))
    hinge = np.mean(np.maximum(0, 1 - real)) + np.mean(np.maximum(0, 1 + fake))
    assert value(discriminator_loss(bce, real, fake, "hinge")) == pytest.approx(hinge)
    assert value(discriminator_loss(bce, real, fake, "wasserstein")) == pytest.approx(fake.mean() - real.mean())
    for objective in ("hinge", "wasserstein"):
        assert value(generator_loss(bce, fake, objective)) == pytest.approx(-fake.mean())
    gradients = np.array([[3.0, 4.0], [0.0, 1.0]], "float32")
    assert value(gradient_penalty("r1", gradients)) == pytest.approx(0.5 * (25 + 1) / 2)
    assert value(gradient_penalty("wgan-gp", gradients)) == pytest.approx((16 + 0) / 2, rel=1e-5)


@pytest.mark.parametrize(("penalty", "expected"), [("r1", lambda psi: 0.5 * psi**2), ("wgan-gp", lambda psi: 0.0)])
def test_a_gradient_penalty_is_taken_on_the_discriminator_s_inputs(penalty, expected):
    """The Dirac-GAN's discriminator is psi * x: its gradient is psi at every point, so the penalty is known."""
    config = TrainConfig.from_preset("dirac", penalty=penalty, penalty_weight=2.0, epochs=1)
    gan = build_gan(config)
    state = gan.read_state()
    psi = 1.0  # the preset starts at (theta, psi) = (1, 1)
    _, d_loss, _ = gan.step(state, sample_real=config.target().sample_tensor, batch_size=8)
    # Real points at 0 score 0, the generated point at theta = 1 scores psi = 1: cross-entropy of both.
    cross_entropy = 0.5 * (math.log(2) + math.log1p(math.exp(psi)))
    gradient_norm_term = {"r1": 0.5 * psi**2, "wgan-gp": (abs(psi) - 1) ** 2}[penalty]
    assert float(numpy(d_loss)) == pytest.approx(cross_entropy + 2.0 * gradient_norm_term, rel=1e-5)
    assert expected(psi) == pytest.approx(gradient_norm_term)


def test_clipping_and_spectral_norm_keep_the_discriminator_in_bounds():
    clipped = build_gan(TrainConfig.from_preset(**SMALL, loss="wasserstein", logits=True, weight_clip=0.01, epochs=20))
    clipped.fit_target(target("cube"), epochs=20, batch_size=32)
    assert max(float(np.abs(numpy(w)).max()) for w in clipped.discriminator.trainable_variables) <= 0.01 + 1e-7
    normalized = build_gan(TrainConfig.from_preset(**SMALL, spectral_norm=True, learning_rate=1e-4, epochs=20))
    normalized.fit_target(target("cube"), epochs=20, batch_size=32)
    layers = normalized.spectral_layers
    assert len(layers) == 2  # the hidden layer and the output
    for layer in layers:
        # Normalized in place before each update, as Keras's fit() does; one small update since.
        sigma = np.linalg.norm(numpy(layer.kernel.value).reshape(-1, layer.kernel.shape[-1]), 2)
        assert sigma == pytest.approx(1.0, abs=0.02)


def test_the_moving_average_is_what_the_pictures_and_the_saved_generator_show(tmp_path):
    result = gan1d.train("cube", **{**SMALL, "snapshot_every": 5}, ema=0.5, epochs=10, out_dir=tmp_path / "run")
    gan = result.gan
    raw = [numpy(v) for v in gan.generator.trainable_variables]
    average = [numpy(v) for v in gan.generator_average]
    assert any(not np.allclose(a, b) for a, b in zip(raw, average, strict=True))
    saved = keras.saving.load_model(tmp_path / "run" / "generator.keras")
    for weight, expected in zip(saved.trainable_variables, average, strict=True):
        np.testing.assert_allclose(numpy(weight), expected)
    noise = gan.latent_noise(result.config.snapshot_points, result.config.seed)
    np.testing.assert_allclose(result.snapshots[-1][1], numpy(saved(noise)), rtol=1e-5, atol=1e-6)


def test_updates_per_round_are_counted_and_a_frozen_network_does_not_move():
    gan = build_gan(TrainConfig.from_preset(**SMALL, discriminator_steps=0, generator_steps=3, epochs=4))
    before = [numpy(w) for w in gan.discriminator.trainable_variables]
    history = gan.fit_target(target("cube"), epochs=4, batch_size=32).history
    assert int(gan.d_optimizer.iterations) == 0
    assert int(gan.g_optimizer.iterations) == 12
    for weight, old in zip(gan.discriminator.trainable_variables, before, strict=True):
        np.testing.assert_array_equal(numpy(weight), old)
    assert len(history["d_loss"]) == 4
    assert all(np.isfinite(history["d_loss"]))


def test_each_network_gets_the_optimizer_named_for_it():
    gan = build_gan(
        TrainConfig.from_preset(**SMALL, optimizer="sgd", discriminator_optimizer="rmsprop", momentum=0.9, epochs=3)
    )
    assert type(gan.g_optimizer).__name__ == "SGD"
    assert type(gan.d_optimizer).__name__ == "RMSprop"
    assert float(gan.g_optimizer.momentum) == pytest.approx(0.9)
    gan.fit_target(target("cube"), epochs=3, batch_size=32)
    assert int(gan.g_optimizer.iterations) == 3


def test_uniform_noise_is_drawn_on_the_unit_cube_and_spreads_the_graph_generator_over_the_domain():
    gan = build_gan(TrainConfig.from_preset(function="cube", noise="uniform", epochs=5))
    noise = gan.latent_noise(4000, seed=0)
    assert noise.min() >= -1.0
    assert noise.max() <= 1.0
    x = gan.generate(4000, seed=0)[:, 0]
    assert x.min() >= -1.5 - 1e-6
    assert x.max() <= 1.5 + 1e-6
    assert np.histogram(x, bins=4, range=(-1.5, 1.5))[0].min() > 800  # about even over the domain


def test_the_pictures_say_what_a_critic_s_score_is(tmp_path):
    result = gan1d.train("cube", **{**SMALL, "snapshot_every": 5}, loss="wasserstein", logits=True, epochs=10)
    scene = result.scene(show="all")
    assert scene.objective == "wasserstein"
    from gan1d.pictures.frames import Frames

    frames = Frames(scene, 50)
    texts = [text.get_text() for legend in frames.fig.legends for text in legend.get_texts()]
    assert "critic halfway" in texts
    labels = [text.get_text() for axes in frames.fig.axes for text in axes.texts] + [
        axes.get_ylabel() for axes in frames.fig.axes
    ]
    assert any("critic" in label for label in labels)
    page = result.write_report(tmp_path / "report.html").read_text()
    assert '"losses":["critic","generator"]' in page


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"loss": "hinge", "logits": False}, "raw score"),
        ({"discriminator_steps": 0, "generator_steps": 0}, "both be 0"),
        ({"discriminator_steps": 11}, "at most 10"),
        ({"momentum": 0.9}, "momentum is a setting of sgd and rmsprop"),
        ({"ema": 1.0}, "ema"),
        ({"loss": "bogus"}, "loss must be one of"),
        ({"optimizer": "bogus"}, "optimizer must be one of"),
        ({"penalty": "r3"}, "penalty must be one of"),
        ({"weight_clip": 0.0}, "weight_clip must be a positive number"),
        ({"generator": "dirac"}, "for the dirac target"),
    ],
)
def test_settings_that_make_no_sense_are_refused_with_one_line(options, message):
    with pytest.raises(gan1d.Gan1dError, match=message) as caught:
        TrainConfig.from_preset(**options)
    assert "\n" not in str(caught.value)


def test_the_state_carries_the_moving_average_as_its_last_field():
    gan = build_gan(TrainConfig.from_preset(**SMALL, ema=0.99, epochs=2))
    state = gan.read_state()
    assert isinstance(state, GANState)
    assert len(state.g_average) == len(gan.generator.trainable_variables)
    assert build_gan(TrainConfig.from_preset(**SMALL, epochs=2)).read_state().g_average == []
