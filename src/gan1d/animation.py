"""The animation of a run: generated points moving onto the target, one frame per snapshot.

A celluloid `Camera` records which artists belong to each frame; the static
background is rendered once and every frame is blitted over it. Frames are written
as a GIF (Pillow) or piped to ffmpeg for an MP4, to a temporary file renamed into
place when complete.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from celluloid import Camera
from matplotlib.animation import FFMpegWriter
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from PIL import Image

from gan1d.checks import integer
from gan1d.errors import Gan1dError
from gan1d.plots import (
    GENERATED_COLOR,
    Bounds,
    Curve,
    PathArg,
    as_curve,
    as_points,
    draw_background,
    new_figure,
    resolve_bounds,
)
from gan1d.runs import atomic_path

__all__ = ["animate", "ffmpeg_available"]

# The animation is small on purpose: 4 in at 72 dpi is 288 px, fast to render.
_ANIM_INCHES = 4.0
# Adaptive GIF palette size; the frames hold a handful of colours plus antialiasing.
_GIF_COLORS = 64
_MP4_ERROR = "mp4 needs ffmpeg on PATH; use --animation gif"


def ffmpeg_available() -> bool:
    """Whether the ffmpeg binary matplotlib would use is on PATH."""
    return shutil.which(FFMpegWriter.bin_path()) is not None


def animate(
    snapshots: Sequence[tuple[int, np.ndarray]],
    real_points: np.ndarray,
    path: PathArg,
    *,
    curve: Curve | None = None,
    bounds: Bounds | None = None,
    fps: int = 25,
    dpi: int = 72,
) -> Path:
    """Animates the generated points, one frame per snapshot, over the real points.

    Celluloid's `Camera` records which artists belong to each frame; the static
    background (axes, curve, real points, legend) is rendered once and each frame
    only draws its own points and "epoch N" label on top of it. ".gif" is written
    with Pillow (always available), ".mp4" by piping frames to ffmpeg.

    Args:
        snapshots: (epoch, (n, 2) array of generated points) per frame.
        real_points: (n, 2) array of real points.
        path: ".gif" or ".mp4" file to write.
        curve: (x, y) arrays of the true curve, or None.
        bounds: ((xmin, xmax), (ymin, ymax)) to show, padded by 5%; None fits
            the real points and the curve.
        fps: Frames per second.
        dpi: Resolution; the frame is 4 in square, so 72 gives 288 x 288 px.

    Returns:
        The path written.

    Raises:
        Gan1dError: On empty snapshots, malformed arrays, a suffix other than
            .gif/.mp4, .mp4 without ffmpeg, or fps/dpi below 1.
    """
    final = Path(path)
    suffix = final.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise Gan1dError(f"unsupported animation format {final.suffix or final.name!r}; use .gif or .mp4")
    if suffix == ".mp4" and not ffmpeg_available():
        raise Gan1dError(_MP4_ERROR)
    fps, dpi = integer("fps", fps), integer("dpi", dpi)
    if len(snapshots) == 0:
        raise Gan1dError("no snapshots to animate")
    try:
        frames = [(int(epoch), points) for epoch, points in snapshots]
    except (TypeError, ValueError):
        raise Gan1dError("snapshots must be (epoch, points) pairs") from None
    frames = [(epoch, as_points(points, f"snapshot of epoch {epoch}", allow_empty=True)) for epoch, points in frames]
    real = as_points(real_points, "real_points", allow_empty=False)
    curve_xy = as_curve(curve)
    limits = resolve_bounds(real, curve_xy, bounds)
    rendered = _render_frames(frames, real, curve_xy, limits, dpi)
    with atomic_path(final) as tmp:
        if suffix == ".gif":
            _write_gif(rendered, tmp, fps)
        else:
            _write_mp4(rendered, tmp, fps)
    return final


# --- animation internals -------------------------------------------------------


def _render_frames(
    frames: list[tuple[int, np.ndarray]],
    real: np.ndarray,
    curve: Curve | None,
    limits: Bounds,
    dpi: int,
) -> Iterator[np.ndarray]:
    """Yields each frame as an (h, w, 3) uint8 RGB array, rendering lazily."""
    fig, ax = new_figure((_ANIM_INCHES, _ANIM_INCHES), dpi=dpi, layout=None)
    # Fixed margins, in figure fractions so they hold at any dpi, leave a strip above
    # the axes for the legend and the label (constrained layout would not reserve it).
    fig.subplots_adjust(left=0.15, right=0.96, bottom=0.11, top=0.91)
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    draw_background(ax, real, curve, limits, marker_size=3.0)
    # The legend lives above the axes so moving points never hide it, and is added
    # with add_artist rather than ax.legend(): Camera.snap re-adds `ax.legend_` to
    # the axes on every snap, which would stack one legend copy per frame.
    handles: list[Artist] = [
        *ax.get_lines(),
        Line2D([], [], ls="", marker="o", ms=3.0, color=GENERATED_COLOR),
    ]
    # Short labels: the legend shares one 4-inch row with the "epoch N" label.
    labels = [*(["curve"] if curve is not None else []), "real", "generated"]
    legend = Legend(
        ax,
        handles,
        labels,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncols=len(handles),
        frameon=False,
        fontsize=8,
        borderaxespad=0.2,
        handlelength=1.2,
        columnspacing=0.8,
        handletextpad=0.4,
    )
    ax.add_artist(legend)
    camera = Camera(fig)
    # The first snap takes the static artists, so later snaps hold one frame each.
    camera.snap()
    # One full draw lays out the figure; frames are then blitted onto a copy of it,
    # which is what makes 250 frames cheap. No later full draw happens, so the
    # frame artists accumulating in the axes are only drawn in their own frame.
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    for epoch, points in frames:
        ax.plot(points[:, 0], points[:, 1], "o", ms=3.0, color=GENERATED_COLOR)
        ax.text(
            1.0,
            1.01,
            f"epoch {epoch}",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=9,
        )
        artists: list[Artist] = camera.snap()
        canvas.restore_region(background)
        for artist in artists:
            ax.draw_artist(artist)
        yield np.asarray(canvas.buffer_rgba())[:, :, :3].copy()


def _write_gif(rendered: Iterator[np.ndarray], tmp: Path, fps: int) -> None:
    """Writes RGB frames as a looping GIF with one shared adaptive palette."""
    first = Image.fromarray(next(rendered))
    # The palette comes from the first frame; its legend already shows every colour
    # a frame uses, so later frames map cleanly onto it.
    palette = first.quantize(_GIF_COLORS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    n_colors = len(palette.getpalette() or []) // 3
    images = [palette]
    for rgb in rendered:
        image = Image.fromarray(rgb).quantize(palette=palette, dither=Image.Dither.NONE)
        if image.tobytes() == images[-1].tobytes():
            # Pillow merges identical consecutive frames (e.g. a repeated epoch);
            # nudging one corner pixel keeps exactly one GIF frame per snapshot.
            corner = image.getpixel((0, 0))
            index = int(corner) if isinstance(corner, int | float) else 0
            image.putpixel((0, 0), (index + 1) % n_colors)
        images.append(image)
    # Browsers slow GIF frames shorter than 20 ms down to 100 ms, so cap the rate.
    duration = max(20, round(1000 / fps))
    images[0].save(
        tmp,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=duration,
        loop=0,
        optimize=False,
    )


def _write_mp4(rendered: Iterator[np.ndarray], tmp: Path, fps: int) -> None:
    """Pipes RGB frames to ffmpeg for an H.264 MP4 that common players accept."""
    first = next(rendered)
    height, width = first.shape[:2]
    command = [
        FFMpegWriter.bin_path(), "-y", "-hide_banner", "-loglevel", "error",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
        "-r", str(fps),
        "-i", "pipe:0", "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p",
        # yuv420p needs even sizes; an odd dpi gives odd ones.
        "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2:color=white",
        "-f", "mp4", str(tmp),
    ]  # fmt: skip
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except OSError as error:
        raise Gan1dError(f"{_MP4_ERROR} ({error.strerror})") from None
    stdin, stderr_pipe = process.stdin, process.stderr
    assert stdin is not None
    assert stderr_pipe is not None
    try:
        try:
            stdin.write(first.tobytes())
            for rgb in rendered:
                stdin.write(rgb.tobytes())
        except BrokenPipeError:
            pass  # ffmpeg stopped early; its stderr below says why
        finally:
            # Closing stdin ends ffmpeg's input; a pipe it already left may not flush.
            with contextlib.suppress(BrokenPipeError):
                stdin.close()
        # With -loglevel error the stderr text is short, so reading it after the
        # frames cannot dead-lock on a full pipe.
        stderr = stderr_pipe.read().decode(errors="replace").strip()
        returncode = process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        stderr_pipe.close()
    if returncode != 0:
        last = stderr.splitlines()[-1] if stderr else f"exit status {returncode}"
        raise Gan1dError(f"ffmpeg could not write the mp4: {last}; use --animation gif")
