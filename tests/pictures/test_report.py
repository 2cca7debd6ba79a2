"""gan1d.pictures.report: the run's report page, read as text and driven in a real headless browser.

The browser tests carry the `browser` marker (`nox -s browser` installs what they
need); they skip, saying why, where Playwright or Chromium is missing.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import gan1d
from gan1d.cli import main
from gan1d.data.targets import target
from gan1d.pictures.palette import BAND_COLORS
from gan1d.run.config import TrainConfig
from gan1d.run.result import TrainResult
from support.pictures import frames, history, share_near, snapshots, views

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def small_result(tmp_path: Path, frames: int = 6) -> TrainResult:
    """A finished run's result, made up, with every layer: enough for the page."""
    snaps = [(20 * i, points) for i, (_, points) in enumerate(snapshots(frames))]
    return TrainResult(
        config=TrainConfig.from_preset(epochs=20 * (frames - 1), snapshot_every=20),
        gan=None,
        history=history(20 * (frames - 1)),
        snapshots=snaps,
        quality={"epoch": [float(e) for e, _ in snaps], "energy_distance": list(np.geomspace(1.0, 0.01, frames))},
        metrics={"status": "completed", "steps": 20 * (frames - 1), "x_w1": 0.0123, "backend": "jax"},
        out_dir=tmp_path,
        views=views(snaps),
        target=target("square"),
    )


def player_data(text: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" class="gan1d-data">(.*?)</script>', text, re.DOTALL)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_the_page_holds_everything_it_shows(tmp_path):
    result = small_result(tmp_path)
    (tmp_path / "losses.png").write_bytes(_png())
    result.artifacts["losses.png"] = tmp_path / "losses.png"
    text = result.write_report(tmp_path / "report.html").read_text()
    assert text.startswith("<!doctype html>")
    # Self-contained: nothing is fetched, so it works from file:// and offline.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "@import" not in text
    assert "data:image/png;base64," in text
    assert "x**2 on [-0.5, 0.5]" in html.unescape(text)
    assert "0.0123" in text  # the metrics
    assert "snapshot_every" in text  # the settings
    data = player_data(text)
    assert data["frames"] == len(result.snapshots)
    assert data["epochs"] == [e for e, _ in result.snapshots]
    assert data["heatmap"]["cells"] == result.views.verdict.shape[1]
    assert len(data["heatmap"]["boundary"]) == data["frames"]
    assert data["losses"]["counts"][0] == 0
    assert data["losses"]["counts"][-1] == len(data["losses"]["x"])
    # The layers switched on at first are the run's `show` setting.
    assert re.search(r'data-layer="heatmap" checked', text)
    assert re.search(r'data-layer="gradients">', text)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


# ----- in a real browser --------------------------------------------------------


def _chromium() -> str | None:
    for candidate in (os.environ.get("GAN1D_CHROMIUM"), "chromium", "chromium-browser", "/usr/bin/chromium"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the browser test needs playwright (nox -s browser installs it)"
    )
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium to drive: install Debian's chromium package or set GAN1D_CHROMIUM")
    with tempfile.TemporaryDirectory() as profile, sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def default_run(tmp_path_factory) -> Path:
    """`gan1d train` with no options (but the folder): the report a learner first opens."""
    out = tmp_path_factory.mktemp("report") / "run"
    assert main(["train", "--out", str(out), "--quiet"]) == 0
    return out


def heat_share(screenshot: bytes) -> float:
    """The share of pixels in the heatmap's pale tints: light, and clearly blue or orange."""
    pixels = np.asarray(Image.open(io.BytesIO(screenshot)).convert("RGB")).astype(int)
    light = pixels.min(axis=-1) > 150
    tinted = np.abs(pixels[..., 0] - pixels[..., 2]) > 30
    return float((light & tinted).mean())


@pytest.mark.browser
def test_the_default_run_animates_the_heatmap_and_the_losses_from_epoch_0(default_run):
    shown = frames(default_run / "training.gif")
    assert len(shown) == 251  # epoch 0, then every 20 epochs to 5000
    first = shown[0]
    assert 600 <= first.size[0] <= 700
    assert sum(share_near(first, tuple(int(c) for c in rgb), 2) for rgb in BAND_COLORS) > 0.1
    panel = first.crop((first.size[0] - 200, 0, first.size[0], first.size[1]))
    assert share_near(panel, (44, 160, 44), 30) > 0  # the loss panel's generator curve colour


@pytest.mark.browser
def test_the_report_plays_in_a_browser(browser, default_run):
    report = default_run / "report.html"
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "request", lambda request: None if request.url.startswith(("file:", "data:")) else problems.append(request.url)
    )
    page.goto(report.as_uri())
    player = page.locator(".gan1d-player")
    player.wait_for()
    epoch = page.locator(".gan1d-epoch")
    # It plays by itself; pause it, then move along the slider with the keyboard.
    page.wait_for_function("document.querySelector('.gan1d-epoch').textContent !== 'epoch 0'")
    page.click(".gan1d-play")
    assert page.inner_text(".gan1d-play") == "Play"
    slider = page.locator(".gan1d-frame")
    slider.focus()
    page.keyboard.press("Home")
    assert epoch.inner_text() == "epoch 0"
    page.keyboard.press("End")
    assert epoch.inner_text() == "epoch 5000"
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    assert epoch.inner_text() == "epoch 20"
    # Go to the snapshot where the discriminator is surest, whose heatmap is the most coloured.
    with np.load(default_run / "snapshots.npz") as saved:
        surest = int(np.abs(saved["view_verdict"] - 0.5).mean(axis=(1, 2)).argmax())
        epochs = saved["epochs"]
    page.keyboard.press("Home")
    for _ in range(surest):
        page.keyboard.press("ArrowRight")
    assert epoch.inner_text() == f"epoch {epochs[surest]}"
    plane = page.locator(".gan1d-plane")
    with_heatmap = plane.screenshot()
    # A switch hides its layer: the heatmap's colours go, the points stay.
    page.uncheck("input[data-layer=heatmap]")
    without_heatmap = plane.screenshot()
    assert heat_share(with_heatmap) > 0.1
    assert heat_share(without_heatmap) < 0.005
    pixels = np.asarray(Image.open(io.BytesIO(without_heatmap)).convert("RGB")).astype(int)
    orange = (np.abs(pixels - (255, 127, 14)).max(axis=-1) < 40).sum()
    blue = (np.abs(pixels - (31, 119, 180)).max(axis=-1) < 40).sum()
    assert orange > 20
    assert blue > 20
    assert page.locator(".gan1d-panel").is_visible()
    page.uncheck("input[data-layer=losses]")
    assert not page.locator(".gan1d-panel").is_visible()
    page.check("input[data-layer=gradients]")
    assert problems == []
    page.close()


def test_tick_labels_show_their_values_exactly(tmp_path):
    data = player_data(small_result(tmp_path).write_report(tmp_path / "report.html").read_text())
    for value, label in data["xticks"] + data["yticks"]:
        assert float(label.replace("\u2212", "-")) == pytest.approx(value)


def test_a_run_s_page_shows_the_run_as_it_ended(tmp_path):
    """The page is the last file: it says every file was written, as metrics.json does once it is."""
    result = gan1d.train(epochs=40, snapshot_every=20, out_dir=tmp_path / "run")
    text = html.unescape((tmp_path / "run" / "report.html").read_text())
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["files"] == "complete"
    assert re.search(r"<th>files</th><td>complete</td>", text)
    assert "writing" not in text
    assert result.metrics["files"] == "complete"
