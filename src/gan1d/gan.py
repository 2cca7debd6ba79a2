"""The GAN: a `keras.Model` with an overridden `train_step`, as keras.io teaches.

Everything that is mathematics (sampling, labels, losses, one training step, the
compiled many-step loop) is written once here in `keras.ops`. The backend base class
(`gan1d.backend.BackendGAN`, chosen once at import) only takes gradients, threads
JAX's functional state, and compiles functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import keras
import numpy as np
from keras import ops

from gan1d.backend import BackendGAN, apply_gradients, compile_function, value_and_grad, vectorize
from gan1d.callbacks import SnapshotCallback
from gan1d.errors import Gan1dError
from gan1d.losses import discriminator_loss, generator_loss
from gan1d.models import generate

__all__ = ["GAN", "GANState"]

# Steps run by one compiled call of `fit_target`; big enough that dispatch is
# negligible, small enough that the progress bar and Ctrl-C stay responsive.
STEPS_PER_CALL = 1000

SampleFn = Callable[[int, keras.random.SeedGenerator], Any]


class GANState(NamedTuple):
    """Every value one training step reads and writes, as backend tensors."""

    d_weights: list[Any]
    d_state: list[Any]
    g_weights: list[Any]
    g_state: list[Any]
    d_optimizer: list[Any]
    g_optimizer: list[Any]
    seed: Any


class GAN(BackendGAN):
    """A generator and a discriminator trained against each other.

    Use it like keras.io's GAN example: `compile(d_optimizer=..., g_optimizer=...)`
    then `fit(real_points, batch_size=64, epochs=...)`; each batch of real points
    trains the discriminator on it plus as many generated points, then the
    generator on twice as many latent points. `fit_target` trains the same step on
    points drawn from a `gan1d.Target` on the device, many steps per compiled call.

    Args:
        discriminator: Model mapping points `(n, d)` to scores `(n, 1)`.
        generator: Model mapping latent noise `(n, latent_dim)` to points `(n, d)`.
        latent_dim: Size of the latent noise vector.
        seed: Seed of the model's `SeedGenerator` (latent noise and real samples).
        pack: Points the discriminator judges together (PacGAN, Lin et al. 2018):
            it sees `pack` points of one kind concatenated, `(n / pack, pack * d)`,
            which lets it notice missing variety; its input size must be `pack * d`
            and batch sizes a multiple of `pack`. 1 judges points one by one.
        instance_noise: Standard deviation of Gaussian noise added to every point
            the discriminator sees, real and generated (Sønderby et al. 2016): a
            number, or a schedule of the training step such as
            `keras.optimizers.schedules.PolynomialDecay(0.5, 4000, 0.0)`. Blurring both
            distributions early lets the generator find modes far from where it
            starts; annealed to 0 it leaves the end of training untouched. None: no noise.
    """

    def __init__(
        self,
        discriminator: keras.Model,
        generator: keras.Model,
        latent_dim: int,
        *,
        seed: int | None = None,
        pack: int = 1,
        instance_noise: float | Callable[[Any], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if int(latent_dim) <= 0:
            raise Gan1dError(f"latent_dim must be a positive integer, got {latent_dim}")
        if isinstance(pack, bool) or not isinstance(pack, int) or pack < 1:
            raise Gan1dError(f"pack must be a positive integer, got {pack!r}")
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = int(latent_dim)
        self.pack = pack
        self.instance_noise = instance_noise
        point, judged = self._point_dim(), int(discriminator.inputs[0].shape[-1])
        if judged != pack * point:
            raise Gan1dError(
                f"the discriminator takes {judged} values; with pack={pack} and {point}-value points it must take "
                f"{pack * point}"
            )
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self._loop_cache: dict[tuple[Any, ...], tuple[Any, Callable[..., Any]]] = {}
        # Both networks are built by their Input layers; this stops Keras from
        # building the GAN by calling it on a batch of real points.
        self.built = True

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(  # type: ignore[override]
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
        if d_optimizer is g_optimizer:
            raise Gan1dError("d_optimizer and g_optimizer must be two optimizer instances")
        d_ids = {id(v) for v in self.discriminator.trainable_variables}
        # Keras threads only `self.optimizer`'s variables through a JAX step, so both
        # optimizers ride in one MultiOptimizer; the step still applies them one by one.
        carrier = keras.optimizers.MultiOptimizer(lambda v: d_optimizer if id(v) in d_ids else g_optimizer)
        super().compile(optimizer=carrier, **kwargs)
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)
        carrier.build(self.trainable_variables)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn if loss_fn is not None else keras.losses.BinaryCrossentropy()
        self._loop_cache.clear()

    @property
    def score_threshold(self) -> float:
        """Discriminator score above which a point counts as real: 0 for logits, else 0.5."""
        return 0.0 if getattr(self.loss_fn, "from_logits", False) else 0.5

    def call(self, noise: Any, training: bool = False) -> Any:
        return self.generator(noise, training=training)

    def generate(self, n: int, seed: int | None = None) -> np.ndarray:
        """Generates `n` points from fresh latent noise, as a `(n, d)` NumPy array."""
        return generate(self.generator, n, seed)

    def discriminate(self, points: Any) -> np.ndarray:
        """The discriminator's scores of `(n, d)` points, `(n // pack, 1)` as NumPy.

        With `pack > 1` it scores consecutive packs of points; a last partial pack is left out.
        """
        packed = self._packed(ops.convert_to_tensor(np.asarray(points, dtype="float32")), whole=True)
        return np.asarray(ops.convert_to_numpy(self.discriminator(packed)))

    # ----- state: values of every variable one step touches ---------------------

    def read_state(self) -> GANState:
        """Returns the current values of all training variables."""

        def values(variables: Sequence[keras.Variable]) -> list[Any]:
            return [ops.convert_to_tensor(v.value) for v in variables]

        return GANState(
            d_weights=values(self.discriminator.trainable_variables),
            d_state=values(self.discriminator.non_trainable_variables),
            g_weights=values(self.generator.trainable_variables),
            g_state=values(self.generator.non_trainable_variables),
            d_optimizer=values(self.d_optimizer.variables),
            g_optimizer=values(self.g_optimizer.variables),
            seed=ops.convert_to_tensor(self.seed_generator.state.value),
        )

    def copy_state(self) -> GANState:
        """Returns a copy of the current values that later training cannot change.

        Under TensorFlow a tensor read from a variable can share its buffer, and the
        compiled loop updates variables in place; so copies go through the host.
        """
        return keras.tree.map_structure(
            lambda value: ops.convert_to_tensor(ops.convert_to_numpy(value)), self.read_state()
        )

    def write_state(self, state: GANState) -> None:
        """Assigns `state` back to the variables."""
        for variables, values in zip(self._state_variables(), [*state[:-1], [state.seed]], strict=True):
            for variable, value in zip(variables, values, strict=True):
                variable.assign(value)

    def _state_variables(self) -> GANState:
        return GANState(
            self.discriminator.trainable_variables,
            self.discriminator.non_trainable_variables,
            self.generator.trainable_variables,
            self.generator.non_trainable_variables,
            self.d_optimizer.variables,
            self.g_optimizer.variables,
            [self.seed_generator.state],
        )

    # ----- the mathematics, once ------------------------------------------------

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
        with keras.StatelessScope(state_mapping=[(self.seed_generator.state, state.seed)]) as scope:
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
            d_noise = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
            g_noise = keras.random.normal((2 * batch, self.latent_dim), seed=self.seed_generator)
            if self.instance_noise is not None:
                blur = self._noise_std(state)
                points = self._point_dim()
                real = real + blur * keras.random.normal((batch, points), seed=self.seed_generator)
                d_blur = blur * keras.random.normal((batch, points), seed=self.seed_generator)
                g_blur = blur * keras.random.normal((2 * batch, points), seed=self.seed_generator)
            else:
                d_blur = g_blur = 0.0
            seed = scope.get_current_value(self.seed_generator.state)

        fake, g_state = self.generator.stateless_call(state.g_weights, state.g_state, d_noise, training=True)
        fake = fake + d_blur

        def d_objective(d_weights: list[Any], d_state: list[Any]) -> tuple[Any, list[Any]]:
            scores, d_state = self.discriminator.stateless_call(
                d_weights, d_state, ops.concatenate([self._packed(real), self._packed(fake)], axis=0), training=True
            )
            packs = batch // self.pack
            return discriminator_loss(self.loss_fn, scores[:packs], scores[packs:]), d_state

        (d_loss, d_state), d_grads = value_and_grad(d_objective)(state.d_weights, state.d_state)
        d_weights, d_optimizer = apply_gradients(
            self.d_optimizer, state.d_optimizer, d_grads, state.d_weights, self.discriminator.trainable_variables
        )

        def g_objective(g_weights: list[Any], g_state: list[Any]) -> tuple[Any, list[Any]]:
            generated, g_state = self.generator.stateless_call(g_weights, g_state, g_noise, training=True)
            generated = generated + g_blur
            scores, _ = self.discriminator.stateless_call(d_weights, d_state, self._packed(generated), training=True)
            return generator_loss(self.loss_fn, scores), g_state

        (g_loss, g_state), g_grads = value_and_grad(g_objective)(state.g_weights, g_state)
        g_weights, g_optimizer = apply_gradients(
            self.g_optimizer, state.g_optimizer, g_grads, state.g_weights, self.generator.trainable_variables
        )
        new_state = GANState(d_weights, d_state, g_weights, g_state, d_optimizer, g_optimizer, seed)
        return new_state, d_loss, g_loss

    def _run_periods(
        self,
        state: GANState,
        num_periods: Any,
        snapshot_noise: Any,
        reference: Any,
        *,
        period: int,
        capacity: int,
        batch_size: int,
        sample_real: SampleFn,
    ) -> tuple[GANState, Any, Any, Any]:
        """Runs `num_periods <= capacity` periods of `period` steps in one compiled call.

        Returns the new state, the losses `(capacity, period)`, the generated
        points of `snapshot_noise` at the end of each period `(capacity, n, d)`, and
        the discriminator's accuracy then on the real points `reference` and on
        those generated points `(capacity, 2)`; rows past `num_periods` are zeros.
        """
        points = self._point_dim()
        d_losses = ops.zeros((capacity, period))
        g_losses = ops.zeros((capacity, period))
        snapshots = ops.zeros((capacity, ops.shape(snapshot_noise)[0], points))
        accuracies = ops.zeros((capacity, 2))

        def one_step(i: Any, carry: tuple[GANState, Any, Any]) -> tuple[GANState, Any, Any]:
            state, d_row, g_row = carry
            state, d_loss, g_loss = self.step(state, sample_real=sample_real, batch_size=batch_size)
            d_row = ops.slice_update(d_row, (i,), ops.reshape(ops.cast(d_loss, "float32"), (1,)))
            g_row = ops.slice_update(g_row, (i,), ops.reshape(ops.cast(g_loss, "float32"), (1,)))
            return state, d_row, g_row

        def one_period(p: Any, carry: tuple[Any, ...]) -> tuple[Any, ...]:
            state, d_losses, g_losses, snapshots, accuracies = carry
            state, d_row, g_row = ops.fori_loop(
                0, period, one_step, (state, ops.zeros((period,)), ops.zeros((period,)))
            )
            snapshot, _ = self.generator.stateless_call(state.g_weights, state.g_state, snapshot_noise)
            snapshot = ops.cast(snapshot, "float32")
            judged_real, judged_fake = self._packed(reference, whole=True), self._packed(snapshot, whole=True)
            scores, _ = self.discriminator.stateless_call(
                state.d_weights, state.d_state, ops.concatenate([judged_real, judged_fake], axis=0)
            )
            real_scores, fake_scores = scores[: ops.shape(judged_real)[0]], scores[ops.shape(judged_real)[0] :]
            threshold = self.score_threshold
            accuracy = ops.stack(
                [
                    ops.mean(ops.cast(real_scores > threshold, "float32")),
                    ops.mean(ops.cast(fake_scores <= threshold, "float32")),
                ]
            )
            d_losses = ops.slice_update(d_losses, (p, 0), d_row[None])
            g_losses = ops.slice_update(g_losses, (p, 0), g_row[None])
            snapshots = ops.slice_update(snapshots, (p, 0, 0), snapshot[None])
            accuracies = ops.slice_update(accuracies, (p, 0), accuracy[None])
            return state, d_losses, g_losses, snapshots, accuracies

        return ops.fori_loop(  # type: ignore[no-any-return]
            0, num_periods, one_period, (state, d_losses, g_losses, snapshots, accuracies)
        )

    # ----- fast training on a target -------------------------------------------

    def fit_target(
        self,
        target: Any,
        epochs: int,
        batch_size: int = 64,
        callbacks: Sequence[keras.callbacks.Callback] = (),
    ) -> keras.callbacks.History:
        """Trains `epochs` steps on points drawn from `target` on the device.

        The same step as `fit()`, but up to `STEPS_PER_CALL` steps run inside one
        compiled loop (`lax.fori_loop` under JAX, `tf.while_loop` under TensorFlow),
        with real points drawn and snapshots taken on the device. A
        `SnapshotCallback` among `callbacks` is filled from those device snapshots;
        other callbacks get `on_epoch_end` for every epoch, after each compiled call.
        Training stops at the first non-finite loss (like `TerminateOnNaN`) and keeps
        the weights of the last compiled call whose losses were all finite.

        Args:
            target: A `gan1d.Target` (anything with `sample_tensor(n, seed)`).
            epochs: Number of training steps (one batch per epoch, as in the seed).
            batch_size: Real points per step.
            callbacks: Keras callbacks; at most one `SnapshotCallback`.

        Returns:
            A `keras.callbacks.History` with `d_loss` and `g_loss` per epoch.
        """
        if epochs <= 0 or batch_size <= 0:
            raise Gan1dError(f"epochs and batch_size must be positive, got {epochs} and {batch_size}")
        if batch_size % self.pack:
            raise Gan1dError(f"batch_size {batch_size} must be a multiple of pack={self.pack}")
        snapshotters = [c for c in callbacks if isinstance(c, SnapshotCallback)]
        if len(snapshotters) > 1:
            raise Gan1dError("fit_target takes at most one SnapshotCallback")
        snapshotter = snapshotters[0] if snapshotters else None
        history = keras.callbacks.History()
        history.set_model(self)
        history.on_train_begin()
        # Like fit(): readable after an interruption, when nothing is returned.
        self.history = history
        others = keras.callbacks.CallbackList([c for c in callbacks if c is not snapshotter], model=self)
        if snapshotter is not None:
            snapshotter.set_model(self)
            snapshotter.on_train_begin()
            period = snapshotter.every
            noise = ops.convert_to_tensor(snapshotter.noise)
            reference_points = snapshotter.real_points
            if reference_points is None:
                reference_points = target.sample(snapshotter.n_points, seed=snapshotter.seed)
            reference = ops.convert_to_tensor(reference_points, "float32")
        else:
            period = min(epochs, 100)
            noise = ops.zeros((1, self.latent_dim))
            reference = ops.zeros((1, self._point_dim()))
        self.stop_training = False
        others.on_train_begin()
        epoch = 0
        while epoch < epochs and not self.stop_training:
            length, capacity = _chunk(epochs - epoch, period)
            run = self._compiled_loop(target, length, capacity, batch_size)
            periods = min(capacity, (epochs - epoch) // length)
            # A copy, not the variables: under TensorFlow the loop updates them in
            # place, and tensors (not variables) keep it to one trace.
            last_good = self.copy_state()
            new_state, d_losses, g_losses, snapshots, accuracies = run(
                last_good, ops.convert_to_tensor(periods, "int32"), noise, reference
            )
            d_losses = ops.convert_to_numpy(d_losses)[:periods].reshape(-1)
            g_losses = ops.convert_to_numpy(g_losses)[:periods].reshape(-1)
            finite = np.isfinite(d_losses) & np.isfinite(g_losses)
            done = len(d_losses) if finite.all() else int(np.argmin(finite)) + 1
            # A diverged call is undone by writing the last good state back (under
            # TensorFlow the loop has also updated the variables in place).
            state = new_state if finite.all() else last_good
            self.write_state(state)
            if snapshotter is not None and length == period:
                snapshots, accuracies = ops.convert_to_numpy(snapshots), ops.convert_to_numpy(accuracies)
                for p in range(done // length):
                    snapshotter.record(epoch + (p + 1) * length, snapshots[p], tuple(accuracies[p]))
            if others.callbacks:
                for i in range(done):
                    logs = {"d_loss": float(d_losses[i]), "g_loss": float(g_losses[i])}
                    others.on_epoch_end(epoch + i, logs)
                    history.on_epoch_end(epoch + i, logs)
            else:
                # Filled from the arrays at once: a Python call per epoch would cost
                # about a tenth of a JAX step.
                history.epoch.extend(range(epoch, epoch + done))
                history.history.setdefault("d_loss", []).extend(d_losses[:done].tolist())
                history.history.setdefault("g_loss", []).extend(g_losses[:done].tolist())
            epoch += done
            if not finite.all():
                self.stop_training = True
        others.on_train_end()
        return history

    def fit_target_many(
        self,
        target: Any,
        states: Sequence[GANState],
        epochs: int,
        batch_size: int = 64,
        *,
        vectorized: bool = True,
    ) -> tuple[list[GANState], np.ndarray, np.ndarray]:
        """Trains independent copies of this GAN, one per initial state, on `target`.

        Under JAX the copies train together: `jax.vmap` of the compiled loop, one
        computation for all. Elsewhere they train one after another through the
        same compiled loop (compiled once). The model's own variables end up
        holding the last copy's state. Unlike `fit_target`, a copy whose loss turns
        non-finite is not stopped; its losses and weights show it.

        Args:
            target: A `gan1d.Target`.
            states: Initial states, e.g. `copy_state()` of GANs built with other seeds.
            epochs: Training steps for each copy.
            batch_size: Real points per step.
            vectorized: False trains the copies one after another even under JAX.

        Returns:
            The final states, and the losses `d_loss`, `g_loss` as `(copies, epochs)` arrays.
        """
        if epochs <= 0 or batch_size <= 0 or not states:
            raise Gan1dError(
                f"epochs, batch_size and states must be positive, got {epochs}, {batch_size}, {len(states)}"
            )
        if batch_size % self.pack:
            raise Gan1dError(f"batch_size {batch_size} must be a multiple of pack={self.pack}")
        if vectorize is None or not vectorized:
            finals, d_rows, g_rows = [], [], []
            for state in states:
                self.write_state(state)
                history = self.fit_target(target, epochs, batch_size)
                finals.append(self.copy_state())
                d_rows.append(history.history["d_loss"])
                g_rows.append(history.history["g_loss"])
            return finals, np.array(d_rows), np.array(g_rows)

        stacked = keras.tree.map_structure(lambda *values: ops.stack(values), *states)
        noise = ops.zeros((1, self.latent_dim))
        reference = ops.zeros((1, self._point_dim()))
        d_parts, g_parts = [], []
        epoch = 0
        while epoch < epochs:
            length, capacity = _chunk(epochs - epoch, 100)
            run = self._compiled_loop(target, length, capacity, batch_size, batched=True)
            stacked, d_losses, g_losses, _, _ = run(stacked, ops.convert_to_tensor(capacity, "int32"), noise, reference)
            d_parts.append(ops.convert_to_numpy(d_losses).reshape(len(states), -1))
            g_parts.append(ops.convert_to_numpy(g_losses).reshape(len(states), -1))
            epoch += capacity * length
        finals = [keras.tree.map_structure(lambda value, i=i: value[i], stacked) for i in range(len(states))]
        self.write_state(finals[-1])
        return finals, np.concatenate(d_parts, axis=1), np.concatenate(g_parts, axis=1)

    def _noise_std(self, state: GANState) -> Any:
        """The instance noise's standard deviation at the step `state` is about to take."""
        if not callable(self.instance_noise):
            return ops.cast(self.instance_noise, "float32")
        iterations = [id(v) for v in self.d_optimizer.variables].index(id(self.d_optimizer.iterations))
        return ops.cast(self.instance_noise(state.d_optimizer[iterations]), "float32")

    def _packed(self, points: Any, *, whole: bool = False) -> Any:
        """`(n, d)` points as `(n / pack, pack * d)` packs; `whole` drops a last partial pack."""
        if self.pack == 1:
            return points
        if whole:
            points = points[: (points.shape[0] // self.pack) * self.pack]
        return ops.reshape(points, (-1, self.pack * points.shape[-1]))

    def _point_dim(self) -> int:
        """Size of a generated point (2 for `(x, y)`)."""
        return int(self.generator.compute_output_shape((1, self.latent_dim))[-1])

    def _compiled_loop(
        self, target: Any, period: int, capacity: int, batch_size: int, *, batched: bool = False
    ) -> Callable[..., Any]:
        key = (id(target), period, capacity, batch_size, batched)
        if key not in self._loop_cache or self._loop_cache[key][0] is not target:

            def run(state: GANState, num_periods: Any, noise: Any, reference: Any) -> Any:
                return self._run_periods(
                    state,
                    num_periods,
                    noise,
                    reference,
                    period=period,
                    capacity=capacity,
                    batch_size=batch_size,
                    sample_real=target.sample_tensor,
                )

            # The target is kept beside its loop so that its id cannot be reused.
            self._loop_cache[key] = (target, compile_function(vectorize(run) if batched else run))
        return self._loop_cache[key][1]


def _chunk(remaining: int, period: int) -> tuple[int, int]:
    """Period length and periods per compiled call for `remaining` steps.

    Whole periods of `period` steps, at most `STEPS_PER_CALL` steps a call; a last,
    shorter period covers what is left over.
    """
    length = min(period, remaining)
    return length, max(1, min(STEPS_PER_CALL // length, remaining // length))
