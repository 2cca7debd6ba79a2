"""gan1d.run.write: a run folder written models first, and what is kept when a file cannot be written."""

from __future__ import annotations

import pytest

import gan1d
from gan1d.errors import RunWriteError
from support.runs import no_temporary_files, read_strict_json


def test_a_write_error_keeps_the_model_and_says_what_failed(tmp_path, monkeypatch):
    from gan1d.pictures import stills

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(stills, "plot_losses", full)
    with pytest.raises(
        RunWriteError, match=r"losses\.png: No space left on device; the trained model is in gan\.keras"
    ):
        gan1d.train(epochs=40, snapshot_every=20, out_dir=tmp_path)
    metrics = read_strict_json(tmp_path / "metrics.json")
    assert metrics["files"] == "incomplete: could not write losses.png (No space left on device)"
    gan1d.load_gan(tmp_path / "gan.keras")
    assert no_temporary_files(tmp_path)
