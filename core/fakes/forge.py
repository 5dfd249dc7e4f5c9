"""Self-blended images (after Shiohara & Yamasaki, CVPR 2022): fakes made from one real face.

A face is blended with a slightly altered copy of itself inside a face-shaped mask. The result carries the
traces every face swap leaves (a blending boundary, colour and sharpness mismatch, a small misalignment)
without any identity change, so a detector trained on it learns those traces instead of one generator's
quirks. The same generator trains the detector and drives the Make-a-fake lab, where each step is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class ForgeSettings:
    """Knobs of one self-blend. ``None`` means "draw at random" (training); the lab sets them by slider.

    blend: mask opacity in (0, 1]; mask_scale: face-region size relative to the landmarks' hull;
    color_shift: strength of the source's colour/brightness change (0 = none, 1 = strong).
    """

    blend: float | None = None
    mask_scale: float | None = None
    color_shift: float | None = None
    blur_or_sharpen: bool | None = None
    shift_px: float | None = None


@dataclass(frozen=True)
class ForgeResult:
    """Every intermediate of a self-blend, for training and for teaching.

    source: (H, W, 3) uint8, the altered copy whose face is pasted in.
    target: (H, W, 3) uint8, the face that receives it (the original, or a lightly altered copy).
    mask: (H, W) float32 in [0, 1], where and how strongly the source shows.
    fake: (H, W, 3) uint8, the blend.
    """

    source: np.ndarray
    target: np.ndarray
    mask: np.ndarray
    fake: np.ndarray


def face_hull(landmarks: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """A face-region polygon (K, 2) float32 from MTCNN's 5 landmarks (eyes, nose, mouth corners).

    Five points only outline the eyes-to-mouth area, so we extrapolate brows, cheeks and chin from the
    face's own geometry (eye distance and eye-to-mouth distance), then scale about the nose.
    """
    lm = np.asarray(landmarks, dtype=np.float32).reshape(5, 2)
    le, re, nose, lm_, rm = lm
    eye_mid, mouth_mid = (le + re) / 2, (lm_ + rm) / 2
    down = mouth_mid - eye_mid  # eyes → mouth
    across = re - le  # left eye → right eye
    pts = [
        le - 0.35 * across - 0.45 * down, re + 0.35 * across - 0.45 * down,  # brows, outer
        eye_mid - 0.55 * down,  # forehead centre
        le - 0.45 * across + 0.4 * down, re + 0.45 * across + 0.4 * down,  # cheeks
        lm_ - 0.25 * across + 0.35 * down, rm + 0.25 * across + 0.35 * down,  # jaw
        mouth_mid + 0.55 * down,  # chin
    ]
    pts = np.stack(pts).astype(np.float32)
    return (nose + (pts - nose) * scale).astype(np.float32)


def face_mask(shape: tuple[int, int], landmarks: np.ndarray, rng: np.random.Generator,
              scale: float = 1.0, deform: bool = True, elastic: bool = False) -> np.ndarray:
    """A soft (H, W) float32 blending mask in [0, 1] from the landmarks: hull, randomly deformed,
    eroded or dilated, then blurred so the edge fades.

    ``elastic``: also warp the hull's outline with a smooth random displacement field, so the edge is not
    always a convex polygon (the SBI paper's elastic mask deformation).
    """
    h, w = shape
    hull = face_hull(landmarks, scale)
    face_size = float(np.linalg.norm(hull.max(0) - hull.min(0))) + 1.0
    if deform:
        hull = hull + rng.normal(0, 0.03 * face_size, hull.shape).astype(np.float32)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(hull).astype(np.int32)), 255)
    if elastic:
        mask = _elastic(mask, rng, amplitude=0.05 * face_size, cell=0.3 * face_size)
    if deform:
        k = int(rng.integers(1, max(2, int(0.06 * face_size))))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
        mask = cv2.erode(mask, kernel) if rng.random() < 0.5 else cv2.dilate(mask, kernel)
    sigma = max(0.5, (0.02 + 0.05 * (rng.random() if deform else 0.5)) * face_size)
    soft = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), sigma)
    # Blurring leaks outside the hull and weakens the inside: renormalise so the centre is fully source.
    peak = float(soft.max())
    return np.clip(soft / peak, 0, 1) if peak > 0 else soft


def _elastic(mask: np.ndarray, rng: np.random.Generator, amplitude: float, cell: float) -> np.ndarray:
    """Warp a (H, W) uint8 mask by a smooth random field of about ``amplitude`` pixels that changes direction
    every ``cell`` pixels (elastic distortion, Simard et al., 2003)."""
    h, w = mask.shape
    gh, gw = max(2, round(h / cell)), max(2, round(w / cell))
    # Random offsets on a coarse grid, upsampled bicubically: bends a few times along the face's outline.
    field = [cv2.resize(rng.normal(0, amplitude, (gh, gw)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
             for _ in range(2)]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(mask, gx + field[0], gy + field[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def _downscale(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shrink by 2–4× and scale back up: the lower resolution of a generated face pasted into a sharp frame."""
    h, w = img.shape[:2]
    f = float(rng.uniform(2.0, 4.0))
    small = cv2.resize(img, (max(4, round(w / f)), max(4, round(h / f))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _color_jitter(img: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Shift hue/saturation/brightness and contrast; ``strength`` in [0, 1]."""
    if strength <= 0:
        return img
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-6, 6) * strength) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * (1 + rng.uniform(-0.25, 0.25) * strength), 0, 255)
    hsv[..., 2] = np.clip(hsv[..., 2] * (1 + rng.uniform(-0.2, 0.2) * strength), 0, 255)
    out = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
    mean = out.mean(axis=(0, 1), keepdims=True)
    out = (out - mean) * (1 + rng.uniform(-0.2, 0.2) * strength) + mean
    out += rng.uniform(-12, 12, size=(1, 1, 3)) * strength  # per-channel tint
    return np.clip(out, 0, 255).astype(np.uint8)


def _blur_or_sharpen(img: np.ndarray, rng: np.random.Generator, sharpen: bool) -> np.ndarray:
    blurred = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.6, 1.6))
    if not sharpen:
        return blurred
    amount = rng.uniform(0.3, 1.0)
    return cv2.addWeighted(img, 1 + amount, blurred, -amount, 0)


def _shift_resize(img: np.ndarray, rng: np.random.Generator, shift_px: float) -> np.ndarray:
    """Slightly rescale and translate (the misalignment of a pasted face)."""
    h, w = img.shape[:2]
    s = rng.uniform(0.96, 1.04)
    tx, ty = rng.uniform(-shift_px, shift_px, size=2)
    m = np.array([[s, 0, (1 - s) * w / 2 + tx], [0, s, (1 - s) * h / 2 + ty]], np.float32)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def self_blend(rgb: np.ndarray, landmarks: np.ndarray, seed: int | np.random.Generator = 0,
               settings: ForgeSettings = ForgeSettings(), *, paper_augment: bool = False) -> ForgeResult:
    """Make a self-blended fake of one face.

    rgb: (H, W, 3) uint8 image containing the face; landmarks: (5, 2) in the same pixels.
    Deterministic for a given integer seed and settings.

    ``paper_augment`` (training only) adds the rest of the SBI paper's recipe: half the time the source is
    downscaled 2–4× instead of blurred or sharpened (a resolution mismatch), half the time the alteration
    goes to the target instead of the source (the face is then the original inside an altered frame), the
    mask is also warped elastically, and a blend of 0.25 is possible. Off by default, so every seeded fake
    the lab shows stays as it was.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    face_size = float(np.ptp(np.asarray(landmarks, np.float32).reshape(5, 2), axis=0).max()) + 1.0
    strength = settings.color_shift if settings.color_shift is not None else float(rng.uniform(0.2, 1.0))
    sharpen = settings.blur_or_sharpen if settings.blur_or_sharpen is not None else bool(rng.random() < 0.5)
    shift = settings.shift_px if settings.shift_px is not None else float(rng.uniform(0.0, 0.04) * face_size)
    scale = settings.mask_scale if settings.mask_scale is not None else float(rng.uniform(0.8, 1.15))
    blends = [0.25, 0.5, 0.75, 1, 1, 1] if paper_augment else [0.5, 0.75, 1, 1]
    blend = settings.blend if settings.blend is not None else float(rng.choice(blends))

    # Without paper_augment the target is always the untouched original, so the fake differs from it only
    # under the mask. (The order of random draws is part of every seeded demo: keep it.)
    altered = _color_jitter(rgb, rng, strength)
    if paper_augment and rng.random() < 0.5:
        altered = _downscale(altered, rng)
    else:
        altered = _blur_or_sharpen(altered, rng, sharpen)
    source, target = _shift_resize(altered, rng, shift), rgb
    if paper_augment and rng.random() < 0.5:
        source, target = target, source
    mask = face_mask(rgb.shape[:2], landmarks, rng, scale=scale, deform=True, elastic=paper_augment) * float(blend)
    m3 = mask[..., None]
    fake = source.astype(np.float32) * m3 + target.astype(np.float32) * (1 - m3)
    return ForgeResult(source=source, target=target, mask=mask.astype(np.float32),
                       fake=np.clip(fake + 0.5, 0, 255).astype(np.uint8))
