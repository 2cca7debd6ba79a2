"""Studies: the study file, the local executor, the trial log, resuming, the summary."""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import gan1d
from gan1d.cli import main
from gan1d.experiments.studies.log import TrialLog
from gan1d.experiments.studies.plan import load_study
from gan1d.experiments.studies.runner import study
from gan1d.experiments.sweeps import sweep

# Two variants on a curve and a mixture, two seeds each: four blocks of two trials.
TINY = {
    "name": "tiny",
    "description": "Latent size on two targets.",
    "seeds": 2,
    "targets": ["square", "ring"],
    "settings": {"epochs": 60},
    "grid": {"latent_dim": [1, 2]},
}

TINY_TOML = """
name = "tiny"
seeds = 2
targets = ["square", "ring"]

[settings]
epochs = 60

[grid]
latent_dim = [1, 2]
"""


def read_trials(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "trials.jsonl").read_text().splitlines()]


def key(trial: dict) -> tuple:
    return trial["variant"], trial["target"], trial["seed"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return study(TINY, tmp_path_factory.mktemp("study") / "tiny", progress=False)


# ----- the study file ------------------------------------------------------------


def test_a_grid_makes_one_variant_per_combination_on_every_target():
    plan = load_study(
        {**TINY, "grid": {"latent_dim": [1, 2], "generator_units": [[32], [32, 32]]}, "preset": "seed", "block": 1}
    )
    assert [v.name for v in plan.variants] == [
        "latent_dim=1, generator_units=[32]",
        "latent_dim=1, generator_units=[32, 32]",
        "latent_dim=2, generator_units=[32]",
        "latent_dim=2, generator_units=[32, 32]",
    ]
    assert plan.trial_count == 4 * 2 * 2
    config = plan.config(plan.variants[1], plan.targets[1])
    assert config.generator_units == (32, 32)
    assert config.latent_dim == 1
    assert config.function == "ring"
    assert config.epochs == 60
    assert config.preset == "seed"
    assert config.learning_rate == 1e-3  # from the seed preset
    assert config.snapshot_every == 0
    assert config.animation == "none"
    blocks = plan.blocks()
    assert len(blocks) == 16
    assert [b.seeds for b in blocks[:2]] == [(0,), (1,)]
    assert len(plan.blocks(block=2)) == 8


def test_a_list_of_variants_with_their_own_presets_targets_and_seeds():
    plan = load_study(
        {
            "preset": "default",
            "seeds": 3,
            "block": 2,
            "targets": ["square", {"name": "exp3", "function": "exp(3*x)", "domain": [-1, 1]}],
            "variants": [
                {"name": "seed recipe", "preset": "seed", "targets": ["square"], "seeds": 5},
                {"name": "constant", "schedule": "constant"},
                {"batch_size": 256},
            ],
        }
    )
    recipe, constant, unnamed = plan.variants
    assert recipe.targets == ("square",)
    assert recipe.seeds == (0, 1, 2, 3, 4)
    assert constant.targets == ("square", "exp3")
    assert unnamed.name == "batch_size=256"
    assert plan.config(recipe, plan.targets[0]).latent_dim == 5
    exp3 = plan.config(constant, plan.targets[1])
    assert exp3.function == "exp(3*x)"
    assert exp3.domain == (-1.0, 1.0)
    assert exp3.schedule == "constant"
    assert plan.trial_count == 5 + 3 * 2 + 3 * 2
    # Seeds are cut into blocks of 2: the recipe's 5 seeds make three.
    assert [b.seeds for b in plan.blocks() if b.variant == "seed recipe"] == [(0, 1), (2, 3), (4,)]


def test_thresholds_default_to_sweeps_and_can_be_set_per_study_or_per_target():
    plan = load_study(
        {
            "seeds": [3, 7],
            "targets": ["square", {"function": "ring", "thresholds": {"modes_captured": 7}}],
            "thresholds": {"x_w1": 0.05},
        }
    )
    assert [t.thresholds for t in plan.targets] == [{"x_w1": 0.05}, {"modes_captured": 7.0}]
    assert plan.variants[0].seeds == (3, 7)
    defaults = load_study({"targets": ["sine", "grid"]})
    assert [t.thresholds for t in defaults.targets] == [
        {"x_w1": 0.02, "curve_residual": 0.02},
        {"modes_captured": 25.0, "high_quality": 0.9},
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('seeds = 2\ntargets = ["square"\n', "not valid TOML"),
        ('targets = ["square"]\nspeed = 3\n', "unknown key.*speed"),
        ("seeds = 2\n", "targets must be a list"),
        ('targets = ["nonsense("]\n', "target 'nonsense\\('"),
        ('targets = ["ring"]\n[settings]\nlearning_rate = -1\n', "learning_rate must be a positive number"),
        ('targets = ["ring"]\n[settings]\nlerning_rate = 1\n', "unknown setting.*lerning_rate"),
        ('targets = ["ring"]\n[settings]\nseed = 4\n', "'seed'.*the study's seeds"),
        ('targets = ["ring"]\n[grid]\nbatch_size = 8\n', "batch_size must be a list"),
        ('targets = ["ring"]\n[grid]\nbatch_size = [8, 0]\n', "batch_size=0.*batch_size must be a positive"),
        ('targets = ["ring"]\n[thresholds]\nx_w1 = 0.1\n', "unknown threshold.*x_w1"),
        ('targets = ["ring"]\n[[variants]]\nname = "a"\n[[variants]]\nname = "a"\n', "repeated: a"),
        ('targets = ["ring"]\n[[variants]]\ntargets = ["grid"]\n', "targets must name"),
        ('targets = ["ring"]\nseeds = 0\n', "seeds must be a positive"),
        ('targets = ["ring"]\npreset = "fast"\n', "unknown preset 'fast'"),
        ('targets = ["ring", "ring"]\n', "share a name"),
    ],
)
def test_bad_study_files_get_one_line_and_exit_2_before_anything_runs(tmp_path, capsys, content, message):
    spec = tmp_path / "bad.toml"
    spec.write_text(content)
    out = tmp_path / "out"
    assert main(["study", str(spec), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith(f"gan1d: error: study file {str(spec)!r}")
    assert re.search(message, error), error
    assert not out.exists()


def test_a_missing_study_file_and_bad_options_are_refused(tmp_path, capsys):
    assert main(["study", str(tmp_path / "none.toml")]) == 2
    assert "cannot read study file" in capsys.readouterr().err
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY_TOML)
    assert main(["study", str(spec), "--block", "0", "--out", str(tmp_path / "out")]) == 2
    assert "--block" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_dry_run_prints_the_blocks_and_trains_nothing(tmp_path, capsys):
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY_TOML)
    assert main(["study", str(spec), "--dry-run", "--block", "1", "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "'latent_dim=1' on square, seed 0  (60 steps)"
    assert printed[-1].startswith("8 trials in 8 blocks with ")
    assert not (tmp_path / "out").exists()


def test_a_study_refuses_a_folder_that_holds_something_else(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(gan1d.Gan1dError, match="not empty and holds no study"):
        study(TINY, tmp_path, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


# ----- running one --------------------------------------------------------------------


def test_every_trial_gets_one_line_with_its_metrics_losses_time_and_host(tiny):
    trials = read_trials(tiny.out_dir)
    assert [key(t) for t in trials] == [
        (variant, target, seed)
        for variant in ("latent_dim=1", "latent_dim=2")
        for target in ("square", "ring")
        for seed in (0, 1)
    ]
    assert trials == tiny.trials
    assert tiny.trained == 8
    assert tiny.complete
    for trial in trials:
        assert trial["backend"] == gan1d_backend()
        assert trial["executor"] == "local"
        assert trial["host"]
        assert trial["seconds"] > 0
        assert trial["block"]["seeds"] == [0, 1]
        assert math.isfinite(trial["losses"]["final_d_loss"])
        assert trial["losses"]["diverged_at_step"] is None
    square = next(t for t in trials if t["target"] == "square")
    assert set(square["metrics"]) == {"x_w1", "curve_residual", "energy_distance", "coverage"}
    assert square["success"] == (square["metrics"]["x_w1"] <= 0.02 and square["metrics"]["curve_residual"] <= 0.02)
    ring = next(t for t in trials if t["target"] == "ring")
    assert {"modes_captured", "high_quality", "reverse_kl"} <= set(ring["metrics"])
    assert len({t["metrics"]["energy_distance"] for t in trials}) == 8, "every trial differs"


def gan1d_backend() -> str:
    import keras

    return keras.backend.backend()


def test_a_trial_is_what_sweep_gives_for_that_configuration_and_seed(tiny):
    plan = tiny.study
    config = plan.config(plan.variants[1], plan.targets[0])
    swept = sweep(seeds=2, config=config)
    trials = [t for t in tiny.trials if t["variant"] == "latent_dim=2" and t["target"] == "square"]
    for run, trial in zip(swept.runs, trials, strict=True):
        assert trial["seed"] == run["seed"]
        assert trial["metrics"]["x_w1"] == run["x_w1"]
        assert trial["metrics"]["curve_residual"] == run["curve_residual"]
        assert trial["losses"]["final_g_loss"] == run["final_g_loss"]
        assert trial["success"] == run["success"]


def test_the_summary_holds_successes_and_mean_with_standard_error_per_variant_and_target(tiny):
    trials = read_trials(tiny.out_dir)
    with open(tiny.out_dir / "summary.csv") as stream:
        rows = list(csv.DictReader(stream))
    assert [(r["variant"], r["target"]) for r in rows] == [
        ("latent_dim=1", "square"),
        ("latent_dim=1", "ring"),
        ("latent_dim=2", "square"),
        ("latent_dim=2", "ring"),
    ]
    for row in rows:
        mine = [t for t in trials if t["variant"] == row["variant"] and t["target"] == row["target"]]
        assert int(row["trials"]) == len(mine) == 2
        assert int(row["successes"]) == sum(t["success"] for t in mine)
        values = np.array([t["metrics"]["energy_distance"] for t in mine])
        assert float(row["energy_distance_mean"]) == pytest.approx(values.mean())
        assert float(row["energy_distance_se"]) == pytest.approx(values.std(ddof=1) / np.sqrt(2))
    markdown = (tiny.out_dir / "summary.md").read_text()
    ring = rows[1]
    hq = f"{100 * float(ring['high_quality_mean']):.1f} ± {100 * float(ring['high_quality_se']):.1f}"
    assert f"| latent_dim=1 | {ring['successes']}/2 | " in markdown
    assert hq in markdown
    assert "| variant | square | ring | total |" in markdown
    assert "Success: modes_captured >= 8, high_quality >= 0.9." in markdown
    with Image.open(tiny.out_dir / "summary.png") as image:
        assert image.width > 500
        assert len(image.getcolors(1 << 16) or []) > 10, "the picture is not blank"


def test_rerunning_a_finished_study_trains_nothing_and_keeps_the_log(tiny):
    before = {name: (tiny.out_dir / name).read_bytes() for name in ("trials.jsonl", "summary.csv", "summary.md")}
    again = study(TINY, tiny.out_dir, progress=False)
    assert again.trained == 0
    assert {name: (tiny.out_dir / name).read_bytes() for name in before} == before


def test_a_rerun_trains_only_missing_trials_and_gets_the_same_numbers(tiny, tmp_path):
    folder = tmp_path / "tiny"
    shutil.copytree(tiny.out_dir, folder)
    lines = (folder / "trials.jsonl").read_text().splitlines(keepends=True)
    # The last block lost, and a write cut short after the one before.
    (folder / "trials.jsonl").write_text("".join(lines[:-2]) + lines[-2][:40])
    assert len(TrialLog(folder / "trials.jsonl").trials) == 6
    again = study(TINY, folder, progress=False)
    assert again.trained == 2
    trials = read_trials(folder)
    assert len(trials) == 8
    assert len({key(t) for t in trials}) == 8
    old = {key(t): t for t in tiny.trials}
    for trial in trials[-2:]:
        assert trial["metrics"] == old[key(trial)]["metrics"]
        assert trial["losses"] == old[key(trial)]["losses"]


def test_changing_a_threshold_rescores_without_training(tiny, tmp_path):
    folder = tmp_path / "tiny"
    shutil.copytree(tiny.out_dir, folder)
    lenient = {**TINY, "targets": ["square", {"function": "ring", "thresholds": {"modes_captured": 0}}]}
    again = study(lenient, folder, progress=False)
    assert again.trained == 0
    ring_rows = [row for row in again.rows if row["target"] == "ring"]
    assert [row["successes"] for row in ring_rows] == [2, 2]


def test_a_changed_setting_is_a_new_trial(tiny, tmp_path):
    folder = tmp_path / "tiny"
    shutil.copytree(tiny.out_dir, folder)
    changed = {**TINY, "targets": ["square"], "settings": {"epochs": 61}, "grid": {"latent_dim": [2]}}
    again = study(changed, folder, progress=False)
    assert again.trained == 2
    assert {t["config_id"] for t in again.trials}.isdisjoint({t["config_id"] for t in tiny.trials})
    assert len(read_trials(folder)) == 10


@pytest.mark.studies
@pytest.mark.backend("jax")
def test_how_seeds_are_cut_into_blocks_does_not_change_a_trial(tiny, tmp_path):
    one_by_one = study({**TINY, "targets": ["ring"], "block": 1}, tmp_path / "blocks", progress=False)
    together = {key(t): t for t in tiny.trials}
    assert len(one_by_one.trials) == 4
    for trial in one_by_one.trials:
        assert trial["block"]["seeds"] == [trial["seed"]]
        assert trial["metrics"] == together[key(trial)]["metrics"]


def test_the_study_command_writes_the_folder_and_resumes(tmp_path, capsys):
    spec = tmp_path / "one.toml"
    spec.write_text(TINY_TOML.replace('["square", "ring"]', '["square"]').replace("[1, 2]", "[2]"))
    out = tmp_path / "out"
    assert main(["study", str(spec), "--out", str(out), "--block", "1", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "latent_dim=2" in printed
    assert "summary.md" in printed
    trials = read_trials(out)
    assert [t["block"]["seeds"] for t in trials] == [[0], [1]]
    assert f"Regenerate: `gan1d study {spec}`" in (out / "summary.md").read_text()
    assert main(["study", str(spec), "--out", str(out)]) == 0
    assert "2 done before; 0 blocks to run" in capsys.readouterr().err
    assert read_trials(out) == trials


@pytest.mark.studies
def test_killing_the_driver_loses_no_finished_trial(tmp_path):
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY_TOML.replace("epochs = 60", "epochs = 400"))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "gan1d", "study", str(spec), "--out", str(out), "--block", "1", "--quiet"]
    driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = out / "trials.jsonl"
    while driver.poll() is None and not (log.is_file() and log.read_bytes().count(b"\n") >= 2):
        time.sleep(0.05)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    assert driver.returncode == -signal.SIGKILL, "the study finished before it could be stopped"
    kept = log.read_bytes()
    finished = kept[: kept.rfind(b"\n") + 1]
    assert 2 <= finished.count(b"\n") < 8
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    trials = read_trials(out)
    assert log.read_bytes().startswith(finished), "finished trials were rewritten"
    assert len(trials) == 8
    assert len({key(t) for t in trials}) == 8


@pytest.mark.studies
@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_block_under_way_and_keeps_the_finished_ones(tmp_path, number):
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY_TOML.replace("epochs = 60", "epochs = 400"))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "gan1d", "study", str(spec), "--out", str(out), "--block", "1", "--quiet"]
    driver = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = out / "trials.jsonl"
    while driver.poll() is None and not (log.is_file() and log.read_bytes().count(b"\n") >= 1):
        time.sleep(0.05)
    driver.send_signal(number)
    _, error = driver.communicate()
    assert driver.returncode == 128 + number, error
    assert "Traceback" not in error
    kept = read_trials(out)
    assert 1 <= len(kept) < 8, "the study finished before it could be stopped"
    assert re.search(rf"interrupted; kept the {len(kept)} of 8 trials", error), error
    with (out / "summary.csv").open() as stream:
        summary = list(csv.DictReader(stream))
    assert sum(int(row["trials"]) for row in summary) == len(kept)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    trials = read_trials(out)
    assert trials[: len(kept)] == kept
    assert len({key(t) for t in trials}) == 8


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("127.0.0.1:{port}", "nothing answers there"),
        ("ray://127.0.0.1:{port}", "nothing answers there"),
        ("nonsense", "is not 'auto' or an address"),
    ],
)
def test_a_ray_address_that_does_not_answer_gets_one_line_and_no_folder(tmp_path, capsys, address, message):
    pytest.importorskip("ray", reason='Ray is not installed: pip install "gan1d[ray]"')
    import socket

    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY_TOML)
    out = tmp_path / "out"
    assert main(["study", str(spec), "--out", str(out), "--ray", address.format(port=port)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1, error
    assert error.startswith("gan1d: error: ")
    assert message in error, error
    assert not out.exists()
