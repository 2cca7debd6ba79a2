"""gan1d.core.loop: the compiled many-step loop, its callback contract, and divergence."""

from __future__ import annotations

import csv
import importlib.util

import keras
import numpy as np
import pytest

from gan1d.core import views
from gan1d.core.callbacks import SnapshotCallback
from gan1d.core.gan import GAN
from gan1d.core.loop import fit_target_many
from gan1d.core.networks import build_discriminator, build_generator
from gan1d.data.targets import target
from gan1d.errors import Gan1dError
from gan1d.run.build import build_gan
from gan1d.run.config import TrainConfig

SQUARE = target("square")


def make_gan(seed: int = 0, **options) -> GAN:
    return build_gan(TrainConfig.from_preset("seed", seed=seed, **options))


def weights(model: keras.Model) -> list[np.ndarray]:
    return [keras.ops.convert_to_numpy(v) for v in model.trainable_variables]


def test_fit_target_advances_both_optimizers_once_per_step_and_changes_every_weight():
    gan = make_gan()
    d_before, g_before = weights(gan.discriminator), weights(gan.generator)
    history = gan.fit_target(SQUARE, epochs=30, batch_size=64)
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 30
    for before, after in zip(d_before + g_before, weights(gan.discriminator) + weights(gan.generator), strict=True):
        assert not np.allclose(before, after)
    assert len(history.history["d_loss"]) == 30
    assert history.epoch == list(range(30))


def test_same_seed_gives_identical_history_and_another_seed_differs():
    first = make_gan(3).fit_target(SQUARE, epochs=50).history
    second = make_gan(3).fit_target(SQUARE, epochs=50).history
    other = make_gan(4).fit_target(SQUARE, epochs=50).history
    assert first == second
    assert first["d_loss"] != other["d_loss"]


@pytest.mark.slow  # long: several compiles of the same run
def test_how_a_run_is_split_into_compiled_calls_does_not_change_it():
    whole = make_gan(2).fit_target(SQUARE, epochs=130).history["g_loss"]
    gan = make_gan(2)
    parts = [
        gan.fit_target(SQUARE, epochs=end, initial_epoch=start).history["g_loss"] for start, end in ((0, 47), (47, 130))
    ]
    np.testing.assert_array_equal(whole, parts[0] + parts[1])


def test_snapshots_from_the_compiled_loop_match_the_generator():
    gan = make_gan()
    snapshots = SnapshotCallback(every=20, n_points=50)
    untrained = keras.ops.convert_to_numpy(gan.generator(gan.latent_noise(snapshots.n_points, snapshots.seed)))
    gan.fit_target(SQUARE, epochs=100, callbacks=[snapshots])
    assert [epoch for epoch, _ in snapshots.snapshots] == [0, 20, 40, 60, 80, 100]
    np.testing.assert_allclose(snapshots.snapshots[0][1], untrained, rtol=1e-5, atol=1e-6)
    now = keras.ops.convert_to_numpy(gan.generator(snapshots.noise))
    np.testing.assert_allclose(snapshots.snapshots[-1][1], now, rtol=1e-5, atol=1e-6)


def test_the_layers_of_every_snapshot_are_captured_in_the_loop():
    gan = make_gan()
    snapshots = SnapshotCallback(every=20, n_points=50)
    gan.fit_target(SQUARE, epochs=60, callbacks=[snapshots])
    layers = snapshots.recorded_views()
    assert layers is not None
    assert len(layers) == len(snapshots.snapshots) == 4
    assert layers.plane == views.plane(SQUARE.bounds)
    assert layers.push.shape == (4, 50, 2)
    # The last heatmap is the discriminator's verdict on the plane now (the seed preset's D ends in a sigmoid).
    cells = layers.verdict.shape[1]
    scores = gan.discriminate(views.plane_grid(layers.plane, cells)).reshape(cells, cells)
    np.testing.assert_allclose(layers.verdict[-1], scores, rtol=1e-4, atol=1e-6)
    assert not np.allclose(layers.verdict[0], layers.verdict[-1])
    manifold = keras.ops.convert_to_numpy(gan.generator(views.latent_grid(gan.latent_dim)))
    np.testing.assert_allclose(layers.manifold[-1].reshape(-1, 2), manifold, rtol=1e-4, atol=1e-6)


def test_snapshot_accuracy_agrees_with_the_discriminator_on_the_host():
    real = SQUARE.sample(50, seed=3)
    gan = make_gan()
    in_loop = SnapshotCallback(every=10, n_points=50, real_points=real)
    gan.fit_target(SQUARE, epochs=10, callbacks=[in_loop])
    scores = keras.ops.convert_to_numpy(gan.discriminator(np.concatenate([real, in_loop.snapshots[-1][1]])))
    expected = (np.mean(scores[:50] > 0.5), np.mean(scores[50:] <= 0.5))
    assert in_loop.discriminator_accuracy[-1][0] == 10
    np.testing.assert_allclose(in_loop.discriminator_accuracy[-1][1:], expected, atol=1e-6)


