"""The GAN model: keras.io-style fit(), its optimizers, its state, saving and loading."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

import gan1d
from gan1d.core import views
from gan1d.core.callbacks import SnapshotCallback
from gan1d.core.gan import GAN
from gan1d.core.networks import build_discriminator, build_generator
from gan1d.data.targets import target
from gan1d.errors import Gan1dError


def make_gan(seed: int = 0, **compile_options) -> GAN:
    keras.utils.set_random_seed(seed)
    gan = GAN(discriminator=build_discriminator(), generator=build_generator(5), latent_dim=5, seed=seed)
    options = {"d_optimizer": keras.optimizers.Adam(1e-3), "g_optimizer": keras.optimizers.Adam(1e-3)}
    gan.compile(**{**options, **compile_options})
    return gan


def weights(model: keras.Model) -> list[np.ndarray]:
    return [keras.ops.convert_to_numpy(v) for v in model.trainable_variables]


def real_points(n: int = 640) -> np.ndarray:
    return target("square").sample(n, seed=0)


def test_fit_advances_both_optimizers_once_per_step_and_changes_every_weight():
    gan = make_gan()
    d_before, g_before = weights(gan.discriminator), weights(gan.generator)
    history = gan.fit(real_points(640), batch_size=64, epochs=2, verbose=0)
    # 640 points / 64 per batch = 10 steps per epoch.
    assert int(gan.d_optimizer.iterations) == 20
    assert int(gan.g_optimizer.iterations) == 20
    for before, after in zip(d_before + g_before, weights(gan.discriminator) + weights(gan.generator), strict=True):
        assert not np.allclose(before, after), "a weight did not change"
    assert set(history.history) == {"d_loss", "g_loss"}
    assert len(history.history["d_loss"]) == 2
    assert all(np.isfinite(history.history["g_loss"]))


def test_fit_is_deterministic_for_a_seed():
    histories = [
        make_gan(5).fit(real_points(256), batch_size=64, epochs=3, verbose=0, shuffle=False).history for _ in range(2)
    ]
    assert histories[0] == histories[1]


def test_compiling_again_with_other_optimizers_trains_with_them():
    gan = make_gan()
    gan.fit(real_points(128), batch_size=64, epochs=1, verbose=0)
    gan.compile(
        d_optimizer=keras.optimizers.SGD(0.01, momentum=0.9), g_optimizer=keras.optimizers.SGD(0.01, momentum=0.9)
    )
    history = gan.fit(real_points(128), batch_size=64, epochs=2, verbose=0)
    assert np.isfinite(history.history["g_loss"]).all()
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 4
    moments = [keras.ops.convert_to_numpy(v) for v in gan.g_optimizer.variables if "momentum" in v.path]
    assert moments
    assert all(np.any(m != 0) for m in moments)


@pytest.mark.parametrize(
    "rate",
    [
        lambda: 2e-3,  # a zero-argument callable, as Keras's own Adam accepts
        keras.optimizers.schedules.CosineDecay(5e-3, decay_steps=40),
        3e-3,
    ],
    ids=["callable", "cosine-schedule", "constant"],
)
def test_each_update_is_keras_adam_s_own(rate):
    """One GAN step, against keras.optimizers.Adam applied by hand to the same gradients."""
    gan = make_gan(
        1, d_optimizer=keras.optimizers.Adam(rate, beta_1=0.5), g_optimizer=keras.optimizers.Adam(rate, beta_1=0.5)
    )
    gan.fit_target(target("square"), epochs=3)  # moments and the step count are not at their start values
    before = gan.copy_state()
    state, _, _ = gan.step(before, real_points(64))

    # The same discriminator update, done by Keras on a separate copy of the variables.
    reference = keras.optimizers.Adam(rate, beta_1=0.5)
    copies = [keras.Variable(v) for v in before.d_weights]
    reference.build(copies)
    for variable, value in zip(reference.variables, before.d_optimizer, strict=True):
        variable.assign(value)
    fake_noise_state = before
    grads = _discriminator_gradients(gan, fake_noise_state, real_points(64))
    reference.apply(grads, copies)
    for copy, new in zip(copies, state.d_weights, strict=True):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(copy), keras.ops.convert_to_numpy(new), rtol=1e-5, atol=1e-7
        )
    assert int(keras.ops.convert_to_numpy(reference.iterations)) == 4


def _discriminator_gradients(gan: GAN, state, real) -> list:
    """The discriminator's gradients in the step from `state`, recomputed with the same random draws."""
    from gan1d.backend import random_normal, value_and_grad
    from gan1d.core.losses import discriminator_loss

    with keras.StatelessScope(state_mapping=[(gan.seed_generator.state, state.seed[0])]):
        real = keras.ops.cast(real, "float32")
        noise = random_normal((64, gan.latent_dim), gan.seed_generator)
    fake, _ = gan.generator.stateless_call(state.g_weights, state.g_state, noise, training=True)

    def objective(d_weights, d_state):
        scores, d_state = gan.discriminator.stateless_call(
            d_weights, d_state, keras.ops.concatenate([real, fake], axis=0), training=True
        )
        return discriminator_loss(gan.loss_fn, scores[:64], scores[64:]), d_state

    (_, _), grads = value_and_grad(objective)(list(state.d_weights), list(state.d_state))
    return grads


