"""The `gan1d` command: parses options, checks them, and calls `gan1d.train`.

Nothing here imports Keras before the options are known to be good, so that
`gan1d --help` and mistakes answer at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import NoReturn

from gan1d.errors import Gan1dError

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 1
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, as for every other bad input, instead of argparse's usage block.
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by `train` and `sweep`: what to learn and how."""
    parser.add_argument(
        "--function",
        "--target",
        dest="function",
        default="square",
        help="built-in name (square, cube, sine, abs, gauss, exp, sqrt), an expression in x such as "
        "'sin(3*x)', or a distribution in the plane (ring, grid, moons) (default: square)",
    )
    parser.add_argument("--domain", nargs=2, type=float, metavar=("LO", "HI"), help="x range (default: the target's)")
    parser.add_argument("--epochs", type=int, help="training steps, one batch each (default: the preset's, else 5000)")
    parser.add_argument("--batch-size", type=int, help="real points per step (default: the preset's)")
    parser.add_argument("--latent-dim", type=int, help="size of the latent noise (default: the preset's)")
    parser.add_argument("--learning-rate", type=float, help="Adam learning rate (default: the preset's)")
    parser.add_argument(
        "--preset",
        default="default",
        help="named settings: default (tuned on curves), planar (tuned on ring and grid) or seed "
        "(the article's recipe) (default: default)",
    )
    parser.add_argument("--out", help="output folder (default: a new folder under runs/)")
    parser.add_argument("--overwrite", action="store_true", help="replace gan1d's files in a non-empty --out")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gan1d", description="Watch a GAN learn the curve of a 1D function.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser(
        "train",
        help="train a GAN and write a run folder",
        description="Train a GAN on points (x, f(x)) and write config, losses, metrics, "
        "pictures, an animation and the generator to a run folder. With no options it runs the "
        "seed article's experiment (x**2 on [-0.5, 0.5], 5000 epochs, a snapshot every 20) with "
        "the tuned default preset; --preset seed trains the article's own networks.",
    )
    _add_run_options(run)
    run.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    run.add_argument(
        "--snapshot-every", type=int, default=20, help="epochs between snapshots, 0 for none (default: 20)"
    )
    run.add_argument("--animation", default="gif", help="gif, mp4 (needs ffmpeg) or none (default: gif)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    many = commands.add_parser(
        "sweep",
        help="train one configuration on many seeds and report the success rate",
        description="Train one configuration on seeds 0..N-1 (together in one computation under JAX) "
        "and write sweep.json, sweep.csv and a grid of final samples. On a curve a seed succeeds when "
        "x_w1 <= 0.02 and curve_residual <= 0.02; on ring or grid when it captures every mode with at "
        "least 90%% of its points high quality. Means are printed with their standard errors.",
    )
    _add_run_options(many)
    many.add_argument("--seeds", type=int, default=10, help="number of seeds (default: 10)")
    many.add_argument("--sequential", action="store_true", help="train the seeds one after another")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return _sweep(args) if args.command == "sweep" else _train(args)
    except Gan1dError as error:
        print(f"gan1d: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _train(args: argparse.Namespace) -> int:
    from gan1d.environment import check_backend
    from gan1d.training import TrainConfig, prepare_out_dir

    config = TrainConfig(
        function=args.function,
        domain=None if args.domain is None else tuple(args.domain),
        epochs=args.epochs,
        batch_size=args.batch_size,
        latent_dim=args.latent_dim,
        learning_rate=args.learning_rate,
        seed=args.seed,
        snapshot_every=args.snapshot_every,
        animation=args.animation,
        preset=args.preset,
    ).resolved()
    backend = check_backend()
    run_dir = prepare_out_dir(args.out, overwrite=args.overwrite)

    from gan1d.callbacks import ProgressBar
    from gan1d.environment import enable_compilation_cache
    from gan1d.training import TrainingDiverged, train

    enable_compilation_cache()

    target = config.target().describe()
    where = f" over {target['domain']}" if target.get("domain") else ""
    print(
        f"gan1d: training on {target.get('expression') or target.get('name')}{where} "
        f"for {config.epochs} epochs with {backend} ({config.preset} preset); writing {run_dir}",
        file=sys.stderr,
    )
    progress = [] if args.quiet or not sys.stderr.isatty() else [ProgressBar(config.epochs or 0)]
    fields = {k: getattr(config, k) for k in ("batch_size", "latent_dim", "learning_rate", "snapshot_points")}
    try:
        result = train(
            config.function,
            config.domain,
            epochs=config.epochs,
            seed=config.seed,
            snapshot_every=config.snapshot_every,
            out_dir=run_dir,
            animation=config.animation,
            preset=config.preset,
            overwrite=True,  # prepare_out_dir has already applied --overwrite
            callbacks=progress,
            **fields,
        )
    except TrainingDiverged as error:
        print(f"gan1d: {error}; kept what was produced in {run_dir}", file=sys.stderr)
        _report(error.result.artifacts, error.result.metrics)
        return EXIT_DIVERGED
    except KeyboardInterrupt:
        print(f"\ngan1d: interrupted; kept what was produced so far in {run_dir}", file=sys.stderr)
        return EXIT_INTERRUPTED
    _report(result.artifacts, result.metrics)
    return 0


def _report(artifacts: Mapping[str, object], metrics: Mapping[str, object]) -> None:
    for name, path in artifacts.items():
        print(f"{name:<16} {path}")
    print("metrics " + json.dumps(metrics))


def _sweep(args: argparse.Namespace) -> int:
    from gan1d.environment import check_backend
    from gan1d.training import TrainConfig, prepare_out_dir

    if args.seeds <= 0:
        raise Gan1dError(f"--seeds must be a positive integer, got {args.seeds}")
    options = {"batch_size": args.batch_size, "latent_dim": args.latent_dim, "learning_rate": args.learning_rate}
    options = {k: v for k, v in options.items() if v is not None}
    common = {"domain": None if args.domain is None else tuple(args.domain), "epochs": args.epochs}
    config = TrainConfig(function=args.function, preset=args.preset, **common, **options).resolved()
    backend = check_backend()
    out_dir = prepare_out_dir(args.out, overwrite=args.overwrite)

    from gan1d.environment import enable_compilation_cache
    from gan1d.sweeps import describe_run, sweep

    enable_compilation_cache()

    print(
        f"gan1d: {args.seeds} seeds of {args.function} for {config.epochs} epochs with {backend} "
        f"({config.preset} preset); writing {out_dir}",
        file=sys.stderr,
    )
    result = sweep(
        args.function,
        seeds=args.seeds,
        preset=args.preset,
        out_dir=out_dir,
        vectorized=False if args.sequential else None,
        overwrite=True,  # prepare_out_dir has already applied --overwrite
        **common,
        **options,
    )
    for run in result.runs:
        print(f"seed {run['seed']:>3}  {describe_run(run)}  {'success' if run['success'] else 'miss'}")
    means = "  ".join(f"{name} {m:.4g} ± {e:.2g}" for name in result.metric_names for m, e in [result.mean(name)])
    print(f"mean  {means}")
    print(
        f"successes {result.successes}/{len(result.seeds)}  ({result.mode}, {result.train_seconds:.1f} s of training)"
    )
    for name in ("sweep.json", "sweep.csv", "samples.png"):
        print(f"{name:<16} {out_dir / name}")
    return 0
