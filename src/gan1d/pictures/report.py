"""The run report: one self-contained HTML page, and the animation player it shares with Jupyter.

`report.html` holds a run's settings, metrics and pictures, and a player that draws
the run's scene (`gan1d.pictures.scene.Scene`) on a canvas in the browser:
play/pause, a frame slider, and a switch per layer. Everything is inline (styles,
script, data, pictures as data URIs), so the page works from `file://` and needs
no network. The player's script and styles are files of the package
(`gan1d/pictures/assets/`). `notebook_view` shows the same player in Jupyter.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import math
import secrets
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.colors import to_hex
from matplotlib.ticker import MaxNLocator

from gan1d.files import write_text
from gan1d.pictures.palette import VERDICT
from gan1d.pictures.scene import Scene
from gan1d.pictures.style import (
    CURVE_COLOR,
    GENERATED_COLOR,
    LAYERS,
    MANIFOLD_COLOR,
    PUSH_COLOR,
    REAL_COLOR,
    VERDICT_LABELS,
    PathArg,
    loss_labels,
)

if TYPE_CHECKING:
    from gan1d.data.distribution import Bounds

__all__ = ["notebook_view", "page", "player_html", "write_report"]

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
    "coverage": "share of the target's cells (20 x bins; 10 x 10 for 2-D data) that hold a generated point",
    "modes_captured": "modes with a high-quality point",
    "high_quality": "share of points within 3 standard deviations of a mode",
    "reverse_kl": "KL divergence of the points over the modes to uniform (0 is even)",
    "d_accuracy_real": "share of real points the discriminator calls real",
    "d_accuracy_generated": "share of generated points the discriminator calls fake",
}


@functools.cache
def _asset(name: str) -> str:
    """A file of `gan1d/pictures/assets/`, as text."""
    return (resources.files("gan1d.pictures") / "assets" / name).read_text(encoding="utf-8")


def write_report(path: PathArg, scene: Scene | None, **page_parts: Any) -> Path:
    """Writes a run's `report.html`: settings, metrics, pictures and the animation player.

    Args:
        path: The page to write.
        scene: The run's scene (its `show` says which layers start switched on),
            or None for a run without snapshots.
        **page_parts: `page`'s keywords.

    Returns:
        The path written.
    """
    return write_text(Path(path), page(scene, **page_parts))


def page(
    scene: Scene | None,
    *,
    title: str,
    facts: str,
    metrics: Mapping[str, Any],
    settings: Mapping[str, Any],
    pictures: Mapping[str, Path],
) -> str:
    """The whole report page, as HTML text.

    Args:
        scene: The run's scene, or None for a run without snapshots.
        title: The page's heading.
        facts: One line under it: how the run ended, its preset, backend and time.
        metrics: The run's metrics, as `metrics.json` holds them.
        settings: The run's settings, as `config.json` holds them.
        pictures: File name -> path of the run's files, whose pictures the page embeds.
    """
    from gan1d import __version__

    player = _player(scene) if scene is not None else "<p>This run kept no snapshots to play.</p>"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_asset('page.css')}{_asset('player.css')}</style>",
        "</head><body>",
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(facts)}</p></header>",
        "<main>",
        "<section><h2>Training, snapshot by snapshot</h2>",
        _EXPLANATION,
        player,
        "</section>",
        f"<section><h2>Metrics</h2>{_metrics_table(metrics)}</section>",
        f"<section><h2>Pictures</h2>{_pictures(pictures)}</section>",
        f"<section><h2>Settings</h2>{_table(settings)}{_REPEAT}</section>",
        "</main>",
        f"<footer>Written by gan1d {html.escape(__version__)}.</footer>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def notebook_view(scene: Scene | None, *, title: str, numbers: Mapping[str, Any], folder: Path | None) -> str:
    """A run in a notebook: its title, its key numbers, where its folder is, and the player."""
    where = f"<p>Run folder: <code>{html.escape(str(folder))}</code></p>" if folder else ""
    player = _player(scene) if scene is not None else ""
    return (
        f'<div class="gan1d-result"><style>{_asset("player.css")}</style><b>{html.escape(title)}</b>'
        f"{_table(numbers)}{where}{player}</div>"
    )


def player_html(scene: Scene) -> str:
    """The animation player of a scene: canvases, controls, its data and its script.

    The layers the scene shows start switched on; every layer it holds data for has a switch.
    """
    return _player(scene)


def _player(scene: Scene) -> str:
    identity = f"gan1d-{secrets.token_hex(6)}"
    switches = "".join(
        f'<label><input type="checkbox" data-layer="{name}"{" checked" if name in scene.show else ""}> '
        f"{html.escape(_LAYER_LABELS[name])}</label>"
        for name in LAYERS
        if scene.available[name]
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
        f"<script>{_asset('player.js')}\ngan1dPlayer(document.getElementById({json.dumps(identity)}));</script>"
    )


def _scene_data(scene: Scene) -> dict[str, Any]:
    """What the player draws, JSON-ready: coordinates as base64 16-bit steps over a fixed range."""
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
        "labels": {
            "verdict": VERDICT_LABELS[scene.objective][0],
            "losses": list(loss_labels(scene.objective, scene.penalty)),
        },
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


def _steps(values: np.ndarray, reach: Bounds) -> str:
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
