"""The run report: one self-contained HTML page, and the animation player it shares with Jupyter.

`report.html` holds a run's settings, metrics and pictures, and a player that draws
the run's scene (`gan1d.scene.Scene`) on a canvas in the browser: play/pause, a
frame slider, and a switch per layer. Everything is inline (styles, script, data,
pictures as data URIs), so the page works from `file://` and needs no network.
`TrainResult._repr_html_` shows the same player in a notebook.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.colors import to_hex
from matplotlib.ticker import MaxNLocator

from gan1d.config import LAYERS
from gan1d.runs import write_text
from gan1d.scene import Scene

__all__ = ["page", "player_html", "result_html", "write_report"]

# Layer switches, as the player labels them.
_LAYER_LABELS = {
    "heatmap": "heatmap (discriminator)",
    "gradients": "gradients (push on each point)",
    "manifold": "manifold (generator's grid)",
    "losses": "losses and quality",
}
# Coordinates travel as 16-bit steps over the view widened by this many views on
# every side; the largest step marks a value that is not finite.
_REACH = 1.0
_MISSING = 65535
# Pictures of a run folder shown on the page, with what each shows.
_PICTURES = {
    "layers.png": "The last snapshot with every layer.",
    "samples.png": "Real against generated points at the end.",
    "losses.png": "Discriminator and generator loss per epoch.",
    "quality.png": "Quality of every snapshot.",
    "target.png": "The target: 100 real points.",
}
_METRIC_NOTES = {
    "x_w1": "Wasserstein-1 distance of the x values to the target's, over the domain width (0 is perfect)",
    "curve_residual": "mean |y - f(x)| over the range of f (0 is on the curve)",
    "energy_distance": "energy distance to as many real points (0 for identical clouds)",
    "coverage": "share of 20 x bins that hold a generated point",
    "modes_captured": "modes with a high-quality point",
    "high_quality": "share of points within 3 standard deviations of a mode",
    "reverse_kl": "KL divergence of the points over the modes to uniform (0 is even)",
    "d_accuracy_real": "share of real points the discriminator calls real",
    "d_accuracy_generated": "share of generated points the discriminator calls fake",
}


def write_report(result: Any, path: str | os.PathLike[str], files: Mapping[str, Path] | None = None) -> Path:
    """Writes a run's `report.html`: settings, metrics, pictures and the animation player.

    Args:
        result: A `TrainResult`.
        path: The page to write.
        files: File name -> path of the run's files, whose pictures the page
            embeds; default `result.artifacts`.

    Returns:
        The path written.
    """
    final = Path(path)
    return write_text(final, page(result, files))


def page(result: Any, files: Mapping[str, Path] | None = None) -> str:
    """The whole report page of a `TrainResult`, as HTML text (see `write_report`)."""
    from gan1d import __version__

    config = result.config
    described = config.to_dict().get("target", {})
    what = described.get("expression") or described.get("name") or config.function
    domain = f" on [{config.domain[0]:g}, {config.domain[1]:g}]" if config.domain else ""
    title = f"gan1d run: {what}{domain}"
    metrics = result.metrics
    facts = (
        f"{metrics.get('status', result.status)} after {metrics.get('steps', result.steps)} of "
        f"{config.epochs} epochs · {config.preset} preset · {metrics.get('backend', '')} backend · "
        f"{_number(metrics.get('train_seconds'))} s of training"
    )
    player = player_html(result) if result.snapshots else "<p>This run kept no snapshots to play.</p>"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_PAGE_CSS}{_PLAYER_CSS}</style>",
        "</head><body>",
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(facts)}</p></header>",
        "<main>",
        "<section><h2>Training, snapshot by snapshot</h2>",
        _EXPLANATION,
        player,
        "</section>",
        f"<section><h2>Metrics</h2>{_metrics_table(metrics)}</section>",
        f"<section><h2>Pictures</h2>{_pictures(result.artifacts if files is None else files)}</section>",
        f"<section><h2>Settings</h2>{_table(config.to_dict())}{_REPEAT}</section>",
        "</main>",
        f"<footer>Written by gan1d {html.escape(__version__)}.</footer>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def result_html(result: Any) -> str:
    """A `TrainResult` in a notebook: how it ended, its key numbers, and the player."""
    metrics = result.metrics
    shown = {
        name: metrics[name]
        for name in ("status", "steps", "x_w1", "curve_residual", "modes_captured", "high_quality", "energy_distance")
        if metrics.get(name) is not None
    }
    where = f"<p>Run folder: <code>{html.escape(str(result.out_dir))}</code></p>" if result.out_dir else ""
    player = player_html(result) if result.snapshots else ""
    name = html.escape(result.config.function)
    return f'<div class="gan1d-result"><style>{_PLAYER_CSS}</style><b>TrainResult: {name}</b>{_table(shown)}{where}{player}</div>'


def player_html(result: Any, *, show: Any = None) -> str:
    """The animation player of a `TrainResult`: canvases, controls, its data and its script.

    Args:
        result: A `TrainResult` with snapshots.
        show: The layers switched on at first; None for the run's `show` setting.
    """
    from gan1d.animation import result_layers

    inputs = result_layers(result)
    scene = Scene.build(inputs.pop("snapshots"), inputs.pop("real_points"), show="none", **inputs)
    wanted = result.config.show if show is None else show
    available = _available(scene)
    chosen = [name for name in LAYERS if name in wanted and available[name]]
    return _player(scene, chosen, available)


def _available(scene: Scene) -> dict[str, bool]:
    views = scene.views is not None
    return {"heatmap": views, "gradients": views, "manifold": views, "losses": scene.losses is not None}


def _player(scene: Scene, chosen: list[str], available: Mapping[str, bool]) -> str:
    identity = f"gan1d-{secrets.token_hex(6)}"
    switches = "".join(
        f'<label><input type="checkbox" data-layer="{name}"{" checked" if name in chosen else ""}> '
        f"{html.escape(_LAYER_LABELS[name])}</label>"
        for name in LAYERS
        if available[name]
    )
    data = json.dumps(_scene_data(scene), separators=(",", ":"), allow_nan=False)
    # Nothing in the data can close the script element it travels in.
    data = data.replace("</", "<\\/")
    last = len(scene) - 1
    return (
        f'<div class="gan1d-player" id="{identity}">'
        '<div class="gan1d-top"><span class="gan1d-epoch">epoch 0</span> '
        '<span class="gan1d-outside"></span></div>'
        '<div class="gan1d-stage"><canvas class="gan1d-plane" width="470" height="400"></canvas>'
        '<canvas class="gan1d-panel" width="270" height="400"></canvas></div>'
        '<div class="gan1d-controls"><button type="button" class="gan1d-play">Pause</button> '
        f'<input type="range" class="gan1d-frame" min="0" max="{last}" step="1" value="0" '
        'aria-label="snapshot shown"></div>'
        f'<div class="gan1d-layers">{switches}</div>'
        "<noscript>The player needs JavaScript; the animation is training.gif in the run folder.</noscript>"
        f'<script type="application/json" class="gan1d-data">{data}</script>'
        "</div>"
        f"<script>{_PLAYER_JS}\ngan1dPlayer(document.getElementById({json.dumps(identity)}));</script>"
    )


def _scene_data(scene: Scene) -> dict[str, Any]:
    """What the player draws, JSON-ready: coordinates as base64 16-bit steps over a fixed range."""
    from gan1d.animation import MANIFOLD_COLOR, PUSH_COLOR, VERDICT
    from gan1d.plots import CURVE_COLOR, GENERATED_COLOR, REAL_COLOR

    (x0, x1), (y0, y1) = scene.limits
    reach = ((x0 - _REACH * (x1 - x0), x1 + _REACH * (x1 - x0)), (y0 - _REACH * (y1 - y0), y1 + _REACH * (y1 - y0)))
    frames = len(scene)
    placed = [scene.placed(i) for i in range(frames)]
    counts = {len(p) for p, _ in placed}
    width = max(counts) if counts else 0
    positions = np.full((frames, width, 2), np.nan)
    kinds = np.full((frames, width), 5, np.uint8)
    for i, (where, kind) in enumerate(placed):
        positions[i, : len(where)] = where
        kinds[i, : len(kind)] = kind
    data: dict[str, Any] = {
        "frames": frames,
        "epochs": list(scene.epochs),
        "limits": [list(scene.limits[0]), list(scene.limits[1])],
        "range": [list(reach[0]), list(reach[1])],
        "points": _steps(positions, reach),
        "kinds": _base64(kinds),
        "width": width,
        "real": _rounded(scene.real),
        "curve": _rounded(np.stack(scene.curve, axis=1)) if scene.curve is not None else None,
        "xticks": _ticks(x0, x1),
        "yticks": _ticks(y0, y1),
        "colors": {
            "real": to_hex(REAL_COLOR),
            "generated": to_hex(GENERATED_COLOR),
            "curve": to_hex(CURVE_COLOR),
            "push": to_hex(PUSH_COLOR),
            "manifold": to_hex(MANIFOLD_COLOR),
            "verdict": [to_hex(VERDICT(v)) for v in np.linspace(0.0, 1.0, 256)],
        },
        "fps": 25,
        "hold_ms": 2000,
    }
    if scene.views is not None:
        views = scene.views
        cells = views.verdict.shape[1]
        data["heatmap"] = {
            "cells": cells,
            "plane": [list(views.plane[0]), list(views.plane[1])],
            "verdict": _base64(np.clip(np.round(views.verdict * 255), 0, 255).astype(np.uint8)),
            "boundary": [[_rounded(line) for line in scene.boundary(i)] for i in range(frames)],
        }
        arrows = np.full((frames, width, 2, 2), np.nan)
        for i in range(frames):
            segments = scene.push_segments(i)
            arrows[i, : len(segments)] = segments
        data["arrows"] = _steps(arrows, reach)
        # Every other sample along the manifold's lines is plenty for a browser view.
        manifold = views.manifold[:, :, ::2]
        data["manifold"] = {"lines": manifold.shape[1], "samples": manifold.shape[2], "xy": _steps(manifold, reach)}
    if scene.losses is not None:
        x, d_loss, g_loss = scene.losses
        low, high = scene.loss_limits()
        data["losses"] = {
            "x": _rounded(x),
            "d": _rounded(d_loss),
            "g": _rounded(g_loss),
            "limits": [low, high],
            "counts": [scene.losses_until(epoch) for epoch in scene.epochs],
            "yticks": _ticks(low, high),
        }
    if scene.quality is not None:
        name, series = scene.quality
        positive = series[np.isfinite(series) & (series > 0)]
        log = bool(len(positive))
        limits = [float(positive.min() / 1.5), float(positive.max() * 1.5)] if log else _finite_limits(series)
        if log:
            decades = range(math.ceil(math.log10(limits[0])), math.floor(math.log10(limits[1])) + 1)
            ticks = [[10.0**p, f"1e{p}"] for p in decades]
        else:
            ticks = _ticks(*limits)
        data["quality"] = {"name": name, "values": _rounded(series), "log": log, "limits": limits, "yticks": ticks}
    data["last_epoch"] = max(scene.epochs[-1], 1)
    data["xticks_epochs"] = _ticks(0.0, float(data["last_epoch"]))
    return data


def _steps(values: np.ndarray, reach: tuple[tuple[float, float], tuple[float, float]]) -> str:
    """Coordinates `(..., 2)` as base64 of little-endian uint16 steps over `reach`; `_MISSING` where not finite."""
    values = np.asarray(values, dtype=np.float64)
    out = np.full(values.shape, _MISSING, dtype="<u2")
    for axis in (0, 1):
        low, high = reach[axis]
        column = values[..., axis]
        finite = np.isfinite(column)
        steps = np.clip(np.round((column - low) / (high - low) * (_MISSING - 1)), 0, _MISSING - 1)
        out[..., axis] = np.where(finite, np.nan_to_num(steps), _MISSING)
    return _base64(out)


def _base64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _rounded(values: Any) -> list[Any]:
    """Numbers with 5 significant digits (None where not finite), as nested lists."""
    array = np.asarray(values, dtype=np.float64)
    flat = [float(f"{v:.5g}") if math.isfinite(v) else None for v in array.reshape(-1)]
    if array.ndim <= 1:
        return flat
    width = array.shape[-1]
    return [flat[i : i + width] for i in range(0, len(flat), width)]


def _ticks(low: float, high: float) -> list[list[Any]]:
    """`[value, label]` of readable ticks between `low` and `high`."""
    values = MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    values = [v for v in values if low - 1e-9 * abs(high - low) <= v <= high + 1e-9 * abs(high - low)]
    step = abs(values[1] - values[0]) if len(values) > 1 else 1.0
    # As many decimals as the step needs (0.25 needs two).
    decimals = next((d for d in range(10) if abs(round(step, d) - step) <= 1e-9 * step), 10)
    return [[float(v), f"{v:.{decimals}f}".replace("-", "\u2212")] for v in values]


def _finite_limits(series: np.ndarray) -> list[float]:
    finite = series[np.isfinite(series)]
    if not len(finite):
        return [0.0, 1.0]
    low, high = float(finite.min()), float(finite.max())
    pad = 0.08 * max(high - low, 1e-6)
    return [low - pad, high + pad]


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _table(values: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(str(name))}</th><td>{html.escape(_shown(value))}</td></tr>"
        for name, value in values.items()
    )
    return f'<table class="gan1d-table">{rows}</table>'


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(_shown(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    return _number(value)


def _metrics_table(metrics: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(_number(value))}</td>"
        f"<td>{html.escape(_METRIC_NOTES.get(name, ''))}</td></tr>"
        for name, value in metrics.items()
    )
    return f'<table class="gan1d-table">{rows}</table>'


def _pictures(files: Mapping[str, Path]) -> str:
    figures = []
    for name, caption in _PICTURES.items():
        path = files.get(name)
        if path is None or not Path(path).is_file():
            continue
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        figures.append(
            f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'
            f"<figcaption><b>{html.escape(name)}</b>: {html.escape(caption)}</figcaption></figure>"
        )
    animations = [name for name in ("training.gif", "training.mp4") if name in files]
    note = (
        f"<p>The animation is also in this folder as <code>{html.escape(animations[0])}</code>.</p>"
        if animations
        else ""
    )
    return f'<div class="gan1d-pictures">{"".join(figures)}</div>{note}' if figures else note


_EXPLANATION = (
    "<p>Blue points are real, orange ones generated. The heatmap is the discriminator's verdict over the "
    "plane (blue: it would call a point there real; orange: fake; the dashed line is where it cannot tell). "
    "The gradients show where the generator's loss pushes each generated point, the manifold where the "
    "generator sends a grid of its latent inputs.</p>"
)
_REPEAT = "<p>Repeat this run with <code>gan1d train --config config.json</code>.</p>"

_PAGE_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#fff;border-bottom:1px solid #ddd;padding:12px 24px}
header h1{font-size:22px;margin:0}header p{margin:4px 0 0;color:#555}
main{max-width:1000px;margin:0 auto;padding:8px 24px 40px}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:8px 18px 14px;margin:16px 0}
h2{font-size:18px;margin:8px 0}
.gan1d-pictures{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;max-width:48%}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:13px;color:#555}
footer{text-align:center;color:#777;font-size:13px;padding-bottom:24px}
code{background:#f0f0f0;padding:1px 4px;border-radius:3px}
"""

