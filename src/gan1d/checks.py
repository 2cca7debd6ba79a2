"""Checking arguments a user passes: numbers of any numeric type in, exact Python types out.

Every check raises `Gan1dError` with one sentence naming the argument, what it got
and what is allowed. `True` is never taken for 1, and NumPy numbers are as good as
Python's.
"""

from __future__ import annotations

import math
import numbers

from gan1d.errors import Gan1dError

__all__ = ["integer", "real"]


def integer(name: str, value: object, minimum: int = 1, maximum: int | None = None) -> int:
    """`value` as an `int` in `[minimum, maximum]`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        allowed = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise Gan1dError(f"{name} must be {allowed}, got {value!r}")
    if maximum is not None and int(value) > maximum:
        raise Gan1dError(f"{name} must be at most {maximum}, got {value!r}")
    return int(value)


def real(name: str, value: object, *, positive: bool = False, signed: bool = False) -> float:
    """`value` as a finite `float`: > 0 with `positive`, any sign with `signed`, else >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise Gan1dError(f"{name} must be a finite number, got {value!r}")
    number = float(value)
    if positive and number <= 0:
        raise Gan1dError(f"{name} must be a positive number, got {value!r}")
    if not signed and not positive and number < 0:
        raise Gan1dError(f"{name} must be a number >= 0, got {value!r}")
    return number
