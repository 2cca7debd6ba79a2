"""The planar mode-collapse benchmarks (8-Gaussian ring, 25-Gaussian grid), scored like the papers.

    KERAS_BACKEND=jax python benchmarks/mode_collapse.py [--trials 10] [--preset planar] [--out benchmarks/mode_collapse]

Trains `--trials` GANs per target (seeds 0..N-1; together in one computation under
JAX, one after another under TensorFlow) with `gan1d.sweep`, scores 2500
generated points of each like VEEGAN and PacGAN (modes captured, % high quality,
reverse KL over the modes), and prints the papers' table, mean ± standard error,
with the published rows beside ours. Writes `<out>/planar-<backend>-cpu.json` and
`.md`, and a picture of trial 0's samples per target, `planar-<backend>-<target>.png`.

Run with the `planar` preset at its own length (no `--epochs`), it also checks the
preset's goals on each target (`GOALS`: every mode captured on every trial, and a
mean high-quality share of at least 98.5% on the ring and 96% on the grid) and exits
with status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from harness.common import log
from harness.devices import check_device, machine_info, pin_device

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "mode_collapse"  # beside this script, in a folder of its name
TARGETS = ("ring", "grid")

# (modes captured, % high quality) on ring, then on grid, as the papers print them.
PUBLISHED: list[tuple[str, tuple[str, str, str, str]]] = [
    ("GAN (VEEGAN table)", ("1", "99.3", "3.3", "0.5")),
    ("Unrolled GAN", ("7.6", "35.6", "23.6", "16")),
    ("VEEGAN", ("8", "52.9", "24.6", "40")),
    ("WGAN-GP (GDPP table)", ("6.8", "59.6", "24.2", "28.7")),
    ("GDPP-GAN", ("8.0", "71.7", "24.8", "68.5")),
    ("PacGAN4 (10 trials)", ("7.8 ± 0.1", "95.9 ± 1.4", "24.8 ± 0.2", "93.6 ± 0.6")),
]

# What the `planar` preset promises on each target: (modes on every trial, mean high-quality share).
GOALS: dict[str, tuple[int, float]] = {"ring": (8, 0.985), "grid": (25, 0.96)}


def goal_lines(report: dict[str, Any]) -> list[tuple[bool, str]]:
    """Per target: whether its goal is met, and a line that says so with the numbers.

    Empty unless the report is of the `planar` preset at its own length: the goals
    are what that preset promises.
    """
    if report["preset"] != "planar" or report.get("epochs") is not None:
        return []
    lines = []
    for name, entry in report["targets"].items():
        modes, share = GOALS[name]
        fewest = min(run["modes_captured"] for run in entry["runs"])
        mean = entry["mean"]["high_quality"]
        met = fewest >= modes and mean >= share
        line = (
            f"{name}: {'met' if met else 'MISSED'} (goal: {modes} modes on every trial, mean high quality "
            f">= {share:.1%}; got at least {fewest:.0f} modes, mean {mean:.2%} over seeds "
            f"{entry['runs'][0]['seed']}-{entry['runs'][-1]['seed']})"
        )
        lines.append((met, line))
    return lines


def _cell(mean: float, error: float | None, digits: int = 1) -> str:
    if error is None or not math.isfinite(error):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {error:.{digits}f}"


def run_target(name: str, trials: int, preset: str, epochs: int | None, out: Path, backend: str) -> dict[str, Any]:
    from gan1d import TrainConfig, sweep, target
    from gan1d.pictures.stills import plot_samples

    steps = TrainConfig.from_preset(preset, function=name, **({"epochs": epochs} if epochs else {})).epochs
    log(f"{name}: {trials} trials of the {preset!r} preset, {steps} steps each")
    start = time.perf_counter()
    result = sweep(name, seeds=trials, epochs=steps, preset=preset)
    wall = time.perf_counter() - start
    distribution = target(name)
    picture = plot_samples(
        distribution.sample(2500, seed=0),
        result.samples[0],
        out / f"planar-{backend}-{name}.png",
        bounds=distribution.bounds,
        title=f"{name}, trial 0: {result.runs[0]['modes_captured']:.0f} modes, "
        f"{result.runs[0]['high_quality']:.1%} high quality",
    )
    summary = result.summary()
    summary["wall_seconds"] = round(wall, 3)
    summary["picture"] = picture.name
    summary["config"] = result.config.to_dict()
    return summary


def markdown(report: dict[str, Any]) -> str:
    ring, grid = report["targets"]["ring"], report["targets"]["grid"]

    def ours(entry: dict[str, Any]) -> list[str]:
        mean, error = entry["mean"], entry["standard_error"]
        return [
            _cell(mean["modes_captured"], error["modes_captured"]),
            _cell(100 * mean["high_quality"], None if error["high_quality"] is None else 100 * error["high_quality"]),
        ]

    lines = [
        f"# Planar mode-collapse benchmarks: {report['backend']}, {report['machine']['cpu']}",
        "",
        f"{report['trials']} trials per target, 2500 generated points scored per trial (VEEGAN/PacGAN).",
        "Published rows as the papers print them; ours is mean ± standard error over the trials.",
        "",
        "| method | ring modes (/8) | ring % high quality | grid modes (/25) | grid % high quality |",
        "|---|---|---|---|---|",
    ]
    for method, cells in PUBLISHED:
        lines.append(f"| {method} | {' | '.join(cells)} |")
    label = f"**gan1d `{report['preset']}` preset, {report['backend']} ({report['trials']} trials)**"
    lines.append(f"| {label} | {' | '.join(f'**{c}**' for c in [*ours(ring), *ours(grid)])} |")
    lines += [
        "",
        (
            "| target | steps | reverse KL | trials with every mode and ≥ 90% high quality "
            "| training s per trial | how the trials ran |"
        ),
        "|---|---|---|---|---|---|",
    ]
    for name in TARGETS:
        entry = report["targets"][name]
        rkl = _cell(entry["mean"]["reverse_kl"], entry["standard_error"]["reverse_kl"], 3)
        lines.append(
            f"| {name} | {entry['epochs']} | {rkl} | {entry['successes']}/{entry['seeds']} | "
            f"{entry['train_seconds_per_seed']:.1f} | {entry['mode']} |"
        )
    goals = goal_lines(report)
    if goals:
        lines += ["", "Goals of the `planar` preset:", ""]
        lines += [f"- {line}" for _, line in goals]
    lines += ["", f"Command: `{report['command']}`", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10, help="trials per target (default: 10)")
    parser.add_argument("--preset", default="planar", help="gan1d preset to train (default: planar)")
    parser.add_argument("--epochs", type=int, help="training steps per trial (default: the preset's)")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=TARGETS)
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (default: %(default)s)")
    args = parser.parse_args()
    if args.trials < 1:
        parser.exit(2, "mode_collapse.py: error: --trials must be a positive integer\n")
    pin_device("cpu")
    from gan1d.environment import check_backend, enable_compilation_cache

    backend = check_backend()
    device_name = check_device(backend, "cpu")
    enable_compilation_cache()
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "backend": backend,
        "preset": args.preset,
        "epochs": args.epochs,
        "trials": args.trials,
        "machine": machine_info(backend, "cpu", device_name),
        "command": f"KERAS_BACKEND={backend} python benchmarks/mode_collapse.py --trials {args.trials} --preset {args.preset}"
        + (f" --epochs {args.epochs}" if args.epochs else ""),
        "published": [{"method": method, "values": list(cells)} for method, cells in PUBLISHED],
        "targets": {},
    }
    for name in args.targets:
        report["targets"][name] = run_target(name, args.trials, args.preset, args.epochs, args.out, backend)
    if set(report["targets"]) == set(TARGETS):
        text = markdown(report)
        (args.out / f"planar-{backend}-cpu.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
        (args.out / f"planar-{backend}-cpu.md").write_text(text)
    else:  # one target: no table to fill, and the saved results stay those of a full run
        text = json.dumps(report["targets"], indent=2)
    print(text)
    checks = goal_lines(report)
    for _, line in checks:
        log(line)
    return 0 if all(met for met, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
