"""Where gan1d's TensorFlow loop loses time against the hand-written one: an experiment.

    KERAS_BACKEND=tensorflow python benchmarks/diagnose_tf.py [--epochs 2000] [--repeats 5]

Not part of `run.py`: it patches gan1d's private TensorFlow glue (`gan1d.gan`'s
`apply_gradients` and `compile_function`, the GAN's `loss_fn`) one piece at a
time, each variant on its own warm GAN, and times the variants interleaved with
the shipped loop and the hand-written reference. It also counts the operations
in the compiled step (the inner `while` body), which is what a tiny network's
step costs on a CPU, and the traces of the compiled loop.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
from collections.abc import Callable
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

import gan1d
import gan1d.gan
from common import BCE_EPSILON, Case, HostMemory, Recipe, Runner, measure
from gan1d.callbacks import SnapshotCallback
from keras_cases import TARGET, build_gan
from reference_tf import make_train, reference_case

SHIPPED_APPLY = gan1d.gan.apply_gradients
SHIPPED_COMPILE = gan1d.gan.compile_function


def apply_without_assigns(
    optimizer: Any, values: list[Any], grads: list[Any], weights: list[Any], variables: Any
) -> Any:
    """The shipped glue minus writing `weights` and `values` into the variables first.

    Every caller passes the values it just read from those same variables, so the
    writes change nothing; the losses must match the shipped ones exactly.
    """
    optimizer.apply(grads, list(variables))
    return [tf.convert_to_tensor(v.value) for v in variables], [
        tf.convert_to_tensor(v.value) for v in optimizer.variables
    ]


def stateless_adam(optimizer: Any, values: list[Any], grads: list[Any], weights: list[Any], variables: Any) -> Any:
    """Keras's Adam on values (`[iteration, learning_rate, m0, v0, m1, v1, ...]`), no variables touched."""
    iteration, learning_rate, *slots = values
    step = tf.cast(iteration + 1, tf.float32)
    beta_1, beta_2 = optimizer.beta_1, optimizer.beta_2
    alpha = learning_rate * tf.sqrt(1.0 - beta_2**step) / (1.0 - beta_1**step)
    new_weights, new_slots = [], []
    for w, g, m, v in zip(weights, grads, slots[0::2], slots[1::2], strict=True):
        m = m + (g - m) * (1.0 - beta_1)
        v = v + (g * g - v) * (1.0 - beta_2)
        new_weights.append(w - alpha * m / (tf.sqrt(v) + optimizer.epsilon))
        new_slots += [m, v]
    return new_weights, [iteration + 1, learning_rate, *new_slots]


def plain_bce(labels: Any, probabilities: Any) -> Any:
    """BinaryCrossentropy on probabilities without Keras's loss wrapper."""
    p = tf.clip_by_value(probabilities, BCE_EPSILON, 1.0 - BCE_EPSILON)
    return -tf.reduce_mean(labels * tf.math.log(p) + (1.0 - labels) * tf.math.log(1.0 - p))


def xla_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    return tf.function(fn, jit_compile=True, reduce_retracing=True)


# name -> (apply_gradients, loss_fn or None for Keras's, compile_function)
VARIANTS: dict[str, tuple[Callable[..., Any], Callable[..., Any] | None, Callable[..., Any]]] = {
    "shipped": (SHIPPED_APPLY, None, SHIPPED_COMPILE),
    "no variable writes before apply": (apply_without_assigns, None, SHIPPED_COMPILE),
    "Adam on values (no variables)": (stateless_adam, None, SHIPPED_COMPILE),
    "plain BCE loss": (SHIPPED_APPLY, plain_bce, SHIPPED_COMPILE),
    "Adam on values + plain BCE": (stateless_adam, plain_bce, SHIPPED_COMPILE),
    "shipped, jit_compile=True": (SHIPPED_APPLY, None, xla_function),
    "Adam on values, jit_compile=True": (stateless_adam, None, xla_function),
}


