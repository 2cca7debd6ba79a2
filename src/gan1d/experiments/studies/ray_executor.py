"""Studies on a Ray cluster: each block of trials is one Ray task, which Ray runs again if its worker dies.

The driver (the `gan1d study` process) never imports Keras or a backend: it submits
the blocks as Ray tasks, waits for them with `ray.wait`, and hands each finished
block to the study's log as it arrives. A task runs the block's work
(`gan1d.experiments.studies.blocks.run_block`, which the caller passes in) in a Ray
worker, a Python process of its own that Ray started (never a fork of one that had
started JAX), and returns the block's trial records; workers are reused from task
to task, so a worker imports the backend and compiles a variant's loop once.

Ray's primitives do the distributed work: `ray.init(address=...)` joins the
cluster, `max_retries` re-runs a task whose worker or node died (the log keeps
every trial exactly once, whichever attempt finished it), `num_gpus` gives each
task a GPU where the cluster has them, the job's `runtime_env` ships the driver's
gan1d package (`py_modules`), so every worker runs the same code, and turns each
worker's compilation cache on before it imports anything
(`worker_process_setup_hook`), and the task's `runtime_env` sets the workers'
environment (`KERAS_BACKEND`, GPU memory).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import ray

import gan1d
from gan1d.errors import Gan1dError
from gan1d.experiments.studies.plan import Block

__all__ = ["MAX_IN_FLIGHT", "joined", "run_on_ray", "worker_environment"]

Work = Callable[..., list[dict[str, Any]]]

# Tasks submitted and not yet finished. Ray queues tasks beyond what the cluster
# can run at once (and an autoscaler sizes the cluster from that queue); the bound
# only keeps a huge study's driver from holding every task at once.
MAX_IN_FLIGHT = 10_000

# How often the driver, waiting for tasks, checks for Ctrl-C or SIGTERM.
_POLL_SECONDS = 0.5

# Variables the workers take from the driver's environment when it sets them.
_PASSED_ON = ("JAX_COMPILATION_CACHE_DIR", "TF_XLA_FLAGS", "TF_CPP_MIN_LOG_LEVEL", "JAX_PLATFORMS", "XLA_FLAGS")


def worker_environment(backend: str, gpus_per_task: float) -> dict[str, str]:
    """The environment variables every task runs with.

    Args:
        backend: The Keras backend, the driver's.
        gpus_per_task: GPUs each task asks for. Below 1, several tasks share a
            device, so neither JAX nor TensorFlow may take its memory up front.
    """
    env = {"KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.update({name: os.environ[name] for name in _PASSED_ON if name in os.environ})
    if gpus_per_task < 1:
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
        env["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
    return env


def run_on_ray(
    blocks: Sequence[Block],
    record: Callable[[Block, list[dict[str, Any]]], None],
    *,
    work: Work,
    backend: str,
    retries: int = 3,
    gpus_per_task: float | None = None,
    say: Callable[[str], None] = print,
    should_stop: Callable[[], bool] | None = None,
) -> list[str]:
    """Runs `work(block, executor="ray")` for each block as a Ray task, and hands each result to `record`.

    Call it inside `joined(address)`.

    Args:
        blocks: The blocks to run.
        record: Called in the driver with each block and its trial records, as each finishes.
        work: The task's function, imported by the workers from its module.
        backend: The Keras backend the workers use, the driver's.
        retries: Ray's `max_retries`: how many times a task is run again when its
            worker process or node dies.
        gpus_per_task: GPUs per task; None for 1 where the cluster has GPUs, else 0.
        say: Where progress lines go.
        should_stop: Asked while waiting; True cancels the tasks under way (their
            trials are not recorded) and returns.

    Returns:
        A line per block that did not finish (an error in the task, or its retries used up).
    """
    resources = ray.cluster_resources()  # type: ignore[no-untyped-call]
    if gpus_per_task is None:
        gpus_per_task = 1.0 if resources.get("GPU", 0) > 0 else 0.0
    options = {
        "num_cpus": 1,
        "num_gpus": gpus_per_task,
        "max_retries": retries,
        # Merged with the job's runtime_env (its py_modules) by Ray.
        "runtime_env": {"env_vars": worker_environment(backend, gpus_per_task)},
    }
    say(
        f"gan1d: Ray cluster with {resources.get('CPU', 0):g} CPUs and {resources.get('GPU', 0):g} GPUs; "
        f"{gpus_per_task:g} GPU per task, up to {retries} retries"
    )
    task: Any = ray.remote(work).options(**options)  # Ray's stubs know no task of arguments
    waiting = collections.deque(blocks)
    running: dict[Any, Block] = {}
    failed = []
    while waiting or running:
        while waiting and len(running) < MAX_IN_FLIGHT:
            block = waiting.popleft()
            running[task.remote(block, executor="ray")] = block
        if should_stop is not None and should_stop():
            for ref in running:
                ray.cancel(ref, force=True)
            break
        ready_list, _ = ray.wait(list(running), num_returns=1, timeout=_POLL_SECONDS)
        if not ready_list:
            continue
        ready = ready_list[0]
        block = running.pop(ready)
        try:
            trials = ray.get(ready)
        except ray.exceptions.RayError as error:
            failed.append(f"{block.describe()}: {type(error).__name__}: {str(error).strip().splitlines()[-1]}")
            continue
        record(block, trials)
    return failed


@contextlib.contextmanager
def joined(address: str) -> Iterator[None]:
    """Joins the Ray cluster at `address` for the block, unless this process is already connected to one.

    An address of the form `host:port` or `ray://host:port` is first checked to
    answer at all, so a wrong one is refused in seconds rather than after Ray's own
    minute of retries.

    Raises:
        Gan1dError: If the cluster cannot be reached.
    """
    if ray.is_initialized():
        yield
        return
    _check_reachable(address)
    try:
        ray.init(
            address=address,
            runtime_env={
                # Every worker runs the driver's gan1d, whatever is installed where it runs.
                "py_modules": [gan1d],
                # Before a worker imports a framework (TensorFlow reads its cache flags then);
                # workers share compiled programs through the cache (on shared storage when
                # JAX_COMPILATION_CACHE_DIR points there).
                "worker_process_setup_hook": "gan1d.environment.enable_compilation_cache",
            },
            logging_level=logging.WARNING,
            log_to_driver=False,
        )
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise Gan1dError(f"cannot join the Ray cluster at {address!r}: {str(error).splitlines()[0]}") from None
    try:
        yield
    finally:
        ray.shutdown()


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Raises Gan1dError unless something accepts connections at a `host:port` address."""
    if address == "auto" or address.startswith(("local", "anyscale://")):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise Gan1dError(f"--ray {address!r} is not 'auto' or an address host:port (or ray://host:port)")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise Gan1dError(f"cannot join the Ray cluster at {address!r}: nothing answers there ({reason})") from None
