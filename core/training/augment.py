"""Real-world damage for training crops: the compression, rescaling and blur of the videos the lab is tested on.

Applied independently to a real crop and to its self-blended fake, so that neither compression nor sharpness gives
the label away (blending smooths a face; a detector must not learn "smooth = fake").
"""

from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np


def h264_roundtrip(rgb: np.ndarray, crf: int) -> np.ndarray:
    """Encode one (H, W, 3) uint8 RGB image as an H.264 intra frame (libx264, yuv420p) at ``crf`` and decode it.

    This is what a face in a compressed video looks like: 4:2:0 chroma, 4×4/8×8 DCT blocks, deblocking.
    JPEG alone teaches the wrong artefacts. About 10–20 ms for a 160 px crop.
    """
    import av

    h, w = rgb.shape[:2]
    hh, ww = h + h % 2, w + w % 2  # yuv420p needs even sides
    img = np.pad(rgb, ((0, hh - h), (0, ww - w), (0, 0)), mode="edge") if (hh, ww) != (h, w) else rgb
    enc = av.CodecContext.create("libx264", "w")
    enc.width, enc.height, enc.pix_fmt, enc.time_base = ww, hh, "yuv420p", Fraction(1, 25)
    enc.options = {"crf": str(int(crf)), "preset": "ultrafast", "tune": "zerolatency"}
    packets = list(enc.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")))
    packets += list(enc.encode(None))
    dec = av.CodecContext.create("h264", "r")
    frames = [f for p in packets for f in dec.decode(p)] + list(dec.decode(None))
    return frames[0].to_ndarray(format="rgb24")[:h, :w]


def motion_blur(rgb: np.ndarray, length: int, angle_deg: float) -> np.ndarray:
    """Blur along a line of ``length`` pixels at ``angle_deg``: a head moving during the exposure."""
    k = np.zeros((length, length), np.float32)
    k[length // 2, :] = 1.0
    rot = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), angle_deg, 1.0)
    k = cv2.warpAffine(k, rot, (length, length))
    return cv2.filter2D(rgb, -1, k / max(k.sum(), 1e-6))


def degrade(crop: np.ndarray, rng: np.random.Generator, codec_p: float = 0.0) -> np.ndarray:
    """Random damage to one (S, S, 3) uint8 crop: down/up-scaling, blur, motion blur, noise, then JPEG or H.264.

    ``codec_p``: chance of an H.264 round trip at CRF 18–40 (the range of web and FF++ c23/c40 video);
    otherwise JPEG quality 50–95 with probability 0.3.
    """
    out = crop
    s = out.shape[0]
    if rng.random() < 0.15:
        f = rng.uniform(0.4, 0.9)
        small = cv2.resize(out, (max(8, int(s * f)),) * 2, interpolation=cv2.INTER_AREA)
        out = cv2.resize(small, (s, s), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.1:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 1.0))
    if codec_p > 0 and rng.random() < 0.1:
        out = motion_blur(out, int(rng.integers(3, 8)), float(rng.uniform(0, 180)))
    if rng.random() < 0.1:
        noise = rng.normal(0, rng.uniform(1, 6), out.shape)
        out = np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if codec_p > 0 and rng.random() < codec_p:
        out = h264_roundtrip(out, int(rng.integers(18, 41)))
    elif rng.random() < 0.3:
        ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(50, 96))])
        out = cv2.imdecode(enc, cv2.IMREAD_UNCHANGED)
    return out


def tighten(img: np.ndarray, box: np.ndarray, lm: np.ndarray, rng: np.random.Generator):
    """Cut the photo close around the face, as profile pictures and pre-cropped clips are, so the crop
    reaches past the border and is padded — for real faces and fakes alike."""
    h, w = img.shape[:2]
    bw, bh = box[2] - box[0], box[3] - box[1]
    pad = rng.uniform(0.0, 0.25, size=4) * np.array([bw, bh, bw, bh])
    x1, y1 = int(max(0, box[0] - pad[0])), int(max(0, box[1] - pad[1]))
    x2, y2 = int(min(w, box[2] + pad[2])), int(min(h, box[3] + pad[3]))
    if x2 - x1 < 16 or y2 - y1 < 16:
        return img, box, lm
    off = np.array([x1, y1], np.float32)
    return img[y1:y2, x1:x2], box - np.tile(off, 2), lm - off
