"""The animation of a run: what the GAN does and why, one frame per snapshot.

Each frame shows the generated points over the real ones and, as layers, what
moves them (the layers of GAN Lab's view): the discriminator's verdict over the
plane as a heatmap with its undecided contour, the push of the generator's loss on
each point, the generator's manifold, and the losses and a quality number up to the
frame's epoch in a panel beside it.

`animate` and `still` take a run's arrays; `write_animation` and `write_still` take
a ready `Scene`, which a run builds once for all its pictures. Frames are drawn by
`gan1d.pictures.frames` and written by `gan1d.pictures.encoders`, to a temporary
file renamed into place when complete.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gan1d.checks import integer, real
from gan1d.errors import Gan1dError
from gan1d.files import atomic_path
from gan1d.pictures.encoders import MP4_ERROR, ffmpeg_available, write_gif, write_mp4
from gan1d.pictures.frames import DPI, Frames
from gan1d.pictures.scene import Scene
from gan1d.pictures.style import Curve, PathArg

if TYPE_CHECKING:
    from PIL import Image

    from gan1d.core.views import Views
    from gan1d.data.distribution import Bounds

__all__ = ["AnimationFile", "animate", "still", "write_animation", "write_frames", "write_still"]

# The last frame is held this long, so the end can be seen before the loop restarts.
HOLD_SECONDS = 2.0
FPS = 25


class AnimationFile(type(Path())):  # type: ignore[misc]
    """The path of a written animation or picture, which Jupyter shows inline.

    It is a `pathlib.Path` in every other respect.
    """

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.read_bytes()).decode("ascii")
        suffix = self.suffix.lower()
        if suffix == ".mp4":
            return f'<video controls loop autoplay muted src="data:video/mp4;base64,{data}"></video>'
        kind = "gif" if suffix == ".gif" else "png"
        return f'<img alt="{html.escape(self.name)}" src="data:image/{kind};base64,{data}">'


def animate(
    snapshots: Sequence[tuple[int, np.ndarray]] | Any,
    real_points: np.ndarray,
    path: PathArg,
    *,
    views: Views | None = None,
    history: Mapping[str, Sequence[float]] | Any = None,
    quality: tuple[str, Sequence[float]] | None = None,
    show: str | Sequence[str] | None = None,
    curve: Curve | None = None,
    bounds: Bounds | None = None,
    fps: int = FPS,
    dpi: int = DPI,
    hold: float = HOLD_SECONDS,
) -> AnimationFile:
    """Animates the generated points over the real ones, one frame per snapshot, with layers.

    Args:
        snapshots: `(epoch, (n, 2) points)` per frame, or a `gan1d.SnapshotCallback`
            (its layers come with it).
        real_points: `(m, 2)` real points.
        path: ".gif" or ".mp4" file to write.
        views: The layers captured at each snapshot (`gan1d.core.views.Views`); a
            `TrainResult` has them as `.views`.
        history: `{"d_loss": [...], "g_loss": [...]}` per epoch, or a Keras
            `History`, for the loss panel.
        quality: `(name, one value per snapshot)`, drawn under the losses.
        show: Layers to draw: some of "heatmap", "gradients", "manifold", "losses",
            or "all", or "none". None draws the heatmap and the losses where their
            data is given.
        curve: `(x, y)` arrays of the true curve, or None.
        bounds: `((xmin, xmax), (ymin, ymax))` to show, padded by 5%; None takes
            the plane the views cover, else fits the real points and the curve.
        fps: Frames per second.
        dpi: Resolution; at 100 the frame is 640 px wide with the loss panel.
        hold: Seconds the last frame stays before the animation loops.

    Returns:
        The path written, an `AnimationFile` (a `Path` that Jupyter shows).

    Raises:
        Gan1dError: On empty snapshots, malformed arrays, a layer asked for
            without its data, a suffix other than .gif/.mp4, .mp4 without ffmpeg,
            or fps/dpi below 1.
    """
    _check_animation_path(path)
    scene = Scene.build(
        snapshots, real_points, views=views, history=history, quality=quality, show=show, curve=curve, bounds=bounds
    )
    return write_animation(scene, path, fps=fps, dpi=dpi, hold=hold)


def write_animation(
    scene: Scene, path: PathArg, *, fps: int = FPS, dpi: int = DPI, hold: float = HOLD_SECONDS
) -> AnimationFile:
    """Writes a scene's frames as a ".gif" or ".mp4" (see `animate` for the arguments).

    Raises:
        Gan1dError: On a suffix other than .gif/.mp4, .mp4 without ffmpeg, or fps/dpi below 1.
    """
    final = _check_animation_path(path)
    fps, dpi = integer("fps", fps), integer("dpi", dpi)
    hold = real("hold", hold, signed=True)
    if hold < 0:
        raise Gan1dError(f"hold must be 0 seconds or more, got {hold}")
    frames = Frames(scene, dpi)
    return write_frames((frames.draw(i) for i in range(len(scene))), final, fps=fps, hold=hold)


def write_frames(rendered: Iterator[Image.Image], path: Path, *, fps: int, hold: float) -> AnimationFile:
    """Writes drawn RGB frames as the ".gif" or ".mp4" `path` names, whole or not at all."""
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".gif":
            write_gif(rendered, tmp, fps, hold)
        else:
            write_mp4(rendered, tmp, fps, hold)
    return AnimationFile(path)


def _check_animation_path(path: PathArg) -> Path:
    final = Path(path)
    suffix = final.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise Gan1dError(f"unsupported animation format {final.suffix or final.name!r}; use .gif or .mp4")
    if suffix == ".mp4" and not ffmpeg_available():
        raise Gan1dError(MP4_ERROR)
    return final


def still(
    snapshots: Sequence[tuple[int, np.ndarray]] | Any,
    real_points: np.ndarray,
    path: PathArg,
    *,
    frame: int = -1,
    dpi: int = DPI,
    **layers: Any,
) -> AnimationFile:
    """Draws one frame of the animation (the last by default) as a PNG.

    Args:
        snapshots: As for `animate`.
        real_points: As for `animate`.
        path: The ".png" file to write.
        frame: Index of the snapshot drawn (negative counts from the end).
        dpi: Resolution.
        **layers: `animate`'s `views`, `history`, `quality`, `show`, `curve`, `bounds`.

    Returns:
        The path written.

    Raises:
        Gan1dError: As `animate`, or on a frame index out of range or a suffix
            other than .png.
    """
    _check_still_path(path)
    return write_still(Scene.build(snapshots, real_points, **layers), path, frame=frame, dpi=dpi)


def write_still(scene: Scene, path: PathArg, *, frame: int = -1, dpi: int = DPI) -> AnimationFile:
    """Writes one frame of a scene as a ".png" (see `still`).

    Raises:
        Gan1dError: On a frame index out of range or a suffix other than .png.
    """
    final = _check_still_path(path)
    if not -len(scene) <= frame < len(scene):
        raise Gan1dError(f"frame {frame} is out of range for {len(scene)} snapshots")
    image = Frames(scene, integer("dpi", dpi)).draw(frame % len(scene))
    with atomic_path(final) as tmp:
        image.save(tmp, format="PNG")
    return AnimationFile(final)


def _check_still_path(path: PathArg) -> Path:
    final = Path(path)
    if final.suffix.lower() != ".png":
        raise Gan1dError(f"unsupported picture format {final.suffix or final.name!r}; use .png")
    return final