def test_snapshot_callback_under_fit_stores_every_k_epochs():
    gan = make_gan()
    snapshots = SnapshotCallback(every=2, n_points=10)
    gan.fit(real_points(128), batch_size=64, epochs=5, verbose=0, callbacks=[snapshots])
    assert [epoch for epoch, _ in snapshots.snapshots] == [0, 2, 4]
    assert all(points.shape == (10, 2) and points.dtype == np.float32 for _, points in snapshots.snapshots)
    assert snapshots.discriminator_accuracy == []  # no real points given
    assert snapshots.recorded_views() is None  # nor a plane to draw the layers on


def test_snapshot_callback_under_fit_captures_the_layers_around_its_real_points():
    gan = make_gan()
    real = real_points(128)
    snapshots = SnapshotCallback(every=2, n_points=10, real_points=real[:50])
    gan.fit(real, batch_size=64, epochs=4, verbose=0, callbacks=[snapshots])
    layers = snapshots.recorded_views()
    assert layers is not None
    assert len(layers) == 3
    (x0, x1), (y0, y1) = layers.plane
    assert x0 < real[:50, 0].min()
    assert real[:50, 0].max() < x1
    assert y0 < real[:50, 1].min()
    assert real[:50, 1].max() < y1
    cells = layers.verdict.shape[1]
    scores = gan.discriminate(views.plane_grid(layers.plane, cells)).reshape(cells, cells)
    np.testing.assert_allclose(layers.verdict[-1], scores, rtol=1e-4, atol=1e-6)


def test_compile_refuses_one_optimizer_for_both_and_non_optimizers():
    gan = GAN(build_discriminator(), build_generator(5), 5)
    adam = keras.optimizers.Adam()
    with pytest.raises(Gan1dError, match="two optimizer instances"):
        gan.compile(d_optimizer=adam, g_optimizer=adam)
    with pytest.raises(Gan1dError, match="Optimizer instances"):
        gan.compile(d_optimizer="adam", g_optimizer=adam)


def test_training_an_uncompiled_gan_says_so():
    gan = GAN(build_discriminator(), build_generator(5), 5)
    with pytest.raises(Gan1dError, match="compile the GAN"):
        gan.fit_target(target("square"), epochs=5)


@pytest.mark.parametrize(
    ("options", "message"),
    [({"latent_dim": 0}, "latent_dim"), ({"latent_dim": 2.5}, "latent_dim"), ({"pack": 0}, "pack")],
)
def test_bad_construction_arguments(options, message):
    with pytest.raises(Gan1dError, match=message):
        GAN(**{"discriminator": build_discriminator(), "generator": build_generator(5), "latent_dim": 5, **options})


def test_keras_io_style_user_script_trains():
    """What a keras.io reader writes: build, compile, fit real points, look at snapshots."""
    keras.utils.set_random_seed(1)
    gan = gan1d.GAN(
        discriminator=gan1d.build_discriminator(),
        generator=gan1d.build_generator(latent_dim=5),
        latent_dim=5,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        g_optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss_fn=keras.losses.BinaryCrossentropy(),
    )
    real = gan1d.target("square").sample(64 * 4, seed=0)
    callback = gan1d.SnapshotCallback(every=5, n_points=100)
    history = gan.fit(real, batch_size=64, epochs=10, verbose=0, callbacks=[callback])
    assert len(history.history["g_loss"]) == 10
    assert [epoch for epoch, _ in callback.snapshots] == [0, 5, 10]
    assert gan.generate(32).shape == (32, 2)


