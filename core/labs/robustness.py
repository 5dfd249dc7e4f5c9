"""How everyday changes to a photo move the detector's score: JPEG, downscaling, blur, noise, brightness.

Each change is applied to the **detector's face crop** (the lab's one crop function, via ``Lab.crop``),
not to the whole photo. That is what the detector sees, it is the same for every photo size, and it
lets every setting of every change be scored in **one batched forward pass** (about 50 crops of
128×128). Strengths are therefore relative to the crop: a downscale factor of 0.5 means the face
reaches the detector with half as many pixels across as it normally has; JPEG blocks are laid on the
crop's grid. Noise is drawn from a seeded generator, so curves are reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import cv2
import numpy as np

from core.engine.detector import Detector


def jpeg(crop: np.ndarray, quality: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """Re-encode as JPEG at ``quality`` (1–100) with OpenCV's encoder, then decode."""
    q = int(np.clip(round(quality), 1, 100))
    ok, buf = cv2.imencode(".jpg", crop[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, q])
    if not ok:
        raise RuntimeError("OpenCV could not encode the crop as JPEG")
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])


def downscale(crop: np.ndarray, factor: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """Shrink by ``factor`` (0–1] with area averaging, then enlarge back: detail finer than the small
    copy's pixels is lost, as when a platform resizes a photo."""
    if factor >= 1.0:
        return crop.copy()
    h, w = crop.shape[:2]
    small = cv2.resize(crop, (max(2, round(w * factor)), max(2, round(h * factor))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def blur(crop: np.ndarray, sigma: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """Gaussian blur with standard deviation ``sigma`` in crop pixels (0 = unchanged)."""
    if sigma <= 0:
        return crop.copy()
    return cv2.GaussianBlur(crop, (0, 0), float(sigma), borderType=cv2.BORDER_REFLECT_101)


def noise(crop: np.ndarray, sigma: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """Add Gaussian noise with standard deviation ``sigma`` in grey levels (0–255), like a dark sensor."""
    if sigma <= 0:
        return crop.copy()
    rng = rng if rng is not None else np.random.default_rng(0)
    out = crop.astype(np.float32) + rng.normal(0.0, float(sigma), crop.shape).astype(np.float32)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def brightness(crop: np.ndarray, gain: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """Multiply every pixel by ``gain`` (1 = unchanged), clipping at white, like an exposure change."""
    return np.clip(crop.astype(np.float32) * float(gain) + 0.5, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Perturbation:
    """One kind of change. ``strengths`` are the default curve points, from none to strongest;
    ``identity`` is the strength that leaves the crop unchanged; ``lo``/``hi`` bound a slider."""

    key: str
    label: str
    unit: str
    apply: Callable[[np.ndarray, float, np.random.Generator | None], np.ndarray]
    strengths: tuple[float, ...]
    identity: float
    lo: float
    hi: float
    step: float


PERTURBATIONS: dict[str, Perturbation] = {p.key: p for p in (
    Perturbation("jpeg", "JPEG quality", "quality (100 = best)", jpeg,
                 (100, 95, 90, 80, 70, 60, 50, 40, 30, 20, 10, 5), 100, 5, 100, 5),
    Perturbation("downscale", "Downscale", "size factor (1 = original)", downscale,
                 (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15), 1.0, 0.15, 1.0, 0.05),
    Perturbation("blur", "Blur", "sigma in pixels", blur,
                 (0.0, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0), 0.0, 0.0, 4.0, 0.25),
    Perturbation("noise", "Noise", "sigma in grey levels", noise,
                 (0.0, 2.0, 4.0, 6.0, 8.0, 12.0, 16.0, 20.0, 25.0, 30.0), 0.0, 0.0, 30.0, 1.0),
    Perturbation("brightness", "Brightness", "gain (1 = unchanged)", brightness,
                 (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6), 1.0, 0.4, 1.6, 0.05),
)}


def perturb(crop: np.ndarray, kind: str, strength: float, seed: int = 0) -> np.ndarray:
    """One change applied to an (S, S, 3) uint8 crop; returns a new (S, S, 3) uint8 crop."""
    if kind not in PERTURBATIONS:
        raise ValueError(f"unknown change {kind!r}; choose one of {sorted(PERTURBATIONS)}")
    return PERTURBATIONS[kind].apply(crop, float(strength), np.random.default_rng(seed))


def apply_chain(crop: np.ndarray, settings: Mapping[str, float], seed: int = 0) -> np.ndarray:
    """Several changes at once, in the order a photo's life adds them: exposure, blur, sensor noise,
    resizing, then JPEG last (platforms compress what they are given). Unknown keys raise ValueError."""
    unknown = set(settings) - set(PERTURBATIONS)
    if unknown:
        raise ValueError(f"unknown change(s) {sorted(unknown)}; choose from {sorted(PERTURBATIONS)}")
    out = crop
    for kind in ("brightness", "blur", "noise", "downscale", "jpeg"):
        if kind in settings:
            out = perturb(out, kind, settings[kind], seed)
    return out


@dataclass(frozen=True)
class Curve:
    """The detector's score along one change. strengths: (K,) float64; probs: (K,) float32 in [0, 1]."""

    kind: str
    label: str
    unit: str
    strengths: np.ndarray
    probs: np.ndarray


@dataclass(frozen=True)
class RobustnessReport:
    """base_prob: the unchanged crop's score; curves: one :class:`Curve` per change, keyed like PERTURBATIONS."""

    base_prob: float
    curves: dict[str, Curve]


def robustness_curves(detector: Detector, crop: np.ndarray, *, kinds: tuple[str, ...] | None = None,
                      strengths: Mapping[str, tuple[float, ...]] | None = None, seed: int = 0) -> RobustnessReport:
    """Score one (S, S, 3) uint8 face crop under every strength of every change, in one batch.

    ``strengths`` overrides the default points per change; each curve has exactly one point per strength,
    in the order given.
    """
    if crop.ndim != 3 or crop.shape[2] != 3 or crop.dtype != np.uint8:
        raise ValueError(f"expected an (S, S, 3) uint8 crop, got {crop.shape} {crop.dtype}")
    kinds = tuple(kinds or PERTURBATIONS)
    strengths = dict(strengths or {})
    batch, spans = [crop], {}
    for kind in kinds:
        points = tuple(strengths.get(kind, PERTURBATIONS[kind].strengths))
        start = len(batch)
        batch.extend(perturb(crop, kind, s, seed) for s in points)
        spans[kind] = (start, np.asarray(points, np.float64))
    probs = detector.predict(np.stack(batch), batch_size=len(batch))
    curves = {}
    for kind, (start, points) in spans.items():
        p = PERTURBATIONS[kind]
        curves[kind] = Curve(kind=kind, label=p.label, unit=p.unit, strengths=points,
                             probs=probs[start:start + len(points)].astype(np.float32))
    return RobustnessReport(base_prob=float(probs[0]), curves=curves)
