"""The `gan1d` command: parses options into a `TrainConfig` and calls the library.

The training options are generated from `TrainConfig`'s fields (their help text and
choices live there). Nothing here imports Keras before the options are known to be
good, so `gan1d --help` and mistakes answer at once: each command imports what it
uses when it runs (the parser needs only `TrainConfig`), and the parts that import
a framework once `environment.start_backend` has set up the compilation cache,
which TensorFlow reads when it is imported.

Exit status: 0 done, 2 bad input, 3 training diverged (the run keeps the last good
step) or, for a study, some trials did not finish (a rerun tries them again), 74 a file could not be written, 130 interrupted by Ctrl-C and 143 by SIGTERM
(the run keeps what it trained). An unexpected error (a bug) exits 1 with a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import logging
import os
import re
import sys
import threading
import types
import typing
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from gan1d.data.dataset import is_data_path
from gan1d.environment import check_backend, start_backend
from gan1d.errors import Gan1dError, RunInterrupted, RunWriteError, TrainingDiverged
from gan1d.run.config import MAX_SEED, MAX_SEEDS, PRESETS, TrainConfig

if TYPE_CHECKING:
    from gan1d.experiments.sweeps import SweepResult
    from gan1d.run.folder import RunFolder
    from gan1d.run.result import TrainResult

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3
EXIT_IO_ERROR = 74
EXIT_INTERRUPTED = 128  # plus the signal's number: 130 for Ctrl-C, 143 for SIGTERM

# Options that describe the run's output rather than the training, left out of sweeps.
_SWEEP_SKIPS = frozenset({"seed", "snapshot_every", "snapshot_points", "animation", "show"})

_EXAMPLES = """examples:
  gan1d train                                  # x**2 on [-0.5, 0.5], the default preset
  gan1d train --function "sin(3*x)" --domain -1 1 --epochs 3000
  gan1d train --target ring --preset planar    # 8 Gaussians on a circle
  gan1d train --data points.csv --epochs 3000  # your own points: 1-D values or 2-D points
  gan1d train --preset seed --animation none   # the article's own networks
  gan1d train --config runs/X/config.json --seed 1   # repeat a run with another seed
  gan1d train --resume runs/X                  # finish an interrupted run
  gan1d sweep --seeds 20 --function cube       # success rate over 20 seeds
  gan1d study docs/studies/planar-preset.toml  # variants x targets x seeds; rerun to resume
  gan1d study STUDY.toml --ray auto            # the same on a Ray cluster
  gan1d dirac --out runs/dirac                 # the Dirac-GAN under eight training methods
