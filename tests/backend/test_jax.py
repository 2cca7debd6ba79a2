"""gan1d.backend.jax: where TensorFlow is installed too, a JAX run never imports it."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from support.runs import COMMAND

pytestmark = [
    pytest.mark.backend("jax"),
    pytest.mark.both_backends,
    pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow installed beside JAX"),
]


def environment(tmp_path: Path) -> dict[str, str]:
    # A fresh cache: the saved programs must not spare any code path.
    return {**os.environ, "KERAS_BACKEND": "jax", "XDG_CACHE_HOME": str(tmp_path / "cache")}


def test_gan1d_train_never_imports_tensorflow(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *COMMAND[1:], "train", "--quiet", "--out", str(tmp_path / "run")],
        env={k: v for k, v in environment(tmp_path).items() if k != "JAX_COMPILATION_CACHE_DIR"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    imported = [line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert "jax" in imported
    assert [name for name in imported if name.split(".")[0] == "tensorflow"] == []
    assert (tmp_path / "run" / "gan.keras").is_file()
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["files"] == "complete"


def test_training_twice_saving_and_a_sweep_in_one_process_never_import_tensorflow(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import json, sys
        import gan1d

        first = gan1d.train(epochs=200, animation="none", out_dir=sys.argv[1] + "/first")
        second = gan1d.train("sin(3*x)", domain=(-1, 1), epochs=300, seed=1, out_dir=sys.argv[1] + "/second")
        loaded = gan1d.load_gan(sys.argv[1] + "/second/gan.keras")
        loaded.save(sys.argv[1] + "/again.keras")
        swept = gan1d.sweep(seeds=2, epochs=100)
        print(json.dumps({
            "statuses": [first.status, second.status],
            "swept": len(swept.runs),
            "tensorflow": sorted(name for name in sys.modules if name.split(".")[0] == "tensorflow"),
        }))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"statuses": ["completed", "completed"], "swept": 2, "tensorflow": []}
