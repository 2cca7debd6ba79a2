"""Studies on a real Ray cluster on this machine: a head and a worker node, one CPU each.

The cluster's processes are started by `ray start --block` in subprocesses and
stopped by stopping those, so a test never touches another Ray cluster.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason='Ray is not installed: pip install "gan1d[ray]", or run nox -s studies')
psutil = pytest.importorskip("psutil", reason="psutil is not installed (nox -s studies installs it)")

from gan1d.experiments.studies.runner import study

pytestmark = pytest.mark.studies

# Two variants on two targets, two seeds each: four blocks, a task each.
SMALL = {
    "name": "small",
    "seeds": 2,
    "targets": ["square", "ring"],
    "settings": {"epochs": 80},
    "grid": {"latent_dim": [1, 2]},
}

# Two blocks of planar training long enough to be stopped in the middle.
LONG_TOML = """
name = "long"
preset = "planar"
seeds = 2
targets = ["ring"]

[settings]
epochs = 1500
generator_units = [64, 64]
discriminator_units = [64, 64]

[grid]
learning_rate = [0.003, 0.002]
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A head and a worker node on this machine, each one CPU."""

    def __init__(self) -> None:
        self.ray = str(Path(sys.executable).parent / "ray")
        # Short: Ray puts Unix sockets under it.
        self.temp_dir = tempfile.mkdtemp(prefix="ray", dir="/tmp")
        port = free_port()
        self.address = f"127.0.0.1:{port}"
        self.nodes = [
            self._start("--head", f"--port={port}", f"--temp-dir={self.temp_dir}", "--include-dashboard=false")
        ]
        self._wait_for_nodes(1)
        self.nodes.append(self._start(f"--address={self.address}"))
        self._wait_for_nodes(2)

    def _start(self, *args: str) -> subprocess.Popen[bytes]:
        command = [
            self.ray,
            "start",
            "--block",
            "--num-cpus=1",
            "--disable-usage-stats",
            "--node-ip-address=127.0.0.1",
            f"--dashboard-agent-listen-port={free_port()}",
            f"--metrics-export-port={free_port()}",
            *args,
        ]
        if "--head" in args:
            command.append(f"--ray-client-server-port={free_port()}")
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _wait_for_nodes(self, count: int) -> None:
        while True:
            for node in self.nodes:
                assert node.poll() is None, "a Ray node did not start"
            status = subprocess.run(
                [self.ray, "status", f"--address={self.address}"], capture_output=True, text=True, check=False
            )
            if status.stdout.count(" node_") >= count:
                return
            time.sleep(0.5)

    def running_blocks(self) -> list[psutil.Process]:
        """This cluster's workers that are running a block now (Ray titles them `ray::run_block`)."""
        found = []
        for raylet in psutil.process_iter(["name", "cmdline"]):
            try:
                if raylet.info["name"] == "raylet" and any(self.temp_dir in arg for arg in raylet.info["cmdline"]):
                    found += [p for p in raylet.children() if p.cmdline()[:1] == ["ray::run_block"]]
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return found

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.send_signal(signal.SIGTERM)
            node.wait()


@pytest.fixture(scope="module")
def cluster():
    started = Cluster()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def small_here(tmp_path_factory):
    return study(SMALL, tmp_path_factory.mktemp("here") / "small", progress=False)


@pytest.fixture(scope="module")
def small_on_ray(cluster, tmp_path_factory):
    return study(SMALL, tmp_path_factory.mktemp("ray") / "small", ray=cluster.address, progress=False)


def read_trials(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "trials.jsonl").read_text().splitlines()]


def key(trial: dict) -> tuple:
    return trial["variant"], trial["target"], trial["seed"]


def test_a_study_on_ray_gives_the_numbers_of_the_same_study_run_here(small_here, small_on_ray):
    here = {key(t): t for t in read_trials(small_here.out_dir)}
    there = {key(t): t for t in read_trials(small_on_ray.out_dir)}
    assert len(there) == len(here) == 8
    for name, trial in there.items():
        assert trial["executor"] == "ray"
        assert trial["pid"] != os.getpid()
        assert trial["backend"] == here[name]["backend"]
        assert trial["metrics"] == here[name]["metrics"]
        assert trial["losses"] == here[name]["losses"]
        assert trial["success"] == here[name]["success"]
    # The same table, but for the time each took.
    assert untimed(small_on_ray.rows) == untimed(small_here.rows)


