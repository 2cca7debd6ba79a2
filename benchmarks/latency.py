"""How long a user waits: `gan1d train` end to end beside the import floor, and a second `train()`.

    python benchmarks/latency.py [--jax-python PY] [--tf-python PY] [--repeats 3] [--out benchmarks/latency]

For each backend, in fresh processes of that backend's interpreter, interleaved
round by round (best of `--repeats`, wall and CPU time):

- end to end: `python -m gan1d train --out NEW_DIR` with default options (process
  start to the last artifact) with an empty compilation cache (cold) and with one
  an earlier run filled (warm), beside the import floor every Keras program pays:
  `import keras, jax; jax.numpy.zeros(1).block_until_ready()` under JAX,
  `import keras, tensorflow` under TensorFlow;
- in one process: `gan1d.train()` called again with the same configuration, beside
  its pure training time (the same 5000 steps on a GAN whose loop is compiled);
  and gan1d's warm loop beside the hand-written one (`harness/reference_jax.py`, and
  `harness/reference_tf.py` compiled by XLA), on the seed recipe.

Python's bytecode: every child process reads and writes `.pyc` files under one
folder of the output (`PYTHONPYCACHEPREFIX`, with `PYTHONDONTWRITEBYTECODE`
unset), filled by an untimed warm-up run, so the numbers do not depend on whether
the virtualenv was installed with compiled bytecode (pip compiles, uv by default
does not, and TensorFlow imports about twice as slowly from source).

gan1d comes from this checkout's `src` (or `--source`), the frameworks from each
interpreter's environment: give `--jax-python` a `.[jax]` virtualenv and
`--tf-python` a `.[tensorflow]` one (with both installed, Keras imports TensorFlow
under JAX when it saves a model). Writes `latency.json` and `latency.md`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
GOALS = {"warm": 1.8, "cold": 2.5, "second_train": 1.2, "loop_jax": 1.1, "loop_tensorflow": 1.2}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jax-python", default=sys.executable, help="interpreter with JAX (default: this one)")
    parser.add_argument("--tf-python", default=sys.executable, help="interpreter with TensorFlow (default: this one)")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--source", type=Path, default=HERE.parent / "src", help="gan1d's source folder")
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
    report: dict[str, Any] = {"machine": machine(), "repeats": args.repeats, "quick": args.quick, "backends": {}}
    with tempfile.TemporaryDirectory(prefix="gan1d-latency-") as scratch:
        for backend in args.backends:
            log(f"{backend}: {pythons[backend]}")
            env = child_env(backend, args.source.resolve(), args.out.resolve() / ".pycache" / backend)
            report["backends"][backend] = {
                "python": Path(pythons[backend]).name,
                "versions": versions(pythons[backend], env),
                "end_to_end": end_to_end(pythons[backend], env, Path(scratch) / backend, args),
                "in_process": run_child(pythons[backend], env, args),
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
    """The environment of a run whose compilation cache is `folder`."""
    if backend == "jax":
        return {**env, "JAX_COMPILATION_CACHE_DIR": str(folder)}
    return {**env, "TF_XLA_FLAGS": f"--tf_xla_persistent_cache_directory={folder}"}


def timed(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Wall and CPU seconds (user + system, the process and its children) of one command, and its stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # The run folders are temporary: keep the lines, not where they were.
    lines = [line.replace(tempfile.gettempdir(), "<tmp>") for line in done.stderr.splitlines()]
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "stderr_lines": len(lines), "stderr": lines[:8]}


def end_to_end(python: str, env: dict[str, str], scratch: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The import floor and `gan1d train` with a cold and a warm cache, interleaved."""
    backend = env["KERAS_BACKEND"]
    options = ["--epochs", "200", "--animation", "none"] if args.quick else []
    runs = iter(range(1 << 30))

    def train() -> list[str]:
        return [python, "-m", "gan1d", "train", "--quiet", "--out", str(scratch / f"run{next(runs)}"), *options]

    warm_cache = scratch / "warm-cache"
    floor = [python, "-c", FLOOR[backend]]
    log("  warm-up (bytecode, warm cache)")
    timed(floor, env)
    timed(train(), with_cache(env, backend, warm_cache))
    rounds: dict[str, list[dict[str, Any]]] = {"floor": [], "cold": [], "warm": []}
    for round_ in range(args.repeats):
        cold_cache = scratch / f"cold-cache-{round_}"
        rounds["floor"].append(timed(floor, env))
        rounds["cold"].append(timed(train(), with_cache(env, backend, cold_cache)))
        rounds["warm"].append(timed(train(), with_cache(env, backend, warm_cache)))
        shutil.rmtree(cold_cache, ignore_errors=True)
        log(f"  round {round_ + 1}: " + ", ".join(f"{k} {v[-1]['wall_s']:.2f} s" for k, v in rounds.items()))
    best = {k: {unit: min(r[unit] for r in v) for unit in ("wall_s", "cpu_s")} for k, v in rounds.items()}
    ratios = {
        f"{kind}/floor": {unit: round(best[kind][unit] / best["floor"][unit], 2) for unit in ("wall_s", "cpu_s")}
        for kind in ("cold", "warm")
    }
    warm = rounds["warm"][-1]
    return {
        "rounds": rounds,
        "best": best,
        "ratios": ratios,
        "stderr_lines": warm["stderr_lines"],
        "stderr": warm["stderr"],
    }


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
        "for name in ('keras', 'jax', 'jaxlib', 'tensorflow', 'numpy'):\n"
        "    try: found[name] = metadata.version(name)\n"
        "    except metadata.PackageNotFoundError: pass\n"
        "print(json.dumps(found))"
    )
    done = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True, check=True)
    found: dict[str, str] = json.loads(done.stdout)
    return found


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
    """A second `train()` beside its pure training time; gan1d's loop beside the hand-written one."""
    import keras

    import gan1d
    from gan1d import SnapshotCallback, TrainConfig
    from gan1d.run.build import build_gan
    from harness import keras_cases as kc
    from harness.common import Recipe

    backend = keras.backend.backend()
    epochs = 200 if quick else 5000
    config = TrainConfig.from_preset(epochs=epochs)
    target = config.target()
    gan = build_gan(config)

    def pure_training() -> None:
        snapshots = SnapshotCallback(config.snapshot_every, config.snapshot_points, seed=config.seed)
        gan.fit_target(target, epochs=epochs, batch_size=config.batch_size, callbacks=[snapshots])

    train_seconds: list[float] = []

    def train() -> None:
        train_seconds.append(gan1d.train(epochs=epochs).metrics["train_seconds"])

    recipe = Recipe()
    if backend == "jax":
        from harness import reference_jax

        reference = reference_jax.reference_case(recipe, epochs).make()
    else:
        from harness import reference_tf

        reference = reference_tf.reference_case(recipe, epochs, jit_compile=True).make()
    seed_loop = kc.fit_target_case(recipe, epochs).make()
    rows = {
        "train": train,
        "pure_training": pure_training,
        "loop": seed_loop.run,
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
    return {
        "epochs": epochs,
        "first_call_s": first,
        "times": times,
        "best": best,
        "train_seconds_of_timed_calls": train_seconds[-repeats:],
        "ratios": {
            "second train()/pure training": {
                u: round(best["train"][u] / best["pure_training"][u], 2) for u in best["train"]
            },
            "loop/hand-written": {u: round(best["loop"][u] / best["reference"][u], 2) for u in best["loop"]},
        },
        "us_per_step": {name: round(1e6 * best[name]["wall_s"] / epochs, 1) for name in ("loop", "reference")},
    }


# ----- report ------------------------------------------------------------------


def markdown(report: dict[str, Any]) -> str:
    names = {"jax": "JAX", "tensorflow": "TensorFlow"}
    backends = list(report["backends"])
    m = report["machine"]
    lines = [
        "# gan1d latency",
        "",
        (
            f"- {m['cpu']}, {m['usable_cpus']} usable CPUs, load average {m['load_average']} at start; "
            f"{m['platform']}, Python {m['python']}"
        ),
        *(
            f"- {names[b]}: " + ", ".join(f"{k} {v}" for k, v in report["backends"][b]["versions"].items())
            for b in backends
        ),
        f"- best of {report['repeats']} interleaved rounds; wall seconds, with the ratio of CPU seconds in brackets"
        + (" (quick: 200 epochs, no animation)" if report["quick"] else ""),
        "",
        "| | " + " | ".join(names[b] for b in backends) + " |",
        "|---|" + "---|" * len(backends),
    ]

    def cell(backend: str, fn: Any) -> str:
        try:
            return str(fn(report["backends"][backend]))
        except (KeyError, TypeError):
            return "—"

    def ratio(part: str, key: str) -> Any:
        return lambda r: f"**{r[part]['ratios'][key]['wall_s']:.2f}x** ({r[part]['ratios'][key]['cpu_s']:.2f}x)"

    rows = [
        ("import floor, s", lambda r: f"{r['end_to_end']['best']['floor']['wall_s']:.2f}"),
        ("`gan1d train`, cold cache, s", lambda r: f"{r['end_to_end']['best']['cold']['wall_s']:.2f}"),
        ("`gan1d train`, warm cache, s", lambda r: f"{r['end_to_end']['best']['warm']['wall_s']:.2f}"),
        (f"cold / floor (goal ≤ {GOALS['cold']}x under JAX)", ratio("end_to_end", "cold/floor")),
        (f"warm / floor (goal ≤ {GOALS['warm']}x)", ratio("end_to_end", "warm/floor")),
        ("lines on stderr, warm run", lambda r: r["end_to_end"]["stderr_lines"]),
        ("second `train()`, s", lambda r: f"{r['in_process']['best']['train']['wall_s']:.3f}"),
        (
            "its pure training (warm `fit_target`), s",
            lambda r: f"{r['in_process']['best']['pure_training']['wall_s']:.3f}",
        ),
        (
            f"second `train()` / pure training (goal ≤ {GOALS['second_train']}x)",
            ratio("in_process", "second train()/pure training"),
        ),
        ("loop µs/step, gan1d (seed recipe)", lambda r: r["in_process"]["us_per_step"]["loop"]),
        ("loop µs/step, hand-written (TensorFlow: XLA)", lambda r: r["in_process"]["us_per_step"]["reference"]),
        (
            f"gan1d / hand-written (goal ≤ {GOALS['loop_jax']}x JAX, {GOALS['loop_tensorflow']}x TensorFlow)",
            ratio("in_process", "loop/hand-written"),
        ),
    ]
    for label, fn in rows:
        lines.append(f"| {label} | " + " | ".join(cell(b, fn) for b in backends) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
