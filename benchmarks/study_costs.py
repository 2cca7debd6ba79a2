"""What a study costs besides training: the numbers behind docs/scaling.md.

    KERAS_BACKEND=jax python benchmarks/study_costs.py [--out benchmarks/study_costs]

Measures, on this machine:

- a worker's start: importing Keras and starting JAX in a fresh process;
- a worker's compiling: one block of the planar preset (10 seeds on the ring,
  400 steps) run twice in a fresh process, with JAX's persistent compilation cache
  empty (cold), then again in another fresh process with the cache the first one
  filled (warm); the second run in each process reuses the loop it compiled, so
  first minus second is the compiling (and tracing) a fresh worker pays;
- the driver's cost per block: appending a block's trial lines to `trials.jsonl`
  (one write, then fsync), and reading a log back;
- the size of a trial's line, and of a block and its result as pickled for a task;
- checking a study file: building and checking each variant-and-target configuration.

Writes `<out>/study-costs-<backend>-cpu.json` and `.md` (the table is printed too).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness.devices import machine_info

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "study_costs"  # beside this script, in a folder of its name

BLOCK_STUDY = {
    "name": "costs",
    "preset": "planar",
    "seeds": 10,
    "targets": ["ring"],
    "settings": {"epochs": 400},
}


def _worker(cache: Path) -> dict[str, Any]:
    # The worker is `harness.study_worker`, found through this folder on its path.
    path = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "JAX_COMPILATION_CACHE_DIR": str(cache), "PYTHONPATH": path}
    done = subprocess.run(
        [sys.executable, "-m", "harness.study_worker", json.dumps(BLOCK_STUDY)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def _size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def compiling(work: Path) -> dict[str, Any]:
    cache = work / "cache"
    cold = _worker(cache)
    cache_mb = _size_mb(cache)
    warm = _worker(cache)
    return {
        "block": "planar preset, ring, 10 seeds, 400 steps",
        "import_s": [round(cold["import_s"], 2), round(warm["import_s"], 2)],
        "cold_first_s": round(cold["first_s"], 2),
        "cold_second_s": round(cold["second_s"], 2),
        "warm_first_s": round(warm["first_s"], 2),
        "warm_second_s": round(warm["second_s"], 2),
        "compile_cold_s": round(cold["first_s"] - cold["second_s"], 2),
        "compile_warm_s": round(warm["first_s"] - warm["second_s"], 2),
        "cache_mb": round(cache_mb, 2),
        "same_metrics_cold_and_warm": [t["metrics"] for t in cold["trials"]] == [t["metrics"] for t in warm["trials"]],
        "trials": cold["trials"],
    }


def driver(work: Path, trials: list[dict[str, Any]]) -> dict[str, Any]:
    from gan1d.experiments.studies.log import TrialLog
    from gan1d.experiments.studies.plan import load_study

    lines = [json.dumps(trial, allow_nan=False) + "\n" for trial in trials]
    line_bytes = statistics.mean(len(line.encode()) for line in lines)

    # Appends of 10-trial blocks, each a new set of seeds, with the fsync TrialLog does.
    (work / "append").mkdir()
    log = TrialLog(work / "append" / "trials.jsonl")
    appends = []
    for round_ in range(50):
        block = [{**trial, "seed": trial["seed"] + 1000 * (round_ + 1)} for trial in trials]
        start = time.perf_counter()
        log.append(block)
        appends.append(time.perf_counter() - start)

    # Reading a log back: 100,000 lines.
    big = work / "read" / "trials.jsonl"
    big.parent.mkdir()
    with big.open("w") as stream:
        for n in range(100_000 // len(lines)):
            for trial in trials:
                stream.write(json.dumps({**trial, "seed": trial["seed"] + 1000 * n}) + "\n")
    start = time.perf_counter()
    read = TrialLog(big)
    read_s = time.perf_counter() - start

    first_block = load_study(BLOCK_STUDY).blocks()[0]

    def checking(target: str, count: int) -> float:
        spec = {**BLOCK_STUDY, "targets": [target], "grid": {"learning_rate": [1e-3 + i * 1e-5 for i in range(count)]}}
        if target != "ring":
            spec = {**spec, "preset": "default"}
        start = time.perf_counter()
        load_study(spec)
        return (time.perf_counter() - start) / count

    load_study({**BLOCK_STUDY, "targets": ["square"], "preset": "default"})  # imports, once
    return {
        "trial_line_bytes": round(line_bytes),
        "append_block_ms_median": round(statistics.median(appends) * 1000, 3),
        "append_block_ms_max": round(max(appends) * 1000, 3),
        "read_lines_per_s": round(len(read.trials) / read_s),
        "read_lines": len(read.trials),
        "pickled_block_bytes": len(pickle.dumps(first_block)),
        "pickled_result_bytes_per_trial": round(len(pickle.dumps(trials)) / len(trials)),
        "check_ms_per_curve_configuration": round(checking("square", 20) * 1000, 2),
        "check_ms_per_planar_configuration": round(checking("ring", 20) * 1000, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (default: %(default)s)")
    args = parser.parse_args()
    backend = os.environ.get("KERAS_BACKEND", "jax")
    if backend != "jax":
        parser.error("the compiling measurement is of JAX's persistent cache: run with KERAS_BACKEND=jax")
    with tempfile.TemporaryDirectory(prefix="gan1d-study-costs-") as folder:
        work = Path(folder)
        compiled = compiling(work)
        costs = driver(work, compiled.pop("trials"))
    info = machine_info(backend, "cpu", "cpu")
    result = {"compiling": compiled, "driver": costs, "machine": info}
    text = "\n".join(
        [
            (
                f"Study costs besides training, {backend} on the CPU ({info['cpu']}, {info['usable_cpus']} usable cores, "
                f"load average {info['load_average']} at the end)."
            ),
            "",
            "| what | measured |",
            "|---|---|",
            (
                f"| import Keras and start JAX in a fresh process | {compiled['import_s'][0]:.2f} s, "
                f"{compiled['import_s'][1]:.2f} s |"
            ),
            (
                f"| a block ({compiled['block']}), first run in a fresh process, empty cache | "
                f"{compiled['cold_first_s']:.2f} s |"
            ),
            f"| the same block run again in that process (nothing to compile) | {compiled['cold_second_s']:.2f} s |",
            f"| compiling a fresh worker pays, empty cache | {compiled['compile_cold_s']:.2f} s |",
            f"| first run in another fresh process, cache filled by the first | {compiled['warm_first_s']:.2f} s |",
            f"| compiling a fresh worker pays, warm cache | {compiled['compile_warm_s']:.2f} s |",
            f"| persistent cache written by one block | {compiled['cache_mb']:.2f} MB |",
            f"| same metrics with a cold and a warm cache | {'yes' if compiled['same_metrics_cold_and_warm'] else 'NO'} |",
            f"| a trial's line in trials.jsonl | {costs['trial_line_bytes']} bytes |",
            (
                f"| appending a 10-trial block (write + fsync), median / max of 50 | "
                f"{costs['append_block_ms_median']:.2f} / {costs['append_block_ms_max']:.2f} ms |"
            ),
            f"| reading a log back ({costs['read_lines']:,} lines) | {costs['read_lines_per_s']:,} lines/s |",
            f"| a block, pickled | {costs['pickled_block_bytes']:,} bytes |",
            f"| a block's result, pickled, per trial | {costs['pickled_result_bytes_per_trial']:,} bytes |",
            f"| checking a study file, per curve configuration | {costs['check_ms_per_curve_configuration']:.2f} ms |",
            f"| checking a study file, per planar configuration | {costs['check_ms_per_planar_configuration']:.2f} ms |",
            "",
            "Command: `KERAS_BACKEND=jax python benchmarks/study_costs.py`",
        ]
    )
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"study-costs-{backend}-cpu.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / f"study-costs-{backend}-cpu.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
