"""gan1d.backend: the step's random draws, Adam on values, and compiled loops shared by structure."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gan1d import backend, loop
from gan1d.backend import adam
from gan1d.config import TrainConfig
from gan1d.models import build_gan
from gan1d.targets import target

SQUARE = target("square")


def numpy(value) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(value))


def draws(seed: int) -> list[np.ndarray]:
    generator = keras.random.SeedGenerator(seed)
    return [
        numpy(backend.random_normal((64, 5), generator)),
        numpy(backend.random_uniform((64, 1), -0.5, 0.5, generator)),
        numpy(backend.random_randint((64,), 0, 8, generator)),
        numpy(backend.random_normal((64, 5), generator)),
    ]


def test_draws_are_deterministic_per_seed_and_each_draw_is_new():
    first, again, other = draws(7), draws(7), draws(8)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    normal, uniform, integers, second_normal = first
    assert not np.array_equal(normal, other[0])
    assert not np.array_equal(normal, second_normal), "a generator must advance at every draw"
    assert normal.dtype == np.float32
    assert normal.shape == (64, 5)
    assert abs(normal.mean()) < 0.3
    assert 0.7 < normal.std() < 1.3
    assert uniform.min() >= -0.5
    assert uniform.max() < 0.5
    assert integers.dtype == np.int32
    assert set(np.unique(integers)) <= set(range(8))
    assert len(np.unique(integers)) > 4


def test_draws_in_a_stateless_scope_advance_only_the_scope_s_seed():
    generator = keras.random.SeedGenerator(3)
    start = numpy(generator.state)
    with keras.StatelessScope(state_mapping=[(generator.state, generator.state.value)]) as scope:
        inside = numpy(backend.random_normal((8, 2), generator))
        advanced = numpy(scope.get_current_value(generator.state))
    np.testing.assert_array_equal(numpy(generator.state), start)
    assert not np.array_equal(advanced, start)
    np.testing.assert_array_equal(inside, numpy(backend.random_normal((8, 2), keras.random.SeedGenerator(3))))


@pytest.mark.backend("tensorflow")
def test_tensorflow_draws_are_philox_s_with_and_without_xla():
    import tensorflow as tf

    def draw(seed):
        return (
            backend.random_normal((256, 5), seed),
            backend.random_uniform((256, 1), -1.0, 2.0, seed),
            backend.random_randint((256,), 0, 25, seed),
        )

    seed = tf.constant([11, 4], tf.int64)
    eager = [numpy(x) for x in draw(seed)]
    graph = [numpy(x) for x in tf.function(draw)(seed)]
    xla = [numpy(x) for x in tf.function(draw, jit_compile=True)(seed)]
    xla_again = [numpy(x) for x in tf.function(draw, jit_compile=True)(seed)]
    expected_uniform = tf.random.stateless_uniform((256, 1), seed, -1.0, 2.0, alg="philox")
    np.testing.assert_array_equal(eager[1], numpy(expected_uniform))
    for ours, theirs in zip(graph, eager, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    # XLA turns Philox's bits into floats its own way: other streams, as deterministic.
    np.testing.assert_array_equal(xla[2], eager[2])
    for ours, theirs in zip(xla, xla_again, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert not np.array_equal(xla[1], eager[1])
    assert xla[1].min() >= -1.0
    assert xla[1].max() < 2.0
    assert abs(xla[0].mean()) < 0.2
    assert 0.8 < xla[0].std() < 1.2


# ----- Adam on values ------------------------------------------------------------

RATES = {
    "constant": lambda: 3e-3,
    "cosine-schedule": lambda: keras.optimizers.schedules.CosineDecay(5e-3, decay_steps=4),
    "callable": lambda: lambda: 2e-3,  # a zero-argument callable, as Keras's Adam accepts
}


def small_model() -> keras.Model:
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])


@pytest.mark.parametrize("rate", RATES.values(), ids=RATES.keys())
def test_adam_on_values_is_keras_adam_s_own_update(rate):
    model = small_model()
    variables = model.trainable_variables
    optimizer = keras.optimizers.Adam(rate(), beta_1=0.5)
    optimizer.build(variables)
    layout = adam.slots(optimizer, variables)
    assert layout is not None
    weights = [keras.ops.convert_to_tensor(numpy(v)) for v in variables]
    values = [keras.ops.convert_to_tensor(numpy(v)) for v in optimizer.variables]
    rng = np.random.default_rng(0)
    for _ in range(6):  # past the schedule's decay steps
        grads = [keras.ops.convert_to_tensor(rng.normal(size=tuple(v.shape)).astype("float32")) for v in variables]
        weights, values = adam.apply(optimizer, layout, values, grads, weights)
        optimizer.apply(grads, variables)  # Keras's own update of the variables
        for ours, theirs in zip(weights + values, [*variables, *optimizer.variables], strict=True):
            np.testing.assert_allclose(numpy(ours), numpy(theirs), rtol=1e-6, atol=1e-9)
    assert int(numpy(values[layout.iterations])) == 6


@pytest.mark.parametrize("rate", RATES.values(), ids=RATES.keys())
def test_adam_on_values_compiles_to_the_same_update_without_touching_variables(rate):
    model = small_model()
    variables = model.trainable_variables
    optimizer = keras.optimizers.Adam(rate())
    optimizer.build(variables)
    layout = adam.slots(optimizer, variables)
    assert layout is not None
    before = [numpy(v) for v in [*variables, *optimizer.variables]]
    weights = [keras.ops.convert_to_tensor(numpy(v)) for v in variables]
    values = [keras.ops.convert_to_tensor(numpy(v)) for v in optimizer.variables]
    grads = [keras.ops.ones(tuple(v.shape)) for v in variables]

    def update(values, grads, weights):
        return adam.apply(optimizer, layout, values, grads, weights)

    eager = update(values, grads, weights)
    compiled = backend.compile_function(update)(values, grads, weights)
    for ours, theirs in zip(eager[0] + eager[1], compiled[0] + compiled[1], strict=True):
        np.testing.assert_allclose(numpy(ours), numpy(theirs), rtol=1e-6, atol=1e-9)
    for value, variable in zip(before, [*variables, *optimizer.variables], strict=True):
        np.testing.assert_array_equal(value, numpy(variable))


class MyAdam(keras.optimizers.Adam):
    pass


@pytest.mark.parametrize(
    "make",
    [
        lambda: keras.optimizers.Adam(amsgrad=True),
        lambda: keras.optimizers.Adam(clipnorm=1.0),
        lambda: keras.optimizers.Adam(weight_decay=0.01),
        lambda: keras.optimizers.Adam(use_ema=True),
        lambda: keras.optimizers.SGD(0.01, momentum=0.9),
        MyAdam,
    ],
    ids=["amsgrad", "clipnorm", "weight-decay", "ema", "sgd", "subclass"],
)
def test_adam_on_values_leaves_every_other_optimizer_to_keras(make):
    variables = small_model().trainable_variables
    optimizer = make()
    assert adam.slots(optimizer, variables) is None, "not built yet"
    optimizer.build(variables)
    assert adam.slots(optimizer, variables) is None


# ----- compiled loops shared by structure --------------------------------------


def make_gan(seed: int, **options):
    return build_gan(TrainConfig.from_preset("seed", seed=seed, **options))


def test_gans_of_one_structure_share_one_compiled_loop_and_train_as_each_would_alone():
    loop._LOOPS.clear()
    make_gan(0).fit_target(SQUARE, epochs=40)
    compiled = sum(map(len, loop._LOOPS.values()))
    second = make_gan(1)
    shared = second.fit_target(SQUARE, epochs=40).history
    assert sum(map(len, loop._LOOPS.values())) == compiled, "the second GAN compiled a loop of its own"
    loop._LOOPS.clear()
    alone = make_gan(1).fit_target(SQUARE, epochs=40).history
    assert shared == alone
    assert int(second.d_optimizer.iterations) == 40


def test_an_optimizer_adam_on_values_does_not_cover_trains_through_keras():
    gan = make_gan(0)
    gan.compile(
        d_optimizer=keras.optimizers.SGD(0.01, momentum=0.9), g_optimizer=keras.optimizers.SGD(0.01, momentum=0.9)
    )
    history = gan.fit_target(SQUARE, epochs=30).history
    assert np.isfinite(history["g_loss"]).all()
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 30
    moments = [numpy(v) for v in gan.g_optimizer.variables if "momentum" in v.path]
    assert moments
    assert all(np.any(m != 0) for m in moments)
    expected = keras.backend.backend() == "jax"
    assert backend.updates_are_pure(gan.g_optimizer, gan.generator.trainable_variables) is expected
