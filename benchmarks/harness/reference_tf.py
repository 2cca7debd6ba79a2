"""The seed recipe written by hand in TensorFlow: tf.Variables, GradientTape, one `tf.function`.

Each call of the compiled function is a whole training run from a fresh
initialisation: a `tf.range` loop over snapshot periods, each an inner loop of
`snapshot_every` steps followed by one snapshot of G on a fixed latent batch.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

from harness.common import ADAM_EPSILON, BCE_EPSILON, BETA_1, BETA_2, DOMAIN, Case, Recipe, Runner, init_limit


class MLP:
    """Dense layers as tf.Variables: ReLU hidden layers, linear output."""

    def __init__(self, sizes: list[int]) -> None:
        self.shapes = list(itertools.pairwise(sizes))
        self.variables: list[tf.Variable] = []
        for fan_in, fan_out in self.shapes:
            self.variables += [tf.Variable(tf.zeros((fan_in, fan_out))), tf.Variable(tf.zeros(fan_out))]

    def initialize(self, rng: tf.random.Generator) -> None:
        """he_uniform kernels for hidden layers, glorot_uniform for the output, zero biases."""
        for i, (fan_in, fan_out) in enumerate(self.shapes):
            limit = init_limit(fan_in, fan_out, hidden=i < len(self.shapes) - 1)
            self.variables[2 * i].assign(rng.uniform((fan_in, fan_out), -limit, limit))
            self.variables[2 * i + 1].assign(tf.zeros(fan_out))

    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        layers = len(self.shapes)
        for i in range(layers):
            x = tf.matmul(x, self.variables[2 * i]) + self.variables[2 * i + 1]
            if i < layers - 1:
                x = tf.nn.relu(x)
        return x


class Adam:
    """Keras-style Adam on a list of variables (epsilon outside the square root)."""

    def __init__(self, variables: list[tf.Variable], learning_rate: float) -> None:
        self.variables = variables
        self.learning_rate = learning_rate
        self.m = [tf.Variable(tf.zeros_like(v)) for v in variables]
        self.v = [tf.Variable(tf.zeros_like(v)) for v in variables]
        self.t = tf.Variable(0.0)

    def reset(self) -> None:
        self.t.assign(0.0)
        for slot in (*self.m, *self.v):
            slot.assign(tf.zeros_like(slot))

    def apply(self, grads: list[tf.Tensor]) -> None:
        t = self.t.assign_add(1.0)
        alpha = self.learning_rate * tf.sqrt(1.0 - BETA_2**t) / (1.0 - BETA_1**t)
        for var, m, v, g in zip(self.variables, self.m, self.v, grads, strict=True):
            m.assign_add((g - m) * (1.0 - BETA_1))
            v.assign_add((g * g - v) * (1.0 - BETA_2))
            var.assign_sub(alpha * m / (tf.sqrt(v) + ADAM_EPSILON))


def bce(label: float | tf.Tensor, probability: tf.Tensor) -> tf.Tensor:
    """Keras's BinaryCrossentropy on probabilities (clipped), averaged over the batch."""
    p = tf.clip_by_value(probability, BCE_EPSILON, 1.0 - BCE_EPSILON)
    return -tf.reduce_mean(label * tf.math.log(p) + (1.0 - label) * tf.math.log(1.0 - p))


def make_train(recipe: Recipe, jit_compile: bool = False) -> Callable[[tf.Tensor], tuple[tf.Tensor, ...]]:
    """Returns a `tf.function` `train(periods) -> (d_losses, g_losses, snapshots)`."""
    batch, latent, every = recipe.batch_size, recipe.latent_dim, recipe.snapshot_every
    rng = tf.random.Generator.from_seed(recipe.seed)
    g, d = MLP(recipe.generator_sizes), MLP(recipe.discriminator_sizes)
    g_opt, d_opt = Adam(g.variables, recipe.learning_rate), Adam(d.variables, recipe.learning_rate)
    noise = tf.constant(recipe.snapshot_noise())
    labels = tf.concat([tf.ones((batch, 1)), tf.zeros((batch, 1))], axis=0)

    def step() -> tuple[tf.Tensor, tf.Tensor]:
        x = rng.uniform((batch, 1), DOMAIN[0], DOMAIN[1])
        points = tf.concat([tf.concat([x, x * x], axis=1), g(rng.normal((batch, latent)))], axis=0)
        with tf.GradientTape() as tape:
            d_loss = bce(labels, tf.sigmoid(d(points)))
        d_opt.apply(tape.gradient(d_loss, d.variables))
        z = rng.normal((2 * batch, latent))
        with tf.GradientTape() as tape:
            g_loss = bce(1.0, tf.sigmoid(d(g(z))))
        g_opt.apply(tape.gradient(g_loss, g.variables))
        return d_loss, g_loss

    def train(periods: tf.Tensor) -> tuple[tf.Tensor, ...]:
        g.initialize(rng)
        d.initialize(rng)
        g_opt.reset()
        d_opt.reset()
        d_losses = tf.TensorArray(tf.float32, size=periods * every)
        g_losses = tf.TensorArray(tf.float32, size=periods * every)
        snapshots = tf.TensorArray(tf.float32, size=periods)
        for p in tf.range(periods):
            for i in tf.range(every):
                d_loss, g_loss = step()
                d_losses = d_losses.write(p * every + i, d_loss)
                g_losses = g_losses.write(p * every + i, g_loss)
            snapshots = snapshots.write(p, g(noise))
        return d_losses.stack(), g_losses.stack(), snapshots.stack()

    # Called rather than used as a decorator: TensorFlow has no type hints, and the
    # annotation keeps the signature of what it compiles.
    compiled: Callable[[tf.Tensor], tuple[tf.Tensor, ...]] = tf.function(train, jit_compile=jit_compile)
    return compiled


def reference_case(
    recipe: Recipe,
    steps: int,
    key: str = "reference",
    label: str = "hand-written TF",
    jit_compile: bool = False,
) -> Case:
    """A case whose every call is a fresh `steps`-step run (variables re-initialised inside)."""

    def make() -> Runner:
        train = make_train(recipe, jit_compile)
        periods = tf.constant(recipe.periods(steps))
        last: list[Any] = []

        def run() -> None:
            last[:] = [t.numpy() for t in train(periods)]

        return Runner(run, lambda: np.asarray(last[2][-1]))

    return Case(key, label, steps, make)
