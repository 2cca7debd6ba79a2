"""What each training method costs: microseconds per training step, beside the plain step.

Every method (an objective, a gradient penalty, spectral norm, clipping, updates per
round, a moving average) trains the `planar` preset's networks on `ring` in the
compiled loop, as `gan1d train` does, and the warm loop is timed; each row is the
method's time per step and its ratio to the plain (non-saturating, no penalty)
step measured in the same round. With `--baseline DIR` (another checkout's `src`),
the plain step of that code is timed too, in the same rounds, so a change to the
step is measured against what came before it.

Each measurement runs in a fresh interpreter (one backend per run of this script,
`KERAS_BACKEND`); rounds interleave the methods, and the best of the rounds is
kept, since the machine is shared and noise only ever adds time.

    KERAS_BACKEND=jax python benchmarks/method_speed.py --baseline ../old/src
    KERAS_BACKEND=tensorflow python benchmarks/method_speed.py --quick

Writes `benchmarks/method_speed/<backend>-cpu.{json,md}`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "method_speed"

# Method name -> TrainConfig overrides on the planar preset.
METHODS: dict[str, dict[str, Any]] = {
    "plain (non-saturating)": {},
    "minimax": {"loss": "minimax"},
    "least-squares": {"loss": "least-squares"},
    "hinge": {"loss": "hinge"},
    "wasserstein + weight clip": {"loss": "wasserstein", "weight_clip": 0.05},
    "wasserstein + WGAN-GP": {"loss": "wasserstein", "penalty": "wgan-gp"},
    "R1": {"penalty": "r1"},
    "R2": {"penalty": "r2"},
    "spectral norm": {"spectral_norm": True},
    "moving average (EMA)": {"ema": 0.999},
    "2 discriminator steps": {"discriminator_steps": 2},
    "SGD with momentum": {"optimizer": "sgd", "momentum": 0.9},
}

# Run in a fresh interpreter: time `steps` warm training steps of one method.
CHILD = """
import json, sys, time
from gan1d.data.targets import target
from gan1d.run.build import build_gan
from gan1d.run.config import TrainConfig
method, steps, batch = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
config = TrainConfig.from_preset("planar", function="ring", batch_size=batch, epochs=10 * steps, **method)
gan = build_gan(config)
ring = config.target()
gan.fit_target(ring, epochs=steps, batch_size=batch)  # compiles every program the timed calls use
start = time.perf_counter()
gan.fit_target(ring, epochs=3 * steps, batch_size=batch, initial_epoch=steps)
print(json.dumps({"us_per_step": 1e6 * (time.perf_counter() - start) / (2 * steps)}))
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the best is kept (default: 3)")
    parser.add_argument("--steps", type=int, default=2000, help="timed steps per measurement is twice this")
    parser.add_argument("--batch-size", type=int, default=512, help="real points per step (the planar preset's)")
    parser.add_argument("--baseline", type=Path, help="another checkout's src folder: its plain step is timed too")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default: {OUT})")
    parser.add_argument("--quick", action="store_true", help="a smoke test: one round, few steps, three methods")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    backend = os.environ.get("KERAS_BACKEND", "jax")
    methods = dict(list(METHODS.items())[:3]) if args.quick else METHODS
    rounds, steps = (1, 200) if args.quick else (args.rounds, args.steps)
    sources = {"this code": HERE.parent / "src"}
    if args.baseline is not None:
        sources["baseline"] = args.baseline.resolve()
    cases = [
        (source, name)
        for name in methods
        for source in sources
        if source == "this code" or name == "plain (non-saturating)"
    ]
    best: dict[tuple[str, str], float] = {}
    for round_number in range(rounds):
        for source, name in cases:
            env = {
                **os.environ,
                "PYTHONPATH": str(sources[source]),
                "KERAS_BACKEND": backend,
                "TF_CPP_MIN_LOG_LEVEL": "3",
            }
            env.setdefault("JAX_PLATFORMS", "cpu")
            env["CUDA_VISIBLE_DEVICES"] = ""
            done = subprocess.run(
                [sys.executable, "-c", CHILD, json.dumps(methods[name]), str(steps), str(args.batch_size)],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            if done.returncode:
                print(done.stderr[-2000:], file=sys.stderr)
                return 1
            value = json.loads(done.stdout.strip().splitlines()[-1])["us_per_step"]
            best[source, name] = min(value, best.get((source, name), float("inf")))
            print(f"round {round_number + 1}: {source:9s} {name:28s} {value:8.1f} us/step", file=sys.stderr, flush=True)
    plain = best["this code", "plain (non-saturating)"]
    rows = [
        {
            "method": name,
            "us_per_step": round(best["this code", name], 1),
            "ratio_to_plain": round(best["this code", name] / plain, 2),
        }
        for name in methods
    ]
    report: dict[str, Any] = {
        "backend": backend,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "load_average": list(os.getloadavg()),
        "rounds": rounds,
        "timed_steps": 2 * steps,
        "batch_size": args.batch_size,
        "when": time.strftime("%Y-%m-%d"),
        "methods": rows,
    }
    if "baseline" in sources:
        before = best["baseline", "plain (non-saturating)"]
        report["baseline_plain_us_per_step"] = round(before, 1)
        report["plain_now_over_baseline"] = round(plain / before, 3)
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"{backend}-cpu{'-quick' if args.quick else ''}"
    (args.out / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / f"{name}.md").write_text(markdown(report))
    print(markdown(report))
    return 0


def markdown(report: dict[str, Any]) -> str:
    """The report as a table: each method's time per step and its ratio to the plain step."""
    lines = [
        f"# Time per training step, by method ({report['backend']}, CPU)",
        "",
        (
            f"The `planar` preset's networks on `ring`, batch {report['batch_size']}, "
            f"{report['timed_steps']} warm steps in the compiled loop; best of {report['rounds']} interleaved rounds, "
            f"each in a fresh interpreter. {report['machine']['cpus']} CPUs, load average "
            f"{', '.join(f'{v:.1f}' for v in report['load_average'])} at the end; {report['when']}."
        ),
        "",
        "Regenerate: `KERAS_BACKEND=" + report["backend"] + " python benchmarks/method_speed.py --baseline OLD/src`.",
        "",
        "| method | µs/step | ratio to the plain step |",
        "|---|---|---|",
    ]
    lines += [
        f"| {row['method']} | {row['us_per_step']:.1f} | {row['ratio_to_plain']:.2f} |" for row in report["methods"]
    ]
    if "baseline_plain_us_per_step" in report:
        lines += [
            "",
            (
                f"The plain step of the baseline code: {report['baseline_plain_us_per_step']:.1f} µs; this code's over it: "
                f"{report['plain_now_over_baseline']:.3f}."
            ),
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
