"""gan1d.backend.tensorflow: Philox draws with and without XLA, and Keras's Adam on values."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gan1d import backend

# Every test here is TensorFlow's glue; under JAX, TensorFlow may not even be installed.
pytestmark = pytest.mark.backend("tensorflow")
if keras.backend.backend() == "tensorflow":
    from gan1d.backend.tensorflow import adam_apply, adam_slots


def numpy(value) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(value))


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
    layout = adam_slots(optimizer, variables)
    assert layout is not None
    weights = [keras.ops.convert_to_tensor(numpy(v)) for v in variables]
    values = [keras.ops.convert_to_tensor(numpy(v)) for v in optimizer.variables]
    rng = np.random.default_rng(0)
    for _ in range(6):  # past the schedule's decay steps
        grads = [keras.ops.convert_to_tensor(rng.normal(size=tuple(v.shape)).astype("float32")) for v in variables]
        weights, values = adam_apply(optimizer, layout, values, grads, weights)
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
    layout = adam_slots(optimizer, variables)
    assert layout is not None
    before = [numpy(v) for v in [*variables, *optimizer.variables]]
    weights = [keras.ops.convert_to_tensor(numpy(v)) for v in variables]
    values = [keras.ops.convert_to_tensor(numpy(v)) for v in optimizer.variables]
    grads = [keras.ops.ones(tuple(v.shape)) for v in variables]

    def update(values, grads, weights):
        return adam_apply(optimizer, layout, values, grads, weights)

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
    assert adam_slots(optimizer, variables) is None, "not built yet"
    optimizer.build(variables)
    assert adam_slots(optimizer, variables) is None
