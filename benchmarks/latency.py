"""How long a user waits: `gan1d train` end to end beside the import floor, file by file, and a second `train()`.

    python benchmarks/latency.py [--jax-python PY] [--tf-python PY] [--both-python PY] [--repeats 3]
                                 [--out benchmarks/latency] [--source SRC --name NAME]

For each backend, in fresh processes of that backend's interpreter, interleaved
round by round (best of `--repeats`, wall and CPU time):

- the import floor every Keras program pays: `import keras, jax;
  jax.numpy.zeros(1).block_until_ready()` under JAX, `import keras, tensorflow`
  under TensorFlow, as a whole process (its Python teardown included) and without
  the teardown (`os._exit` once imported);
- `python -m gan1d train --out NEW_DIR` with default options, with an empty
  compilation cache (cold), with one an earlier run filled (warm), and warm with
  `--animation none`: the time to its first progress line on standard error, to the
  line saying that training runs, to `gan.keras` on disk, to every other file (its
  modification time), and to the process's exit; `train_seconds` from
  `metrics.json`, and the seconds to the first epochs that the progress line gives;
- in one process: a second `gan1d.train()` of the same configuration and of
  another one (another seed), each beside its pure training time (the same steps
  on a GAN whose loop is compiled), and whether TensorFlow was imported; gan1d's
  warm loop with its snapshots and layers, and without snapshots, beside the
  hand-written loop (`harness/reference_jax.py`, and `harness/reference_tf.py`
  compiled by XLA), on the seed recipe; with `--both-python` (an interpreter with
  JAX and TensorFlow), the same again there under JAX.

The warm cache is filled by an untimed warm-up run, so the first timed warm round
is a run's second one: under TensorFlow that run compiles its loop once more (see
docs/benchmarks.md), which the report shows beside the best warm round.

Python's bytecode: every child process reads and writes `.pyc` files under one
folder of the output (`PYTHONPYCACHEPREFIX`, with `PYTHONDONTWRITEBYTECODE`
unset), filled by the untimed runs, so the numbers do not depend on whether the
virtualenv was installed with compiled bytecode.

gan1d comes from this checkout's `src` (or `--source`, e.g. an older commit's, for
a before-and-after comparison written under another `--name`), the frameworks
from each interpreter's environment. Writes `NAME.json` and `NAME.md`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "latency"  # beside this script, in a folder of its name
BACKENDS = ("jax", "tensorflow")
FLOOR = {
    "jax": "import keras, jax; jax.numpy.zeros(1).block_until_ready()",
    "tensorflow": "import keras, tensorflow",
}
GOALS = {
    "warm": 2.0,
    "cold_jax": 3.0,
    "first_line": 0.5,
    "second_train": 1.3,
    "loop": 1.15,
    "loop_no_snapshots": 1.05,
}
NAMES = {"jax": "JAX", "tensorflow": "TensorFlow"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jax-python", default=sys.executable, help="interpreter with JAX (default: this one)")
    parser.add_argument("--tf-python", default=sys.executable, help="interpreter with TensorFlow (default: this one)")
    parser.add_argument(
        "--both-python", help="interpreter with JAX and TensorFlow: the in-process rows again there, under JAX"
    )
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--source", type=Path, default=HERE.parent / "src", help="gan1d's source folder")
    parser.add_argument("--label", help="what the source is, for the report (default: its git commit)")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="200 epochs, no animation, 1 round: a smoke test")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (default: %(default)s)")
    parser.add_argument("--name", default="latency", help="file name of the results (default: %(default)s)")
    parser.add_argument("--child", choices=("in-process",), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(in_process(args.repeats, args.quick)))
        return 0
    if args.quick:
        args.repeats = 1
    started = time.perf_counter()
    pythons = {"jax": args.jax_python, "tensorflow": args.tf_python}
    report: dict[str, Any] = {
        "machine": machine(),
        "repeats": args.repeats,
        "quick": args.quick,
        "source": args.label or source_description(args.source),
        "backends": {},
    }
    with tempfile.TemporaryDirectory(prefix="gan1d-latency-") as scratch:
        for backend in args.backends:
            log(f"{backend}: {pythons[backend]}")
            env = child_env(backend, args.source.resolve(), args.out.resolve() / ".pycache" / backend)
            report["backends"][backend] = {
                "python": pythons[backend],
                "versions": versions(pythons[backend], env),
                "end_to_end": end_to_end(pythons[backend], env, Path(scratch) / backend, args),
                "in_process": run_child(pythons[backend], env, args),
            }
        if args.both_python:
            log(f"both frameworks, under JAX: {args.both_python}")
            env = child_env("jax", args.source.resolve(), args.out.resolve() / ".pycache" / "both")
            report["both"] = {
                "python": args.both_python,
                "versions": versions(args.both_python, env),
                "in_process": run_child(args.both_python, env, args),
            }
    report["wall_s"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=1) + "\n")
    text = markdown(report)
    (args.out / f"{args.name}.md").write_text(text)
    print(text)
    log(f"wrote {args.out / args.name}.json and .md in {report['wall_s']} s")
    return 0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ----- fresh processes -----------------------------------------------------------


def child_env(backend: str, source: Path, pycache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "TF_XLA_FLAGS")}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    env.update(
        KERAS_BACKEND=backend,
        PYTHONPATH=os.pathsep.join([str(source), str(HERE)]),
        PYTHONPYCACHEPREFIX=str(pycache),
        CUDA_VISIBLE_DEVICES="",
        JAX_PLATFORMS="cpu",
    )
    return env


def with_cache(env: dict[str, str], backend: str, folder: Path) -> dict[str, str]:
    """The environment of a run whose compilation cache (and kept programs) are in `folder`."""
    if backend == "jax":
        return {**env, "JAX_COMPILATION_CACHE_DIR": str(folder)}
    return {**env, "TF_XLA_FLAGS": f"--tf_xla_persistent_cache_directory={folder}"}


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Wall and CPU seconds (user + system, the process and its children) of one command."""
    before = cpu_of_children()
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu_of_children() - before, 3)}


