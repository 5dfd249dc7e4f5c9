"""Drawing results on images (boxes, landmarks, labels). UI-free, so core (video, live) and pages share it.

Colours are from the Okabe–Ito palette, which colour-blind viewers can tell apart.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.engine.verdict import Verdict

VERDICT_COLOURS = {v: v.colour for v in Verdict}  # RGB; keyed by Verdict, which also matches its label text
NEUTRAL = (0, 158, 115)  # bluish green, for plain detections
LANDMARK = (240, 228, 66)  # yellow
NOT_COUNTED = (150, 150, 150)  # grey: a background face that does not set a video's score


def draw_faces(rgb: np.ndarray, boxes, landmarks=None, labels=None, colours=None) -> np.ndarray:
    """Boxes (N, 4), optional landmarks (N, 5, 2), labels and RGB colours drawn on a copy of the image."""
    out = rgb.copy()
    scale = max(out.shape[:2]) / 800
    thick = max(2, int(round(3 * scale)))
    for i, box in enumerate(boxes):
        colour = colours[i] if colours else NEUTRAL
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, thick)
        if landmarks is not None:
            for x, y in np.asarray(landmarks[i]).reshape(5, 2):
                cv2.circle(out, (int(round(x)), int(round(y))), thick + 1, LANDMARK, -1)
        if labels:
            text = labels[i]
            fs = 0.6 * max(scale, 0.7)
            (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, fs, max(1, thick // 2))
            ty = y1 - 6 if y1 - th - 10 > 0 else y2 + th + 6
            cv2.rectangle(out, (x1, ty - th - 4), (x1 + tw + 6, ty + base), colour, -1)
            cv2.putText(out, text, (x1 + 3, ty - 2), cv2.FONT_HERSHEY_SIMPLEX, fs, (255, 255, 255),
                        max(1, thick // 2), cv2.LINE_AA)
    return out
