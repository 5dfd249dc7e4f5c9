"""Face extraction: facenet-pytorch's MTCNN detector plus the lab's one crop function.

Training, evaluation, benchmarks and pages all crop faces with :func:`crop_face`, so the detector sees
faces framed, aligned and padded the same way everywhere.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Sequence

import cv2
import numpy as np

DEFAULT_CROP_SIZE = 128
DEFAULT_MARGIN = 0.5  # the crop's side is (1 + margin) × the face box's longer side
DEFAULT_DETECT_SIDE = 640  # detect on a copy whose longer side is at most this


@dataclass(frozen=True)
class Face:
    """One detected face.

    box: (4,) float32 ``x1, y1, x2, y2`` in original-image pixels.
    landmarks: (5, 2) float32 ``x, y`` of left eye, right eye, nose, left and right mouth corner (image pixels).
    prob: MTCNN's detection probability in [0, 1].
    crop: (S, S, 3) uint8 aligned square crop, or None when crops were not asked for.
    transform: (2, 3) float32 affine map from image pixels to crop pixels (None without a crop).
    """

    box: np.ndarray
    landmarks: np.ndarray
    prob: float
    crop: np.ndarray | None = field(default=None, repr=False)
    transform: np.ndarray | None = field(default=None, repr=False)

    @property
    def size(self) -> float:
        """Longer side of the box in pixels."""
        return float(max(self.box[2] - self.box[0], self.box[3] - self.box[1]))


def face_transform(box: np.ndarray, landmarks: np.ndarray, size: int = DEFAULT_CROP_SIZE,
                   margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """The (2, 3) float32 similarity transform from image pixels to an aligned ``size``×``size`` crop.

    The crop is centred on the face box, rotated so the eyes are level, and its side is
    ``(1 + margin)`` times the box's longer side.
    """
    box = np.asarray(box, dtype=np.float64)
    lm = np.asarray(landmarks, dtype=np.float64).reshape(5, 2)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    side = max(box[2] - box[0], box[3] - box[1], 1.0) * (1.0 + margin)
    dx, dy = lm[1] - lm[0]
    angle = np.degrees(np.arctan2(dy, dx)) if np.hypot(dx, dy) > 1e-3 else 0.0
    scale = size / side
    m = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    m[:, 2] += (size / 2 - cx, size / 2 - cy)
    return m.astype(np.float32)


def crop_face(rgb: np.ndarray, box: np.ndarray, landmarks: np.ndarray, size: int = DEFAULT_CROP_SIZE,
              margin: float = DEFAULT_MARGIN) -> tuple[np.ndarray, np.ndarray]:
    """Cut the aligned square face crop out of an (H, W, 3) uint8 image.

    Returns ``(crop, transform)``: crop (size, size, 3) uint8, transform (2, 3) float32 (image → crop).
    Where the crop reaches past the image border it is filled by mirroring the image, identically in
    training and inference. Not black: a black border is a hard straight edge next to the face, and the
    detector took it for a blending boundary (on tight real UTKFace crops 21% read as manipulated with
    black padding, 2% with mirrored padding, same weights).
    """
    m = face_transform(box, landmarks, size, margin)
    crop = cv2.warpAffine(rgb, m, (size, size), flags=cv2.INTER_AREA if m[0, 0] ** 2 + m[0, 1] ** 2 < 1 else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT_101)
    return crop, m


def transform_points(points: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Apply a (2, 3) affine to (N, 2) points; returns (N, 2) float32."""
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    return (pts @ m[:, :2].T + m[:, 2]).astype(np.float32)


def shrink_to_longest(rgb: np.ndarray, side: int | None) -> tuple[np.ndarray, float]:
    """An (H, W, C) image shrunk (area averaging) so its longer side is at most ``side``, and the scale used.

    Returns ``(image, scale)`` with ``scale <= 1``; the image itself and 1.0 when it is small enough or
    ``side`` is None/0. Points found on the copy map back to the original by dividing by ``scale``.
    """
    h, w = rgb.shape[:2]
    if not side or max(h, w) <= side:
        return rgb, 1.0
    s = side / max(h, w)
    return cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA), s


