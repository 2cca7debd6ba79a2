"""The one exception type for mistakes a user can make."""

from __future__ import annotations

__all__ = ["Gan1dError"]


class Gan1dError(ValueError):
    """Bad input from a user: an unknown name, an unsafe expression, a bad option.

    The message says what was wrong and what is allowed; the CLI prints it as one
    line on stderr and exits with status 2.
    """
