"""Turning measurements into `<backend>-<device>.json`, a Markdown report and `batch-widths.png`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COLUMNS = (
    "row",
    "steps/call",
    "µs/step",
    "steps/s",
    "first call s",
    "compile s",
    "peak MB first call",
    "peak MB repeat",
    "curve residual",
)


def _row(entry: dict[str, Any], name: str | None = None) -> list[str]:
    residual = entry.get("curve_residual")
    return [
        name or entry["label"],
        str(entry["steps"]),
        f"{entry['us_per_step']:.1f}",
        f"{entry['steps_per_s']:.0f}",
        f"{entry['first_call_s']:.2f}",
        f"{entry['compile_s']:.2f}",
        f"{entry['first_peak_mb']:.1f}",
        f"{entry['peak_mb']:.1f}",
        "—" if residual is None else f"{residual:.3f}",
    ]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def markdown(report: dict[str, Any]) -> str:
    """The whole report as Markdown: machine, main table, key ratio, batch sizes and widths."""
    machine = report["machine"]
    config = report["config"]
    lines = [
        f"# gan1d benchmark: {machine['backend']} on {machine['device']}",
        "",
        (
            f"- device: {machine['device_name']}; {machine['usable_cpus']} usable of {machine['cpu_count']} CPUs; "
            f"load average {machine['load_average']} at start, {machine.get('load_average_end')} at end"
        ),
        f"- gan1d commit {machine.get('gan1d_commit')}; {machine['platform']}, Python {machine['python']}, "
        + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()),
        (
            f"- each row: one first call, then {config['sizes']['repeats']} interleaved repeats; µs/step and "
            "steps/s from the best repeat; compile s = first call - best repeat; "
            f"peak MB = {report['memory_kind']} during the first call and during the largest repeat"
        ),
        "",
        "## Seed recipe",
        "",
        *_table(COLUMNS, [_row(entry) for entry in report["main"]]),
        "",
    ]
    for name, ratio in report["ratios"].items():
        lines.append(f"- **{name}**: {ratio:.2f}")
    lines += _train_breakdown(report)
    lines.append("")
    for title, key, what in (
        ("Batch sizes", "batch_sizes", "batch"),
        ("Widths (batch 64)", "widths", "hidden units G/D"),
    ):
        points = report.get(key) or []
        if not points:
            continue
        header = [what, "steps/call", "gan1d µs/step", "ref µs/step", "gan1d/ref", "gan1d steps/s", "ref steps/s"]
        header += ["gan1d peak MB", "ref peak MB", "gan1d compile s", "ref compile s"]
        rows = [
            [
                str(point["value"]),
                str(point["gan1d"]["steps"]),
                f"{point['gan1d']['us_per_step']:.1f}",
                f"{point['reference']['us_per_step']:.1f}",
                f"{point['gan1d']['us_per_step'] / point['reference']['us_per_step']:.2f}",
                f"{point['gan1d']['steps_per_s']:.0f}",
                f"{point['reference']['steps_per_s']:.0f}",
                f"{point['gan1d']['peak_mb']:.1f}",
                f"{point['reference']['peak_mb']:.1f}",
                f"{point['gan1d']['compile_s']:.2f}",
                f"{point['reference']['compile_s']:.2f}",
            ]
            for point in points
        ]
        lines += [f"## {title}", "", *_table(header, rows), ""]
    return "\n".join(lines)


def _train_breakdown(report: dict[str, Any]) -> list[str]:
    """Where a `gan1d.train()` call's time goes, from its best repeat."""
    rows = {entry["key"]: entry for entry in report["main"]}
    train, warm = rows.get("train"), rows.get("fit_target")
    if not train or not warm or not train.get("details"):
        return []
    best = min(range(len(train["times_s"])), key=train["times_s"].__getitem__)
    total, fit_target = train["times_s"][best], train["details"][best]["fit_target_s"]
    loop = warm["us_per_step"] * train["steps"] / 1e6
    return [
        (
            f"- gan1d.train() best call {total:.2f} s = fit_target {fit_target:.2f} s (the warm loop takes "
            f"{loop:.2f} s, so about {fit_target - loop:.2f} s go to tracing/compiling a fresh GAN) "
            f"+ {total - fit_target:.2f} s building the GAN and scoring snapshots/metrics"
        )
    ]


def write(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """Writes the JSON and Markdown files; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{report['machine']['backend']}-{report['machine']['device']}"
    json_path, md_path = out / f"{stem}.json", out / f"{stem}.md"
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    md_path.write_text(markdown(report) + "\n")
    return json_path, md_path


def chart(out: Path) -> Path | None:
    """Plots steps/s against batch size and width for every `*.json` report in `out`."""
    reports = []
    for path in sorted(out.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("batch_sizes"):
            reports.append(data)
    if not reports:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for color, data in zip(colors * 4, reports, strict=False):
        name = f"{data['machine']['backend']}-{data['machine']['device']}"
        for axis, key in zip(axes, ("batch_sizes", "widths"), strict=True):
            points = data.get(key) or []
            if not points:
                continue
            xs = [_width(p["value"]) for p in points]
            for impl, style in (("gan1d", "-o"), ("reference", "--s")):
                ys = [p[impl]["steps_per_s"] for p in points]
                axis.plot(xs, ys, style, color=color, label=f"{name} {'gan1d' if impl == 'gan1d' else 'hand-written'}")
    for axis, xlabel in zip(axes, ("real points per step (batch size)", "hidden units of G (D alike)"), strict=True):
        axis.set(xscale="log", yscale="log", xlabel=xlabel, ylabel="training steps per second")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    axes[0].set_title("Batch sizes (seed networks)")
    axes[1].set_title("Widths (batch 64)")
    fig.tight_layout()
    path = out / "batch-widths.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _width(value: Any) -> float:
    """A row's value as a number: batch size, or G's hidden units for a width label like "15/25"."""
    return float(str(value).split("/")[0])
