"""Running a study: `study()`, which runs the blocks not yet in the log, here or on Ray, then writes the summary.

The local executor runs the blocks one after another in this process; the Ray one
(`gan1d.experiments.studies.ray_executor`) sends each block to a cluster as one task.
Both hand each finished block to the log as it arrives.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gan1d.checks import integer, real
from gan1d.environment import check_backend
from gan1d.errors import Gan1dError, RunInterrupted
from gan1d.experiments.studies.blocks import run_block
from gan1d.experiments.studies.log import TrialLog, trial_key
from gan1d.experiments.studies.plan import Block, Study, load_study
from gan1d.experiments.studies.summary import summarize, write_summary
from gan1d.files import write_json
from gan1d.run.folder import RunFolder
from gan1d.run.signals import SignalGuard

__all__ = ["STUDY_FILES", "StudyResult", "study"]

# What a study writes into its folder.
STUDY_FILES = ("study.json", "trials.jsonl", "summary.csv", "summary.md", "summary.png")


@dataclasses.dataclass(frozen=True)
class StudyResult:
    """What `study` produced.

    Attributes:
        study: The study.
        out_dir: Its folder.
        backend: The Keras backend its trials ran under.
        trials: This study's finished trials under `backend`, in the study's order.
        rows: One summary dict per variant and target (see `summary.csv`).
        trained: Trials trained by this call.
        failed: A line per block that failed (its trials are not in the log; a rerun tries again).
        files: File name -> path of each file written.
    """

    study: Study
    out_dir: Path
    backend: str
    trials: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    trained: int
    failed: list[str]
    files: dict[str, Path]

    @property
    def complete(self) -> bool:
        """Whether every trial of the study is in the log."""
        return len(self.trials) == self.study.trial_count


def study(
    spec: str | os.PathLike[str] | Mapping[str, Any] | Study,
    out_dir: str | os.PathLike[str] | None = None,
    *,
    ray: str | None = None,
    block: int | None = None,
    retries: int = 3,
    gpus_per_task: float | None = None,
    progress: bool = True,
    steps: bool = False,
) -> StudyResult:
    """Runs the trials of a study that are not yet in its folder, then writes the summary.

    Args:
        spec: A study file (TOML), its content as a mapping, or a `Study`.
        out_dir: The study's folder: new, empty, or holding this study's earlier
            results (which are kept; only missing trials run). Default `runs/<name>`.
        ray: None trains here; `"auto"` or a cluster address (`"ray://host:10001"`,
            `"host:6379"`) sends each block to that Ray cluster as a task.
        block: Seeds per block, instead of the study's.
        retries: On Ray, how many times a task whose worker died is run again.
        gpus_per_task: On Ray, GPUs each task asks for; None asks for one where the
            cluster has GPUs, else none.
        progress: Print a line per finished block on stderr.
        steps: Show the steps of the block under way (local executor).

    Returns:
        A `StudyResult`.

    Raises:
        Gan1dError: On a bad study or folder, before anything is trained.
        RunInterrupted: On Ctrl-C or SIGTERM, which stop the blocks under way (at the
            end of their compiled call here; on Ray their tasks are cancelled), after
            writing the summary of the finished trials, which are in the log.
    """
    plan = load_study(spec)
    block = None if block is None else integer("block", block)
    retries = integer("retries", retries, 0)
    if gpus_per_task is not None:
        gpus_per_task = real("gpus_per_task", gpus_per_task)
    backend = check_backend()
    path = Path(out_dir) if out_dir is not None else Path("runs") / plan.name
    resuming = (path / "study.json").is_file()
    if not resuming and path.is_dir() and any(path.iterdir()):
        raise Gan1dError(f"--out {str(path)!r} is not empty and holds no study; choose another folder")
    with contextlib.ExitStack() as cluster:
        if ray is not None:
            # Imported only for a study on Ray, whose extra a local study does not need.
            from gan1d.experiments.studies.ray_executor import joined

            cluster.enter_context(joined(ray))  # before the folder: a bad address leaves none
        result = _study(plan, path, resuming, backend, ray, block, retries, gpus_per_task, progress, steps)
    return result


def _study(
    plan: Study,
    path: Path,
    resuming: bool,
    backend: str,
    ray: str | None,
    block: int | None,
    retries: int,
    gpus_per_task: float | None,
    progress: bool,
    steps: bool,
) -> StudyResult:
    """`study` once its input is checked (and the cluster joined)."""
    folder = RunFolder.claim(path, resume=resuming, holds="study.json")
    with folder:
        log = TrialLog(folder / "trials.jsonl")
        write_json(folder / "study.json", plan.to_dict())
        blocks = plan.blocks(block)
        todo = [b for b in blocks if any(_key(b, seed, backend) not in log for seed in b.seeds)]
        done_before = sum(len(b.seeds) for b in blocks) - sum(
            sum(_key(b, seed, backend) not in log for seed in b.seeds) for b in todo
        )
        say = _say if progress else _quiet
        say(
            f"gan1d: study {plan.name!r}: {plan.trial_count} trials in {len(blocks)} blocks, {done_before} done "
            f"before; {len(todo)} blocks to run with {backend} {'on Ray' if ray else 'here'}; writing {folder.path}"
        )
        trained = 0
        counter = itertools.count(1)

        def record(finished: Block, trials: list[dict[str, Any]]) -> None:
            nonlocal trained
            mine = [t for t in trials if t["seed"] in finished.seeds]
            new = log.append(mine)
            trained += len(new)
            wins = sum(bool(t["success"]) for t in mine)
            seconds = mine[0]["seconds"] if mine else math.nan
            where = f" on {mine[0]['host']}" if ray and mine else ""
            say(
                f"gan1d: [{next(counter)}/{len(todo)}] {finished.describe()}: {wins}/{len(mine)} successes, "
                f"{seconds:.1f} s per trial{where}"
            )

        with SignalGuard() as guard:

            def stopping() -> bool:
                return guard.received is not None

            if ray is None:
                failed = _run_here(todo, record, steps, stopping)
            else:
                from gan1d.experiments.studies.ray_executor import run_on_ray

                failed = run_on_ray(
                    todo,
                    record,
                    work=run_block,
                    backend=backend,
                    retries=retries,
                    gpus_per_task=gpus_per_task,
                    say=say,
                    should_stop=stopping,
                )
            # The summary is written whole even if a second signal comes meanwhile.
            with guard.deferred():
                current = _current(blocks, log, backend)
                rows = summarize(plan, blocks, current)
                files = write_summary(plan, rows, current, folder.path, backend)
    result = StudyResult(plan, folder.path, backend, current, rows, trained, failed, files)
    if guard.received is not None:
        raise RunInterrupted(result, guard.received)
    for line in failed:
        say(f"gan1d: failed: {line}")
    return result


def _key(block: Block, seed: int, backend: str) -> tuple[str, str, int, str, str]:
    return (block.variant, block.target, seed, backend, block.config_id)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _quiet(line: str) -> None:
    pass


def _run_here(
    blocks: Sequence[Block],
    record: Callable[[Block, list[dict[str, Any]]], None],
    steps: bool,
    should_stop: Callable[[], bool],
) -> list[str]:
    """The local executor: the blocks one after another in this process, until `should_stop`."""
    for block in blocks:
        bar = _step_bar(block.config.epochs) if steps else None
        try:
            trials = run_block(block, executor="local", on_progress=bar, should_stop=should_stop)
        except KeyboardInterrupt:
            if should_stop():
                break  # this block did not finish; those before it are in the log
            raise
        record(block, trials)
    return []


def _step_bar(total: int) -> Callable[[int], None]:
    """Keras's progress bar over one block's `total` steps, as a function of the steps done."""
    import keras  # the local executor trains here anyway; a Ray driver never gets here

    bar = keras.utils.Progbar(total, unit_name="step")
    return lambda done: bar.update(done, finalize=done >= total)


def _current(blocks: Sequence[Block], log: TrialLog, backend: str) -> list[dict[str, Any]]:
    """The log's trials that belong to this study and backend, in the study's order."""
    by_key = {trial_key(t): t for t in log.trials}
    return [by_key[k] for b in blocks for seed in b.seeds if (k := _key(b, seed, backend)) in by_key]
