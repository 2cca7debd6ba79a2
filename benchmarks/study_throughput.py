"""Study throughput: trials per minute with the local executor and with Ray on 1 and 2 workers of this machine.

    KERAS_BACKEND=jax python benchmarks/study_throughput.py [--workers 1 2] [--quick] [--out benchmarks/study_throughput]

Runs one study (the planar preset at fewer steps: 2 variants x ring and grid x 4
seeds, a block of 4 seeds per task) with `gan1d study`: once with the local
executor, then on a fresh Ray cluster on this machine with 1, then 2, worker
slots (`ray start --head --num-cpus N`, one worker process per slot). Each run
starts from an empty JAX compilation cache, so every executor pays its compiling
as the first run of a study does. The cluster's own start is not timed (a real
cluster is up before a study is sent to it); everything else is: the `gan1d`
process, joining the cluster, the workers' imports and compiling, training,
scoring and writing the folder.

The ideal for N workers is N times the local executor's rate: what N machines
each running the local executor on a share of the blocks would give. Also checks
that every executor wrote the same metrics for every trial. Writes
`<out>/studies-<backend>-cpu.json` and `.md` (the table is printed too).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness.common import log
from harness.devices import machine_info

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "study_throughput"  # beside this script, in a folder of its name

STUDY = """
name = "throughput"
description = "The planar preset at {steps} steps: 2 learning rates x ring and grid x {seeds} seeds."
preset = "planar"
seeds = {seeds}
block = {seeds}
targets = ["ring", "grid"]

[settings]
epochs = {steps}

