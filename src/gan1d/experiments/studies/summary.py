"""A study's summary: one row per variant and target, written as `summary.csv`, `summary.md` and `summary.png`.

`summary.md` holds the tables of docs/presets.md: successes/N and the mean ±
standard error of each metric per variant and target. Success is judged again
from the stored metrics against the study's current thresholds, so changing a
threshold needs no training.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gan1d.data.metrics import HIGHER_IS_BETTER, mean_and_error, meets
from gan1d.experiments.studies.plan import Block, Study, seed_range
from gan1d.files import atomic_path, write_csv, write_text

__all__ = ["summarize", "summary_markdown", "write_summary"]

# How summary tables show each metric: heading, scale, decimals (docs/presets.md's style).
_SHOWN: Mapping[str, tuple[str, float, int]] = {
    "x_w1": ("x_w1", 1.0, 4),
    "curve_residual": ("curve_residual", 1.0, 4),
    "coverage": ("% coverage", 100.0, 1),
    "modes_captured": ("modes", 1.0, 2),
    "high_quality": ("% high quality", 100.0, 1),
    "reverse_kl": ("reverse KL", 1.0, 3),
    "energy_distance": ("energy distance", 1.0, 4),
}
# The metric a picture shows per kind of target, best known first.
_LABELLED = ("high_quality", "curve_residual", "energy_distance")


def summarize(plan: Study, blocks: Sequence[Block], trials: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per variant and target: trials planned and done, successes, each metric's mean and standard error.

    Success is judged again from the stored metrics against the study's current
    thresholds, so changing a threshold needs no training.
    """
    rows = []
    for variant in plan.variants:
        for label in variant.targets:
            limits = next(t.thresholds for t in plan.targets if t.name == label)
            mine = [t for t in trials if t["variant"] == variant.name and t["target"] == label]
            names = list(mine[0]["metrics"]) if mine else []
            row: dict[str, Any] = {
                "variant": variant.name,
                "target": label,
                "planned": len(variant.seeds),
                "trials": len(mine),
                "successes": sum(meets(_floats(t["metrics"]), limits) for t in mine),
            }
            for name in names:
                mean, error = mean_and_error([_float(t["metrics"][name]) for t in mine])
                row[f"{name}_mean"], row[f"{name}_se"] = mean, error
            row["seconds_per_trial"] = mean_and_error([t["seconds"] for t in mine])[0] if mine else math.nan
            rows.append(row)
    return rows


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


def _floats(values: Mapping[str, Any]) -> dict[str, float]:
    return {name: _float(value) for name, value in values.items()}


def write_summary(
    plan: Study, rows: Sequence[Mapping[str, Any]], trials: Sequence[Mapping[str, Any]], folder: Path, backend: str
) -> dict[str, Path]:
    """Writes `summary.csv`, `summary.md` and `summary.png`; returns name -> path."""
    files = {name: folder / name for name in ("study.json", "trials.jsonl", "summary.csv", "summary.md", "summary.png")}
    metric_names = list(dict.fromkeys(k[:-5] for row in rows for k in row if k.endswith("_mean")))
    columns: dict[str, list[Any]] = {
        key: [row[key] for row in rows] for key in ("variant", "target", "planned", "trials", "successes")
    }
    for name in metric_names:
        for suffix in ("_mean", "_se"):
            columns[name + suffix] = [row.get(name + suffix, math.nan) for row in rows]
    columns["seconds_per_trial"] = [row["seconds_per_trial"] for row in rows]
    write_csv(files["summary.csv"], columns)
    write_text(files["summary.md"], summary_markdown(plan, rows, trials, backend))
    _plot(plan, rows, files["summary.png"])
    return files


def _cell(row: Mapping[str, Any], name: str) -> str:
    if f"{name}_mean" not in row:
        return ""
    _, scale, digits = _SHOWN.get(name, (name, 1.0, 4))
    mean, error = row[f"{name}_mean"] * scale, row[f"{name}_se"] * scale
    if not math.isfinite(mean):
        return "n/a"
    return f"{mean:.{digits}f}" + (f" ± {error:.{digits}f}" if math.isfinite(error) else "")


