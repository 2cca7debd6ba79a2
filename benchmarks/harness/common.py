"""What every benchmark shares: the recipe, the timing loop and the memory probes.

Nothing here imports a deep-learning framework, so a script can set up the
device before JAX or TensorFlow is loaded.
"""

from __future__ import annotations

import dataclasses
import math
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

# Keras's Adam defaults and BinaryCrossentropy's clipping, which the references copy.
BETA_1 = 0.9
BETA_2 = 0.999
ADAM_EPSILON = 1e-7
BCE_EPSILON = 1e-7

# Real points are (x, x**2) with x uniform on this interval, as gan1d's "square".
DOMAIN = (-0.5, 0.5)
POINT_DIM = 2

MB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Recipe:
    """The networks and the step, as gan1d's "seed" preset defines them.

    One step trains D on `batch_size` real plus `batch_size` generated points (one
    concatenated batch), then G on `2 * batch_size` latent points through D.
    """

    latent_dim: int = 5
    generator_units: tuple[int, ...] = (15,)
    discriminator_units: tuple[int, ...] = (25,)
    batch_size: int = 64
    learning_rate: float = 1e-3
    snapshot_every: int = 20
    snapshot_points: int = 100
    seed: int = 0

    @property
    def generator_sizes(self) -> list[int]:
        """Layer sizes of G, input to output."""
        return [self.latent_dim, *self.generator_units, POINT_DIM]

    @property
    def discriminator_sizes(self) -> list[int]:
        """Layer sizes of D, input to output."""
        return [POINT_DIM, *self.discriminator_units, 1]

    def snapshot_noise(self) -> np.ndarray:
        """The fixed latent batch of the snapshots (as `gan1d.SnapshotCallback` draws it)."""
        rng = np.random.default_rng(self.seed)
        return rng.standard_normal((self.snapshot_points, self.latent_dim)).astype("float32")

    def periods(self, steps: int) -> int:
        """Number of snapshot periods in `steps` steps (which must be a multiple of them)."""
        if steps % self.snapshot_every:
            raise ValueError(f"steps ({steps}) must be a multiple of snapshot_every ({self.snapshot_every})")
        return steps // self.snapshot_every


def init_limit(fan_in: int, fan_out: int, hidden: bool) -> float:
    """Half-width of the uniform initializer: he_uniform (hidden) or glorot_uniform (output)."""
    return math.sqrt(6.0 / fan_in) if hidden else math.sqrt(6.0 / (fan_in + fan_out))


@dataclasses.dataclass
class Runner:
    """A built workload: `run()` trains its steps to completion, `points()` reads G's output."""

    run: Callable[[], object]
    points: Callable[[], np.ndarray]
    details: Callable[[], dict[str, Any]] | None = None  # facts about the last call, for the JSON


@dataclasses.dataclass(frozen=True)
class Case:
    """One row of a table: `make()` builds a `Runner` whose `run()` trains `steps` steps."""

    key: str
    label: str
    steps: int
    make: Callable[[], Runner]


@dataclasses.dataclass
class Measurement:
    """Timings of one case: the first call and each repeated identical call."""

    key: str
    label: str
    steps: int
    first_call_s: float
    times_s: list[float]
    first_peak_mb: float
    peak_mb: float = 0.0
    quality: float | None = None
    details: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # one per timed call

    @property
    def best_s(self) -> float:
        return min(self.times_s)

    @property
    def us_per_step(self) -> float:
        """Best (least disturbed) repeat, in microseconds per training step."""
        return 1e6 * self.best_s / self.steps

    @property
    def steps_per_s(self) -> float:
        return self.steps / self.best_s

    @property
    def compile_s(self) -> float:
        """One-time cost of the first call: its time minus the best repeat's."""
        return max(0.0, self.first_call_s - self.best_s)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "steps": self.steps,
            "us_per_step": round(self.us_per_step, 2),
            "us_per_step_median": round(1e6 * statistics.median(self.times_s) / self.steps, 2),
            "steps_per_s": round(self.steps_per_s, 1),
            "first_call_s": round(self.first_call_s, 3),
            "compile_s": round(self.compile_s, 3),
            "first_peak_mb": round(self.first_peak_mb, 1),
            "peak_mb": round(self.peak_mb, 1),
            "curve_residual": None if self.quality is None else round(self.quality, 4),
            "times_s": [round(t, 4) for t in self.times_s],
            **({"details": self.details} if self.details else {}),
        }