def test_no_worker_forks_after_starting_jax(small_on_ray, cluster):
    logs = list(Path(cluster.temp_dir).glob("session_*/logs/worker-*.err"))
    assert logs, "the workers left no logs"
    # JAX warns on every os.fork() once it has started.
    assert not [log.name for log in logs if "os.fork() was called" in log.read_text(errors="replace")]


def untimed(rows: list[dict]) -> str:
    return json.dumps([{k: v for k, v in row.items() if k != "seconds_per_trial"} for row in rows])


def test_a_rerun_on_ray_runs_only_the_missing_blocks(small_on_ray, cluster):
    log = small_on_ray.out_dir / "trials.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    removed = [json.loads(line) for line in lines[2:4]]
    log.write_text("".join(lines[:2] + lines[4:]))
    again = study(SMALL, small_on_ray.out_dir, ray=cluster.address, progress=False)
    assert again.trained == 2
    trials = read_trials(small_on_ray.out_dir)
    assert len(trials) == 8
    assert len({key(t) for t in trials}) == 8
    for old, new in zip(removed, trials[-2:], strict=True):
        assert key(new) == key(old)
        assert new["metrics"] == old["metrics"]
    assert study(SMALL, small_on_ray.out_dir, ray=cluster.address, progress=False).trained == 0


def test_a_worker_killed_in_the_middle_of_a_block_is_replaced_and_every_trial_lands_once(cluster, tmp_path):
    spec = tmp_path / "long.toml"
    spec.write_text(LONG_TOML)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "gan1d", "study", str(spec), "--out", str(out), "--ray", cluster.address]
    driver = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victims: list[int] = []
    while driver.poll() is None and not victims:
        running = cluster.running_blocks()
        if running:
            time.sleep(2)  # well into the block: imports done, compiling or training
            if running[0].is_running() and running[0].cmdline()[:1] == ["ray::run_block"]:
                victims.append(running[0].pid)
                running[0].send_signal(signal.SIGKILL)
        else:
            time.sleep(0.1)
    _, error = driver.communicate()
    assert victims, "no worker was ever seen running a block"
    assert driver.returncode == 0, error
    trials = read_trials(out)
    assert len(trials) == 4
    assert len({key(t) for t in trials}) == 4
    assert victims[0] not in {t["pid"] for t in trials}, "the killed worker's block was not run again"


def test_killing_the_driver_loses_no_finished_trial(cluster, tmp_path):
    spec = tmp_path / "long.toml"
    spec.write_text(LONG_TOML.replace("seeds = 2", "seeds = 2\nblock = 1"))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "gan1d", "study", str(spec), "--out", str(out), "--ray", cluster.address]
    driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = out / "trials.jsonl"
    while driver.poll() is None and not (log.is_file() and log.read_bytes().count(b"\n") >= 1):
        time.sleep(0.05)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    assert driver.returncode == -signal.SIGKILL, "the study finished before it could be stopped"
    finished = log.read_bytes()[: log.read_bytes().rfind(b"\n") + 1]
    assert 1 <= finished.count(b"\n") < 4
    # Finished from Python this time, checking that the driver never imports a backend.
    code = (
        "import sys, gan1d; "
        f"result = gan1d.study({str(spec)!r}, {str(out)!r}, ray={cluster.address!r}, progress=False); "
        "print(result.trained, [name for name in ('keras', 'jax', 'tensorflow') if name in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    trained, imported = result.stdout.split(" ", 1)
    assert int(trained) == 4 - finished.count(b"\n")
    assert imported.strip() == "[]"
    assert log.read_bytes().startswith(finished)
    trials = read_trials(out)
    assert len(trials) == 4
    assert len({key(t) for t in trials}) == 4