def summary_markdown(
    plan: Study, rows: Sequence[Mapping[str, Any]], trials: Sequence[Mapping[str, Any]], backend: str
) -> str:
    """The summary tables: successes per variant and target, then each target's metrics."""
    done = sum(row["trials"] for row in rows)
    seeds = sorted({seed for variant in plan.variants for seed in variant.seeds})
    hosts = sorted({t["host"] for t in trials})
    lines = [f"# Study: {plan.name}", ""]
    if plan.description:
        lines += [plan.description.strip(), ""]
    counts = (
        f"{done} of {plan.trial_count} trials done, under {backend} ({plan.preset} preset, "
        f"{seed_range(seeds)}; hosts: {', '.join(hosts) or 'none'})."
    )
    lines += [counts, ""]
    if plan.source:
        lines += [f"Regenerate: `gan1d study {plan.source}` (add `--ray auto` to run it on a Ray cluster).", ""]
    labels = [target.name for target in plan.targets]
    lines += ["## Successes", "", "| variant | " + " | ".join(labels) + " | total |", "|---" * (len(labels) + 2) + "|"]
    for variant in plan.variants:
        cells, wins, count = [], 0, 0
        for label in labels:
            row = next((r for r in rows if r["variant"] == variant.name and r["target"] == label), None)
            if row is None:
                cells.append("")
                continue
            cells.append(f"{row['successes']}/{row['trials']}")
            wins, count = wins + row["successes"], count + row["trials"]
        lines.append(f"| {variant.name} | " + " | ".join(cells) + f" | {wins}/{count} |")
    for target in plan.targets:
        mine = [row for row in rows if row["target"] == target.name]
        names = list(dict.fromkeys(k[:-5] for row in mine for k in row if k.endswith("_mean")))
        bar = ", ".join(
            f"{name} {'>=' if name in HIGHER_IS_BETTER else '<='} {limit:g}"
            for name, limit in target.thresholds.items()
        )
        lines += [
            "",
            f"## {target.name}",
            "",
            f"Success: {bar or 'finite points'}. Mean ± standard error over the trials.",
            "",
        ]
        headings = [_SHOWN.get(name, (name,))[0] for name in names]
        lines.append("| variant | successes | " + " | ".join(headings) + " | training s per trial |")
        lines.append("|---" * (len(names) + 3) + "|")
        for row in mine:
            cells = [_cell(row, name) for name in names]
            lines.append(
                f"| {row['variant']} | {row['successes']}/{row['trials']} | "
                + " | ".join(cells)
                + f" | {row['seconds_per_trial']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def _plot(plan: Study, rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Success share per variant, one panel per target, each bar labelled with its headline metric."""
    labels = [target.name for target in plan.targets]
    names = [variant.name for variant in plan.variants]
    figure = Figure(figsize=(4.5 * len(labels) + 2.5, 0.45 * len(names) + 1.6), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(labels), sharey=True, squeeze=False)[0]
    for ax, label in zip(axes, labels, strict=True):
        positions, shares, notes = [], [], []
        for i, name in enumerate(names):
            row = next((r for r in rows if r["variant"] == name and r["target"] == label), None)
            if row is None or not row["trials"]:
                continue
            headline = next((m for m in _LABELLED if f"{m}_mean" in row), None)
            shown = f"  {_SHOWN[headline][0]} {_cell(row, headline)}" if headline else ""
            positions.append(i)
            shares.append(row["successes"] / row["trials"])
            notes.append(f"{row['successes']}/{row['trials']}{shown}")
        ax.barh(positions, shares, color="#a6c8e8")
        for y, note in zip(positions, notes, strict=True):
            ax.text(0.02, y, note, va="center", fontsize=9, color="black")
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of trials that succeed")
        ax.set_title(label)
        ax.set_yticks(range(len(names)), names)
        ax.invert_yaxis()
    figure.suptitle(f"Study: {plan.name}")
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=100)
