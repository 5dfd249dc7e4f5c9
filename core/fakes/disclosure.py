"""Disclosure for every fake that leaves the lab: a visible label and a signed content credential.

The lab teaches that a synthetic picture should say so, both to people (a label they can see) and to software
(a C2PA content credential, see :mod:`core.labs.provenance`). :func:`mark_synthetic` does both to a fake a
learner downloads: it draws "MADE IN DEEPFAKE LAB - NOT REAL" in the bottom-left corner, then signs the JPEG
with the Provenance lab's DEMO identity, declaring its digital source type "compositeSynthetic" (a composite
that includes synthetic elements) and what was done. Cropping the label off or re-saving the file breaks or
strips the credential, which is the Provenance lesson: disclosure helps honest makers, it cannot stop a liar.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from core.engine.media import encode_jpeg

LABEL = "MADE IN DEEPFAKE LAB - NOT REAL"  # the bundled font has no em dash
SOURCE_TYPE = "compositeSynthetic"
JPEG_QUALITY = 92


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def label_box(width: int, height: int, text: str = LABEL) -> tuple[tuple[int, int, int, int], int]:
    """Where the label goes on a ``width`` × ``height`` picture: its (x0, y0, x1, y1) box in the bottom-left
    corner, and the font size (about 1/28 of the width, at least 9 px, shrunk until the text fits)."""
    size = max(9, round(width / 28))
    while True:
        font = _font(size)
        x0, y0, x1, y1 = ImageDraw.Draw(Image.new("RGB", (1, 1))).textbbox((0, 0), text, font=font)
        if x1 - x0 <= 0.92 * width or size <= 9:
            break
        size -= 1
    pad = max(3, size // 3)
    w, h = (x1 - x0) + 2 * pad, (y1 - y0) + 2 * pad
    return (0, max(0, height - h), min(width, w), height), size


def draw_label(rgb: np.ndarray, text: str = LABEL) -> np.ndarray:
    """A copy of ``rgb`` (H, W, 3) uint8 with ``text`` in white on a dark band in the bottom-left corner."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {rgb.shape} {rgb.dtype}")
    h, w = rgb.shape[:2]
    (x0, y0, x1, y1), size = label_box(w, h, text)
    out = Image.fromarray(np.ascontiguousarray(rgb)).convert("RGBA")
    band = Image.new("RGBA", out.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(band)
    draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=(0, 0, 0, 200))
    font = _font(size)
    tx0, ty0, _, _ = draw.textbbox((0, 0), text, font=font)
    pad = max(3, size // 3)
    draw.text((x0 + pad - tx0, y0 + pad - ty0), text, font=font, fill=(255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(out, band).convert("RGB"))


def mark_synthetic(rgb: np.ndarray, *, what: str = "A fake made in Deepfake Lab", title: str = "fake.jpg",
                   identity=None) -> bytes:
    """The fake as a JPEG a learner may download: visibly labelled, and signed with the DEMO identity as
    synthetic ("compositeSynthetic"), with ``what`` (e.g. "A face swap between two faces") recorded as the edit.

    identity: a :class:`core.labs.provenance.DemoIdentity` (the lab's own, made on first use, by default).
    Raises :class:`core.errors.SigningError` when signing fails.
    """
    from core.labs.provenance.signing import sign_created

    labelled = encode_jpeg(draw_label(rgb), quality=JPEG_QUALITY)
    actions = [{"action": "c2pa.edited",
                "description": f"{what}. Not a real photo: made in Deepfake Lab for teaching, and labelled so."}]
    return sign_created(labelled, source_type=SOURCE_TYPE, title=title, actions=actions, identity=identity)
