"""Seeds throughput: many copies of one GAN trained together, as `gan1d sweep` trains seeds.

    KERAS_BACKEND=jax python benchmarks/seed_throughput.py --device gpu [--seeds 1 4 16 ...] [--out benchmarks/seed_throughput]

For each N, `gan1d.core.loop.fit_target_many` trains N copies of the default preset's
GAN in one vectorized computation (`jax.vmap` of the compiled loop) on the
default target. The copies share one initialisation and differ in their random
streams (the cost of a step does not depend on the weights' values). Each N is
run once to compile, then timed: the steady rate is taken between the ends of the
compiled calls (`on_progress`), so stacking the states before and splitting them
after are left out; the whole call is kept too. The key number is training steps
per second summed over the copies, N x steps / seconds.

Writes `seeds-<backend>-<device>.json` and `.md` and prints the table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from harness.common import log
from harness.devices import NoGpu, check_device, machine_info, pin_device

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "seed_throughput"  # beside this script, in a folder of its name
FULL_SEEDS = tuple(2**k for k in range(13))  # 1 ... 4096
QUICK_SEEDS = (1, 2, 4, 8)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cpu", "gpu"), required=True, help="where the backend computes")
    parser.add_argument("--seeds", type=int, nargs="+", help="numbers of copies (default: 1 2 4 ... 4096)")
    parser.add_argument("--steps", type=int, help="steps per timed call (default: 2000, quick 200)")
    parser.add_argument("--quick", action="store_true", help="N = 1, 2, 4, 8 and 200 steps: a smoke test")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (default: %(default)s)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pin_device(args.device)

    from gan1d import Gan1dError
    from gan1d.environment import check_backend

    try:
        backend = check_backend()
        device_name = check_device(backend, args.device)
    except (Gan1dError, NoGpu) as error:
        print(f"seed_throughput.py: error: --device {args.device}: {error}", file=sys.stderr)
        return 2
    from gan1d import backend as glue

    if glue.vectorize is None:
        print(f"seed_throughput.py: error: {backend} cannot train copies in one computation; use JAX", file=sys.stderr)
        return 2
    seeds = args.seeds or (QUICK_SEEDS if args.quick else FULL_SEEDS)
    steps = args.steps or (200 if args.quick else 2000)
    started = time.perf_counter()
    log(f"seeds throughput: {backend} on {device_name}, {steps} steps per call")
    rows = [measure(n, steps) for n in seeds]
    report = {
        "machine": machine_info(backend, args.device, device_name),
        "steps": steps,
        "rows": rows,
        "wall_s": round(time.perf_counter() - started, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"seeds-{backend}-{args.device}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    text = markdown(report)
    stem.with_suffix(".md").write_text(text)
    print(text)
    log(f"wrote {stem}.json and .md in {report['wall_s']} s")
    return 0


def measure(copies: int, steps: int) -> dict[str, Any]:
    """One N: a compiling call, then a timed one."""
    import keras
    from keras import ops

    from gan1d import TrainConfig
    from gan1d.core.loop import fit_target_many
    from gan1d.run.build import build_gan

    config = TrainConfig.from_preset()
    gan = build_gan(config)
    target = config.target()
    base = gan.copy_state()
    seed_dtype = base.seed[0].dtype
    states = [base._replace(seed=[ops.convert_to_tensor([i, 0], seed_dtype)]) for i in range(copies)]

    def run() -> tuple[float, list[tuple[int, float]], Any]:
        ends: list[tuple[int, float]] = []
        start = time.perf_counter()
        _, d_losses, _ = fit_target_many(
            gan,
            target,
            states,
            steps,
            config.batch_size,
            on_progress=lambda step: ends.append((step, time.perf_counter())),
        )
        return time.perf_counter() - start, ends, d_losses

    first, _, _ = run()
    whole, ends, d_losses = run()
    # Steady rate: between the ends of the first and the last compiled call.
    if len(ends) > 1:
        (first_step, first_end), (last_step, last_end) = ends[0], ends[-1]
        steady = steps * (last_end - first_end) / (last_step - first_step)
    else:
        steady = whole
    finite = bool(keras.ops.all(keras.ops.isfinite(keras.ops.convert_to_tensor(d_losses))))
    row = {
        "copies": copies,
        "first_call_s": round(first, 3),
        "whole_call_s": round(whole, 3),
        "steady_s": round(steady, 4),
        "compiled_calls": len(ends),
        "steps_per_s_per_copy": round(steps / steady, 1),
        "steps_per_s_summed": round(copies * steps / steady, 1),
        "finite_losses": finite,
    }
    log(f"  N={copies}: {row['steps_per_s_summed']:.0f} steps/s summed ({row['steady_s']:.3f} s per {steps} steps)")
    return row


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"# gan1d seeds throughput: {m['backend']} on {m['device_name']}",
        "",
        f"- default preset, {report['steps']} steps per copy per timed call, copies vectorized in one computation",
        f"- {m['platform']}, Python {m['python']}, " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        "",
        "| copies N | steps/s summed | steps/s per copy | steady s | whole call s | first call s |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {row['copies']} | {row['steps_per_s_summed']:.0f} | {row['steps_per_s_per_copy']:.0f} | "
        f"{row['steady_s']:.3f} | {row['whole_call_s']:.3f} | {row['first_call_s']:.2f} |"
        for row in report["rows"]
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
