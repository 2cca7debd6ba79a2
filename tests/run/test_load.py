"""gan1d.run.load, and Keras's own loader: what gan1d saved loads in a fresh process right after `import gan1d`."""

from __future__ import annotations

import json
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
for path in sys.argv[1:]:
    model = keras.saving.load_model(path)
    if hasattr(model, "generate"):
        points = model.generate(4, seed=0)
    else:
        points = keras.ops.convert_to_numpy(model(keras.random.normal((4, model.input_shape[-1]), seed=0)))
    print(json.dumps({"class": type(model).__name__, "points": points.tolist()}))
"""


def load_in_a_new_process(*paths: Path) -> list[dict]:
    done = subprocess.run([sys.executable, "-c", LOAD, *map(str, paths)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.strip().splitlines()[-len(paths) :]]


def test_keras_loads_gan1d_s_models_right_after_import_gan1d(tmp_path):
    """A run's gan.keras and generator.keras, and those saved under either backend
    (`tests/fixtures/make_saved_gans.py`; the graph generator's layers are gan1d's)."""
    run = tmp_path / "run"
    gan1d.train("cube", epochs=30, snapshot_every=0, animation="none", out_dir=run)
    saved = [FIXTURES / f"{name}-{backend}.keras" for backend in ("jax", "tensorflow") for name in ("gan", "generator")]
    loaded = load_in_a_new_process(run / "gan.keras", run / "generator.keras", *saved)
    assert [entry["class"] for entry in loaded] == ["GAN", "Functional"] * 3
    assert all(np.shape(entry["points"]) == (4, 2) for entry in loaded)
    np.testing.assert_allclose(gan1d.load_gan(run / "gan.keras").generate(4, seed=0), loaded[0]["points"], rtol=1e-5)


def test_a_gan1d_class_is_found_by_keras_whichever_is_imported_first():
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
