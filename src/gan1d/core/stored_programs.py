"""Traced training loops kept on disk, so that a run whose loop was traced before does not trace it again.

A warm run finds its compiled program in the compilation cache, but only after
Python has traced the loop again to know which program it wants: about a second
of `run_periods` through Keras's layers. Under JAX a traced loop is kept here as
`jax.export` bytes, in `gan1d.environment.program_folder()` (set where the
compilation cache is turned on, as the command line does), and a later run
compiles those bytes (the compilation cache answers) without tracing.

A program is found by a key of everything that decides it: the format of these
files, gan1d's version and a digest of its source, the versions of the frameworks,
the backend, the loop's signature (the configurations of the networks, optimizers,
loss and target, as `gan1d.core.programs` shares loops by), its shape, and the
shapes and dtypes of its arguments. The file holds its key too. A file that cannot
be read, is not a program, or holds another key is ignored: the loop is traced as
in a cold run and the file written again. Loops with parts that their
configuration does not pin down (a layer, optimizer or loss class from outside
Keras and gan1d, a target drawn from a Python function) are never kept.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import keras
from keras import ops

from gan1d import backend
from gan1d.environment import program_folder
from gan1d.files import atomic_path

__all__ = ["FORMAT", "StoredProgram", "stored_program"]

FORMAT = 1
"""Changes whenever these files or their keys change meaning."""

_MAGIC = b"gan1d program\n"
_FRAMEWORKS = ("keras", "jax", "jaxlib", "tensorflow", "numpy")


def stored_program(fn: Callable[..., Any], signature: Mapping[str, Any]) -> StoredProgram | None:
    """`fn`, compiled through a program kept on disk, or None where no programs are kept.

    Args:
        fn: A function of backend tensors (lists, tuples, named tuples and dicts of them).
        signature: What decides the program besides gan1d's code and the
            frameworks: JSON-able (`gan1d.core.programs` gives the loop's signature
            and shape).
    """
    folder = program_folder()
    if folder is None or backend.export_function is None or backend.load_function is None:
        return None
    return StoredProgram(fn, folder, signature)


class StoredProgram:
    """A compiled function: for each new shape of its arguments found on disk, or traced and written there.

    Attributes:
        origin: How the program for the arguments of the latest new shape was
            found: None before the first call, then "file" (read from disk, not
            traced) or "traced".
        key: The text every part of that program's identity went into.
        file: The file that keeps it.
    """

    def __init__(self, fn: Callable[..., Any], folder: Path, signature: Mapping[str, Any]) -> None:
        self.fn, self.folder, self.signature = fn, folder, dict(signature)
        # One program per shape of the arguments, as `jax.jit` traces one per shape.
        self.compiled: dict[tuple[Any, ...], Callable[..., Any]] = {}
        self.origin: str | None = None
        self.key = ""
        self.file = folder

    def __call__(self, *args: Any) -> Any:
        shapes = tuple((tuple(ops.shape(x)), str(x.dtype)) for x in keras.tree.flatten(args))
        if shapes not in self.compiled:
            self.compiled[shapes] = self._find(args)
        return self.compiled[shapes](*args)

    def read(self, path: Path) -> bytes | None:
        """The program `path` keeps, or None where it keeps another, or none (missing, not a program, cut short)."""
        try:
            data = path.read_bytes()
        except OSError:
            return None
        start = len(_MAGIC) + 8
        if not data.startswith(_MAGIC) or len(data) < start:
            return None
        length = int.from_bytes(data[len(_MAGIC) : start], "little")
        if data[start : start + length] != self.key.encode():
            return None
        return data[start + length :]

    def key_for(self, args: tuple[Any, ...]) -> str:
        """The text every part of the identity of the program for `args` goes into."""
        parts = {
            "format": FORMAT,
            "gan1d": [_gan1d_version(), _source_digest()],
            "frameworks": _framework_versions(),
            "backend": keras.backend.backend(),
            "floatx": keras.config.floatx(),
            "signature": self.signature,
            "arguments": _describe(args),
        }
        return json.dumps(parts, sort_keys=True)

    def _find(self, args: tuple[Any, ...]) -> Callable[..., Any]:
        assert backend.export_function is not None
        assert backend.load_function is not None
        self.key = self.key_for(args)
        self.file = self.folder / f"{hashlib.sha256(self.key.encode()).hexdigest()}.program"
        program = self.read(self.file)
        compiled = None
        if program is not None:
            with contextlib.suppress(Exception):  # a file the framework cannot read back is traced again
                compiled = backend.load_function(program, args)
        if compiled is not None:
            self.origin = "file"
            return compiled
        compiled, program = backend.export_function(self.fn, args)
        self.origin = "traced"
        key = self.key.encode()
        try:
            with atomic_path(self.file) as tmp:
                tmp.write_bytes(_MAGIC + len(key).to_bytes(8, "little") + key + program)
        except OSError:  # a folder that cannot be written costs the next run a trace, nothing more
            pass
        return compiled


def _describe(tree: Any) -> Any:
    """The structure, shapes and dtypes of a tree of tensors, as JSON-able values."""
    if isinstance(tree, dict):
        return {"dict": {str(k): _describe(v) for k, v in sorted(tree.items())}}
    if isinstance(tree, list | tuple):
        return {type(tree).__qualname__: [_describe(value) for value in tree]}
    return [list(ops.shape(tree)), str(keras.backend.standardize_dtype(tree.dtype))]


@functools.cache
def _gan1d_version() -> str:
    try:
        return importlib.metadata.version("gan1d")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def _source_digest() -> str:
    """A digest of gan1d's Python source: a program traced by other code is another program."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def _framework_versions() -> dict[str, str]:
    found = {}
    for name in _FRAMEWORKS:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[name] = importlib.metadata.version(name)
    return found