"""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # argparse takes "-1e-3" for an option; numbers in any notation are values here.
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")

    def error(self, message: str) -> NoReturn:
        # One line, as for every other bad input, instead of argparse's usage block.
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _version() -> str:
    from gan1d import __version__

    return __version__


def _add_config_options(parser: argparse.ArgumentParser, skip: frozenset[str] = frozenset()) -> None:
    """One option per `TrainConfig` field, typed and described by the field."""
    hints = typing.get_type_hints(TrainConfig)
    defaults = TrainConfig()
    group = parser.add_argument_group("training settings (default: the preset's)")
    for field in dataclasses.fields(TrainConfig):
        shown = TrainConfig.help(field.name)
        if not shown.cli or field.name in skip:
            continue
        flags = [f"--{field.name.replace('_', '-')}"]
        if field.name == "function":
            flags.append("--target")
        kind = hints[field.name]
        kwargs: dict[str, Any] = {"dest": field.name, "default": None, "metavar": shown.metavar}
        base = _base_type(kind)
        if base is bool:
            kwargs = {"dest": field.name, "default": None, "action": argparse.BooleanOptionalAction}
        elif typing.get_origin(base) is tuple:
            args = typing.get_args(base)
            kwargs["type"] = args[0]
            kwargs["nargs"] = "+" if args[-1] is Ellipsis else len(args)
        else:
            kwargs["type"] = base
        if shown.choices:
            kwargs["choices"] = shown.choices
            kwargs.pop("metavar")
        value = getattr(defaults, field.name)
        default = " ".join(map(str, value)) if isinstance(value, tuple) else value
        note = "" if field.name == "preset" else f"; default preset: {default}"
        group.add_argument(*flags, help=f"{shown.help}{note}".replace("%", "%%"), **kwargs)
        if field.name == "function":
            group.add_argument(
                "--data",
                dest="function",
                default=None,
                type=_data_file,
                metavar="FILE",
                help="a .npy or .csv file of your own points: 1-D values or 2-D points, one per row",
            )


def _data_file(path: str) -> str:
    """`--data`'s value, which must name a data file (it shares `--function`'s setting)."""
    if not is_data_path(path):
        raise argparse.ArgumentTypeError(f"a data file must end in .npy or .csv, got {path!r}")
    return path


def _base_type(kind: Any) -> Any:
    """The type inside `X | None`."""
    if isinstance(kind, types.UnionType):
        (kind,) = [arg for arg in typing.get_args(kind) if arg is not type(None)]
    return kind


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gan1d",
        description="Watch a GAN learn the curve of a 1D function.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    run = commands.add_parser(
        "train",
        help="train a GAN and write a run folder",
        description="Train a GAN on points (x, f(x)) and write a run folder: config, losses, metrics, pictures, "
        "an animation and the trained models. With no options it runs the seed article's experiment (x**2 on "
        "[-0.5, 0.5], 5000 epochs, a snapshot every 20) with the tuned default preset. Presets: "
        + ", ".join(PRESETS)
        + ".",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--config", metavar="FILE", help="start from a saved config.json (other options override it)")
    run.add_argument("--resume", metavar="RUN_DIR", help="finish an interrupted run in RUN_DIR to its planned epochs")
    _add_output_options(run)
    _add_config_options(run)
    many = commands.add_parser(
        "sweep",
        help="train one configuration on many seeds and report the success rate",
        description="Train one configuration on seeds 0..N-1 (together in one computation under JAX) and write "
        "sweep.json, sweep.csv and a grid of final samples. On a curve a seed succeeds when x_w1 <= 0.02 and "
        "curve_residual <= 0.02; on ring or grid when it captures every mode with at least 90% of its points "
        "high quality.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    many.add_argument("--seeds", type=int, default=10, help="number of seeds (default: 10)")
    many.add_argument("--sequential", action="store_true", help="train the seeds one after another")
    _add_output_options(many)
    _add_config_options(many, skip=_SWEEP_SKIPS)
    _add_study_command(commands)
    _add_dirac_command(commands)
    return parser


def _add_study_command(commands: Any) -> None:
    many = commands.add_parser(
        "study",
        help="run a study: variants x targets x seeds, resumable, here or on a Ray cluster",
        description="Train every variant of a study file (TOML: a base preset, targets, a grid or list of "
        "settings, seeds, thresholds) on every target and seed, and write trials.jsonl (a line per finished "
        "trial), summary.csv, summary.md and summary.png. Trials already in the folder are not trained again, "
        "so rerunning the same command finishes an interrupted study. Exit status 3 when some trials did not "
        "finish (a rerun tries them again), 130 or 143 on Ctrl-C or SIGTERM (finished trials are kept).",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    many.add_argument("file", metavar="STUDY.toml", help="the study file")
    many.add_argument("--out", metavar="DIR", help="the study's folder (default: runs/<the study's name>)")
    many.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="run on a Ray cluster: 'auto' (the one this machine is part of) or its address; "
        'needs pip install "gan1d[ray]"',
    )
    many.add_argument("--block", type=int, metavar="N", help="seeds trained together per task (default: the study's)")
    many.add_argument("--retries", type=int, default=3, metavar="N", help="Ray: re-runs of a task whose worker died")
    many.add_argument(
        "--gpus-per-task", type=float, metavar="G", help="Ray: GPUs per task (default: 1 where the cluster has GPUs)"
    )
    many.add_argument("--dry-run", action="store_true", help="print the blocks the study would run, and stop")
    shown = many.add_mutually_exclusive_group()
    shown.add_argument("--quiet", action="store_true", help="no progress lines")
    shown.add_argument(
        "--progress",
        action="store_true",
        help="a step display for the block under way (local executor) even when the output is not a terminal",
    )


def _add_dirac_command(commands: Any) -> None:
    dirac = commands.add_parser(
        "dirac",
        help="train the Dirac-GAN under each training method, and draw and animate where it goes",
        description="Train the Dirac-GAN (Mescheder et al. 2018: real points at the origin, a generated point "
        "(theta, 0), a linear discriminator psi*x) under each training method, from the same start, and write "
        "dirac-<method>.png (the change one round makes over (theta, psi), and the training's path), dirac.png "
        "(every method side by side), dirac.gif (the same, each training moving along its path) and dirac.md and "
        "dirac.json (the distance to the equilibrium at the end).",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    dirac.add_argument(
        "--methods",
        nargs="+",
        metavar="NAME",
        help="the methods, in order (default: all: minimax nonsaturating wgan wgan-gp instance-noise r1 "
        "r1-critical r2)",
    )
    dirac.add_argument("--rounds", type=int, default=500, metavar="N", help="training rounds (default: 500)")
    dirac.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the random draws (default: 0)")
    dirac.add_argument("--out", metavar="DIR", help="output folder (default: a new folder under runs/)")
    dirac.add_argument("--overwrite", action="store_true", help="replace gan1d's files in a non-empty --out")
    dirac.add_argument("--quiet", action="store_true", help="no line per method as it finishes")


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", help="output folder (default: a new folder under runs/)")
    parser.add_argument("--overwrite", action="store_true", help="replace gan1d's files in a non-empty --out")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--quiet", action="store_true", help="no progress display")
    shown.add_argument(
        "--progress", action="store_true", help="a progress display even when the output is not a terminal"
    )


def run() -> NoReturn:
    """The `gan1d` command: `main`, then the process ends at once.

    When `main` returns every file is written and closed. What a normal exit adds
    is Python's teardown of Keras's and the frameworks' modules, about half a
    second that changes nothing on disk, so the process ends without it, once its
    output is flushed. Where something may still need the teardown (Ray's
    connection, a thread that is not a daemon), it exits as Python does.
    """
    status = main()
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if "ray" in sys.modules or any(t.is_alive() for t in others):
        raise SystemExit(status)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing more can be said there
            stream.flush()
    logging.shutdown()
    os._exit(status)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "study":
            return _study(args)
        if args.command == "dirac":
            return _dirac(args)
        return _sweep(args) if args.command == "sweep" else _train(args)
    except Gan1dError as error:
        print(f"gan1d: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # before training started, or a second Ctrl-C
        print("\ngan1d: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED + 2


def _given(args: argparse.Namespace, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The `TrainConfig` fields set on the command line."""
    given = {}
    for field in dataclasses.fields(TrainConfig):
        value = getattr(args, field.name, None)
        if value is not None and field.name not in skip:
            given[field.name] = tuple(value) if isinstance(value, list) else value
    return given


