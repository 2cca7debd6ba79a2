"""Benchmark gan1d against hand-written JAX/TensorFlow and the usual Keras loops.

    KERAS_BACKEND=jax python benchmarks/loop_speed.py --device cpu [--quick] [--out benchmarks/loop_speed]

Benchmarks the Keras backend it runs under (KERAS_BACKEND, else gan1d's
default). Writes `<out>/<backend>-<device>.json` and `.md`, prints the Markdown
to stdout, and redraws `<out>/batch-widths.png` from every JSON report in `<out>`.
See benchmarks/README.md for what each row means.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.common import Case, MemoryProbe, Recipe, log, measure, process_peak_mb, steps_per_call
from harness.devices import NoGpu, check_device, machine_info, memory_probe, pin_device

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "loop_speed"  # beside this script, in a folder of its name


@dataclasses.dataclass(frozen=True)
class Sizes:
    """How much work each part of the benchmark does."""

    epochs: int  # steps of gan1d.train(), fit_target and the references (the seed's 5000)
    loop_steps: int  # steps of the slow Keras loops, fit() and train_on_batch
    repeats: int  # timed repeats of each row, interleaved
    batches: tuple[int, ...]
    widths: tuple[tuple[int, int], ...]  # (G units, D units)
    batch_width_repeats: int
    batch_width_points: int  # about this many real points per timed call of a batch size or width...
    batch_width_steps: tuple[int, int]  # ...within these many steps


FULL = Sizes(
    epochs=5000,
    loop_steps=200,
    repeats=5,
    batches=(64, 256, 1024, 4096, 16384, 65536),
    widths=((15, 25), (64, 64), (256, 256), (1024, 1024)),
    batch_width_repeats=5,
    batch_width_points=1_000_000,
    batch_width_steps=(20, 1000),
)
QUICK = Sizes(
    epochs=200,
    loop_steps=10,
    repeats=1,
    batches=(64, 1024),
    widths=((64, 64),),
    batch_width_repeats=1,
    batch_width_points=50_000,
    batch_width_steps=(20, 100),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cpu", "gpu"), required=True, help="where the backend computes")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test of under a minute")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (default: %(default)s)")
    parser.add_argument("--repeats", type=int, help="timed repeats per row (default: 5, quick 1)")
    parser.add_argument("--no-batch-widths", action="store_true", help="skip the batch sizes and widths")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pin_device(args.device)  # before anything imports JAX or TensorFlow

    from gan1d import Gan1dError
    from gan1d.environment import check_backend

    try:
        backend = check_backend()
        device_name = check_device(backend, args.device)
    except (Gan1dError, NoGpu) as error:
        print(f"loop_speed.py: error: --device {args.device}: {error}", file=sys.stderr)
        return 2

    sizes = QUICK if args.quick else FULL
    if args.repeats:
        sizes = dataclasses.replace(sizes, repeats=args.repeats, batch_width_repeats=args.repeats)
    started = time.perf_counter()
    machine = machine_info(backend, args.device, device_name)
    log(f"benchmarking {backend} on {device_name}")
    report = benchmark(backend, args.device, sizes, batch_widths=not args.no_batch_widths)
    report["machine"] = machine | {"load_average_end": machine_info(backend, args.device, device_name)["load_average"]}
    report["wall_s"] = round(time.perf_counter() - started, 1)

    from harness import reporting

    json_path, md_path = reporting.write(report, args.out)
    print(reporting.markdown(report))
    chart = reporting.chart(args.out)
    log(f"wrote {json_path}, {md_path}" + (f", {chart}" if chart else "") + f" in {report['wall_s']} s")
    return 0


def benchmark(backend: str, device: str, sizes: Sizes, batch_widths: bool) -> dict[str, Any]:
    """Measures the main rows and the batch widths; returns the report without machine info."""
    import gan1d
    from gan1d.data.targets import FunctionTarget  # curve_residual scores function targets only
    from harness import keras_cases as kc

    if backend == "jax":
        from harness.reference_jax import reference_case
    else:
        from harness.reference_tf import reference_case

    recipe = Recipe()
    target = gan1d.target(kc.TARGET)
    assert isinstance(target, FunctionTarget)
    memory = memory_probe(backend, device)

    def quality(points: Any) -> float:
        return gan1d.metrics.curve_residual(points, target)

    # train() builds a new GAN per call and sets Keras's seed, which under TensorFlow
    # clears the caches every other tf.function relies on: it is timed on its own.
    log("gan1d.train():")
    main = {m.key: m.to_dict() for m in measure([kc.train_case(recipe, sizes.epochs)], sizes.repeats, memory, quality)}
    label = f"hand-written {'JAX' if backend == 'jax' else 'TF'}"
    cases: list[Case] = [
        kc.fit_target_case(recipe, sizes.epochs),
        kc.fit_target_case(recipe, sizes.epochs, snapshots=False, key="fit_target_no_snapshots"),
        reference_case(recipe, sizes.epochs, label=label),
    ]
    if backend == "tensorflow":
        from harness import reference_tf

        xla = "hand-written TF, jit_compile=True"
        cases.append(reference_tf.reference_case(recipe, sizes.epochs, "reference_xla", xla, jit_compile=True))
    cases += [kc.fit_case(recipe, sizes.loop_steps), kc.train_on_batch_case(recipe, sizes.loop_steps)]

    log("seed recipe, interleaved:")
    main |= {m.key: m.to_dict() for m in measure(cases, sizes.repeats, memory, quality)}
    reference = main["reference"]["us_per_step"]
    ratios = {
        "gan1d fit_target (warm) / hand-written, µs per step": main["fit_target"]["us_per_step"] / reference,
        "gan1d.train() whole call / hand-written, µs per step": main["train"]["us_per_step"] / reference,
    }
    report: dict[str, Any] = {
        "config": {"recipe": dataclasses.asdict(recipe), "sizes": dataclasses.asdict(sizes)},
        "memory_kind": memory.kind,
        "main": list(main.values()),
        "ratios": {k: round(v, 3) for k, v in ratios.items()},
    }
    if batch_widths:
        batch_recipes = [(b, dataclasses.replace(recipe, batch_size=b)) for b in sizes.batches]
        width_recipes = [
            (
                f"{g}/{d}" if g != d else str(g),
                dataclasses.replace(recipe, generator_units=(g,), discriminator_units=(d,)),
            )
            for g, d in sizes.widths
        ]
        for key, points in (("batch_sizes", batch_recipes), ("widths", width_recipes)):
            log(f"{key}:")
            report[key] = [batch_width_point(value, r, sizes, reference_case, memory) for value, r in points]
    report["process_peak_mb"] = round(process_peak_mb(), 1)
    return report


def batch_width_point(
    value: Any,
    recipe: Recipe,
    sizes: Sizes,
    reference_case: Callable[[Recipe, int], Case],
    memory: MemoryProbe,
) -> dict[str, Any]:
    """gan1d's warm fit_target and the hand-written reference, side by side on one recipe."""
    from harness import keras_cases as kc

    low, high = sizes.batch_width_steps
    steps = steps_per_call(recipe.batch_size, sizes.batch_width_points, low, high, recipe.snapshot_every)
    cases = [kc.fit_target_case(recipe, steps, key="gan1d"), reference_case(recipe, steps)]
    log(f" {value}:")
    gan1d_run, reference_run = measure(cases, sizes.batch_width_repeats, memory)
    gc.collect()
    return {"value": value, "gan1d": gan1d_run.to_dict(), "reference": reference_run.to_dict()}


if __name__ == "__main__":
    sys.exit(main())
