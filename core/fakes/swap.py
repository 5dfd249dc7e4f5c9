"""Face swap between two faces: the classic pipeline behind early deepfakes, built from OpenCV parts.

1. **Align**: a similarity transform (rotation, uniform scale, shift) maps the source face's 5 MTCNN
   landmarks onto the destination's (``cv2.estimateAffinePartial2D``), and the source photo is warped
   into the destination's frame.
2. **Mask**: the destination's face region from the same generator that makes training fakes
   (:func:`core.fakes.forge.face_mask`), so the lab's detector looks for exactly this kind of boundary.
3. **Colour correction**: the warped face's mean and spread in CIE L*a*b* are matched to the destination's
   skin inside the mask (Reinhard et al., 2001), so lighting and skin tone agree.
4. **Blend**: Poisson blending (``cv2.seamlessClone``, Pérez et al., 2003) or a plain alpha blend, then a
   feathered paste with the soft mask, so pixels outside the mask are exactly the destination's.

Works for two photos or for two faces in one photo (pass the same image twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from core.fakes.forge import face_mask

Blend = Literal["seamless", "alpha"]


@dataclass(frozen=True)
class SwapResult:
    """Every step of one swap, in the destination's pixels.

    aligned: (H, W, 3) uint8, the source photo warped so its face sits on the destination face.
    corrected: (H, W, 3) uint8, ``aligned`` after colour correction (equal to it when correction is off).
    mask: (H, W) float32 in [0, 1], how strongly the source shows in ``swapped`` (0 = destination untouched).
    swapped: (H, W, 3) uint8, the result.
    transform: (2, 3) float32 similarity map from source pixels to destination pixels.
    """

    aligned: np.ndarray
    corrected: np.ndarray
    mask: np.ndarray
    swapped: np.ndarray
    transform: np.ndarray


def _landmarks(face) -> np.ndarray:
    """(5, 2) float32 landmarks from a Face/FaceResult or a bare array."""
    lm = getattr(face, "landmarks", face)
    arr = np.asarray(lm, dtype=np.float32)
    if arr.size != 10:
        raise ValueError(f"expected 5 landmarks (x, y), got an array of shape {arr.shape}")
    return arr.reshape(5, 2)


def _umeyama(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity transform (2, 3), used if OpenCV's robust estimate fails."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    u, sig, vt = np.linalg.svd(d.T @ s / len(src))
    sign = np.diag([1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    r = u @ sign @ vt
    scale = float(np.trace(np.diag(sig) @ sign) / max(s.var(0).sum(), 1e-9))
    m = np.zeros((2, 3))
    m[:, :2] = scale * r
    m[:, 2] = mu_d - scale * r @ mu_s
    return m


def align_transform(src_landmarks: np.ndarray, dst_landmarks: np.ndarray) -> np.ndarray:
    """(2, 3) float32 similarity transform taking source landmark positions to destination ones."""
    src, dst = _landmarks(src_landmarks).astype(np.float64), _landmarks(dst_landmarks).astype(np.float64)
    # LMEDS needs no threshold and is deterministic; with 5 good points it is the least-squares fit.
    m, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.LMEDS)
    if m is None or not np.all(np.isfinite(m)):
        m = _umeyama(src, dst)
    return m.astype(np.float32)


def match_colours(img: np.ndarray, ref: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Shift and scale ``img``'s L*a*b* channels so that, inside ``region`` (H, W) bool, their mean and
    standard deviation match ``ref``'s. Both images (H, W, 3) uint8 RGB; returns (H, W, 3) uint8."""
    if region.sum() < 16:  # too few pixels for stable statistics: leave the colours alone
        return img
    a = cv2.cvtColor(img.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    b = cv2.cvtColor(ref.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    a_in, b_in = a[region], b[region]
    mu_a, sd_a = a_in.mean(0), a_in.std(0) + 1e-6
    mu_b, sd_b = b_in.mean(0), b_in.std(0) + 1e-6
    # Clamp the spread ratio: a nearly flat region (e.g. a shadowed face) would otherwise blow up noise.
    ratio = np.clip(sd_b / sd_a, 0.5, 2.0)
    out = (a - mu_a) * ratio + mu_b
    out[..., 0] = np.clip(out[..., 0], 0, 100)
    rgb = cv2.cvtColor(out.astype(np.float32), cv2.COLOR_LAB2RGB)
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _seamless(src: np.ndarray, dst: np.ndarray, hard: np.ndarray) -> np.ndarray:
    """Poisson-blend ``src`` into ``dst`` inside the binary (H, W) uint8 mask, in place."""
    h, w = hard.shape
    hard = hard.copy()
    hard[:2, :], hard[-2:, :], hard[:, :2], hard[:, -2:] = 0, 0, 0, 0  # OpenCV fails if the mask touches the border
    ys, xs = np.nonzero(hard)
    if len(xs) == 0:
        return dst.copy()
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    # seamlessClone pastes the mask's bounding box centred on `center`; choosing the box's own centre keeps
    # the face where it is. OpenCV rounds the centre down, so use the same integer arithmetic.
    center = (int((x0 + x1 + 1) // 2), int((y0 + y1 + 1) // 2))
    try:
        return cv2.seamlessClone(np.ascontiguousarray(src), np.ascontiguousarray(dst), hard, center, cv2.NORMAL_CLONE)
    except cv2.error:  # very small or oddly placed masks: fall back to the alpha blend
        return src.copy()


def swap_faces(src_rgb: np.ndarray, src_face, dst_rgb: np.ndarray, dst_face, *, seed: int = 0,
               blend: Blend = "seamless", color_correct: bool = True, mask_scale: float = 1.0) -> SwapResult:
    """Put the face from ``src_rgb`` onto the face in ``dst_rgb``.

    src_face / dst_face: :class:`core.engine.faces.Face` (or anything with ``.landmarks`` (5, 2), or the array
    itself) in their image's pixels. ``seed`` draws the mask's small random deformation (the same seed
    gives the same swap); ``mask_scale`` grows or shrinks the pasted region. Images are (H, W, 3) uint8 RGB
    and may differ in size: the result has the destination's size.
    """
    for name, img in (("source", src_rgb), ("destination", dst_rgb)):
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError(f"{name} must be an (H, W, 3) uint8 RGB image, got {img.shape} {img.dtype}")
    if blend not in ("seamless", "alpha"):
        raise ValueError(f"blend must be 'seamless' or 'alpha', got {blend!r}")
    h, w = dst_rgb.shape[:2]
    dst_lm = _landmarks(dst_face)
    m = align_transform(_landmarks(src_face), dst_lm)
    # Reflect at the border so a face near the source's edge does not drag black pixels into the mask.
    aligned = cv2.warpAffine(src_rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)

    rng = np.random.default_rng(seed)
    mask = face_mask((h, w), dst_lm, rng, scale=mask_scale, deform=True)
    inside = mask > 0.5
    corrected = match_colours(aligned, dst_rgb, inside) if color_correct else aligned

    if blend == "seamless":
        pasted = _seamless(corrected, dst_rgb, inside.astype(np.uint8) * 255)
    else:
        pasted = corrected
    m3 = mask[..., None]
    # The soft mask decides the final weights, so outside the face the destination is kept bit for bit.
    out = pasted.astype(np.float32) * m3 + dst_rgb.astype(np.float32) * (1.0 - m3)
    swapped = np.where(m3 > 0, np.clip(out + 0.5, 0, 255), dst_rgb).astype(np.uint8)
    return SwapResult(aligned=aligned, corrected=corrected, mask=mask.astype(np.float32), swapped=swapped,
                      transform=m)