def timed_run(command: list[str], env: dict[str, str], folder: Path) -> dict[str, Any]:
    """One `gan1d train`: when each stderr line came, when each file was last written, and when it exited."""
    before = cpu_of_children()
    start_wall, start = time.time(), time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    lines = [(round(time.perf_counter() - start, 3), line.rstrip("\n")) for line in process.stderr]
    returncode = process.wait()
    wall = time.perf_counter() - start
    if returncode:
        raise RuntimeError(f"{' '.join(command)} exited {returncode}:\n" + "\n".join(text for _, text in lines[-30:]))
    files = {path.name: round(path.stat().st_mtime - start_wall, 3) for path in sorted(folder.iterdir())}
    metrics = json.loads((folder / "metrics.json").read_text())
    training = next((t for t, text in lines if "training (" in text), None)
    first_epochs = next((m for _, text in lines if (m := re.search(r"\(([\d.]+) s to the first epochs\)", text))), None)
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu_of_children() - before, 3),
        "first_line_s": lines[0][0] if lines else None,
        "training_line_s": training,
        "gan_keras_s": files.get("gan.keras"),
        "files_s": files,
        "last_file_s": max(files.values()),
        "train_seconds": metrics.get("train_seconds"),
        "first_epochs_s": float(first_epochs.group(1)) if first_epochs else None,
        "stderr_lines": len(lines),
        "stderr": [text.replace(tempfile.gettempdir(), "<tmp>") for _, text in lines[:6]],
    }


