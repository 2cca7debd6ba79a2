"""gan1d.files: atomic writes, standard JSON, CSV that reads back exactly."""

from __future__ import annotations

import json
import math

import pytest

from gan1d.files import atomic_path, read_csv, strict_json, write_csv, write_json


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path):
    final = tmp_path / "data.json"
    final.write_text("old")

    def write_half(tmp):
        tmp.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), atomic_path(final) as tmp:
        write_half(tmp)
    assert final.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]


def test_json_is_strict_with_nulls_for_non_finite_numbers(tmp_path):
    value = {"a": math.nan, "b": [1.0, math.inf, -math.inf], "c": {"d": 2}}
    assert strict_json(value) == {"a": None, "b": [1.0, None, None], "c": {"d": 2}}
    write_json(tmp_path / "x.json", value)
    text = (tmp_path / "x.json").read_text()
    assert "NaN" not in text
    assert "Infinity" not in text
    assert json.loads(text) == strict_json(value)


def test_csv_floats_read_back_exactly(tmp_path):
    values = [0.1, 1 / 3, 1e-300]
    write_csv(tmp_path / "x.csv", {"epoch": [1, 2, 3], "loss": values})
    columns = read_csv(tmp_path / "x.csv")
    assert [float(v) for v in columns["loss"]] == values
    assert columns["epoch"] == ["1", "2", "3"]