def pick_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class FaceExtractor:
    """Finds every face in an image with MTCNN and returns :class:`Face` records.

    Built once and shared: a lock serialises the detector so many Streamlit sessions (threads) can call
    :meth:`detect` at once. Large images are detected on a copy whose longer side is ``detect_side`` (the
    extractor's default, or the caller's for one call) and boxes are mapped back to the original pixels. No
    face is a normal result (an empty list).
    """

    def __init__(self, *, crop_size: int = DEFAULT_CROP_SIZE, margin: float = DEFAULT_MARGIN,
                 detect_side: int | None = DEFAULT_DETECT_SIDE, min_prob: float = 0.9,
                 min_face_size: int = 20, device: str | None = None):
        import torch
        from facenet_pytorch import MTCNN

        self.crop_size, self.margin = crop_size, margin
        self.detect_side, self.min_prob = detect_side, min_prob
        self.device = device or pick_device()
        self._mtcnn = MTCNN(keep_all=True, min_face_size=min_face_size, device=self.device, post_process=False)
        # Channels-last weights make the convolutions and poolings follow that layout: same boxes, about a
        # quarter less CPU time for the three small networks (bench/faces.py).
        for net in (self._mtcnn.pnet, self._mtcnn.rnet, self._mtcnn.onet):
            net.to(memory_format=torch.channels_last)
        self._lock = threading.Lock()

    def detect(self, rgb: np.ndarray, *, crops: bool = True, max_faces: int | None = None,
               detect_side: int | None = None) -> list[Face]:
        """All faces in an (H, W, 3) uint8 RGB image, largest first.

        ``detect_side``: search a copy whose longer side is at most this many pixels (None: the extractor's
        default; 0: full resolution). Boxes and landmarks are always in the original image's pixels.
        """
        return self.detect_batch([rgb], crops=crops, max_faces=max_faces, detect_side=detect_side)[0]

    def detect_batch(self, frames: Sequence[np.ndarray], *, crops: bool = True, max_faces: int | None = None,
                     detect_side: int | None = None) -> list[list[Face]]:
        """Faces for each of several images; same-sized images (video frames) run as one MTCNN batch."""
        if len(frames) == 0:
            return []
        shapes = {f.shape for f in frames}
        if len(shapes) > 1:
            return [self.detect_batch([f], crops=crops, max_faces=max_faces, detect_side=detect_side)[0]
                    for f in frames]
        shape = frames[0].shape
        if len(shape) != 3 or shape[2] != 3 or frames[0].dtype != np.uint8:
            raise ValueError(f"expected (H, W, 3) uint8 RGB images, got {shape} {frames[0].dtype}")
        side = self.detect_side if detect_side is None else detect_side
        shrunk = [shrink_to_longest(f, side) for f in frames]
        scale = shrunk[0][1]
        small = [np.ascontiguousarray(f) for f, _ in shrunk]
        if min(shape[0], shape[1]) * scale < 12:  # too small for MTCNN's first stage: nothing to find
            return [[] for _ in frames]
        with self._lock:
            batch = np.stack(small)
            boxes, probs, points = self._mtcnn.detect(batch, landmarks=True)
        results = []
        for frame, b, p, lm in zip(frames, boxes, probs, points):
            results.append(self._faces(frame, b, p, lm, scale, crops, max_faces))
        return results

    def _faces(self, frame, boxes, probs, points, scale, crops, max_faces) -> list[Face]:
        if boxes is None or len(boxes) == 0:
            return []
        boxes = np.asarray(list(boxes), dtype=np.float32).reshape(-1, 4) / scale
        probs = np.asarray(list(probs), dtype=np.float32).reshape(-1)
        points = np.asarray(list(points), dtype=np.float32).reshape(-1, 5, 2) / scale
        keep = probs >= self.min_prob
        boxes, probs, points = boxes[keep], probs[keep], points[keep]
        sizes = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
        order = np.argsort(-sizes, kind="stable")
        if max_faces is not None:
            order = order[:max_faces]
        faces = []
        for i in order:
            crop = m = None
            if crops:
                crop, m = crop_face(frame, boxes[i], points[i], self.crop_size, self.margin)
            faces.append(Face(box=boxes[i], landmarks=points[i], prob=float(probs[i]), crop=crop, transform=m))
        return faces


def sample_image_path(name: str) -> str:
    """Path of a photo shipped inside an installed package: ``"grace_hopper"`` or ``"astronaut"``."""
    if name == "grace_hopper":
        import matplotlib.cbook

        return str(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    if name == "astronaut":
        import skimage

        from pathlib import Path

        return str(Path(skimage.__file__).parent / "data" / "astronaut.png")
    raise KeyError(f"unknown sample {name!r}")


SAMPLES = {"grace_hopper": "Grace Hopper (matplotlib sample)", "astronaut": "Eileen Collins (scikit-image sample)"}


def load_sample(name: str) -> np.ndarray:
    """A built-in sample photo as an RGB uint8 array."""
    from core.engine.media import load_image

    return load_image(sample_image_path(name))