def _train(args: argparse.Namespace) -> int:
    from gan1d.run.folder import RunFolder, check_outputs

    given = _given(args)
    if args.resume is not None:
        if given or args.config or args.out or args.overwrite:
            raise Gan1dError("--resume takes no other settings: the run folder holds them")
        config = TrainConfig.from_file(args.resume)
        check_backend()
        folder = RunFolder.claim(args.resume, resume=True)
    else:
        if args.config is not None:
            if "preset" in given:
                raise Gan1dError("--preset cannot be combined with --config, which holds every setting")
            config = TrainConfig.from_file(args.config, **given)
        else:
            config = TrainConfig.from_preset(**given)
        check_backend()
        check_outputs(config, args.out)
        folder = RunFolder.claim(args.out, overwrite=args.overwrite)

    with folder:
        backend = start_backend()
        from gan1d.core.callbacks import ProgressBar, StartNotice
        from gan1d.run.train import resume, train

        described = config.target().describe()
        where = f" on {described['domain']}" if described.get("domain") else ""
        verb = "resuming" if args.resume else "training"
        print(
            f"gan1d: {verb} {described.get('expression') or described.get('path') or described.get('name')}{where} "
            f"for {config.epochs} epochs "
            f"with {backend} ({config.preset} preset); writing {folder.path}; compiling",
            file=sys.stderr,
        )
        progress = [StartNotice()]
        if _show_progress(args):
            progress.append(ProgressBar(config.epochs))
        try:
            if args.resume:
                result = resume(folder, callbacks=progress)
            else:
                result = train(config=config, out_dir=folder, callbacks=progress)
        except TrainingDiverged as error:
            print(f"gan1d: {error}; kept what was produced in {folder.path}", file=sys.stderr)
            _report(error.result)
            return EXIT_DIVERGED
        except RunInterrupted as stopped:
            steps = stopped.result.metrics["steps"]
            print(
                f"\ngan1d: interrupted after {steps} epochs; kept what was trained in {folder.path} "
                f"(finish it with: gan1d train --resume {folder.path})",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED + stopped.signal_number
        except RunWriteError as error:
            print(f"gan1d: {error}", file=sys.stderr)
            return EXIT_IO_ERROR
    _report(result)
    return EXIT_OK


def _report(result: TrainResult) -> None:
    """A short summary: where the files are, how the run ended, the key numbers, success or not."""
    from gan1d.data.metrics import HEADLINE, verdict

    for name, path in result.artifacts.items():
        print(f"{name:<16} {path}")
    metrics = result.metrics
    shown = [f"{name} {metrics[name]:.4g}" for name in HEADLINE if metrics.get(name) is not None]
    print(
        f"{metrics['status']}: {metrics['steps']} epochs, {metrics['train_seconds']:.1f} s of training; "
        + "  ".join(shown)
        + f"; {verdict(metrics)}"
    )


def _sweep(args: argparse.Namespace) -> int:
    from gan1d.run.folder import RunFolder

    if not 1 <= args.seeds <= MAX_SEEDS:
        raise Gan1dError(f"--seeds must be an integer from 1 to {MAX_SEEDS}, got {args.seeds}")
    config = TrainConfig.from_preset(**{**_given(args, _SWEEP_SKIPS), "snapshot_every": 0, "animation": "none"})
    backend = check_backend()
    folder = RunFolder.claim(args.out, overwrite=args.overwrite)
    with folder:
        start_backend()
        from gan1d.experiments.sweeps import sweep

        print(
            f"gan1d: {args.seeds} seeds of {config.function} for {config.epochs} epochs with {backend} "
            f"({config.preset} preset); writing {folder.path}",
            file=sys.stderr,
        )
        bar = _progress_bar(args.seeds * config.epochs) if _show_progress(args) else None
        try:
            result = sweep(
                seeds=args.seeds,
                config=config,
                out_dir=folder,
                vectorized=False if args.sequential else None,
                progress=bar,
            )
        except RunInterrupted as stopped:
            _report_sweep(stopped.result, folder)
            print(
                f"\ngan1d: interrupted; kept the {len(stopped.result.runs)} seeds that finished in {folder.path}",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED + stopped.signal_number
    _report_sweep(result, folder)
    return EXIT_OK


def _show_progress(args: argparse.Namespace) -> bool:
    return bool(args.progress or (not args.quiet and sys.stdout.isatty()))


def _progress_bar(total: int) -> Any:
    """Keras's progress bar over `total` steps, as a function of the steps done."""
    import keras

    bar = keras.utils.Progbar(total, unit_name="step")
    return lambda done: bar.update(done, finalize=done >= total)


def _report_sweep(result: SweepResult, folder: RunFolder) -> None:
    from gan1d.experiments.sweeps import describe_run

    for run in result.runs:
        print(f"seed {run['seed']:>3}  {describe_run(run)}  {'success' if run['success'] else 'miss'}")
    if result.runs:
        means = "  ".join(f"{name} {m:.4g} ± {e:.2g}" for name in result.metric_names for m, e in [result.mean(name)])
        print(f"mean  {means}")
    print(f"successes {result.successes}/{len(result.runs)}  ({result.mode}, {result.train_seconds:.1f} s of training)")
    for name in ("sweep.json", "sweep.csv", "samples.png"):
        if (folder / name).is_file():
            print(f"{name:<16} {folder / name}")


def _dirac(args: argparse.Namespace) -> int:
    from gan1d.run.folder import RunFolder

    if args.rounds < 1:
        raise Gan1dError(f"--rounds must be a positive integer, got {args.rounds}")
    if not 0 <= args.seed <= MAX_SEED:
        raise Gan1dError(f"--seed must be an integer from 0 to {MAX_SEED}, got {args.seed}")
    backend = check_backend()
    folder = RunFolder.claim(args.out, overwrite=args.overwrite)
    with folder:
        start_backend()
        from gan1d.experiments.dirac import dirac_config, verdict, write_dirac

        for name in args.methods or ():
            dirac_config(name)  # an unknown name is refused before anything trains
        print(f"gan1d: the Dirac-GAN for {args.rounds} rounds with {backend}; writing {folder.path}", file=sys.stderr)

        def report(run: Any) -> None:
            if not args.quiet:
                print(f"{run.method:<15} distance {run.distance:<10.3g} {verdict(run.distance)}", flush=True)

        files = write_dirac(folder.path, args.methods, rounds=args.rounds, seed=args.seed, on_method=report)
    for name, path in files.items():
        print(f"{name:<26} {path}")
    return EXIT_OK


def _study(args: argparse.Namespace) -> int:
    from gan1d.experiments.studies.plan import load_study

    if args.ray is not None and importlib.util.find_spec("ray") is None:
        raise Gan1dError('--ray needs Ray, which is not installed; pip install "gan1d[ray]"')
    plan = load_study(args.file)
    if args.block is not None and args.block <= 0:
        raise Gan1dError(f"--block must be a positive integer, got {args.block}")
    if args.retries < 0:
        raise Gan1dError(f"--retries must be 0 or more, got {args.retries}")
    if args.gpus_per_task is not None and not args.gpus_per_task >= 0:
        raise Gan1dError(f"--gpus-per-task must be a number of GPUs, 0 or more, got {args.gpus_per_task}")
    backend = check_backend()
    if args.dry_run:
        blocks = plan.blocks(args.block)
        for block in blocks:
            print(f"{block.describe()}  ({block.config.epochs} steps)")
        print(f"{plan.trial_count} trials in {len(blocks)} blocks with {backend}")
        return EXIT_OK
    if args.ray is None:  # a Ray driver imports no framework; its workers start their own
        start_backend()
    from gan1d.experiments.studies.runner import study

    try:
        result = study(
            plan,
            args.out,
            ray=args.ray,
            block=args.block,
            retries=args.retries,
            gpus_per_task=args.gpus_per_task,
            progress=not args.quiet,
            steps=_show_progress(args),
        )
    except RunInterrupted as stopped:
        kept = stopped.result
        print(
            f"\ngan1d: interrupted; kept the {len(kept.trials)} of {kept.study.trial_count} trials that finished "
            f"in {kept.out_dir}; rerunning the command finishes the study",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED + stopped.signal_number
    for row in result.rows:
        print(f"{row['variant']:<30} {row['target']:<12} {row['successes']}/{row['trials']} successes")
    for name, path in result.files.items():
        print(f"{name:<16} {path}")
    if not result.complete:
        print(
            f"gan1d: {len(result.trials)} of {result.study.trial_count} trials finished; rerun to finish the rest",
            file=sys.stderr,
        )
        return EXIT_DIVERGED
    return EXIT_OK