@pytest.mark.backend("jax")
def test_jax_state_threads_both_optimizers():
    """The JAX trap: a second optimizer outside model.optimizer never updates."""
    gan = make_gan()
    gan.fit(real_points(64), batch_size=64, epochs=3, verbose=0)
    assert isinstance(gan.optimizer, keras.optimizers.MultiOptimizer)
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 3
    for optimizer in (gan.d_optimizer, gan.g_optimizer):
        moments = [keras.ops.convert_to_numpy(v) for v in optimizer.variables if "momentum" in v.path]
        assert moments
        assert all(np.any(m != 0) for m in moments)


def make_packed_gan(pack: int, seed: int = 0, **options) -> GAN:
    keras.utils.set_random_seed(seed)
    discriminator = build_discriminator(2 * pack, (16,), output_activation=None)
    gan = GAN(
        discriminator=discriminator,
        generator=build_generator(2, (16,)),
        latent_dim=2,
        seed=seed,
        pack=pack,
        **options,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-3),
        g_optimizer=keras.optimizers.Adam(1e-3),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    return gan


def test_a_packed_discriminator_judges_packs_of_points():
    gan = make_packed_gan(4)
    points = target("ring").sample(10, seed=0)
    scores = gan.discriminate(points)
    assert scores.shape == (2, 1)  # two whole packs of four; the last two points are left out
    by_hand = keras.ops.convert_to_numpy(gan.discriminator(points[:8].reshape(2, 8)))
    np.testing.assert_allclose(scores, by_hand, rtol=1e-6)
    d_before, g_before = weights(gan.discriminator), weights(gan.generator)
    snapshots = SnapshotCallback(every=10, n_points=50, real_points=target("ring").sample(50, seed=1))
    history = gan.fit_target(target("ring"), epochs=20, batch_size=64, callbacks=[snapshots])
    assert all(np.isfinite(history.history["d_loss"]))
    for before, after in zip(d_before + g_before, weights(gan.discriminator) + weights(gan.generator), strict=True):
        assert not np.allclose(before, after)
    assert len(snapshots.discriminator_accuracy) == 3
    layers = snapshots.recorded_views()
    assert layers is not None
    assert np.isfinite(layers.verdict).all()  # a grid point is judged as a pack of its copies
    # fit() fills a last batch that is not a whole number of packs by repeating its points.
    history = gan.fit(target("ring").sample(130, seed=2), batch_size=64, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][-1])


def test_pack_must_match_the_discriminator_and_the_batch():
    keras.utils.set_random_seed(0)
    with pytest.raises(Gan1dError, match="must take 8"):
        GAN(discriminator=build_discriminator(2), generator=build_generator(2), latent_dim=2, pack=4)
    with pytest.raises(Gan1dError, match="multiple of pack"):
        make_packed_gan(4).fit_target(target("ring"), epochs=5, batch_size=30)


def test_instance_noise_blurs_what_the_discriminator_sees_and_follows_its_schedule():
    plain = make_packed_gan(1).fit_target(target("ring"), epochs=1, batch_size=64).history
    silent = make_packed_gan(1, instance_noise=0.0).fit_target(target("ring"), epochs=1, batch_size=64).history
    assert silent["d_loss"] == pytest.approx(plain["d_loss"], rel=1e-6)  # same draws, nothing added
    loud = make_packed_gan(1, instance_noise=50.0).fit_target(target("ring"), epochs=1, batch_size=64).history
    assert loud["d_loss"] != pytest.approx(plain["d_loss"], rel=1e-3)
    schedule = keras.optimizers.schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0)
    gan = make_packed_gan(1, instance_noise=schedule)
    gan.fit_target(target("ring"), epochs=4, batch_size=64)
    assert float(keras.ops.convert_to_numpy(gan.noise_std(gan.read_state()))) == pytest.approx(0.6)


