"""gan1d.backend: the step's random draws, seeded like Keras's, on either backend."""

from __future__ import annotations

import keras
import numpy as np

from gan1d import backend


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