class MemoryProbe(Protocol):
    """Peak memory of the code run between `start()` and `stop()`, in MB."""

    kind: str

    def start(self) -> None: ...

    def stop(self) -> float: ...


class HostMemory:
    """Peak resident memory above the resident memory at `start()`.

    On Linux the kernel's high-water mark is reset at each start (writing 5 to
    /proc/self/clear_refs), so each measurement sees only its own peak. Elsewhere
    it falls back to the growth of `ru_maxrss`, which only shows new records.
    """

    kind = "host RSS"

    def __init__(self) -> None:
        self._base = 0.0
        self._resettable = self._try_reset()
        if not self._resettable:
            self.kind = "host ru_maxrss growth"

    @staticmethod
    def _try_reset() -> bool:
        try:
            with open("/proc/self/clear_refs", "w") as stream:
                stream.write("5")
        except OSError:
            return False
        return _proc_status_kb("VmHWM") is not None

    def start(self) -> None:
        if self._resettable:
            self._try_reset()
            self._base = _proc_status_kb("VmRSS") or 0.0
        else:
            self._base = _ru_maxrss_kb()

    def stop(self) -> float:
        peak = _proc_status_kb("VmHWM") if self._resettable else _ru_maxrss_kb()
        return max(0.0, (peak or 0.0) - self._base) * 1024 / MB


def _proc_status_kb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as stream:
            match = re.search(rf"^{field}:\s+(\d+)\s+kB", stream.read(), re.MULTILINE)
    except OSError:
        return None
    return float(match.group(1)) if match else None


def _ru_maxrss_kb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform == "darwin" else float(peak)  # bytes on macOS


def process_peak_mb() -> float:
    """The process's peak resident memory since it started (ru_maxrss)."""
    return _ru_maxrss_kb() * 1024 / MB


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the Markdown report."""
    print(message, file=sys.stderr, flush=True)


def measure(
    cases: Sequence[Case],
    repeats: int,
    memory: MemoryProbe,
    quality: Callable[[np.ndarray], float] | None = None,
) -> list[Measurement]:
    """Times each case's first call, then `repeats` rounds of all cases, interleaved.

    An untimed round runs between the two: building a later case may undo an
    earlier one's warm-up (`keras.utils.set_random_seed` calls `tf.random.set_seed`,
    which clears TensorFlow's caches, so each `tf.function` is set up again on its
    next call). Interleaving spreads the noise of a shared machine over every
    case alike; the tables use each case's best round. Peak memory is kept apart
    for the first call (which compiles, and may import modules) and the largest
    timed call.
    """
    runners: list[Runner] = []
    results: list[Measurement] = []
    for case in cases:
        memory.start()
        start = time.perf_counter()
        runner = case.make()
        runner.run()
        first = time.perf_counter() - start
        results.append(Measurement(case.key, case.label, case.steps, first, [], memory.stop()))
        runners.append(runner)
        log(f"  {case.label}: first call {first:.2f} s")
    for runner in runners:
        runner.run()
    for round_ in range(repeats):
        for runner, result in zip(runners, results, strict=True):
            memory.start()
            start = time.perf_counter()
            runner.run()
            result.times_s.append(time.perf_counter() - start)
            result.peak_mb = max(result.peak_mb, memory.stop())
            if runner.details is not None:
                result.details.append(runner.details())
        log(
            f"  round {round_ + 1}/{repeats}: "
            + ", ".join(f"{1e6 * r.times_s[-1] / r.steps:.0f}" for r in results)
            + " us/step"
        )
    if quality is not None:
        for runner, result in zip(runners, results, strict=True):
            result.quality = quality(runner.points())
    return results


def steps_per_call(batch_size: int, budget: int, low: int, high: int, every: int) -> int:
    """Steps per timed call of one batch size or width: about `budget` points, clamped, a multiple of `every`."""
    steps = min(high, max(low, budget // batch_size))
    return max(every, steps // every * every)
