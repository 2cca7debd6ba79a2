"""gan1d.environment: compilation caches, a quiet framework import, and seeding without TensorFlow."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gan1d import environment


def python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a fresh interpreter with these environment variables added ("" removes one)."""
    merged = {k: v for k, v in {**os.environ, **env}.items() if v}
    return subprocess.run([sys.executable, "-c", code], env=merged, capture_output=True, text=True, check=True)


def test_tensorflow_s_xla_cache_is_named_before_tensorflow_loads(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_XLA_FLAGS"}
    code = (
        "import os, sys\nfrom gan1d.environment import enable_compilation_cache\n"
        "print(enable_compilation_cache())\nprint(os.environ['TF_XLA_FLAGS'])\nprint('tensorflow' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "KERAS_BACKEND": "tensorflow", "XDG_CACHE_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    folder, flags, imported = done.stdout.splitlines()
    assert Path(folder) == tmp_path / "gan1d" / "tensorflow"
    assert flags == f"--tf_xla_persistent_cache_directory={folder}"
    assert imported == "False"


def test_no_tensorflow_cache_where_a_file_size_limit_could_stop_its_writes(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_XLA_FLAGS"}
    script = tmp_path / "cache.py"
    script.write_text(
        "import os\nfrom gan1d.environment import enable_compilation_cache\n"
        "print(enable_compilation_cache())\nprint(os.environ.get('TF_XLA_FLAGS', ''))\n"
    )

    def cache(limit: str) -> list[str]:
        done = subprocess.run(
            ["bash", "-c", f'ulimit -f {limit}; exec "{sys.executable}" "{script}"'],
            env={**env, "KERAS_BACKEND": "tensorflow", "XDG_CACHE_HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.splitlines()

    assert cache("250") == ["None", ""]
    folder = tmp_path / "gan1d" / "tensorflow"
    assert cache("unlimited") == [str(folder), f"--tf_xla_persistent_cache_directory={folder}"]


def test_a_cache_folder_already_in_tf_xla_flags_is_kept_with_the_other_flags(tmp_path):
    flags = f"--tf_xla_enable_lazy_compilation=false --tf_xla_persistent_cache_directory={tmp_path}"
    done = python(
        "import os\nfrom gan1d.environment import enable_compilation_cache\n"
        "print(enable_compilation_cache())\nprint(os.environ['TF_XLA_FLAGS'])",
        KERAS_BACKEND="tensorflow",
        TF_XLA_FLAGS=flags,
    )
    assert done.stdout.splitlines() == [str(tmp_path), flags]


@pytest.mark.backend("jax")
def test_jax_s_cache_follows_its_environment_variable():
    import jax

    folder = environment.enable_compilation_cache()
    assert folder == Path(os.environ["JAX_COMPILATION_CACHE_DIR"])
    assert jax.config.jax_compilation_cache_dir == str(folder)


def test_held_back_stderr_is_dropped_on_success_and_replayed_on_failure(capfd):
    with environment._stderr_held_back():
        os.write(2, b"framework noise\n")
    assert "framework noise" not in capfd.readouterr().err

    def failing_import() -> None:
        with environment._stderr_held_back():
            os.write(2, b"the real reason\n")
            raise RuntimeError("import failed")

    with pytest.raises(RuntimeError, match="import failed"):
        failing_import()
    assert "the real reason" in capfd.readouterr().err
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"


def test_the_framework_starts_without_a_line_on_stderr():
    done = python("from gan1d.environment import import_backend\nprint(import_backend())", TF_CPP_MIN_LOG_LEVEL="")
    import keras

    assert done.stdout.strip() == keras.backend.backend()
    assert done.stderr == ""


@pytest.mark.backend("jax")
def test_building_and_training_under_jax_never_imports_tensorflow():
    done = python(
        "import sys\nfrom gan1d.run.config import TrainConfig\nfrom gan1d.run.build import build_gan\n"
        "config = TrainConfig.from_preset('seed', epochs=20)\ngan = build_gan(config)\n"
        "gan.fit_target(config.target(), epochs=20)\ngan.generate(10, seed=0)\n"
        "print('tensorflow' in sys.modules)",
        KERAS_BACKEND="jax",
    )
    assert done.stdout.strip() == "False"