# ----- saving and loading ----------------------------------------------------------


@pytest.fixture(scope="module")
def saved_gan(tmp_path_factory):
    """A planar-preset GAN (residual, scaled, instance noise) trained 30 steps, then saved."""
    from gan1d.run.build import build_gan
    from gan1d.run.config import TrainConfig

    gan = build_gan(TrainConfig.from_preset("planar", function="ring", epochs=100, instance_noise=0.1))
    gan.fit_target(target("ring"), epochs=30, batch_size=512)
    path = tmp_path_factory.mktemp("saved") / "gan.keras"
    gan.save(path)
    return gan, path


def test_a_saved_gan_loads_with_both_networks_optimizers_and_random_state(saved_gan):
    gan, path = saved_gan
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, GAN)
    assert loaded.latent_dim == gan.latent_dim
    assert int(loaded.d_optimizer.iterations) == int(loaded.g_optimizer.iterations) == 30
    assert loaded.instance_noise.get_config() == gan.instance_noise.get_config()
    for mine, theirs in zip(gan.read_state(), loaded.read_state(), strict=True):
        for a, b in zip(mine, theirs, strict=True):
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    noise = np.random.default_rng(0).standard_normal((8, gan.latent_dim)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded.generator(noise)), keras.ops.convert_to_numpy(gan.generator(noise)), rtol=1e-6
    )


def test_training_continued_after_loading_matches_training_that_never_stopped(saved_gan, tmp_path):
    gan, path = saved_gan
    loaded = gan1d.load_gan(path)
    # Train the original from a copy of itself, so the fixture stays as saved.
    again = gan1d.load_gan(path)
    expected = again.fit_target(target("ring"), epochs=60, batch_size=512, initial_epoch=30).history["g_loss"]
    continued = loaded.fit_target(target("ring"), epochs=60, batch_size=512, initial_epoch=30).history["g_loss"]
    assert continued == expected
    before = gan.copy_state()
    straight = gan.fit_target(target("ring"), epochs=60, batch_size=512, initial_epoch=30).history["g_loss"]
    gan.write_state(before)
    np.testing.assert_array_equal(continued, straight)


def test_a_model_file_that_would_run_code_is_refused(tmp_path):
    points = keras.Input((2,))
    doubled = keras.layers.Lambda(lambda x: x * 2)(points)
    discriminator = keras.Model(points, keras.layers.Dense(1)(doubled))
    gan = GAN(discriminator, build_generator(2), 2)
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    gan.save(tmp_path / "lambda.keras")
    with pytest.raises(Gan1dError, match="safe mode"):
        gan1d.load_gan(tmp_path / "lambda.keras")


def test_a_gan_whose_noise_is_a_python_function_explains_why_it_cannot_be_saved(tmp_path):
    gan = make_packed_gan(1, instance_noise=lambda step: 0.1)
    with pytest.raises(Gan1dError, match="cannot be saved"):
        gan.save(tmp_path / "gan.keras")


@pytest.mark.parametrize("saved_under", ["jax", "tensorflow"])
def test_a_gan_saved_under_either_backend_loads_under_this_one(saved_under):
    """`tests/fixtures/make_saved_gans.py` saved these under each backend."""
    data = Path(__file__).parents[1] / "fixtures"
    gan = gan1d.load_gan(data / f"gan-{saved_under}.keras")
    expected = np.load(data / f"gan-{saved_under}.npz")
    points = gan.generate(16, seed=0)
    np.testing.assert_allclose(points, expected["points"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gan.discriminate(points), expected["scores"], rtol=1e-5, atol=1e-5)
    assert int(gan.g_optimizer.iterations) == 30
    history = gan.fit_target(target("cube"), epochs=40, batch_size=64, initial_epoch=30)
    assert np.isfinite(history.history["g_loss"]).all()


def test_fit_refuses_points_of_the_wrong_shape():
    gan = gan1d.GAN(gan1d.build_discriminator(), gan1d.build_generator(5), 5)
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    with pytest.raises(gan1d.Gan1dError, match=r"shape \(n, 2\)"):
        gan.fit(np.zeros((64, 3), "float32"), batch_size=32, epochs=1, verbose=0)
