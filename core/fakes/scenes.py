"""Synthetic scenes built from the photos installed packages ship, for benchmarks and tests on any machine."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from core.engine.faces import load_sample

_NAMES = ("grace_hopper", "astronaut")


def _backdrop(width: int, height: int) -> np.ndarray:
    """A plain grey-blue gradient (no structure a face detector could mistake for a face)."""
    ramp = np.linspace(90, 170, width, dtype=np.float32)[None, :, None]
    base = np.broadcast_to(ramp, (height, width, 1))
    return np.clip(np.concatenate([base * 0.9, base, base * 1.1], axis=2), 0, 255).astype(np.uint8)


def _paste(canvas: np.ndarray, photo: np.ndarray, cx: int, cy: int, height: int) -> None:
    scale = height / photo.shape[0]
    ph, pw = height, max(1, int(round(photo.shape[1] * scale)))
    small = cv2.resize(photo, (pw, ph), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    x0, y0 = cx - pw // 2, cy - ph // 2
    xs, ys = max(0, x0), max(0, y0)
    xe, ye = min(canvas.shape[1], x0 + pw), min(canvas.shape[0], y0 + ph)
    canvas[ys:ye, xs:xe] = small[ys - y0:ye - y0, xs - x0:xe - x0]


def scene(width: int, height: int, n_faces: int = 1, *, photo_height: float = 0.7) -> np.ndarray:
    """An (height, width, 3) uint8 image with ``n_faces`` sample portraits laid out on a grid."""
    canvas = _backdrop(width, height)
    if n_faces <= 0:
        return canvas
    cols = int(np.ceil(np.sqrt(n_faces * width / height)))
    rows = int(np.ceil(n_faces / cols))
    cell_w, cell_h = width // cols, height // rows
    for i in range(n_faces):
        r, c = divmod(i, cols)
        photo = load_sample(_NAMES[i % len(_NAMES)])
        h = int(min(cell_h * photo_height, cell_w * photo_height * photo.shape[0] / photo.shape[1]))
        _paste(canvas, photo, c * cell_w + cell_w // 2, r * cell_h + cell_h // 2, h)
    return canvas


def camera_frames(n: int, *, width: int = 640, height: int = 480, sample: str = _NAMES[0]) -> list[np.ndarray]:
    """A synthetic webcam clip for the live tests, benches and the browser test's fake camera: ``n`` (height,
    width, 3) uint8 RGB frames of a built-in sample photo, as tall as the frame, sweeping there and back once
    (so the clip loops smoothly)."""
    return list(moving_face_frames(n, width=width, height=height, photo=load_sample(sample), face_height=1.0,
                                   there_and_back=True))


def moving_face_frames(n: int, *, width: int = 640, height: int = 360, photo: np.ndarray | None = None,
                       face_height: float = 0.6, copies: int = 1, there_and_back: bool = False) -> Iterator[np.ndarray]:
    """``n`` (height, width, 3) uint8 RGB frames of a photo (default: the Grace Hopper sample) sliding across
    the backdrop: left to right, or there and back in one smooth sweep (a camera clip that loops).

    ``copies`` photos side by side, each ``face_height`` × the frame height tall. Keep the photo wide enough
    that the detector's face crop stays inside it: its straight pasted edges would otherwise look like a
    splice. A generator, so a long 1080p clip never sits in memory frame by frame.
    """
    photo = load_sample(_NAMES[0]) if photo is None else photo
    scale = face_height * height / photo.shape[0]
    ph, pw = max(2, int(photo.shape[0] * scale)), max(2, int(photo.shape[1] * scale))
    small = cv2.resize(photo, (pw, ph), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    background = _backdrop(width, height)
    top, span = max(0, (height - ph) // 2), max(0, width - copies * pw)
    for i in range(n):
        t = i / max(1, n - 1)
        along = 0.5 - 0.5 * np.cos(2 * np.pi * t) if there_and_back else t
        frame = background.copy()
        x = int(round(span * along))
        for c in range(copies):
            xs = x + c * pw
            visible = small[:height, :max(0, min(pw, width - xs))]
            frame[top:top + visible.shape[0], xs:xs + visible.shape[1]] = visible
        yield frame
