"""The GAN: a `keras.Model` with an overridden `train_step`, as keras.io teaches.

Read it top to bottom: `GANState` (every value one training step reads and
writes), then the `GAN` class: its two networks, `compile` (the optimizers and how
they train: the objective, a gradient penalty, weight clipping, updates per
round), `train_step` (what Keras's `fit()` calls per batch), and `step`, the
training step itself, written once in `keras.ops` as a pure function of a
`GANState`. The objectives and penalties are in `gan1d.core.losses`. `fit_target`,
which the default run uses, runs the same `step` many times per compiled call
(`gan1d.core.loop`).

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
from gan1d.checks import integer, real
from gan1d.core import loop
from gan1d.core.losses import discriminator_loss, generator_loss
from gan1d.core.losses import gradient_penalty as penalty_of
from gan1d.core.methods import CROSS_ENTROPY, MAX_STEPS_PER_ROUND, NOISES, OBJECTIVES, PENALTIES
from gan1d.core.optimizers import GANOptimizers
from gan1d.core.saving import SavedGAN
from gan1d.errors import Gan1dError

if TYPE_CHECKING:
    from gan1d.data.distribution import Target

__all__ = ["GAN", "GANState"]

SampleFn = Callable[[int, keras.random.SeedGenerator], Any]
NoiseSchedule = Callable[[Any], Any]


class GANState(NamedTuple):
    """Every value one training step reads and writes, as backend tensors.

    The same structure holding `keras.Variable`s (`GAN.state_variables`) says
    where each value lives. `g_average` is the generator's moving average, where
    the GAN keeps one (`ema`), else empty.
    """

    d_weights: Sequence[Any]
    d_state: Sequence[Any]
    g_weights: Sequence[Any]
    g_state: Sequence[Any]
    d_optimizer: Sequence[Any]
    g_optimizer: Sequence[Any]
    seed: Sequence[Any]
    g_average: Sequence[Any] = ()


@keras.saving.register_keras_serializable(package="gan1d")
class GAN(SavedGAN):
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
            discriminator's update count such as `PolynomialDecay(0.5, 4000, 0.0)`
            (any callable of the step trains, but only numbers and schedules can be
            saved). None: no noise.
        noise: The latent noise: `"normal"` (standard normal) or `"uniform"` (on [-1, 1]).
        ema: Keep an exponential moving average of the generator's weights with
            this decay (e.g. 0.999; Yazici et al. 2019); snapshots, `generate` and
            `averaged_generator` then use the average. None: no average.
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
        noise: str = "normal",
        ema: float | None = None,
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
        if noise not in NOISES:
            raise Gan1dError(f"noise must be one of {', '.join(NOISES)}, got {noise!r}")
        self.noise = noise
        self.ema = None if ema is None else real("ema", ema)
        if self.ema is not None and not self.ema < 1:
            raise Gan1dError(f"ema must be a decay in [0, 1), got {ema!r}")
        point, judged = self.point_dim, int(discriminator.inputs[0].shape[-1])
        if judged != self.pack * point:
            raise Gan1dError(
                f"the discriminator takes {judged} values; with pack={pack} and {point}-value points it must take "
                f"{self.pack * point}"
            )
        self.seed_generator = keras.random.SeedGenerator(seed)
        # The moving average starts at the generator's own weights, copied through the
        # host: under TensorFlow a variable made from another's value may share its buffer.
        self.generator_average = [
            keras.Variable(np.array(ops.convert_to_numpy(weight.value)), trainable=False, name=f"average_{i}")
            for i, weight in enumerate(generator.trainable_variables if self.ema is not None else [])
        ]
        # Layers that normalize their weights in place when trained, as Keras's fit() has them do.
        self.spectral_layers = [
            layer for layer in discriminator.layers if isinstance(layer, keras.layers.SpectralNormalization)
        ]
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
        *,
        objective: str = "nonsaturating",
        penalty: str = "none",
        penalty_weight: float = 1.0,
        weight_clip: float | None = None,
        discriminator_steps: int = 1,
        generator_steps: int = 1,
        **kwargs: Any,
    ) -> None:
        """Configures training.

        Args:
            d_optimizer: Optimizer of the discriminator.
            g_optimizer: Optimizer of the generator (must be another instance).
            loss_fn: Keras loss `(y_true, y_pred)` of the cross-entropy objectives;
                defaults to `BinaryCrossentropy()`, which suits a discriminator
                ending in a sigmoid.
            objective: One of `gan1d.core.methods.OBJECTIVES` (see `gan1d.core.losses`).
            penalty: A gradient penalty on the discriminator: `"none"`, `"r1"`,
                `"r2"` or `"wgan-gp"`.
            penalty_weight: Its weight (gamma of R1 and R2, lambda of WGAN-GP).
            weight_clip: Clip every discriminator weight to [-c, c] after each of
                its updates (the original WGAN's Lipschitz constraint); None: no clipping.
            discriminator_steps: Discriminator updates per round, 0 to 10.
            generator_steps: Generator updates per round, 0 to 10 (not both 0).
            **kwargs: Passed to `keras.Model.compile` (e.g. `jit_compile`).
        """
        if not isinstance(d_optimizer, keras.optimizers.Optimizer) or not isinstance(
            g_optimizer, keras.optimizers.Optimizer
        ):
            raise Gan1dError("d_optimizer and g_optimizer must be keras.optimizers.Optimizer instances")
        if d_optimizer is g_optimizer:
            raise Gan1dError("d_optimizer and g_optimizer must be two optimizer instances")
        for name, value, allowed in (("objective", objective, OBJECTIVES), ("penalty", penalty, PENALTIES)):
            if value not in allowed:
                raise Gan1dError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        self.discriminator_steps = integer("discriminator_steps", discriminator_steps, 0, MAX_STEPS_PER_ROUND)
        self.generator_steps = integer("generator_steps", generator_steps, 0, MAX_STEPS_PER_ROUND)
        if not self.discriminator_steps + self.generator_steps:
            raise Gan1dError("discriminator_steps and generator_steps cannot both be 0: nothing would train")
        self.penalty_weight = real("penalty_weight", penalty_weight)
        self.weight_clip = None if weight_clip is None else real("weight_clip", weight_clip, positive=True)
        self.objective, self.penalty = objective, penalty
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
        """One training round as a pure function of `state`.

        The discriminator learns `discriminator_steps` times, each from `real` (or
        `batch_size` points drawn by `sample_real`) plus as many generated points;
        then the generator learns `generator_steps` times, each from twice as many
        latent points, against the updated discriminator.

        Returns:
            The new state, and the discriminator's and the generator's loss (each
            the mean over its updates in the round).
        """
        d_steps, g_steps = self.discriminator_steps, self.generator_steps
        # Random draws advance the seed generator's state; inside this scope they
        # advance a value instead, which the new state carries (pure under jax.jit).
        # Every draw of the round is made here, in an order fixed for any settings.
        seed_variable = self.seed_generator.state
        with keras.StatelessScope(state_mapping=[(seed_variable, state.seed[0])]) as scope:
            reals = [self._real_batch(real, sample_real, batch_size) for _ in range(max(d_steps, 1))]
            batch = ops.shape(reals[0])[0]
            d_noises = [self._latent((batch, self.latent_dim)) for _ in reals]
            g_noises = [self._latent((2 * batch, self.latent_dim)) for _ in range(max(g_steps, 1))]
            d_blurs = g_blurs = [0.0] * max(d_steps, g_steps, 1)
            if self.instance_noise is not None:
                blur, points = self.noise_std(state), self.point_dim
                reals = [r + blur * backend.random_normal((batch, points), self.seed_generator) for r in reals]
                d_blurs = [blur * backend.random_normal((batch, points), self.seed_generator) for _ in reals]
                g_blurs = [blur * backend.random_normal((2 * batch, points), self.seed_generator) for _ in g_noises]
            # Where between real and generated points WGAN-GP takes the gradient, per pack.
            mixes = [
                backend.random_uniform((batch // self.pack, 1), 0.0, 1.0, self.seed_generator)
                if self.penalty == "wgan-gp"
                else None
                for _ in reals
            ]
            seed = scope.get_current_value(seed_variable)

        # The discriminator: real points labelled 1, generated ones 0 (for cross-entropy).
        d_weights, d_state, d_optimizer = list(state.d_weights), list(state.d_state), state.d_optimizer
        g_state = state.g_state
        d_losses = []
        for k, (real_k, d_noise) in enumerate(zip(reals, d_noises, strict=True)):
            fake, g_state = self.generator.stateless_call(state.g_weights, g_state, d_noise, training=True)
            fake = fake + d_blurs[k]
            objective = self._d_objective(self.packed(real_k), self.packed(fake), mixes[k])
            if not d_steps:  # the discriminator is frozen: its loss is only measured
                d_losses.append(objective(d_weights, d_state)[0])
                break
            d_weights, d_state = self._spectral_normalized(d_weights, d_state)
            (d_loss, d_state), d_grads = backend.value_and_grad(objective)(d_weights, d_state)
            d_weights, d_optimizer = backend.apply_gradients(
                self.d_optimizer, d_optimizer, d_grads, d_weights, self.discriminator.trainable_variables
            )
            if self.weight_clip is not None:
                d_weights = [ops.clip(w, -self.weight_clip, self.weight_clip) for w in d_weights]
            d_losses.append(d_loss)

        # The generator: its points labelled real, judged by the updated discriminator.
        g_weights, g_optimizer, average = list(state.g_weights), state.g_optimizer, list(state.g_average)
        g_losses = []
        for g_noise, g_blur in zip(g_noises, g_blurs, strict=False):
            objective = self._g_objective(d_weights, d_state, g_noise, g_blur)
            if not g_steps:  # the generator is frozen: its loss is only measured
                g_losses.append(objective(g_weights, list(g_state))[0])
                break
            (g_loss, g_state), g_grads = backend.value_and_grad(objective)(g_weights, list(g_state))
            g_weights, g_optimizer = backend.apply_gradients(
                self.g_optimizer, g_optimizer, g_grads, g_weights, self.generator.trainable_variables
            )
            if self.ema is not None:
                average = [self.ema * a + (1.0 - self.ema) * w for a, w in zip(average, g_weights, strict=True)]
            g_losses.append(g_loss)
        new_state = GANState(d_weights, d_state, g_weights, g_state, d_optimizer, g_optimizer, [seed], average)
        return new_state, _mean(d_losses), _mean(g_losses)

    def _d_objective(self, real: Any, fake: Any, mix: Any) -> Callable[[list[Any], list[Any]], tuple[Any, list[Any]]]:
        """The discriminator's loss on packed real and generated points, as a function of its weights."""

        def judge(d_weights: list[Any], d_state: list[Any], points: Any) -> Any:
            scores, _ = self.discriminator.stateless_call(d_weights, d_state, points, training=self._d_training)
            return scores

        def objective(d_weights: list[Any], d_state: list[Any]) -> tuple[Any, list[Any]]:
            scores, d_state = self.discriminator.stateless_call(
                d_weights, d_state, ops.concatenate([real, fake], axis=0), training=self._d_training
            )
            packs = ops.shape(real)[0]
            loss = discriminator_loss(self.loss_fn, scores[:packs], scores[packs:], self.objective)
            if self.penalty != "none":
                at = real if self.penalty == "r1" else fake if self.penalty == "r2" else mix * real + (1 - mix) * fake
                gradients = backend.input_gradient(lambda points: judge(d_weights, d_state, points), at)
                loss = loss + self.penalty_weight * penalty_of(self.penalty, gradients)
            return loss, d_state

        return objective

    def _g_objective(
        self, d_weights: list[Any], d_state: list[Any], noise: Any, blur: Any
    ) -> Callable[[list[Any], list[Any]], tuple[Any, list[Any]]]:
        """The generator's loss on a latent batch, as a function of its weights."""

        def objective(g_weights: list[Any], g_state: list[Any]) -> tuple[Any, list[Any]]:
            generated, g_state = self.generator.stateless_call(g_weights, g_state, noise, training=True)
            scores, _ = self.discriminator.stateless_call(
                d_weights, d_state, self.packed(generated + blur), training=self._d_training
            )
            return generator_loss(self.loss_fn, scores, self.objective), g_state

        return objective

    def _real_batch(self, real: Any, sample_real: SampleFn | None, batch_size: int | None) -> Any:
        if real is None:
            if sample_real is None or batch_size is None:
                raise ValueError("step needs real points or both sample_real and batch_size")
            real = sample_real(batch_size, self.seed_generator)
        real = ops.cast(real, "float32")
        if self.pack > 1 and (real.shape[0] is None or real.shape[0] % self.pack):
            # fit()'s last batch may not fill whole packs: repeat points to fill them.
            filled = ((ops.shape(real)[0] + self.pack - 1) // self.pack) * self.pack
            real = ops.tile(real, (self.pack, 1))[:filled]
        return real

    def _latent(self, shape: tuple[Any, ...]) -> Any:
        if self.noise == "uniform":
            return backend.random_uniform(shape, -1.0, 1.0, self.seed_generator)
        return backend.random_normal(shape, self.seed_generator)

    @property
    def _d_training(self) -> bool:
        # With spectral norm the weights are normalized in `_spectral_normalized`,
        # as Keras's fit() normalizes them in place; a call in training mode would
        # normalize them once more.
        return not self.spectral_layers

    def _spectral_normalized(self, d_weights: list[Any], d_state: list[Any]) -> tuple[list[Any], list[Any]]:
        """The values after each `SpectralNormalization` layer normalized its kernel, as in its training call."""
        if not self.spectral_layers:
            return d_weights, d_state
        trainable, other = self.discriminator.trainable_variables, self.discriminator.non_trainable_variables
        weights, states = list(d_weights), list(d_state)
        mapping = [*zip(trainable, weights, strict=True), *zip(other, states, strict=True)]
        with keras.StatelessScope(state_mapping=mapping):
            for layer in self.spectral_layers:
                u, kernel = ops.cond(
                    ops.all(ops.equal(layer.kernel.value, 0)),
                    lambda layer=layer: (layer.vector_u.value, layer.kernel.value),
                    layer.normalized_weights,
                )
                weights[_index(trainable, layer.kernel)] = kernel
                states[_index(other, layer.vector_u)] = u
        return weights, states

    def noise_std(self, state: GANState) -> Any:
        """The instance noise's standard deviation at the step `state` is about to take."""
        if not callable(self.instance_noise):
            return ops.cast(0.0 if self.instance_noise is None else self.instance_noise, "float32")
        position = _index(self.d_optimizer.variables, self.d_optimizer.iterations)
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

    def method(self) -> dict[str, Any]:
        """How the GAN trains besides its optimizers: the settings `compile` took."""
        return {
            "objective": self.objective,
            "penalty": self.penalty,
            "penalty_weight": self.penalty_weight,
            "weight_clip": self.weight_clip,
            "discriminator_steps": self.discriminator_steps,
            "generator_steps": self.generator_steps,
        }

    # ----- using the networks ---------------------------------------------------

    @property
    def point_dim(self) -> int:
        """Size of a generated point (2 for `(x, y)`)."""
        return int(self.generator.compute_output_shape((1, self.latent_dim))[-1])

    @property
    def from_logits(self) -> bool:
        """Whether the cross-entropy loss reads the discriminator's scores as logits."""
        return bool(getattr(self.loss_fn, "from_logits", False))

    @property
    def score_threshold(self) -> float:
        """Discriminator score above which a point counts as real, where that level is fixed.

        0 for logits and for hinge, 0.5 for probabilities and least squares; a
        Wasserstein critic's level moves (`gan1d.core.capture` measures it per snapshot).
        """
        if self.objective in CROSS_ENTROPY:
            return 0.0 if self.from_logits else 0.5
        return 0.5 if self.objective == "least-squares" else 0.0

    def call(self, noise: Any, training: bool = False) -> Any:
        return self.generator(noise, training=training)

    def latent_noise(self, n: int, seed: int | None = None) -> np.ndarray:
        """`n` latent vectors of this GAN's noise, `(n, latent_dim)` float32; the same seed gives the same ones."""
        rng = np.random.default_rng(seed)
        if self.noise == "uniform":
            return rng.uniform(-1.0, 1.0, (n, self.latent_dim)).astype("float32")
        return rng.standard_normal((n, self.latent_dim)).astype("float32")

    def generate(self, n: int, seed: int | None = None) -> np.ndarray:
        """Generates `n` points from fresh latent noise, as a `(n, d)` NumPy array.

        With `ema`, from the generator's moving average. The same seed gives the same latent vectors.
        """
        return np.asarray(ops.convert_to_numpy(self.averaged_generator()(self.latent_noise(n, seed), training=False)))

    def averaged_generator(self) -> keras.Model:
        """The generator with the moving average's weights (a copy), or the generator itself without `ema`."""
        if self.ema is None:
            return self.generator
        copy = keras.models.clone_model(self.generator)
        copy.set_weights([np.asarray(ops.convert_to_numpy(v.value)) for v in self.generator.variables])
        for target, average in zip(copy.trainable_variables, self.generator_average, strict=True):
            target.assign(average.value)
        return copy

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
            self.generator_average,
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


def _mean(losses: list[Any]) -> Any:
    return losses[0] if len(losses) == 1 else ops.mean(ops.stack(losses))


def _index(variables: Sequence[keras.Variable], variable: keras.Variable) -> int:
    """The position of `variable` in `variables` (by identity: variables compare by value)."""
    return [id(v) for v in variables].index(id(variable))
