"""A study's worker, timed: `study_costs.py` runs it in fresh processes.

    PYTHONPATH=benchmarks python -m harness.study_worker STUDY_JSON    # prints one JSON line

Runs the first block of the study twice and prints how long importing gan1d and
starting the backend took, the two runs' wall times and the first run's trials.
Only `json`, `sys` and `time` are imported before the clock starts, so the start-up
measured is the one a worker of a study pays.
"""

from __future__ import annotations

import json
import sys
import time


def main(spec: str) -> None:
    """Times the start, then the study's first block twice in this process.

    Args:
        spec: The study as JSON, in the form `load_study` reads.
    """
    start = time.perf_counter()
    from gan1d.environment import start_backend

    start_backend()
    imported = time.perf_counter() - start
    from gan1d.experiments.studies.blocks import run_block
    from gan1d.experiments.studies.plan import load_study

    block = load_study(json.loads(spec)).blocks()[0]
    times = []
    for _ in range(2):
        start = time.perf_counter()
        trials = run_block(block, executor="local")
        times.append(time.perf_counter() - start)
    print(json.dumps({"import_s": imported, "first_s": times[0], "second_s": times[1], "trials": trials}))


if __name__ == "__main__":
    main(sys.argv[1])
