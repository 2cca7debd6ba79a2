"""How long the animation takes: 250 frames and the untrained one, with every layer, drawn and written.

    KERAS_BACKEND=jax python benchmarks/picture_time.py [--repeats 5] [--out benchmarks/picture_time]

Trains the default run once (x**2, 5000 epochs, a snapshot every 20 epochs and one
at epoch 0: 251 frames), then times `TrainResult.animate` (drawing every frame,
quantising it to the GIF's palette and writing the file) `--repeats` times with
every layer on (`show="all"`) and with the default layers, interleaved. Reports the
best and the median wall-clock seconds and the CPU seconds of the process, with the
machine and its load average, since the machine may be shared. Writes
`<out>/render-cpu.json` and `.md`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness.common import log
from harness.devices import machine_info, pin_device

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "picture_time"  # beside this script, in a folder of its name
LAYOUTS = {"all layers": "all", "default layers (heatmap, losses)": None}
BUDGET_SECONDS = 3.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed animations per layout (default: 5)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (default: %(default)s)")
    args = parser.parse_args()
    pin_device("cpu")
    import keras

    import gan1d

    load_before = os.getloadavg()
    log("training the default run (x**2, 5000 epochs) once for its snapshots ...")
    result = gan1d.train(animation="none")
    frames = len(result.snapshots)
    times: dict[str, list[float]] = {name: [] for name in LAYOUTS}
    cpu: dict[str, list[float]] = {name: [] for name in LAYOUTS}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeats + 1):
            for name, show in LAYOUTS.items():
                path = Path(folder) / f"{repeat}.gif"
                wall, process = time.perf_counter(), time.process_time()
                written = result.animate(path, show=show)
                wall, process = time.perf_counter() - wall, time.process_time() - process
                if repeat:  # the first round warms fonts and caches
                    times[name].append(wall)
                    cpu[name].append(process)
                sizes[name] = written.stat().st_size
                log(f"{name}: {wall:.2f} s ({process:.2f} s CPU)")
    report: dict[str, Any] = {
        "frames": frames,
        "frame_size": _frame_size(result),
        "budget_seconds": BUDGET_SECONDS,
        "layouts": {
            name: {
                "best_seconds": round(min(times[name]), 3),
                "median_seconds": round(statistics.median(times[name]), 3),
                "median_cpu_seconds": round(statistics.median(cpu[name]), 3),
                "gif_megabytes": round(sizes[name] / 1e6, 2),
                "seconds": [round(t, 3) for t in times[name]],
            }
            for name in LAYOUTS
        },
        "machine": {
            **machine_info(keras.backend.backend(), "cpu", "cpu"),
            "load_average_before": [round(x, 2) for x in load_before],
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "render-cpu.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    (args.out / "render-cpu.md").write_text(text)
    print(text)
    best = report["layouts"]["all layers"]["best_seconds"]
    return 0 if best <= BUDGET_SECONDS else 1


def _frame_size(result: Any) -> str:
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        path = result.animate(Path(folder) / "frame.png", show="all")
        with Image.open(path) as image:
            return f"{image.width} x {image.height}"


def markdown(report: dict[str, Any]) -> str:
    machine = report["machine"]
    lines = [
        f"# Rendering the animation: {report['frames']} frames of {report['frame_size']} px",
        "",
        (
            f"{machine['cpu']}, {machine['usable_cpus']} usable cores, Python {machine['python']}, load average "
            f"{machine['load_average_before'][0]} before and {machine['load_average'][0]} after (the machine is "
            "shared)."
        ),
        "",
        "| layers | best s | median s | median CPU s | GIF MB |",
        "|---|---|---|---|---|",
    ]
    for name, row in report["layouts"].items():
        lines.append(
            f"| {name} | {row['best_seconds']:.2f} | {row['median_seconds']:.2f} | "
            f"{row['median_cpu_seconds']:.2f} | {row['gif_megabytes']:.2f} |"
        )
    lines += [
        "",
        f"Budget: {report['budget_seconds']:.0f} s for all layers. Regenerate: `python benchmarks/picture_time.py`.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
