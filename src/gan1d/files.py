"""Writing files so that an interrupted run never leaves a half-written one."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path"]


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yields a temporary path beside `final`, renamed onto it only on success.

    The temporary name keeps `final`'s suffix (Keras picks the format from it) and
    contains `.tmp.`; on any error, Ctrl-C included, it is removed and an older
    file under the final name is left as it was.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    # A random name in the same folder: the rename is then atomic, and writers
    # create the file with the usual permissions (mkstemp would force 0600).
    tmp = final.with_name(f".{final.stem}.{secrets.token_hex(4)}.tmp{final.suffix}")
    try:
        yield tmp
        tmp.replace(final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