[grid]
learning_rate = [0.003, 0.002]
"""


# Ray's own cost per task on this cluster: the wall time of 500 tasks that do nothing.
_EMPTY_TASKS = """
import sys, time, ray
ray.init(address=sys.argv[1], logging_level="error", log_to_driver=False)
nothing = ray.remote(num_cpus=1)(lambda: None)
ray.get([nothing.remote() for _ in range(50)])
start = time.perf_counter()
ray.get([nothing.remote() for _ in range(500)])
print(time.perf_counter() - start)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ray_head(cpus: int, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """A Ray head on this machine with `cpus` worker slots; returns it and its address once it is up."""
    ray = str(Path(sys.executable).parent / "ray")
    port = _free_port()
    address = f"127.0.0.1:{port}"
    temp_dir = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    head = subprocess.Popen(
        [
            ray,
            "start",
            "--head",
            "--block",
            f"--port={port}",
            f"--num-cpus={cpus}",
            f"--temp-dir={temp_dir}",
            "--include-dashboard=false",
            "--disable-usage-stats",
            "--node-ip-address=127.0.0.1",
            f"--ray-client-server-port={_free_port()}",
            f"--dashboard-agent-listen-port={_free_port()}",
            f"--metrics-export-port={_free_port()}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while True:
        if head.poll() is not None:
            raise RuntimeError("the Ray head did not start")
        status = subprocess.run(
            [ray, "status", f"--address={address}"], capture_output=True, text=True, env=env, check=False
        )
        if f"0.0/{cpus}.0 CPU" in status.stdout:
            return head, address
        time.sleep(0.5)


def _run_study(spec: Path, out: Path, env: dict[str, str], address: str | None) -> float:
    command = [sys.executable, "-m", "gan1d", "study", str(spec), "--out", str(out), "--quiet"]
    if address:
        command += ["--ray", address]
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _trials(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "trials.jsonl").read_text().splitlines()]


def measure(name: str, spec: Path, work: Path, workers: int | None) -> dict[str, Any]:
    # Ray starts its workers at niceness 15 by default; at 0 they compete for the
    # CPU as the local executor does.
    env = {**os.environ, "JAX_COMPILATION_CACHE_DIR": str(work / f"cache-{name}"), "RAY_worker_niceness": "0"}
    out = work / name
    head = None
    try:
        address = None
        if workers:
            head, address = _ray_head(workers, env)
        log(f"{name}: running the study")
        wall = _run_study(spec, out, env, address)
        task_ms = None
        if address:
            empty = subprocess.run(
                [sys.executable, "-c", _EMPTY_TASKS, address], env=env, capture_output=True, text=True, check=True
            )
            task_ms = round(float(empty.stdout.split()[-1]) / 500 * 1000, 3)
    finally:
        if head is not None:
            head.send_signal(signal.SIGTERM)
            head.wait()
    trials = _trials(out)
    busy = sum(trial["seconds"] for trial in trials)
    return {
        "executor": name,
        "workers": workers or 1,
        "trials": len(trials),
        "wall_s": round(wall, 2),
        "trials_per_minute": round(60 * len(trials) / wall, 2),
        "training_s": round(busy, 2),
        "processes": len({(trial["host"], trial["pid"]) for trial in trials}),
        "empty_task_ms": task_ms,
        "cache_mb": round(sum(f.stat().st_size for f in (work / f"cache-{name}").rglob("*") if f.is_file()) / 2**20, 2),
        "metrics": {f"{t['variant']}|{t['target']}|{t['seed']}": t["metrics"] for t in trials},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Ray worker slots to try")
    parser.add_argument("--steps", type=int, default=1000, help="training steps per trial")
    parser.add_argument("--seeds", type=int, default=4, help="seeds per variant and target (one block)")
    parser.add_argument("--quick", action="store_true", help="a smoke test: 100 steps, 2 seeds")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (default: %(default)s)")
    args = parser.parse_args()
    steps, seeds = (100, 2) if args.quick else (args.steps, args.seeds)
    backend = os.environ.get("KERAS_BACKEND", "jax")

    work = Path(tempfile.mkdtemp(prefix="gan1d-study-bench-"))
    spec = work / "throughput.toml"
    spec.write_text(STUDY.format(steps=steps, seeds=seeds))
    rows = [measure("local", spec, work, None)]
    rows += [measure(f"ray-{n}", spec, work, n) for n in args.workers]
    same = all(row["metrics"] == rows[0]["metrics"] for row in rows)
    local_rate = rows[0]["trials_per_minute"]
    for row in rows:
        row["ideal_trials_per_minute"] = round(local_rate * row["workers"], 2)
        row["efficiency"] = round(row["trials_per_minute"] / row["ideal_trials_per_minute"], 3)
        row.pop("metrics")
    info = machine_info(backend, "cpu", "cpu")
    result = {"study": STUDY.format(steps=steps, seeds=seeds), "same_metrics": same, "rows": rows, "machine": info}
    heading = (
        f"Study throughput, {backend} on the CPU ({info['cpu']}, {info['usable_cpus']} usable cores, "
        f"load average {info['load_average']} at the end): {rows[0]['trials']} trials of the planar preset at "
        f"{steps} steps, blocks of {seeds} seeds."
    )
    table = [
        heading,
        "",
        "| executor | worker processes | wall s | trials per minute | ideal | efficiency | training s (sum) | "
        + "ms per empty Ray task |",
        "|---|---|---|---|---|---|---|---|",
    ]
    table += [
        f"| {row['executor']} | {row['processes']} | {row['wall_s']:.1f} | {row['trials_per_minute']:.2f} | "
        f"{row['ideal_trials_per_minute']:.2f} | {row['efficiency']:.0%} | {row['training_s']:.1f} | "
        f"{row['empty_task_ms'] if row['empty_task_ms'] is not None else ''} |"
        for row in rows
    ]
    table += ["", f"Every executor wrote the same metrics for every trial: {'yes' if same else 'NO'}."]
    text = "\n".join(table) + "\n"
    print(text)
    if not args.quick:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"studies-{backend}-cpu.json").write_text(json.dumps(result, indent=2) + "\n")
        (args.out / f"studies-{backend}-cpu.md").write_text(text)
    shutil.rmtree(work, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