def end_to_end(python: str, env: dict[str, str], scratch: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The import floor and `gan1d train` cold, warm, and warm without the animation, interleaved."""
    backend = env["KERAS_BACKEND"]
    options = ["--epochs", "200", "--animation", "none"] if args.quick else []
    runs = iter(range(1 << 30))

    def train(*extra: str) -> tuple[list[str], Path]:
        folder = scratch / f"run{next(runs)}"
        return [python, "-m", "gan1d", "train", "--quiet", "--out", str(folder), *options, *extra], folder

    warm_cache = scratch / "warm-cache"
    floor = [python, "-c", FLOOR[backend]]
    floor_without_teardown = [python, "-c", FLOOR[backend] + "; import os; os._exit(0)"]
    log("  warm-up (bytecode, warm cache)")
    timed(floor, env)
    command, folder = train()
    timed_run(command, with_cache(env, backend, warm_cache), folder)
    rounds: dict[str, list[dict[str, Any]]] = {
        "floor": [],
        "floor_without_teardown": [],
        "cold": [],
        "warm": [],
        "warm_no_animation": [],
    }
    for round_ in range(args.repeats):
        cold_cache = scratch / f"cold-cache-{round_}"
        rounds["floor"].append(timed(floor, env))
        rounds["floor_without_teardown"].append(timed(floor_without_teardown, env))
        command, folder = train()
        rounds["cold"].append(timed_run(command, with_cache(env, backend, cold_cache), folder))
        command, folder = train()
        rounds["warm"].append(timed_run(command, with_cache(env, backend, warm_cache), folder))
        command, folder = train("--animation", "none")
        rounds["warm_no_animation"].append(timed_run(command, with_cache(env, backend, warm_cache), folder))
        shutil.rmtree(cold_cache, ignore_errors=True)
        log(f"  round {round_ + 1}: " + ", ".join(f"{k} {v[-1]['wall_s']:.2f} s" for k, v in rounds.items()))
    best: dict[str, dict[str, Any]] = {}
    for kind, measured in rounds.items():
        best[kind] = {key: _least(r.get(key) for r in measured) for key in measured[0] if key not in ("stderr",)}
        if "files_s" in measured[0]:
            best[kind]["files_s"] = {
                name: _least(r["files_s"].get(name) for r in measured) for name in measured[0]["files_s"]
            }
    floor_s = best["floor"]["wall_s"]
    ratios = {
        f"{kind}/floor": {unit: round(best[kind][unit] / best["floor"][unit], 2) for unit in ("wall_s", "cpu_s")}
        for kind in ("cold", "warm", "warm_no_animation")
    }
    warm = rounds["warm"][-1]
    return {
        "rounds": rounds,
        "best": best,
        "ratios": ratios,
        "first_line_after_floor_s": round(best["warm"]["first_line_s"] - floor_s, 2),
        "first_warm_round": rounds["warm"][0],
        "stderr_lines": warm["stderr_lines"],
        "stderr": warm["stderr"],
    }


def _least(values: Any) -> Any:
    found = [v for v in values if isinstance(v, int | float)]
    return min(found) if found else None


def run_child(python: str, env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    log("  in one process")
    command = [python, str(Path(__file__).resolve()), "--child", "in-process", "--repeats", str(args.repeats)]
    done = subprocess.run(
        [*command, *(["--quick"] if args.quick else [])], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"in-process benchmark failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def versions(python: str, env: dict[str, str]) -> dict[str, str]:
    code = (
        "import json\nfrom importlib import metadata\nfound = {}\n"
        "for name in ('keras', 'jax', 'jaxlib', 'tensorflow', 'numpy', 'matplotlib'):\n"
        "    try: found[name] = metadata.version(name)\n"
        "    except metadata.PackageNotFoundError: pass\n"
        "print(json.dumps(found))"
    )
    done = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True, check=True)
    found: dict[str, str] = json.loads(done.stdout)
    return found


def source_description(source: Path) -> str:
    """The commit of the checkout `source` is in, if any."""
    done = subprocess.run(
        ["git", "-C", str(source), "log", "-1", "--format=%h %s"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip()[:100] if done.returncode == 0 else str(source)


def machine() -> dict[str, Any]:
    from harness.devices import cpu_model

    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
    }


# ----- inside one process ------------------------------------------------------


def in_process(repeats: int, quick: bool) -> dict[str, Any]:
    """Second `train()`s beside their pure training time; gan1d's loop beside the hand-written one."""
    import keras

    import gan1d
    from gan1d import SnapshotCallback, TrainConfig
    from gan1d.run.build import build_gan
    from harness import keras_cases as kc
    from harness.common import Recipe

    backend = keras.backend.backend()
    epochs = 200 if quick else 5000
    seeds = iter(range(1, 1 << 30))

    def pure(config: TrainConfig) -> Any:
        gan, target = build_gan(config), config.target()

        def run() -> None:
            snapshots = SnapshotCallback(config.snapshot_every, config.snapshot_points, seed=config.seed)
            gan.fit_target(target, epochs=epochs, batch_size=config.batch_size, callbacks=[snapshots])

        return run

    same = TrainConfig.from_preset(epochs=epochs)
    # Another configuration: another seed each time (a new GAN, its own weights and draws).
    other = TrainConfig.from_preset(epochs=epochs, seed=1)
    train_seconds: list[float] = []

    def train_same() -> None:
        train_seconds.append(gan1d.train(config=same).metrics["train_seconds"])

    def train_other() -> None:
        gan1d.train(config=TrainConfig.from_preset(epochs=epochs, seed=next(seeds)))

    gan1d.train(epochs=min(epochs, 1000))  # the first train() of the process, untimed
    recipe = Recipe()
    if backend == "jax":
        from harness import reference_jax

        reference = reference_jax.reference_case(recipe, epochs).make()
    else:
        from harness import reference_tf

        reference = reference_tf.reference_case(recipe, epochs, jit_compile=True).make()
    rows = {
        "train": train_same,
        "pure_training": pure(same),
        "train_other": train_other,
        "pure_training_other": pure(other),
        "loop": kc.fit_target_case(recipe, epochs).make().run,
        "loop_no_snapshots": kc.fit_target_case(recipe, epochs, snapshots=False).make().run,
        "reference": reference.run,
    }
    first: dict[str, float] = {}
    for name, run in rows.items():
        start = time.perf_counter()
        run()
        first[name] = round(time.perf_counter() - start, 3)
        run()
    times: dict[str, dict[str, list[float]]] = {name: {"wall_s": [], "cpu_s": []} for name in rows}
    for _ in range(repeats):
        for name, run in rows.items():
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            times[name]["wall_s"].append(round(time.perf_counter() - wall, 4))
            times[name]["cpu_s"].append(round(time.process_time() - cpu, 4))
    best = {name: {unit: min(values) for unit, values in t.items()} for name, t in times.items()}

    def ratio(a: str, b: str) -> dict[str, float]:
        return {u: round(best[a][u] / best[b][u], 2) for u in best[a]}

    return {
        "epochs": epochs,
        "first_call_s": first,
        "times": times,
        "best": best,
        "train_seconds_of_timed_calls": train_seconds[-repeats:],
        "tensorflow_imported": "tensorflow" in sys.modules,
        "ratios": {
            "second train()/pure training": ratio("train", "pure_training"),
            "train() of another configuration/pure training": ratio("train_other", "pure_training_other"),
            "loop/hand-written": ratio("loop", "reference"),
            "loop without snapshots/hand-written": ratio("loop_no_snapshots", "reference"),
        },
        "us_per_step": {
            name: round(1e6 * best[name]["wall_s"] / epochs, 1)
            for name in ("loop", "loop_no_snapshots", "reference", "pure_training")
        },
    }


# ----- report ------------------------------------------------------------------


def markdown(report: dict[str, Any]) -> str:
    backends = list(report["backends"])
    m = report["machine"]
    lines = [
        "# gan1d latency",
        "",
        (
            f"- {m['cpu']}, {m['usable_cpus']} usable CPUs, load average {m['load_average']} at start; "
            f"{m['platform']}, Python {m['python']}"
        ),
        f"- gan1d: {report['source']}",
        *(
            f"- {NAMES[b]}: `{report['backends'][b]['python']}`: "
            + ", ".join(f"{k} {v}" for k, v in report["backends"][b]["versions"].items())
            for b in backends
        ),
        f"- best of {report['repeats']} interleaved rounds; wall seconds from the process's start, ratios of wall "
        "seconds with the ratio of CPU seconds in brackets"
        + (" (quick: 200 epochs, no animation)" if report["quick"] else ""),
        "",
        "| | " + " | ".join(NAMES[b] for b in backends) + " |",
        "|---|" + "---|" * len(backends),
    ]

    def cell(backend: str, fn: Any) -> str:
        try:
            return str(fn(report["backends"][backend]))
        except (KeyError, TypeError, ZeroDivisionError):
            return "—"

    def ratio(part: str, key: str) -> Any:
        return lambda r: f"**{r[part]['ratios'][key]['wall_s']:.2f}x** ({r[part]['ratios'][key]['cpu_s']:.2f}x)"

    def seconds(kind: str, key: str) -> Any:
        return lambda r: f"{r['end_to_end']['best'][kind][key]:.2f}"

    def beside_floor(kind: str, key: str) -> Any:
        def show(r: dict[str, Any]) -> str:
            best = r["end_to_end"]["best"]
            value = best[kind][key]
            return f"{value:.2f} ({value / best['floor']['wall_s']:.2f}x)"

        return show

    def in_process_s(name: str) -> Any:
        return lambda r: f"{r['in_process']['best'][name]['wall_s']:.3f}"

    rows = [
        ("import floor, s", seconds("floor", "wall_s")),
        ("import floor without Python's teardown, s", seconds("floor_without_teardown", "wall_s")),
        ("warm: first progress line, s (x floor)", beside_floor("warm", "first_line_s")),
        (
            f"warm: first progress line after the floor, s (goal ≤ {GOALS['first_line']})",
            lambda r: f"**{r['end_to_end']['first_line_after_floor_s']:.2f}**",
        ),
        ("warm: training runs (its line), s (x floor)", beside_floor("warm", "training_line_s")),
        ("warm: `gan.keras` on disk, s (x floor)", beside_floor("warm", "gan_keras_s")),
        ("warm: every file on disk, s (x floor)", beside_floor("warm", "last_file_s")),
        ("warm: `gan1d train` exits, s", seconds("warm", "wall_s")),
        (f"warm / floor (goal ≤ {GOALS['warm']}x)", ratio("end_to_end", "warm/floor")),
        (
            "warm, first round (a cache's second run), s",
            lambda r: f"{r['end_to_end']['first_warm_round']['wall_s']:.2f}",
        ),
        ("warm without the animation, s", seconds("warm_no_animation", "wall_s")),
        ("warm without the animation / floor", ratio("end_to_end", "warm_no_animation/floor")),
        ("cold: first progress line, s (x floor)", beside_floor("cold", "first_line_s")),
        ("cold: `gan.keras` on disk, s (x floor)", beside_floor("cold", "gan_keras_s")),
        ("cold: every file on disk, s (x floor)", beside_floor("cold", "last_file_s")),
        ("cold: `gan1d train` exits, s", seconds("cold", "wall_s")),
        (f"cold / floor (goal ≤ {GOALS['cold_jax']}x under JAX)", ratio("end_to_end", "cold/floor")),
        ("lines on stderr, warm run", lambda r: r["end_to_end"]["stderr_lines"]),
        ("second `train()`, same configuration, s", in_process_s("train")),
        ("its pure training (warm `fit_target`), s", in_process_s("pure_training")),
        ("second `train()` / pure training", ratio("in_process", "second train()/pure training")),
        ("`train()` of another configuration, s", in_process_s("train_other")),
        ("its pure training, s", in_process_s("pure_training_other")),
        (
            f"another configuration / pure training (goal ≤ {GOALS['second_train']}x)",
            ratio("in_process", "train() of another configuration/pure training"),
        ),
        (
            "TensorFlow imported in that process (JAX)",
            lambda r: (
                ("yes" if r["in_process"]["tensorflow_imported"] else "no")
                if r is report["backends"].get("jax")
                else "—"
            ),
        ),
        ("loop µs/step, gan1d with snapshots and layers", lambda r: r["in_process"]["us_per_step"]["loop"]),
        ("loop µs/step, gan1d without snapshots", lambda r: r["in_process"]["us_per_step"]["loop_no_snapshots"]),
        ("loop µs/step, hand-written (TensorFlow: XLA)", lambda r: r["in_process"]["us_per_step"]["reference"]),
        (
            f"with snapshots / hand-written (goal ≤ {GOALS['loop']}x under JAX)",
            ratio("in_process", "loop/hand-written"),
        ),
        (
            f"without snapshots / hand-written (goal ≤ {GOALS['loop_no_snapshots']}x under JAX)",
            ratio("in_process", "loop without snapshots/hand-written"),
        ),
    ]
    for label, fn in rows:
        lines.append(f"| {label} | " + " | ".join(cell(b, fn) for b in backends) + " |")
    both = report.get("both")
    if both:
        ratios = both["in_process"]["ratios"]["train() of another configuration/pure training"]
        lines += [
            "",
            (
                f"With JAX and TensorFlow in one virtualenv (`{both['python']}`), under JAX: a `train()` of another "
                f"configuration took {both['in_process']['best']['train_other']['wall_s']:.3f} s, "
                f"**{ratios['wall_s']:.2f}x** ({ratios['cpu_s']:.2f}x) its pure training "
                f"(goal ≤ {GOALS['second_train']}x); TensorFlow imported: "
                f"**{'yes' if both['in_process']['tensorflow_imported'] else 'no'}**."
            ),
        ]
    lines += ["", "## Each file of a warm run, seconds from the start (best round)", ""]
    names: list[str] = []
    for b in backends:
        for name in report["backends"][b]["end_to_end"]["best"]["warm"]["files_s"]:
            if name not in names:
                names.append(name)
    names.sort(
        key=lambda n: min(
            report["backends"][b]["end_to_end"]["best"]["warm"]["files_s"].get(n) or 1e9 for b in backends
        )
    )
    lines += ["| file | " + " | ".join(NAMES[b] for b in backends) + " |", "|---|" + "---|" * len(backends)]
    for name in names:
        lines.append(
            f"| {name} | "
            + " | ".join(
                cell(b, lambda r, n=name: f"{r['end_to_end']['best']['warm']['files_s'][n]:.2f}") for b in backends
            )
            + " |"
        )
    lines += ["", "## The training phase: a run's against a warm process's", ""]
    lines += ["| | " + " | ".join(NAMES[b] for b in backends) + " |", "|---|" + "---|" * len(backends)]
    phase = [
        ("warm run: `train_seconds`", seconds("warm", "train_seconds")),
        ("its first compiled call (with finding or compiling the loop)", seconds("warm", "first_epochs_s")),
        ("the rest of its calls", lambda r: f"{_rest(r, 'warm'):.2f}"),
        ("warm run without the animation: `train_seconds`", seconds("warm_no_animation", "train_seconds")),
        ("the rest of its calls", lambda r: f"{_rest(r, 'warm_no_animation'):.2f}"),
        ("cold run: `train_seconds`", seconds("cold", "train_seconds")),
        ("warm process: the same steps with snapshots and layers", in_process_s("pure_training")),
        ("warm process: the seed recipe's loop with snapshots and layers", in_process_s("loop")),
        ("warm process: the seed recipe's loop without snapshots", in_process_s("loop_no_snapshots")),
    ]
    for label, fn in phase:
        lines.append(f"| {label} | " + " | ".join(cell(b, fn) for b in backends) + " |")
    return "\n".join(lines) + "\n"


def _rest(r: dict[str, Any], kind: str) -> float:
    best = r["end_to_end"]["best"][kind]
    return float(best["train_seconds"] - best["first_epochs_s"])


if __name__ == "__main__":
    sys.exit(main())