_PLAYER_CSS = """
.gan1d-player{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;max-width:760px}
.gan1d-top{min-height:24px}.gan1d-epoch{font-size:18px;font-weight:700}
.gan1d-outside{color:#8a3d00;margin-left:12px}
.gan1d-stage{display:flex;flex-wrap:wrap;gap:4px;align-items:flex-start}
.gan1d-stage canvas{background:#fff}
.gan1d-controls{display:flex;align-items:center;gap:10px;margin:6px 0}
.gan1d-controls input[type=range]{flex:1;max-width:600px}
.gan1d-play{min-width:70px;padding:3px 10px;font-size:14px}
.gan1d-layers label{margin-right:16px;white-space:nowrap}
.gan1d-table{border-collapse:collapse;margin:6px 0}
.gan1d-table th,.gan1d-table td{border-bottom:1px solid #eee;padding:3px 10px;text-align:left;vertical-align:top}
.gan1d-table td:nth-child(3){color:#666;font-size:13px}
"""

_PLAYER_JS = r"""
function gan1dPlayer(root) {
  "use strict";
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  const data = JSON.parse(root.querySelector("script.gan1d-data").textContent);
  const bytes = (text) => {
    const raw = atob(text), out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  };
  const steps = (text) => new Uint16Array(bytes(text).buffer);
  const range = data.range;
  const coord = (u, axis) => u === 65535 ? NaN : range[axis][0] + (u / 65534) * (range[axis][1] - range[axis][0]);
  const points = steps(data.points), kinds = bytes(data.kinds);
  const arrows = data.arrows ? steps(data.arrows) : null;
  const verdict = data.heatmap ? bytes(data.heatmap.verdict) : null;
  const mesh = data.manifold ? steps(data.manifold.xy) : null;
  const plane = root.querySelector(".gan1d-plane"), panel = root.querySelector(".gan1d-panel");
  const slider = root.querySelector(".gan1d-frame"), button = root.querySelector(".gan1d-play");
  const epochLabel = root.querySelector(".gan1d-epoch"), outsideLabel = root.querySelector(".gan1d-outside");
  const switches = {};
  root.querySelectorAll("input[data-layer]").forEach((box) => { switches[box.dataset.layer] = box; });
  const on = (name) => Boolean(switches[name] && switches[name].checked);
  const ratio = window.devicePixelRatio || 1;
  const setup = (canvas) => {
    const width = canvas.width, height = canvas.height;
    canvas.style.width = width + "px"; canvas.style.height = height + "px";
    canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
    const context = canvas.getContext("2d");
    context.scale(ratio, ratio);
    return {context, width, height};
  };
  const P = setup(plane), Q = setup(panel);
  const box = {left: 52, top: 10, right: P.width - 84, bottom: P.height - 38};
  const [[x0, x1], [y0, y1]] = data.limits;
  const px = (x) => box.left + (x - x0) / (x1 - x0) * (box.right - box.left);
  const py = (y) => box.bottom - (y - y0) / (y1 - y0) * (box.bottom - box.top);
  const font = (size, weight) => (weight || "") + " " + size + "px system-ui, sans-serif";
  const lut = data.colors.verdict.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
  let cells = null, cellImage = null;
  if (data.heatmap) {
    cells = document.createElement("canvas");
    cells.width = cells.height = data.heatmap.cells;
    cellImage = cells.getContext("2d").createImageData(cells.width, cells.height);
  }

  function polyline(context, xy) {
    let open = false;
    for (const [x, y] of xy) {
      if (x === null || y === null) { open = false; continue; }
      if (open) context.lineTo(px(x), py(y)); else { context.moveTo(px(x), py(y)); open = true; }
    }
  }

  function drawHeatmap(c, frame) {
    const n = data.heatmap.cells, offset = frame * n * n, pixels = cellImage.data;
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        const color = lut[verdict[offset + row * n + col]], at = ((n - 1 - row) * n + col) * 4;
        pixels[at] = color[0]; pixels[at + 1] = color[1]; pixels[at + 2] = color[2]; pixels[at + 3] = 255;
      }
    }
    cells.getContext("2d").putImageData(cellImage, 0, 0);
    const [[a0, a1], [b0, b1]] = data.heatmap.plane;
    c.imageSmoothingEnabled = true;
    c.drawImage(cells, px(a0), py(b1), px(a1) - px(a0), py(b0) - py(b1));
    c.strokeStyle = "#333"; c.lineWidth = 1.2; c.setLineDash([5, 4]);
    c.beginPath();
    for (const line of data.heatmap.boundary[frame]) polyline(c, line);
    c.stroke(); c.setLineDash([]);
  }

  function drawColorbar(c) {
    const left = box.right + 12, width = 12, top = box.top, bottom = box.bottom;
    const gradient = c.createLinearGradient(0, bottom, 0, top);
    data.colors.verdict.forEach((hex, i) => gradient.addColorStop(i / 255, hex));
    c.fillStyle = gradient; c.fillRect(left, top, width, bottom - top);
    c.strokeStyle = "#444"; c.lineWidth = 1; c.strokeRect(left, top, width, bottom - top);
    c.fillStyle = "#222"; c.font = font(12); c.textAlign = "left"; c.textBaseline = "middle";
    c.fillText("real", left + width + 4, top + 6); c.fillText("0.5", left + width + 4, (top + bottom) / 2);
    c.fillText("fake", left + width + 4, bottom - 6);
    c.save(); c.translate(left + width + 44, (top + bottom) / 2); c.rotate(-Math.PI / 2);
    c.textAlign = "center"; c.fillText("discriminator: P(real)", 0, 0); c.restore();
  }

  function marker(c, x, y, kind) {
    const r = 6;
    c.beginPath();
    if (kind === 1) { c.moveTo(x - r, y); c.lineTo(x + r * 0.6, y - r * 0.8); c.lineTo(x + r * 0.6, y + r * 0.8); }
    else if (kind === 2) { c.moveTo(x + r, y); c.lineTo(x - r * 0.6, y - r * 0.8); c.lineTo(x - r * 0.6, y + r * 0.8); }
    else if (kind === 3) { c.moveTo(x, y + r); c.lineTo(x - r * 0.8, y - r * 0.6); c.lineTo(x + r * 0.8, y - r * 0.6); }
    else { c.moveTo(x, y - r); c.lineTo(x - r * 0.8, y + r * 0.6); c.lineTo(x + r * 0.8, y + r * 0.6); }
    c.closePath(); c.fill(); c.stroke();
  }

  function drawPlane(frame) {
    const c = P.context;
    c.clearRect(0, 0, P.width, P.height);
    c.fillStyle = "#fff"; c.fillRect(0, 0, P.width, P.height);
    c.save();
    c.beginPath(); c.rect(box.left, box.top, box.right - box.left, box.bottom - box.top); c.clip();
    if (on("heatmap")) drawHeatmap(c, frame);
    if (on("manifold")) {
      const lines = data.manifold.lines, samples = data.manifold.samples, base = frame * lines * samples * 2;
      c.strokeStyle = data.colors.manifold; c.lineWidth = 0.9; c.beginPath();
      for (let l = 0; l < lines; l++) {
        const xy = [];
        for (let s = 0; s < samples; s++) {
          const at = base + (l * samples + s) * 2, x = coord(mesh[at], 0), y = coord(mesh[at + 1], 1);
          xy.push(Number.isFinite(x) && Number.isFinite(y) ? [x, y] : [null, null]);
        }
        polyline(c, xy);
      }
      c.stroke();
    }
    if (data.curve) { c.strokeStyle = data.colors.curve; c.lineWidth = 1.2; c.beginPath(); polyline(c, data.curve); c.stroke(); }
    c.fillStyle = data.colors.real;
    for (const [x, y] of data.real) { c.beginPath(); c.arc(px(x), py(y), 2.6, 0, 2 * Math.PI); c.fill(); }
    const n = data.width, base = frame * n;
    if (on("gradients")) {
      c.strokeStyle = data.colors.push; c.lineWidth = 1.4; c.beginPath();
      for (let i = 0; i < n; i++) {
        const at = (base + i) * 4;
        const ax = coord(arrows[at], 0), ay = coord(arrows[at + 1], 1), bx = coord(arrows[at + 2], 0), by = coord(arrows[at + 3], 1);
        if ([ax, ay, bx, by].every(Number.isFinite)) { c.moveTo(px(ax), py(ay)); c.lineTo(px(bx), py(by)); }
      }
      c.stroke();
    }
    c.restore();
    c.fillStyle = data.colors.generated; c.strokeStyle = "#6b3000"; c.lineWidth = 0.7;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const kind = kinds[base + i];
      if (kind === 5) { outside += 1; continue; }
      const x = px(coord(points[(base + i) * 2], 0)), y = py(coord(points[(base + i) * 2 + 1], 1));
      if (kind === 0) { c.beginPath(); c.arc(x, y, 3.2, 0, 2 * Math.PI); c.fill(); c.stroke(); }
      else { outside += 1; marker(c, x, y, kind); }
    }
    c.strokeStyle = "#444"; c.lineWidth = 1; c.strokeRect(box.left, box.top, box.right - box.left, box.bottom - box.top);
    c.fillStyle = "#222"; c.font = font(12); c.textAlign = "center"; c.textBaseline = "top";
    for (const [v, label] of data.xticks) { c.fillText(label, px(v), box.bottom + 5); c.fillRect(px(v), box.bottom, 1, 4); }
    c.fillText("x", (box.left + box.right) / 2, box.bottom + 21);
    c.textAlign = "right"; c.textBaseline = "middle";
    for (const [v, label] of data.yticks) { c.fillText(label, box.left - 6, py(v)); c.fillRect(box.left - 4, py(v), 4, 1); }
    c.save(); c.translate(12, (box.top + box.bottom) / 2); c.rotate(-Math.PI / 2); c.textAlign = "center"; c.fillText("y", 0, 0); c.restore();
    if (on("heatmap")) drawColorbar(c);
    outsideLabel.textContent = outside ? outside + " of " + n + " generated points are beyond the edges (marked ◂ ▸ ▴ ▾)" : "";
  }

  function chart(c, top, bottom, limits, log, ticks) {
    const left = 44, right = Q.width - 10;
    const last = data.last_epoch;
    const tx = (e) => left + e / last * (right - left);
    const f = (v) => log ? Math.log10(v) : v;
    const ty = (v) => bottom - (f(v) - f(limits[0])) / (f(limits[1]) - f(limits[0])) * (bottom - top);
    c.strokeStyle = "#444"; c.lineWidth = 1; c.strokeRect(left, top, right - left, bottom - top);
    c.fillStyle = "#222"; c.font = font(11); c.textAlign = "right"; c.textBaseline = "middle";
    for (const [v, label] of ticks) if (v >= limits[0] && v <= limits[1]) c.fillText(label, left - 4, ty(v));
    return {tx, ty, left, right};
  }

  function line(c, axes, xs, ys, count, color, top, bottom) {
    c.save(); c.beginPath(); c.rect(axes.left, top, axes.right - axes.left, bottom - top); c.clip();
    c.strokeStyle = color; c.lineWidth = 1.4; c.beginPath();
    let open = false;
    for (let i = 0; i < count; i++) {
      if (ys[i] === null) { open = false; continue; }
      const X = axes.tx(xs[i]), Y = axes.ty(ys[i]);
      if (open) c.lineTo(X, Y); else { c.moveTo(X, Y); open = true; }
    }
    c.stroke(); c.restore();
  }

  function drawPanel(frame) {
    const c = Q.context, epoch = data.epochs[frame];
    c.clearRect(0, 0, Q.width, Q.height);
    c.fillStyle = "#fff"; c.fillRect(0, 0, Q.width, Q.height);
    if (data.losses) {
      const L = data.losses, top = 24, bottom = 200;
      c.fillStyle = "#222"; c.font = font(13, "600"); c.textAlign = "left"; c.textBaseline = "alphabetic";
      c.fillText("losses", 44, 17);
      const axes = chart(c, top, bottom, L.limits, false, L.yticks);
      line(c, axes, L.x, L.d, L.counts[frame], "#d62728", top, bottom);
      line(c, axes, L.x, L.g, L.counts[frame], "#2ca02c", top, bottom);
      c.fillStyle = "#d62728"; c.font = font(11); c.textAlign = "right"; c.fillText("discriminator", axes.right - 4, top + 12);
      c.fillStyle = "#2ca02c"; c.fillText("generator", axes.right - 4, top + 26);
      c.fillStyle = "#333"; c.fillRect(axes.tx(epoch), top, 1.2, bottom - top);
    }
    if (data.quality) {
      const S = data.quality, top = 244, bottom = 352;
      c.fillStyle = "#222"; c.font = font(13, "600"); c.textAlign = "left"; c.textBaseline = "alphabetic";
      const value = S.values[frame];
      c.fillText(S.name + (value === null ? "" : ": " + Number(value).toPrecision(3)), 44, 237);
      const axes = chart(c, top, bottom, S.limits, S.log, S.yticks);
      line(c, axes, data.epochs, S.values, frame + 1, "#222", top, bottom);
      c.fillStyle = "#333"; c.fillRect(axes.tx(epoch), top, 1.2, bottom - top);
      c.textAlign = "center"; c.textBaseline = "top"; c.font = font(11);
      for (const [v, label] of data.xticks_epochs) c.fillText(label, axes.tx(v), bottom + 4);
      c.fillText("epoch", (axes.left + axes.right) / 2, bottom + 20);
    }
  }

  let frame = 0, playing = true, timer = null;
  function show(index) {
    frame = Math.max(0, Math.min(data.frames - 1, index));
    slider.value = String(frame);
    epochLabel.textContent = "epoch " + data.epochs[frame];
    drawPlane(frame);
    panel.style.display = on("losses") ? "" : "none";
    if (on("losses")) drawPanel(frame);
  }
  function tick() {
    if (!playing) return;
    if (!root.isConnected) { playing = false; return; }
    show(frame + 1 >= data.frames ? 0 : frame + 1);
    timer = setTimeout(tick, frame === data.frames - 1 ? data.hold_ms : 1000 / data.fps);
  }
  function play(state) {
    playing = state;
    button.textContent = playing ? "Pause" : "Play";
    clearTimeout(timer);
    if (playing) timer = setTimeout(tick, 1000 / data.fps);
  }
  button.addEventListener("click", () => play(!playing));
  slider.addEventListener("input", () => { play(false); show(Number(slider.value)); });
  Object.values(switches).forEach((box) => box.addEventListener("change", () => show(frame)));
  show(0);
  play(true);
}
"""
