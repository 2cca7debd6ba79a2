"""gan1d.run.load, and Keras's own loader: what gan1d saved loads in a fresh process right after `import gan1d`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import gan1d

FIXTURES = Path(__file__).parents[1] / "fixtures"

# A new interpreter, as a user starts one: gan1d first, then Keras's own loader.
LOAD = """
import json, sys
import gan1d, keras
model = keras.saving.load_model(sys.argv[1])
points = model.generate(4, seed=0) if hasattr(model, "generate") else model(keras.random.normal((4, model.input_shape[-1]), seed=0))
print(json.dumps({"class": type(model).__name__, "points": keras.ops.convert_to_numpy(points).tolist(),
                  "tensorflow": "tensorflow" in sys.modules}))
"""


def load_in_a_new_process(path: Path, backend: str | None = None) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend or keras.backend.backend()}
    done = subprocess.run([sys.executable, "-c", LOAD, str(path)], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    loaded: dict = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("run") / "run"
    gan1d.train("cube", epochs=30, snapshot_every=0, animation="none", out_dir=folder)
    return folder


@pytest.mark.parametrize(("name", "kind"), [("gan.keras", "GAN"), ("generator.keras", "Functional")])
def test_keras_loads_a_run_s_models_right_after_import_gan1d(run_folder, name, kind):
    loaded = load_in_a_new_process(run_folder / name)
    assert loaded["class"] == kind
    assert len(loaded["points"]) == 4
    here = gan1d.load_gan(run_folder / name)
    if kind == "GAN":
        np.testing.assert_allclose(here.generate(4, seed=0), loaded["points"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("saved_under", ["jax", "tensorflow"])
@pytest.mark.parametrize("name", ["gan", "generator"])
def test_keras_loads_what_either_backend_saved(saved_under, name):
    """`tests/fixtures/make_saved_gans.py` saved these under each backend; the graph generator's layers are gan1d's."""
    loaded = load_in_a_new_process(FIXTURES / f"{name}-{saved_under}.keras")
    assert loaded["class"] == ("GAN" if name == "gan" else "Functional")
    assert all(len(point) == 2 for point in loaded["points"])


def test_a_gan1d_class_is_found_by_keras_whichever_is_imported_first(tmp_path):
    code = "import keras, gan1d, sys\nmodel = keras.saving.load_model(sys.argv[1])\nprint(type(model).__name__)"
    done = subprocess.run(
        [sys.executable, "-c", code, str(FIXTURES / f"gan-{keras.backend.backend()}.keras")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "GAN"


def test_load_gan_refuses_a_file_that_is_no_model(tmp_path):
    (tmp_path / "gan.keras").write_text("not a model")
    with pytest.raises(gan1d.Gan1dError, match="cannot load"):
        gan1d.load_gan(tmp_path / "gan.keras")