@pytest.mark.slow  # long: a run compiled and continued twice
def test_a_continued_run_takes_its_snapshots_on_the_same_epochs():
    snapshots = SnapshotCallback(every=20, n_points=10)
    gan = make_gan()
    gan.fit_target(SQUARE, epochs=51, callbacks=[snapshots])
    gan.fit_target(SQUARE, epochs=100, initial_epoch=51, callbacks=[snapshots])
    assert [epoch for epoch, _ in snapshots.snapshots] == [0, 20, 40, 60, 80, 100]


class Recorder(keras.callbacks.Callback):
    """Everything a callback is told, with the model's true weights at each epoch's end."""

    def __init__(self):
        super().__init__()
        self.calls: list[tuple] = []
        self.weights_at_end: list[np.ndarray] = []

    def set_params(self, params):
        super().set_params(params)
        self.calls.append(("set_params", params.get("epochs"), params.get("steps")))

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin",))

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch))

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("batch_end", batch))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, tuple(sorted(logs))))
        self.weights_at_end.append(keras.ops.convert_to_numpy(self.model.generator.trainable_variables[0]).copy())

    def on_train_end(self, logs=None):
        self.calls.append(("train_end",))


def test_callbacks_hear_every_epoch_with_the_true_weights():
    recorder = Recorder()
    gan = make_gan()
    history = gan.fit_target(SQUARE, epochs=3, steps_per_epoch=5, callbacks=[recorder])
    assert recorder.calls == [
        ("set_params", 3, 5),
        ("train_begin",),
        *[
            call
            for epoch in range(3)
            for call in (("epoch_begin", epoch), ("batch_end", 4), ("epoch_end", epoch, ("d_loss", "g_loss")))
        ],
        ("train_end",),
    ]
    assert len(history.history["g_loss"]) == 3
    # What the callback saw after epoch 1 is what training from scratch for 2 epochs gives.
    again = make_gan()
    again.fit_target(SQUARE, epochs=2, steps_per_epoch=5)
    np.testing.assert_array_equal(recorder.weights_at_end[1], weights(again.generator)[0])
    assert int(gan.g_optimizer.iterations) == 15


def test_an_epoch_longer_than_one_compiled_call():
    gan = make_gan()
    history = gan.fit_target(SQUARE, epochs=2, steps_per_epoch=1500, callbacks=[Recorder()])
    assert len(history.history["d_loss"]) == 2
    assert int(gan.g_optimizer.iterations) == 3000


def test_stop_training_takes_effect_at_the_end_of_that_epoch():
    class StopAt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 12:
                self.model.stop_training = True

    gan = make_gan()
    history = gan.fit_target(SQUARE, epochs=500, callbacks=[StopAt()])
    assert len(history.history["d_loss"]) == 13
    assert int(gan.g_optimizer.iterations) == 13


def test_keras_callbacks_work_on_both_backends(tmp_path, capsys):
    gan = make_gan(schedule="constant")
    seen: list[int] = []
    callbacks = [
        keras.callbacks.ProgbarLogger(),
        keras.callbacks.CSVLogger(tmp_path / "log.csv"),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.ModelCheckpoint(tmp_path / "best.keras", monitor="g_loss", save_best_only=True),
        keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch)),
        keras.callbacks.LearningRateScheduler(lambda epoch, rate: 1e-3 * 0.5**epoch),
    ]
    history = gan.fit_target(SQUARE, epochs=4, steps_per_epoch=10, callbacks=callbacks)
    assert seen == [0, 1, 2, 3]
    assert "Epoch 4/4" in capsys.readouterr().out
    with open(tmp_path / "log.csv") as stream:
        rows = list(csv.DictReader(stream))
    assert [int(row["epoch"]) for row in rows] == [0, 1, 2, 3]
    assert float(rows[-1]["g_loss"]) == pytest.approx(history.history["g_loss"][-1])
    # The scheduler set both networks' rates before the last epoch.
    for optimizer in (gan.d_optimizer, gan.g_optimizer):
        assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(1e-3 * 0.5**3)
    best = keras.saving.load_model(tmp_path / "best.keras")
    assert isinstance(best, GAN)


def test_early_stopping_restores_the_weights_of_the_best_epoch_without_being_told_the_mode():
    stopper = keras.callbacks.EarlyStopping(monitor="g_loss", patience=2, restore_best_weights=True)
    recorder = Recorder()
    gan = make_gan(learning_rate=3e-2)
    history = gan.fit_target(SQUARE, epochs=300, steps_per_epoch=5, callbacks=[recorder, stopper])
    losses = history.history["g_loss"]
    assert len(losses) < 300
    best = int(np.argmin(losses))
    assert stopper.best_epoch == best
    np.testing.assert_array_equal(weights(gan.generator)[0], recorder.weights_at_end[best])


def test_a_scheduler_on_a_decaying_rate_gets_keras_s_own_clear_error():
    gan = make_gan(schedule="cosine")
    with pytest.raises(TypeError, match="not settable"):
        gan.fit_target(SQUARE, epochs=2, callbacks=[keras.callbacks.LearningRateScheduler(lambda e, r: 1e-3)])


