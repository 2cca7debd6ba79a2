"""A run's frames drawn while it trains: the plane of each frame as its snapshot arrives, the panels at the end.

The plane of a frame (the heatmap and its contour, the manifold, the pushes, the
points, the labels above them) depends on that frame's snapshot alone. The panel of
losses and quality depends on the whole run: its limits, the averaging of a long
history, the last epoch. `StreamedFrames.add` draws the plane of each snapshot as it
comes, on a figure laid out as the final one will be, and keeps the pixels it
changed (compressed); `compose` draws the panels on the final figure and puts each
kept plane back. The frames are those `Frames.draw` draws, pixel for pixel: a kept
plane is used only where the final scene has the same snapshot, view and layers,
the two backgrounds agree under it, and the panel leaves it alone; any other frame
is drawn whole again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import zlib
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from gan1d.core.views import CAPTURED, Views
from gan1d.pictures.frames import Frames
from gan1d.pictures.scene import Scene

if TYPE_CHECKING:
    from gan1d.data.distribution import Bounds
    from gan1d.pictures.style import Curve

__all__ = ["StreamedFrames"]


@dataclasses.dataclass(frozen=True)
class _Plane:
    """The pixels one frame's plane changed, and which snapshot drew them.

    `parts` are `(rows, columns, compressed pixels)`: one rectangle per run of rows
    with changes, so the labels above the plane and the plane itself are kept apart.
    """

    snapshot: bytes
    parts: tuple[tuple[slice, slice, bytes], ...]


class StreamedFrames:
    """Frames drawn as a run's snapshots arrive, finished once the run is over.

    Attributes:
        reused: How many frames `compose` made from kept planes (the others were drawn whole).

    Args:
        real: The real points drawn, `(m, 2)`.
        curve: The target's curve, or None.
        plane: The view, which the captured layers cover.
        show: The layers shown, as the final scene will show them.
        dpi: Resolution.
        quality: The name of the quality number under the losses, or None.
    """

    def __init__(
        self,
        *,
        real: np.ndarray,
        curve: Curve | None,
        plane: Bounds,
        show: Sequence[str],
        dpi: int,
        quality: str | None = None,
    ) -> None:
        self.real, self.curve, self.plane, self.show, self.dpi = real, curve, plane, tuple(show), dpi
        self.quality = quality
        self.frames: Frames | None = None
        self.background: np.ndarray | None = None
        self.planes: list[_Plane] = []
        self.reused = 0

    def __len__(self) -> int:
        return len(self.planes)

    def add(self, epoch: int, points: np.ndarray, layers: Mapping[str, np.ndarray]) -> None:
        """Draws the plane of the next frame: the snapshot of `epoch` with its captured layers."""
        scene = self._scene(epoch, points, layers)
        if self.frames is None:
            self.frames = Frames(scene, self.dpi)
            self.background = np.array(_pixels(self.frames))
        frames, background = self.frames, self.background
        assert background is not None
        frames.canvas.restore_region(frames.background)
        frames.draw_plane(0, scene)
        pixels = _pixels(frames)
        changed = _words(pixels) != _words(background)
        parts = []
        for rows in _runs(changed.any(axis=1)):
            columns = np.flatnonzero(changed[rows].any(axis=0))
            where = rows, slice(int(columns[0]), int(columns[-1]) + 1)
            parts.append((*where, zlib.compress(np.ascontiguousarray(pixels[where]).tobytes(), 1)))
        self.planes.append(_Plane(_snapshot(scene, 0), tuple(parts)))

    def compose(self, scene: Scene) -> Iterator[Image.Image]:
        """The frames of `scene` as RGB images, the final panels drawn and the kept planes put back."""
        final = Frames(scene, self.dpi)
        kept = self.planes if self.frames is not None and self._same_figure(scene) else []
        if not kept:
            yield from (final.draw(frame) for frame in range(len(scene)))
            return
        assert self.background is not None
        background = _words(np.array(_pixels(final)))
        differs = background != _words(self.background)
        for frame in range(len(scene)):
            final.canvas.restore_region(final.background)
            final.draw_panel(frame)
            plane = kept[frame] if frame < len(kept) else None
            if plane is not None and plane.snapshot == _snapshot(scene, frame):
                # Writable: the canvas's own pixels.
                pixels = _pixels(final)
                words = _words(pixels)
                if all(
                    not differs[rows, columns].any() and np.array_equal(words[rows, columns], background[rows, columns])
                    for rows, columns, _ in plane.parts
                ):
                    for rows, columns, kept_pixels in plane.parts:
                        shape = pixels[rows, columns].shape
                        pixels[rows, columns] = np.frombuffer(zlib.decompress(kept_pixels), np.uint8).reshape(shape)
                    self.reused += 1
                    yield final.image()
                    continue
            yield final.draw(frame)

    def _scene(self, epoch: int, points: np.ndarray, layers: Mapping[str, np.ndarray]) -> Scene:
        """One frame, with a stand-in panel: the panel's axes are drawn again at the end."""
        views = Views(self.plane, *(np.asarray(layers[name], np.float32)[None] for name in CAPTURED))
        placeholder = np.ones(1)
        return Scene(
            epochs=(int(epoch),),
            points=(np.asarray(points, dtype=np.float32),),
            real=self.real,
            curve=self.curve,
            limits=self.plane,
            views=views,
            losses=(placeholder, placeholder, placeholder) if "losses" in self.show else None,
            quality=None if self.quality is None else (self.quality, placeholder),
            show=self.show,
        )

    def _same_figure(self, scene: Scene) -> bool:
        """Whether `scene` draws its planes on the figure the kept planes were drawn on."""
        views = scene.views
        return (
            views is not None
            and views.plane == self.plane
            and scene.limits == self.plane
            and scene.show == self.show
            and np.array_equal(scene.real, self.real)
            and (scene.quality is None) == (self.quality is None)
            and _same_curve(scene.curve, self.curve)
            and self.frames is not None
            and self.frames.scene.views is not None
            and views.verdict.shape[1:] == self.frames.scene.views.verdict.shape[1:]
        )


def _pixels(frames: Frames) -> np.ndarray:
    """The canvas's pixels, `(height, width, 4)` uint8 (a view: copy it to keep it)."""
    return np.asarray(frames.canvas.buffer_rgba())


def _runs(flags: np.ndarray) -> list[slice]:
    """The runs of consecutive True values in a 1-D boolean array, as slices."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
    return [slice(int(start), int(stop)) for start, stop in zip(edges[::2], edges[1::2], strict=True)]


def _words(pixels: np.ndarray) -> np.ndarray:
    """RGBA pixels `(height, width, 4)` as one 32-bit word each, `(height, width)`: four times fewer comparisons."""
    words: np.ndarray = pixels.view(np.uint32)[..., 0]
    return words


def _snapshot(scene: Scene, frame: int) -> bytes:
    """A digest of everything a frame's plane is drawn from."""
    digest = hashlib.sha256(str(scene.epochs[frame]).encode())
    digest.update(np.ascontiguousarray(scene.points[frame], dtype=np.float32).tobytes())
    if scene.views is not None:
        for name in CAPTURED:
            digest.update(np.ascontiguousarray(getattr(scene.views, name)[frame]).tobytes())
    return digest.digest()


def _same_curve(a: Curve | None, b: Curve | None) -> bool:
    if a is None or b is None:
        return a is b
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
