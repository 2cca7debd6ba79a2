"""Writing frames to a file: a GIF with one shared palette (Pillow), or an MP4 through ffmpeg.

Each GIF frame after the first stores only the pixels that changed, and the last
frame is held, so the end can be seen before the animation loops.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from matplotlib.animation import FFMpegWriter
from PIL import Image

from gan1d.errors import Gan1dError
from gan1d.pictures.palette import BAND_COLORS, FRAME_COLORS

__all__ = ["MP4_ERROR", "ffmpeg_available", "write_gif", "write_mp4"]

# Frame colours of a GIF: one shared palette, so colours never flicker.
_GIF_COLORS = 256
MP4_ERROR = "mp4 needs ffmpeg on PATH; use --animation gif"


def ffmpeg_available() -> bool:
    """Whether the ffmpeg binary matplotlib would use is on PATH."""
    return shutil.which(FFMpegWriter.bin_path()) is not None


def _palette(first: Image.Image) -> Image.Image:
    """One palette for every frame: the heatmap's bands and the first frame's other colours.

    The last entry is left for "unchanged" (see `_write_gif`).
    """
    # The colours that carry meaning are kept exactly (see `FRAME_COLORS`).
    fixed = np.concatenate([BAND_COLORS, FRAME_COLORS])
    room = _GIF_COLORS - 1 - len(fixed)
    own = first.quantize(room, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    colors = np.asarray(own.getpalette() or [], dtype=np.uint8).reshape(-1, 3)[:room]
    entries = np.zeros((_GIF_COLORS, 3), np.uint8)
    entries[: len(colors)] = colors
    entries[room : room + len(fixed)] = fixed
    palette = Image.new("P", (1, 1))
    palette.putpalette(entries.reshape(-1).tolist())
    return palette


def write_gif(rendered: Iterator[Image.Image], tmp: Path, fps: int, hold: float) -> None:
    """Writes RGB frames as a looping GIF with one shared palette, holding the last frame.

    Each frame after the first stores only its changed pixels: the others are
    the transparent "unchanged" colour over the frame before, which halves the file.
    """
    first = next(rendered)
    palette = _palette(first)
    colors = palette.getpalette() or []
    unchanged = _GIF_COLORS - 1
    frames: list[Image.Image] = []
    previous: np.ndarray | None = None
    previous_delta: np.ndarray | None = None
    for rgb in itertools.chain([first], rendered):
        indices = np.asarray(rgb.quantize(palette=palette, dither=Image.Dither.NONE))
        delta = indices
        if previous is not None:
            delta = np.where(indices == previous, np.uint8(unchanged), indices)
            if previous_delta is not None and np.array_equal(delta, previous_delta):
                # Pillow merges a frame identical to the one before (a repeated
                # snapshot); one corner drawn rather than kept looks the same and
                # keeps exactly one GIF frame per snapshot.
                delta[0, 0] = indices[0, 0] if delta[0, 0] == unchanged else unchanged
        image = Image.fromarray(delta, "P")
        image.putpalette(colors)
        frames.append(image)
        previous, previous_delta = indices, delta
    # Browsers slow GIF frames shorter than 20 ms down to 100 ms, so cap the rate.
    duration = max(20, round(1000 / fps))
    durations = [duration] * (len(frames) - 1) + [max(duration, round(1000 * hold))]
    frames[0].save(
        tmp,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        optimize=False,
        transparency=unchanged,
        disposal=1,
    )


def write_mp4(rendered: Iterator[Image.Image], tmp: Path, fps: int, hold: float) -> None:
    """Pipes RGB frames to ffmpeg for an H.264 MP4 that common players accept, holding the last frame."""
    first = next(rendered)
    width, height = first.size
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
        raise Gan1dError(f"{MP4_ERROR} ({error.strerror})") from None
    stdin, stderr_pipe = process.stdin, process.stderr
    assert stdin is not None
    assert stderr_pipe is not None
    try:
        try:
            last = first
            stdin.write(first.tobytes())
            for rgb in rendered:
                stdin.write(rgb.tobytes())
                last = rgb
            for _ in range(round(hold * fps)):
                stdin.write(last.tobytes())
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
        message = stderr.splitlines()[-1] if stderr else f"exit status {returncode}"
        raise Gan1dError(f"ffmpeg could not write the mp4: {message}; use --animation gif")
