"""Success rate and training time of the default preset on the built-in curves.

    KERAS_BACKEND=jax python benchmarks/curve_success.py --seeds 20 [--set hard] [--first 0] [--out benchmarks/curve_success]

For each built-in curve of the set (`easy`: `gan1d.data.targets.EASY_TARGETS`, `hard`:
`HARD_TARGETS`, `all`: both) it runs what `gan1d sweep --function NAME --seeds N`
runs, on seeds FIRST..FIRST+N-1, and one single run like `gan1d train --function
NAME` (seed FIRST, no snapshots) for the time one run takes. A seed succeeds when
`x_w1 <= 0.02` and `curve_residual <= 0.02`.

Writes `curves-<backend>-<set>.json` and `.md` (the table docs/presets.md shows)
and prints the table. Options after the known ones are `TrainConfig` fields as
`name=value` (e.g. `generator=plain`), to compare a setting with the default.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import time
from pathlib import Path
from typing import Any

from harness.common import log
from harness.devices import machine_info

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "curve_success"  # beside this script, in a folder of its name


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=("easy", "hard", "all"), default="all", help="which curves (default: all)")
    parser.add_argument("--function", nargs="+", help="these built-ins instead of a set")
    parser.add_argument("--seeds", type=int, default=20, help="seeds per curve (default: 20)")
    parser.add_argument("--first", type=int, default=0, help="first seed (default: 0)")
    parser.add_argument("--no-single", action="store_true", help="skip the single timed run per curve")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (default: %(default)s)")
    parser.add_argument("options", nargs="*", metavar="FIELD=VALUE", help="TrainConfig fields on top of the preset")
    return parser.parse_args(argv)


def _options(pairs: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        try:
            options[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            options[name] = text
    return options


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import keras

    import gan1d
    from gan1d.data.targets import BUILTIN_TARGETS, EASY_TARGETS, HARD_TARGETS

    names = args.function or {"easy": EASY_TARGETS, "hard": HARD_TARGETS, "all": EASY_TARGETS + HARD_TARGETS}[args.set]
    options = _options(args.options)
    backend = keras.backend.backend()
    rows = []
    for name in names:
        seeds = list(range(args.first, args.first + args.seeds))
        started = time.perf_counter()
        result = gan1d.sweep(name, seeds=seeds, **options)
        summary = result.summary()
        row: dict[str, Any] = {
            "function": name,
            "expression": BUILTIN_TARGETS[name][0],
            "domain": list(BUILTIN_TARGETS[name][1]),
            "generator": summary["generator"],
            "successes": summary["successes"],
            "seeds": len(seeds),
            "first_seed": args.first,
            "median_x_w1": summary["median"]["x_w1"],
            "median_curve_residual": summary["median"]["curve_residual"],
            "worst_curve_residual": max(run["curve_residual"] for run in result.runs),
            "sweep_train_seconds": summary["train_seconds"],
            "sweep_mode": summary["mode"],
            "sweep_wall_seconds": round(time.perf_counter() - started, 2),
        }
        if not args.no_single:
            single = gan1d.train(name, seed=args.first, snapshot_every=0, animation="none", **options)
            row["single_train_seconds"] = single.metrics["train_seconds"]
            row["single_success"] = single.metrics["success"]
        log(json.dumps(row))
        rows.append(row)
    label = "-".join(args.function) if args.function else args.set
    suffix = "".join(f"-{k}={v}" for k, v in options.items())
    stem = f"curves-{backend}-{label}{suffix}"
    record = {"backend": backend, "machine": machine_info(backend, "cpu", "cpu"), "options": options, "rows": rows}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stem}.json").write_text(json.dumps(record, indent=1) + "\n")
    table = markdown(rows, backend)
    (args.out / f"{stem}.md").write_text(table)
    print(table)
    return 0


def markdown(rows: list[dict[str, Any]], backend: str) -> str:
    lines = [
        (
            f"| function ({backend}) | f(x) on domain | generator | successes | median x_w1 | median residual "
            "| worst residual | sweep training s | one run s |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lo, hi = row["domain"]
        single = row.get("single_train_seconds")
        lines.append(
            f"| {row['function']} | `{row['expression']}` on [{lo:g}, {hi:g}] | {row['generator']} "
            f"| {row['successes']}/{row['seeds']} | {row['median_x_w1']:.4f} | {row['median_curve_residual']:.4f} "
            f"| {row['worst_curve_residual']:.4f} | {row['sweep_train_seconds']:.1f} ({row['sweep_mode']}) "
            f"| {'' if single is None else f'{single:.1f}'} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