def test_tensorboard_works_or_says_clearly_what_it_needs(tmp_path):
    board = keras.callbacks.TensorBoard(tmp_path / "logs")
    if not all(importlib.util.find_spec(name) for name in ("tensorflow", "tensorboard")):
        with pytest.raises(Gan1dError, match="TensorBoard callback needs"):
            make_gan().fit_target(SQUARE, epochs=2, callbacks=[board])
    else:
        make_gan().fit_target(SQUARE, epochs=2, callbacks=[board])
        assert any((tmp_path / "logs").rglob("events.out.tfevents.*"))


def nan_after(step: int):
    """An instance-noise schedule that turns NaN from `step` on: everything after it is NaN."""
    return lambda iteration: keras.ops.where(iteration >= step, np.float32(np.nan), np.float32(0.0))


def make_noisy(step: int, seed: int = 0, output_activation: str | None = None) -> GAN:
    keras.utils.set_random_seed(seed)
    gan = GAN(
        discriminator=build_discriminator(2, (16,), output_activation=output_activation),
        generator=build_generator(2, (16,)),
        latent_dim=2,
        seed=seed,
        instance_noise=nan_after(step),
    )
    gan.compile(
        keras.optimizers.Adam(1e-3),
        keras.optimizers.Adam(1e-3),
        keras.losses.BinaryCrossentropy(from_logits=output_activation is None),
    )
    return gan


@pytest.mark.parametrize("output_activation", [pytest.param(None, marks=pytest.mark.slow), "sigmoid"])
def test_divergence_keeps_the_last_good_step_exactly(output_activation):
    # With a sigmoid and probabilities the clipped loss stays finite while the weights turn NaN.
    gan = make_noisy(700, output_activation=output_activation)
    snapshots = SnapshotCallback(every=20, n_points=20)
    history = gan.fit_target(SQUARE, epochs=1000, callbacks=[snapshots])
    assert len(history.history["g_loss"]) == 700
    assert np.isfinite(history.history["g_loss"]).all()
    assert gan.diverged_at_epoch == 700
    assert [epoch for epoch, _ in snapshots.snapshots][-1] == 700
    # The kept state is exactly the one after 700 good steps.
    reference = make_noisy(10**6, output_activation=output_activation)
    expected = reference.fit_target(SQUARE, epochs=700).history["g_loss"]
    assert history.history["g_loss"] == expected
    for mine, theirs in zip(weights(gan.generator), weights(reference.generator), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert int(gan.g_optimizer.iterations) == 700


def test_fit_target_rejects_bad_arguments():
    gan = make_gan()
    for options, message in (
        ({"epochs": 0}, "epochs"),
        ({"epochs": 10, "batch_size": 0}, "batch_size"),
        ({"epochs": 10, "steps_per_epoch": 0}, "steps_per_epoch"),
        ({"epochs": 10, "initial_epoch": 10}, "initial_epoch"),
        ({"epochs": 10, "callbacks": [SnapshotCallback(), SnapshotCallback()]}, "at most one"),
    ):
        with pytest.raises(Gan1dError, match=message):
            gan.fit_target(SQUARE, **options)
    with pytest.raises(Gan1dError, match="every"):
        SnapshotCallback(every=2.5)


@pytest.mark.slow  # long: three GANs compiled
def test_copies_train_apart_exactly_as_each_would_alone():
    gans = [make_gan(seed) for seed in (0, 1)]
    finals, d_losses, _ = fit_target_many(gans[0], SQUARE, [g.copy_state() for g in gans], 120, 64)
    alone = make_gan(1).fit_target(SQUARE, epochs=120, batch_size=64).history["d_loss"]
    np.testing.assert_allclose(d_losses[1], alone, rtol=2e-5, atol=1e-6)
    assert d_losses.shape == (2, 120)
    assert len(finals) == 2


def with_learning_rate(gan: GAN, rate: float):
    """A copy of the GAN's state whose optimizers' constant learning rate is `rate`."""
    state = gan.copy_state()
    fields = {}
    for name, optimizer in (("d_optimizer", gan.d_optimizer), ("g_optimizer", gan.g_optimizer)):
        values = list(getattr(state, name))
        position = [id(v) for v in optimizer.variables].index(id(optimizer.learning_rate))
        values[position] = keras.ops.convert_to_tensor(rate, "float32")
        fields[name] = values
    return state._replace(**fields)


def test_a_copy_that_diverges_stops_alone_and_keeps_its_last_good_state():
    gan = build_gan(TrainConfig(schedule="constant"))
    states = [gan.copy_state(), with_learning_rate(gan, 3e38)]
    finals, d_losses, _ = fit_target_many(gan, SQUARE, states, 60, 64)
    assert np.isfinite(d_losses[0]).all()
    stopped = np.flatnonzero(np.isnan(d_losses[1]))
    assert len(stopped), "the copy with an absurd learning rate must diverge"
    assert np.isnan(d_losses[1, stopped[0] :]).all()
    assert np.isfinite(d_losses[1, : stopped[0]]).all()
    assert all(np.isfinite(keras.ops.convert_to_numpy(v)).all() for v in finals[1].g_weights)
