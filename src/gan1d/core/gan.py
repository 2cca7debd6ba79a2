"""The GAN: a `keras.Model` with an overridden `train_step`, as keras.io teaches.

Read it top to bottom: `GANState` (every value one training step reads and
writes), then the `GAN` class: its two networks, `compile`, `train_step` (what
Keras's `fit()` calls per batch), and `step`, the training step itself, written
once in `keras.ops` as a pure function of a `GANState`. Its losses are in
`gan1d.core.losses`. `fit_target`, which the default run uses, runs the same
`step` many times per compiled call (`gan1d.core.loop`).

What differs per backend (taking gradients, applying an optimizer to values,
Keras's `train_step` signature) is the glue in `gan1d.backend`, chosen once at
import; a learner may skip it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import keras
import numpy as np
from keras import ops

import gan1d.core.layers  # noqa: F401  (registers the layers a saved generator may use)
from gan1d import backend
from gan1d.checks import integer
from gan1d.core import loop
from gan1d.core.losses import discriminator_loss, generator_loss
from gan1d.errors import Gan1dError

if TYPE_CHECKING:
    from gan1d.data.distribution import Target

__all__ = ["GAN", "GANState"]

SampleFn = Callable[[int, keras.random.SeedGenerator], Any]
NoiseSchedule = Callable[[Any], Any]


class GANState(NamedTuple):
    """Every value one training step reads and writes, as backend tensors.

    The same structure holding `keras.Variable`s (`GAN.state_variables`) says
    where each value lives.
    """

    d_weights: Sequence[Any]
    d_state: Sequence[Any]
    g_weights: Sequence[Any]
    g_state: Sequence[Any]
    d_optimizer: Sequence[Any]
    g_optimizer: Sequence[Any]
    seed: Sequence[Any]


@keras.saving.register_keras_serializable(package="gan1d")
class GAN(keras.Model):
    """A generator and a discriminator trained against each other.

    Use it like keras.io's GAN example: `compile(d_optimizer=..., g_optimizer=...)`
    then `fit(real_points, batch_size=64, epochs=...)`; each batch of real points
    trains the discriminator on it plus as many generated points, then the
    generator on twice as many latent points. `fit_target` trains the same step on
    points drawn from a `gan1d.Target` on the device, many steps per compiled call:
    `fit()` (through `train_step`) and `fit_target` both run `step`, so they train
    alike. `save("gan.keras")` keeps both networks, both optimizers and the random
    state; `keras.saving.load_model` brings all of it back.

    Args:
        discriminator: Model mapping points `(n, pack * d)` to scores `(n, 1)`.
        generator: Model mapping latent noise `(n, latent_dim)` to points `(n, d)`.
        latent_dim: Size of the latent noise vector.
        seed: Seed of the model's `SeedGenerator` (latent noise and real samples).
        pack: Points the discriminator judges together (PacGAN, Lin et al. 2018):
            it sees `pack` points of one kind concatenated, which lets it notice
            missing variety; batch sizes must be a multiple of it. 1 judges points
            one by one.
        instance_noise: Standard deviation of Gaussian noise added to every point
            the discriminator sees, real and generated (Sønderby et al. 2016): a
            number, or a `keras.optimizers.schedules.LearningRateSchedule` of the
            training step such as `PolynomialDecay(0.5, 4000, 0.0)` (any callable of
            the step trains, but only numbers and schedules can be saved). None: no
            noise.
    """

    def __init__(
        self,
        discriminator: keras.Model,
        generator: keras.Model,
        latent_dim: int,
        *,
        seed: int | None = None,
        pack: int = 1,
        instance_noise: float | NoiseSchedule | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(discriminator, keras.Model) or not isinstance(generator, keras.Model):
            raise Gan1dError("discriminator and generator must be keras.Model instances")
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = integer("latent_dim", latent_dim)
        self.pack = integer("pack", pack)
        self.seed = seed
        self.instance_noise = instance_noise
        point, judged = self.point_dim, int(discriminator.inputs[0].shape[-1])
        if judged != self.pack * point:
            raise Gan1dError(
                f"the discriminator takes {judged} values; with pack={pack} and {point}-value points it must take "
                f"{self.pack * point}"
            )
        self.seed_generator = keras.random.SeedGenerator(seed)
        # The epoch after which `fit_target` stopped on a non-finite step, if it did.
        self.diverged_at_epoch: int | None = None
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        # Both networks are built by their Input layers; this stops Keras from
        # building the GAN by calling it on a batch of real points.
        self.built = True

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(
        self,
        d_optimizer: keras.optimizers.Optimizer,
        g_optimizer: keras.optimizers.Optimizer,
        loss_fn: Callable[[Any, Any], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Configures training.

        Args:
            d_optimizer: Optimizer of the discriminator.
            g_optimizer: Optimizer of the generator (must be another instance).
            loss_fn: Keras loss `(y_true, y_pred)`; defaults to `BinaryCrossentropy()`,
                which suits a discriminator ending in a sigmoid.
            **kwargs: Passed to `keras.Model.compile` (e.g. `jit_compile`).
        """
        if not isinstance(d_optimizer, keras.optimizers.Optimizer) or not isinstance(
            g_optimizer, keras.optimizers.Optimizer
        ):
            raise Gan1dError("d_optimizer and g_optimizer must be keras.optimizers.Optimizer instances")
        if d_optimizer is g_optimizer:
            raise Gan1dError("d_optimizer and g_optimizer must be two optimizer instances")
        carrier = GANOptimizers(d_optimizer, g_optimizer, self.discriminator.trainable_variables)
        super().compile(optimizer=carrier, **kwargs)
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)
        carrier.build(self.trainable_variables)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn if loss_fn is not None else keras.losses.BinaryCrossentropy()

    # ----- training: Keras's train_step, and the step itself ----------------------

    def train_step(self, *args: Any) -> Any:
        """One batch of Keras's `fit()`: `step` on the GAN's state, the loss means updated.

        Keras calls `train_step(data)` under TensorFlow and `train_step(state, data)`
        under JAX, where every variable travels as a value and the new values go
        back with the logs. `backend.from_keras` and `backend.to_keras` are that
        difference and nothing else.
        """
        fields, data, carried = backend.from_keras(self, *args)
        real = data[0] if isinstance(data, tuple) else data
        state, d_loss, g_loss = self.step(GANState(*fields), real)
        return backend.to_keras(self, carried, state, {"d_loss": d_loss, "g_loss": g_loss})

    def step(
        self,
        state: GANState,
        real: Any = None,
        *,
        sample_real: SampleFn | None = None,
        batch_size: int | None = None,
    ) -> tuple[GANState, Any, Any]:
        """One training step as a pure function of `state`.

        The discriminator learns from `real` (or `batch_size` points drawn by
        `sample_real`) plus as many generated points; then the generator learns
        from twice as many latent points against the updated discriminator.

        Returns:
            The new state, the discriminator loss and the generator loss.
        """
        # Random draws advance the seed generator's state; inside this scope they
        # advance a value instead, which the new state carries (pure under jax.jit).
        seed_variable = self.seed_generator.state
        with keras.StatelessScope(state_mapping=[(seed_variable, state.seed[0])]) as scope:
            if real is None:
                if sample_real is None or batch_size is None:
                    raise ValueError("step needs real points or both sample_real and batch_size")
                real = sample_real(batch_size, self.seed_generator)
            real = ops.cast(real, "float32")
            if self.pack > 1 and (real.shape[0] is None or real.shape[0] % self.pack):
                # fit()'s last batch may not fill whole packs: repeat points to fill them.
                filled = ((ops.shape(real)[0] + self.pack - 1) // self.pack) * self.pack
                real = ops.tile(real, (self.pack, 1))[:filled]
            batch = ops.shape(real)[0]
            d_noise = backend.random_normal((batch, self.latent_dim), self.seed_generator)
            g_noise = backend.random_normal((2 * batch, self.latent_dim), self.seed_generator)
            if self.instance_noise is not None:
                blur = self.noise_std(state)
                points = self.point_dim
                real = real + blur * backend.random_normal((batch, points), self.seed_generator)
                d_blur = blur * backend.random_normal((batch, points), self.seed_generator)
                g_blur = blur * backend.random_normal((2 * batch, points), self.seed_generator)
            else:
                d_blur = g_blur = 0.0
            seed = scope.get_current_value(seed_variable)

        # The discriminator: real points labelled 1, generated ones 0.
        fake, g_state = self.generator.stateless_call(state.g_weights, state.g_state, d_noise, training=True)
        fake = fake + d_blur

        def d_objective(d_weights: list[Any], d_state: list[Any]) -> tuple[Any, list[Any]]:
            scores, d_state = self.discriminator.stateless_call(
                d_weights, d_state, ops.concatenate([self.packed(real), self.packed(fake)], axis=0), training=True
            )
            packs = batch // self.pack
            return discriminator_loss(self.loss_fn, scores[:packs], scores[packs:]), d_state

        (d_loss, d_state), d_grads = backend.value_and_grad(d_objective)(list(state.d_weights), list(state.d_state))
        d_weights, d_optimizer = backend.apply_gradients(
            self.d_optimizer, state.d_optimizer, d_grads, state.d_weights, self.discriminator.trainable_variables
        )

        # The generator: its points labelled real, judged by the updated discriminator.
        def g_objective(g_weights: list[Any], g_state: list[Any]) -> tuple[Any, list[Any]]:
            generated, g_state = self.generator.stateless_call(g_weights, g_state, g_noise, training=True)
            generated = generated + g_blur
            scores, _ = self.discriminator.stateless_call(d_weights, d_state, self.packed(generated), training=True)
            return generator_loss(self.loss_fn, scores), g_state

        (g_loss, g_state), g_grads = backend.value_and_grad(g_objective)(list(state.g_weights), list(g_state))
        g_weights, g_optimizer = backend.apply_gradients(
            self.g_optimizer, state.g_optimizer, g_grads, state.g_weights, self.generator.trainable_variables
        )
        new_state = GANState(d_weights, d_state, g_weights, g_state, d_optimizer, g_optimizer, [seed])
        return new_state, d_loss, g_loss

    def noise_std(self, state: GANState) -> Any:
        """The instance noise's standard deviation at the step `state` is about to take."""
        if not callable(self.instance_noise):
            return ops.cast(0.0 if self.instance_noise is None else self.instance_noise, "float32")
        position = [id(v) for v in self.d_optimizer.variables].index(id(self.d_optimizer.iterations))
        return ops.cast(self.instance_noise(state.d_optimizer[position]), "float32")

    def fit(self, x: Any = None, y: Any = None, *args: Any, **kwargs: Any) -> keras.callbacks.History:
        """Keras's `fit` on real points `x`, `(n, d)`; checks their shape first (see `keras.Model.fit`)."""
        # Arrays and tensors are checked here; datasets and generators are Keras's to check.
        shape = tuple(x.shape) if hasattr(x, "shape") else np.shape(x) if isinstance(x, list) else None
        if shape is not None and (len(shape) != 2 or shape[-1] != self.point_dim):
            raise Gan1dError(
                f"fit needs real points of shape (n, {self.point_dim}) (one row per point), got {tuple(shape)}"
            )
        return super().fit(x, y, *args, **kwargs)

    def fit_target(
        self,
        target: Target,
        epochs: int,
        batch_size: int = 64,
        callbacks: Sequence[keras.callbacks.Callback] = (),
        *,
        steps_per_epoch: int = 1,
        initial_epoch: int = 0,
        verbose: int | str = 1,
    ) -> keras.callbacks.History:
        """Trains on points drawn from `target` on the device, many `step`s per compiled call.

        See `gan1d.core.loop.fit_target`, which this calls, for the arguments and
        how callbacks are called.
        """
        return loop.fit_target(
            self,
            target,
            epochs,
            batch_size,
            callbacks,
            steps_per_epoch=steps_per_epoch,
            initial_epoch=initial_epoch,
            verbose=verbose,
        )

    # ----- using the networks ---------------------------------------------------

    @property
    def point_dim(self) -> int:
        """Size of a generated point (2 for `(x, y)`)."""
        return int(self.generator.compute_output_shape((1, self.latent_dim))[-1])

    @property
    def score_threshold(self) -> float:
        """Discriminator score above which a point counts as real: 0 for logits, else 0.5."""
        return 0.0 if getattr(self.loss_fn, "from_logits", False) else 0.5

    def call(self, noise: Any, training: bool = False) -> Any:
        return self.generator(noise, training=training)

    def generate(self, n: int, seed: int | None = None) -> np.ndarray:
        """Generates `n` points from fresh standard-normal latent noise, as a `(n, d)` NumPy array.

        The same seed gives the same latent vectors.
        """
        noise = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype("float32")
        return np.asarray(ops.convert_to_numpy(self.generator(noise, training=False)))

    def discriminate(self, points: Any) -> np.ndarray:
        """The discriminator's scores of `(n, d)` points, `(n // pack, 1)` as NumPy.

        With `pack > 1` it scores consecutive packs of points; a last partial pack is left out.
        """
        packed = self.packed(ops.convert_to_tensor(np.asarray(points, dtype="float32")), whole=True)
        return np.asarray(ops.convert_to_numpy(self.discriminator(packed)))

    def packed(self, points: Any, *, whole: bool = False) -> Any:
        """`(n, d)` points as `(n / pack, pack * d)` packs; `whole` drops a last partial pack."""
        if self.pack == 1:
            return points
        if whole:
            points = points[: (points.shape[0] // self.pack) * self.pack]
        return ops.reshape(points, (-1, self.pack * points.shape[-1]))

    # ----- the state as values --------------------------------------------------

    def state_variables(self) -> GANState:
        """The variables behind each field of the state (`seed` holds one)."""
        if not self.compiled:
            raise Gan1dError("compile the GAN (gan.compile(d_optimizer=..., g_optimizer=...)) before training it")
        return GANState(
            self.discriminator.trainable_variables,
            self.discriminator.non_trainable_variables,
            self.generator.trainable_variables,
            self.generator.non_trainable_variables,
            self.d_optimizer.variables,
            self.g_optimizer.variables,
            [self.seed_generator.state],
        )

    def read_state(self) -> GANState:
        """The current values of every variable of the state."""
        return GANState(*([ops.convert_to_tensor(v.value) for v in field] for field in self.state_variables()))

    def write_state(self, state: Sequence[Sequence[Any]]) -> None:
        """Assigns the values of a `GANState` to the variables."""
        for variables, values in zip(self.state_variables(), state, strict=True):
            for variable, value in zip(variables, values, strict=True):
                variable.assign(value)

    def copy_state(self) -> GANState:
        """A copy of the current values that later training cannot change.

        Under TensorFlow a tensor read from a variable can share its buffer, and the
        compiled loop updates variables in place; so copies go through the host.
        """
        copied: GANState = keras.tree.map_structure(
            lambda value: ops.convert_to_tensor(ops.convert_to_numpy(value)), self.read_state()
        )
        return copied

    # ----- saving and loading ---------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        noise = self.instance_noise
        if callable(noise) and not isinstance(noise, keras.optimizers.schedules.LearningRateSchedule):
            raise Gan1dError(
                "this GAN's instance_noise is a Python callable, which cannot be saved; use a number or a "
                "keras.optimizers.schedules.LearningRateSchedule"
            )
        return {
            **super().get_config(),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "latent_dim": self.latent_dim,
            "seed": self.seed,
            "pack": self.pack,
            "instance_noise": keras.saving.serialize_keras_object(noise) if callable(noise) else noise,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> GAN:
        config = dict(config)
        for name in ("discriminator", "generator"):
            config[name] = keras.saving.deserialize_keras_object(config[name], custom_objects=custom_objects)
        if isinstance(config.get("instance_noise"), dict):
            config["instance_noise"] = keras.saving.deserialize_keras_object(
                config["instance_noise"], custom_objects=custom_objects
            )
        return cls(**config)

    def get_compile_config(self) -> dict[str, Any]:
        if not self.compiled:
            return {}
        return {
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
            "loss_fn": keras.saving.serialize_keras_object(self.loss_fn),
        }

    def compile_from_config(self, config: dict[str, Any]) -> None:
        if config:
            self.compile(**{name: keras.saving.deserialize_keras_object(value) for name, value in config.items()})

    def save_own_variables(self, store: Any) -> None:
        # The random state is not a layer variable; keeping it makes a loaded GAN
        # draw what the saved one would have drawn next.
        store["seed_state"] = self.seed_generator.state

    def load_own_variables(self, store: Any) -> None:
        if "seed_state" in store:
            self.seed_generator.state.assign(ops.cast(store["seed_state"], self.seed_generator.state.dtype))


class GANOptimizers(keras.optimizers.MultiOptimizer):
    """Both networks' optimizers as the one `model.optimizer` Keras expects.

    Under JAX, Keras threads only `model.optimizer`'s variables through a compiled
    step, so both optimizers ride in this one; `GAN.step` still applies them one
    after the other. Setting `learning_rate` (as `LearningRateScheduler` and
    `ReduceLROnPlateau` do) sets both networks' rates; reading it gives the
    generator's.
    """

    def __init__(
        self,
        d_optimizer: keras.optimizers.Optimizer,
        g_optimizer: keras.optimizers.Optimizer,
        discriminator_variables: Sequence[keras.Variable],
    ) -> None:
        ids = {id(v) for v in discriminator_variables}
        super().__init__(lambda v: d_optimizer if id(v) in ids else g_optimizer, name="gan_optimizers")
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    @property
    def learning_rate(self) -> Any:
        return self.g_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self.d_optimizer.learning_rate = value
        self.g_optimizer.learning_rate = value

    @property
    def iterations(self) -> keras.Variable:
        return self.g_optimizer.iterations
