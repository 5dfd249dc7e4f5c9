"""How per-face scores become a video's decision: which faces count, and how frames are combined.

Pure functions on numbers, shared by the video analysis (:mod:`core.engine.video`) and the command line that
measured the choice on labelled videos (``python -m core.training.video_rules``).

Which faces count: a video is about its main face(s). A box far smaller than the video's main face is a face in
the background or a false detection (a 44-px "face" in city lights once set a real video's score), so faces
smaller than ``min_ratio`` × the main face's size — the median over frames of each frame's largest face — are
shown but do not count. A frame's score is the highest score among its counted faces.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

MAIN_FACE_RATIO = 0.5


def _top_quarter(x: np.ndarray) -> float:
    k = max(1, int(np.ceil(len(x) / 4)))
    return float(np.sort(x)[-k:].mean())


AGGREGATIONS: dict[str, Callable[[np.ndarray], float]] = {
    "mean": lambda x: float(np.mean(x)),
    "median": lambda x: float(np.median(x)),
    "top-quarter mean": _top_quarter,
    "max": lambda x: float(np.max(x)),
}
DEFAULT_AGGREGATION = "mean"


def counted_faces(sizes: Sequence[Sequence[float]], min_ratio: float = MAIN_FACE_RATIO) -> list[np.ndarray]:
    """For T frames' face sizes (pixels, any count per frame), T boolean arrays: does each face count?

    ``min_ratio`` 0 counts every face.
    """
    largest = [max(s) for s in sizes if len(s)]
    if not largest or min_ratio <= 0:
        return [np.ones(len(s), bool) for s in sizes]
    floor = min_ratio * float(np.median(largest))
    return [np.asarray(s, np.float64) >= floor for s in sizes]


def frame_scores(scores: Sequence[Sequence[float]], counted: Sequence[np.ndarray]) -> np.ndarray:
    """(T,) float32: each frame's highest counted face score, NaN where no face counts."""
    out = np.full(len(scores), np.nan, np.float32)
    for t, (s, c) in enumerate(zip(scores, counted)):
        s = np.asarray(s, np.float64)[np.asarray(c, bool)]
        if len(s):
            out[t] = s.max()
    return out


def video_score(frames: np.ndarray, how: str = DEFAULT_AGGREGATION) -> float | None:
    """The video's score from its (T,) frame scores (NaN = no face); None when no frame has a face."""
    x = np.asarray(frames, np.float64)
    x = x[np.isfinite(x)]
    if not len(x):
        return None
    if how not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {how!r}; choose one of {sorted(AGGREGATIONS)}")
    return AGGREGATIONS[how](x)