def step_ops(function: Any) -> int:
    """Operations (constants excluded) in the largest function of a traced loop: the step."""
    concrete = getattr(function, "_list_all_concrete_functions", lambda: [function])()
    graphs = [cf.graph.as_graph_def() for cf in concrete]
    bodies = [f for g in graphs for f in g.library.function] + graphs
    counts = [collections.Counter(n.op for n in getattr(b, "node_def", getattr(b, "node", []))) for b in bodies]
    return max(sum(c.values()) - c["Const"] for c in counts)


def variant_case(name: str, recipe: Recipe, epochs: int, report: dict[str, Any]) -> Case:
    """A warm `fit_target` whose loop was traced with one variant of the glue."""
    apply, loss, compile_function = VARIANTS[name]

    def make() -> Runner:
        gan = build_gan(recipe)
        if loss is not None:
            gan.loss_fn = loss
        target = gan1d.target(TARGET)
        gan1d.gan.apply_gradients, gan1d.gan.compile_function = apply, compile_function
        try:  # two compiled calls, so both traces (variables in, then tensors in) use the variant
            history = gan.fit_target(target, epochs, recipe.batch_size, callbacks=[SnapshotCallback(20, 100)])
        finally:
            gan1d.gan.apply_gradients, gan1d.gan.compile_function = SHIPPED_APPLY, SHIPPED_COMPILE
        loop: Any = next(iter(gan._loop_cache.values()))[1]
        report[name] = {
            "d_loss": np.array(history.history["d_loss"]),
            "traces": loop.experimental_get_tracing_count(),
            "ops": step_ops(loop),
        }

        def run() -> None:
            gan.fit_target(target, epochs, recipe.batch_size, callbacks=[SnapshotCallback(20, 100)])

        return Runner(run, lambda: np.zeros((1, 2)))

    return Case(name, name, epochs, make)


def compiled_only_case(recipe: Recipe, epochs: int) -> Case:
    """The shipped compiled loop called directly: `fit_target` minus its Python around the loop."""

    def make() -> Runner:
        gan = build_gan(recipe)
        target = gan1d.target(TARGET)
        snapshots = SnapshotCallback(20, 100)
        gan.fit_target(target, epochs, recipe.batch_size, callbacks=[snapshots])
        (_, loop), *_ = gan._loop_cache.values()
        noise = tf.constant(snapshots.noise)
        reference = tf.constant(target.sample(100, seed=0), tf.float32)
        calls = epochs // 1000

        def run() -> None:
            state = gan.read_state()
            for _ in range(calls):
                state, d_losses, *_ = loop(state, tf.constant(50, tf.int32), noise, reference)
                d_losses.numpy()
            gan.write_state(state)

        return Runner(run, lambda: np.zeros((1, 2)))

    return Case("compiled loop only", "compiled loop only", epochs, make)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=2000, help="steps per timed call, a multiple of 1000")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if keras.backend.backend() != "tensorflow":
        print("diagnose_tf.py: error: needs KERAS_BACKEND=tensorflow", file=sys.stderr)
        return 2
    recipe = Recipe()
    found: dict[str, Any] = {}
    cases = [variant_case(name, recipe, args.epochs, found) for name in VARIANTS]
    cases += [compiled_only_case(recipe, args.epochs), reference_case(recipe, args.epochs, "hand-written TF")]
    results = {m.key: m for m in measure(cases, args.repeats, HostMemory())}
    shipped = results["shipped"].us_per_step
    reference_train: Any = make_train(recipe)
    reference_ops = step_ops(reference_train.get_concrete_function(tf.constant(1)))
    print(f"| variant ({args.epochs} steps/call) | µs/step | vs shipped | ops in step | traces | max loss diff |")
    print("|---|---|---|---|---|---|")
    for name, result in results.items():
        info = found.get(name)
        ops = str(info["ops"]) if info else (str(reference_ops) if name == "hand-written TF" else "")
        traces = str(info["traces"]) if info else ""
        diff = f"{np.max(np.abs(info['d_loss'] - found['shipped']['d_loss'])):.1e}" if info else ""
        print(f"| {name} | {result.us_per_step:.1f} | {result.us_per_step / shipped:.2f} | {ops} | {traces} | {diff} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
