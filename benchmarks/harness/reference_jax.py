"""The seed recipe written by hand in JAX: jax.numpy MLPs, Adam in a few lines, one `lax.scan`.

Each call of the compiled function is a whole training run from a fresh
initialisation: `periods` snapshot periods (an outer scan), each of
`snapshot_every` steps (an inner scan) followed by one snapshot of G on a fixed
latent batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from harness.common import ADAM_EPSILON, BCE_EPSILON, BETA_1, BETA_2, DOMAIN, Case, Recipe, Runner, init_limit

Params = list[tuple[jax.Array, jax.Array]]
# Adam's state: first and second moments (shaped like the parameters) and the step count.
AdamState = tuple[Params, Params, jax.Array]


def init_mlp(key: jax.Array, sizes: list[int]) -> Params:
    """Dense layers: he_uniform kernels for hidden layers, glorot_uniform for the output, zero biases."""
    keys = jax.random.split(key, len(sizes) - 1)
    params = []
    for i, (k, fan_in, fan_out) in enumerate(zip(keys, sizes[:-1], sizes[1:], strict=True)):
        limit = init_limit(fan_in, fan_out, hidden=i < len(sizes) - 2)
        kernel = jax.random.uniform(k, (fan_in, fan_out), minval=-limit, maxval=limit)
        params.append((kernel, jnp.zeros(fan_out)))
    return params


def mlp(params: Params, x: jax.Array) -> jax.Array:
    """ReLU hidden layers and a linear output (logits for D)."""
    for kernel, bias in params[:-1]:
        x = jax.nn.relu(x @ kernel + bias)
    kernel, bias = params[-1]
    return x @ kernel + bias


def bce(label: float | jax.Array, probability: jax.Array) -> jax.Array:
    """Keras's BinaryCrossentropy on probabilities (clipped), averaged over the batch."""
    p = jnp.clip(probability, BCE_EPSILON, 1.0 - BCE_EPSILON)
    return -jnp.mean(label * jnp.log(p) + (1.0 - label) * jnp.log(1.0 - p))


def adam_init(params: Params) -> AdamState:
    zeros = jax.tree.map(jnp.zeros_like, params)
    return zeros, zeros, jnp.zeros((), jnp.int32)


def adam(params: Params, grads: Params, state: AdamState, lr: float) -> tuple[Params, AdamState]:
    """One Keras-style Adam update (epsilon outside the square root, bias-corrected step size)."""
    m, v, t = state
    t = t + 1
    m = jax.tree.map(lambda m, g: m + (g - m) * (1.0 - BETA_1), m, grads)
    v = jax.tree.map(lambda v, g: v + (g * g - v) * (1.0 - BETA_2), v, grads)
    alpha = lr * jnp.sqrt(1.0 - BETA_2**t) / (1.0 - BETA_1**t)
    params = jax.tree.map(lambda p, m, v: p - alpha * m / (jnp.sqrt(v) + ADAM_EPSILON), params, m, v)
    return params, (m, v, t)


def make_train(recipe: Recipe, steps: int) -> Callable[[jax.Array], tuple[jax.Array, jax.Array, jax.Array]]:
    """Returns a jitted `train(key) -> (d_losses, g_losses, snapshots)` running `steps` steps."""
    batch, latent, lr = recipe.batch_size, recipe.latent_dim, recipe.learning_rate
    noise = jnp.asarray(recipe.snapshot_noise())
    labels = jnp.concatenate([jnp.ones((batch, 1)), jnp.zeros((batch, 1))])

    def step(carry: tuple[Any, ...], _: None) -> tuple[tuple[Any, ...], tuple[jax.Array, jax.Array]]:
        g, d, g_opt, d_opt, key = carry
        key, k_real, k_fake, k_gen = jax.random.split(key, 4)
        x = jax.random.uniform(k_real, (batch, 1), minval=DOMAIN[0], maxval=DOMAIN[1])
        points = jnp.concatenate(
            [jnp.concatenate([x, x * x], axis=1), mlp(g, jax.random.normal(k_fake, (batch, latent)))]
        )
        d_loss, d_grads = jax.value_and_grad(lambda d: bce(labels, jax.nn.sigmoid(mlp(d, points))))(d)
        d, d_opt = adam(d, d_grads, d_opt, lr)
        z = jax.random.normal(k_gen, (2 * batch, latent))
        g_loss, g_grads = jax.value_and_grad(lambda g: bce(1.0, jax.nn.sigmoid(mlp(d, mlp(g, z)))))(g)
        g, g_opt = adam(g, g_grads, g_opt, lr)
        return (g, d, g_opt, d_opt, key), (d_loss, g_loss)

    def period(carry: tuple[Any, ...], _: None) -> tuple[tuple[Any, ...], tuple[Any, jax.Array]]:
        carry, losses = jax.lax.scan(step, carry, length=recipe.snapshot_every)
        return carry, (losses, mlp(carry[0], noise))

    @jax.jit
    def train(key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        k_g, k_d, k_run = jax.random.split(key, 3)
        g, d = init_mlp(k_g, recipe.generator_sizes), init_mlp(k_d, recipe.discriminator_sizes)
        carry = (g, d, adam_init(g), adam_init(d), k_run)
        _, ((d_losses, g_losses), snapshots) = jax.lax.scan(period, carry, length=recipe.periods(steps))
        return d_losses.reshape(-1), g_losses.reshape(-1), snapshots

    return train


def reference_case(recipe: Recipe, steps: int, key: str = "reference", label: str = "hand-written JAX") -> Case:
    """A case whose every call is a fresh `steps`-step run with a new random key."""

    def make() -> Runner:
        train = make_train(recipe, steps)
        calls = iter(range(recipe.seed, 1 << 30))
        last: list[Any] = []

        def run() -> None:
            last[:] = jax.block_until_ready(train(jax.random.key(next(calls))))

        return Runner(run, lambda: np.asarray(last[2][-1]))

    return Case(key, label, steps, make)
