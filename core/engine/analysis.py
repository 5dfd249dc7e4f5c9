"""The one analysis path: faces → crops → calibrated scores → verdicts. Pages, CLIs, benches and the
evaluation all call :class:`Lab`, so what a class sees is what was measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from core.config import Limits, model_path, torch_threads
from core.engine.detector import Detector, load_detector, untrained_detector
from core.engine.explain import Explanation, explain
from core.engine.faces import Face, FaceExtractor, crop_face
from core.engine.verdict import Verdict


@dataclass(frozen=True)
class FaceResult:
    """One face's result.

    box: (4,) float32 x1, y1, x2, y2 in image pixels; landmarks: (5, 2) float32 image pixels;
    detection_prob: MTCNN confidence; crop: (S, S, 3) uint8 aligned crop the detector saw;
    transform: (2, 3) float32 image → crop; fake_prob: the calibrated fake score in [0, 1] (shown as 0–100);
    verdict: the band it falls in (a :class:`Verdict`, equal to its label text).
    """

    box: np.ndarray
    landmarks: np.ndarray
    detection_prob: float
    crop: np.ndarray = field(repr=False)
    transform: np.ndarray = field(repr=False)
    fake_prob: float = 0.0
    verdict: str = Verdict.UNCERTAIN


@dataclass(frozen=True)
class ImageReport:
    """Everything found in one image. ``faces`` is sorted largest first; ``skipped_faces`` counts faces
    beyond the per-image limit. ``model_trained`` is False when scores come from an untrained model.
    ``rotation``: degrees the image was turned anticlockwise before its faces were found (0, or 90/180/270 when
    rotations were tried because none was found as it was; boxes and sizes are in the turned image, see
    :func:`turn`)."""

    width: int
    height: int
    faces: list[FaceResult]
    skipped_faces: int
    model_trained: bool
    model_version: str
    rotation: int = 0

    @property
    def max_prob(self) -> float | None:
        return max((f.fake_prob for f in self.faces), default=None)


ROTATIONS = (180, 90, 270)  # upside down first: the commonest way a photo arrives turned


def turn(rgb: np.ndarray, degrees: int) -> np.ndarray:
    """The (H, W, 3) image turned ``degrees`` (a multiple of 90) anticlockwise, contiguous."""
    return np.ascontiguousarray(np.rot90(rgb, k=(degrees // 90) % 4))


class Lab:
    """The shared engine: one face extractor and one detector, built once per process.

    Thread-safe: detection is serialised inside :class:`FaceExtractor`; scoring is pure inference.
    """

    def __init__(self, detector: Detector, extractor: FaceExtractor | None = None, limits: Limits | None = None):
        self.detector = detector
        self.limits = limits or Limits.from_env()
        self.extractor = extractor or FaceExtractor(crop_size=detector.input_size, margin=detector.meta.margin)

    @property
    def trained(self) -> bool:
        return self.detector.trained

    def crop(self, rgb: np.ndarray, face: Face) -> tuple[np.ndarray, np.ndarray]:
        """The detector's crop of a face: the lab's one crop function at the detector's size and margin."""
        return crop_face(rgb, face.box, face.landmarks, self.detector.input_size, self.detector.meta.margin)

    def score_faces(self, rgb: np.ndarray, faces: list[Face]) -> list[FaceResult]:
        """Score already-detected faces of one image (one batched forward pass)."""
        if not faces:
            return []
        crops_and_m = [(f.crop, f.transform) if f.crop is not None and f.crop.shape[0] == self.detector.input_size
                       else self.crop(rgb, f) for f in faces]
        probs = self.detector.predict(np.stack([c for c, _ in crops_and_m]))
        return [FaceResult(box=f.box, landmarks=f.landmarks, detection_prob=f.prob, crop=c, transform=m,
                           fake_prob=float(p), verdict=self.detector.verdict(float(p)))
                for f, (c, m), p in zip(faces, crops_and_m, probs)]

    def analyze_image(self, rgb: np.ndarray, *, max_faces: int | None = None,
                      try_rotations: bool = False) -> ImageReport:
        """Find and score every face (up to the limit, largest first) in an (H, W, 3) uint8 RGB image.

        ``try_rotations``: when no face is found, look again with the image turned 180°, 90° and 270° (MTCNN
        finds upright faces only; a phone photo can arrive sideways or upside down without an EXIF
        orientation) and report the first turn that finds one in ``rotation``.
        """
        limit = max_faces or self.limits.max_faces
        faces, rotation = self.extractor.detect(rgb, crops=True), 0
        for degrees in ROTATIONS if try_rotations and not faces else ():
            turned = turn(rgb, degrees)
            faces = self.extractor.detect(turned, crops=True)
            if faces:
                rgb, rotation = turned, degrees
                break
        results = self.score_faces(rgb, faces[:limit])
        return ImageReport(width=rgb.shape[1], height=rgb.shape[0], faces=results,
                           skipped_faces=max(0, len(faces) - limit), model_trained=self.trained,
                           model_version=self.detector.meta.version, rotation=rotation)

    def explain(self, face: FaceResult | Face | np.ndarray, method: str = "gradcam", **kwargs) -> Explanation:
        """Where the detector looked for one face: its crop's heatmap, ready to draw with ``.overlay(alpha)``.

        ``face`` is a scored :class:`FaceResult`, a :class:`Face` with a crop at the detector's size, or the
        (S, S, 3) uint8 crop itself. ``method`` is a key of :data:`core.engine.explain.METHODS`.
        """
        return explain(self.detector, self._crop(face, "explain"), method, **kwargs)

    def seam_map(self, face: FaceResult | Face | np.ndarray) -> np.ndarray | None:
        """Where the detector's seam head expects a blending boundary in one face crop: (S, S) float32 in [0, 1]
        (see :meth:`Detector.seam_maps`); None when the loaded detector has no seam head."""
        if not self.detector.has_seam_head:
            return None
        return self.detector.seam_maps(self._crop(face, "seam_map"))[0]

    def _crop(self, face: FaceResult | Face | np.ndarray, caller: str) -> np.ndarray:
        """The (S, S, 3) crop of a scored face, a detected face or the crop itself, at the detector's input size."""
        crop = face if isinstance(face, np.ndarray) else face.crop
        if crop is None or crop.shape[:2] != (self.detector.input_size, self.detector.input_size):
            raise ValueError(f"{caller} needs the face's crop at the detector's input size")
        return crop

    def score_crops(self, crops: np.ndarray) -> np.ndarray:
        """Probabilities for ready-made (N, S, S, 3) uint8 crops."""
        return self.detector.predict(crops)


def load_lab(path: str | Path | None = None, *, allow_untrained: bool = True) -> Lab:
    """Build the engine from the shipped checkpoint (``LAB_MODEL_PATH``).

    Without a checkpoint, and when ``allow_untrained``, an untrained detector is used and
    ``lab.trained`` is False, so callers can say plainly that its scores mean nothing.
    """
    torch.set_num_threads(torch_threads())
    path = Path(path) if path else model_path()
    if path.exists():
        detector = load_detector(path)
    elif allow_untrained:
        detector = untrained_detector()
    else:
        raise FileNotFoundError(f"No detector checkpoint at {path}. Train one with `python -m core.training.train`.")
    return Lab(detector)
