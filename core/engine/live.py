"""Live detection on a moving picture: one frame in, one annotated frame out, fast enough for a webcam.

The processor never queues work. Faces are found on a small copy of the frame every ``detect_every``-th
frame (boxes are reused in between) and scored every ``score_every``-th frame through the shared
:class:`core.engine.analysis.Lab` — the same detector, crop function and calibration as every other page.
Each face's fake score is averaged over the last ``window_s`` seconds, so the label does not
flicker with every frame. Nothing ever queues: a frame that arrives while another is being analysed
comes straight back with the last boxes and scores drawn on it. For video, ``process(frame, wait=False)``
analyses on a background thread and returns at once, so a busy CPU slows the boxes, not the picture.

UI-free: the Streamlit page (pages/live.py) only converts video frames and shows :class:`LiveStats`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import cv2
import numpy as np

from core.engine.analysis import Lab
from core.engine.draw import NEUTRAL, VERDICT_COLOURS
from core.engine.verdict import score_points
from core.engine.faces import Face


@dataclass(frozen=True)
class LiveSettings:
    """How much work each frame gets. The defaults keep one face above 5 fps on a 2-core laptop CPU.

    detect_side: longer side (pixels) of the copy faces are searched on; webcam faces are large, and
    MTCNN's cost grows with the image area. detect_every / score_every: run the face detector / the
    deepfake detector on every n-th frame (scoring always uses fresh boxes, so a scoring frame also
    detects). window_s: seconds of scores averaged per face. max_faces: largest faces scored per frame.
    match_iou: overlap above which a new box continues an earlier face's score history.
    analysis_threads: torch threads for the background analysis thread (``wait=False``; torch's setting is
    per thread, so other sessions keep theirs). One leaves the other core to the video encoder/decoder
    and the rest of the class; on a busy machine more threads mostly spin (measured: ~10× the CPU time per
    frame with 2 threads at load average 15 on 2 cores). None keeps torch's default.
    """

    detect_side: int = 384
    detect_every: int = 2
    score_every: int = 4
    window_s: float = 1.0
    max_faces: int = 4
    match_iou: float = 0.3
    analysis_threads: int | None = 1

    def __post_init__(self) -> None:
        if self.detect_side < 64 or self.detect_every < 1 or self.score_every < 1 or self.window_s <= 0:
            raise ValueError("LiveSettings needs detect_side >= 64, detect_every >= 1, score_every >= 1, window_s > 0")


class ScoreWindow:
    """Scores of one face with their times; the smoothed value is the mean over the last ``window_s``.

    When no score is that recent (a slow machine scores less often than once a window), the most recent
    score stands alone rather than showing nothing.
    """

    def __init__(self, window_s: float):
        self.window_s = window_s
        self._samples: deque[tuple[float, float]] = deque()

    def add(self, t: float, prob: float) -> None:
        self._samples.append((t, float(prob)))

    def recent(self, now: float) -> list[float]:
        """Scores inside the window ending at ``now`` (older ones are forgotten, except the latest)."""
        while len(self._samples) > 1 and self._samples[0][0] < now - self.window_s:
            self._samples.popleft()
        inside = [p for t, p in self._samples if t >= now - self.window_s]
        return inside or [p for _, p in list(self._samples)[-1:]]

    def value(self, now: float) -> float | None:
        vals = self.recent(now)
        return float(np.mean(vals)) if vals else None

    @property
    def latest(self) -> float | None:
        return self._samples[-1][1] if self._samples else None


@dataclass
class _Track:
    box: np.ndarray
    scores: ScoreWindow


@dataclass(frozen=True)
class LiveFace:
    """A face on the live picture.

    box: (4,) float32 x1, y1, x2, y2 in frame pixels. fake_prob: mean calibrated fake score in [0, 1] over the
    window (None until first scored); verdict: the detector's band for it; last_prob: the newest single
    score; samples: how many scores the mean uses.
    """

    box: np.ndarray
    fake_prob: float | None
    verdict: str | None
    last_prob: float | None
    samples: int


@dataclass(frozen=True)
class LiveResult:
    """One processed frame. frame: (H, W, 3) uint8 RGB with boxes and labels drawn (a new array).

    detected / scored: whether the face / deepfake detector ran on this frame before it was drawn (always
    False with ``wait=False``: that analysis finishes later). dropped: another frame was being analysed, so
    this one only got the previous boxes. ms: wall time spent in :meth:`LiveProcessor.process`.
    """

    frame: np.ndarray = field(repr=False)
    faces: tuple[LiveFace, ...]
    index: int
    detected: bool
    scored: bool
    dropped: bool
    ms: float


@dataclass(frozen=True)
class LiveStats:
    """Running figures for the page: frames returned, frames not analysed because another was in progress,
    frames analysed, frames returned per second over the last two seconds, median and 95th-percentile
    milliseconds per analysis (last 120), and the largest face's smoothed score."""

    frames: int
    dropped: int
    analysed: int
    fps: float
    ms_p50: float | None
    ms_p95: float | None
    faces: int
    fake_prob: float | None
    verdict: str | None


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


class LiveProcessor:
    """Turns webcam frames into annotated frames. One per viewer; the :class:`Lab` inside is shared.

    Thread-safe: :meth:`process` may be called from any thread; a call that finds an analysis running
    returns at once (``dropped=True``) instead of queueing. ``clock`` is injectable for tests.
    """

    def __init__(self, lab: Lab, settings: LiveSettings | None = None, *,
                 clock: Callable[[], float] = time.monotonic):
        self.lab = lab
        self.settings = settings or LiveSettings()
        self._clock = clock
        self._work = threading.Lock()  # held while one frame is detected/scored
        self._state = threading.Lock()  # guards everything below; held only for short updates
        self._tracks: list[_Track] = []
        self._index = 0
        self._frames = 0
        self._dropped = 0
        self._analysed = 0
        self.error: str | None = None  # the last background analysis failure, for the page to show
        self._latest: np.ndarray | None = None
        self._ms: deque[float] = deque(maxlen=120)
        self._stamps: deque[float] = deque(maxlen=600)

    # ---- public API -------------------------------------------------------------------------------
    def process(self, rgb: np.ndarray, *, wait: bool = True) -> LiveResult:
        """Annotate one (H, W, 3) uint8 RGB frame; returns a new array, the input is not modified.

        ``wait=True`` analyses this frame before drawing it (benches, tests). ``wait=False`` (the video
        callback) starts analysing it on a background thread and returns at once with the newest boxes
        drawn, so a slow or busy CPU lowers how often boxes move, never the frame rate. Either way a frame
        that arrives while another is being analysed is not analysed (``dropped``) — nothing queues.
        """
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 RGB frame, got {rgb.shape} {rgb.dtype}")
        start = time.perf_counter()
        frame = rgb.copy()  # ours: the caller may reuse its buffer while we still work on this one
        with self._state:
            self._latest = frame
        if not self._work.acquire(blocking=False):
            return self._finish(rgb, start, dropped=True)
        if not wait:
            try:
                threading.Thread(target=self._analyse_then_release, args=(frame,), daemon=True,
                                 name="live-analysis").start()
            except BaseException:
                self._work.release()
                raise
            return self._finish(rgb, start)
        try:
            index, detected, scored = self._analyse(frame)
        finally:
            self._work.release()
        return self._finish(rgb, start, index=index, detected=detected, scored=scored)

    def latest_frame(self) -> np.ndarray | None:
        """A copy of the newest frame received, without annotations (for "Freeze"), or None."""
        with self._state:
            return None if self._latest is None else self._latest.copy()

    def stats(self) -> LiveStats:
        now = self._clock()
        with self._state:
            faces = self._faces(now)
            fps = self._fps(now)
            ms = np.array(self._ms) if self._ms else None
            main = faces[0] if faces else None
            return LiveStats(frames=self._frames, dropped=self._dropped, analysed=self._analysed, fps=fps,
                             ms_p50=float(np.percentile(ms, 50)) if ms is not None else None,
                             ms_p95=float(np.percentile(ms, 95)) if ms is not None else None,
                             faces=len(faces), fake_prob=main.fake_prob if main else None,
                             verdict=main.verdict if main else None)

    # ---- work -------------------------------------------------------------------------------------
    def _analyse_then_release(self, frame: np.ndarray) -> None:
        try:
            use_analysis_threads(self.settings)
            self._analyse(frame)
        except Exception as exc:  # the video must go on; the page shows what went wrong
            with self._state:
                self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self._work.release()

    def _analyse(self, rgb: np.ndarray) -> tuple[int, bool, bool]:
        """Detect (and on scoring frames score) faces in one frame and update the face tracks.

        Returns ``(index, detected, scored)``. Runs with ``_work`` held, so one analysis at a time.
        """
        start = time.perf_counter()
        s = self.settings
        with self._state:
            index = self._index
            self._index += 1
        score_now = index % s.score_every == 0
        detect_now = score_now or index % s.detect_every == 0
        scored = False
        if detect_now:
            faces = self._detect(rgb)
            probs = self._score(rgb, faces) if score_now and faces else None
            scored = probs is not None
            with self._state:
                self._update_tracks(faces, probs, self._clock())
        with self._state:
            self._analysed += 1
            self._ms.append((time.perf_counter() - start) * 1000)
        return index, detect_now, scored

    def _finish(self, rgb: np.ndarray, start: float, *, dropped: bool = False, index: int = -1,
                detected: bool = False, scored: bool = False) -> LiveResult:
        """Draw the current boxes on ``rgb`` and count the frame as returned."""
        now = self._clock()
        with self._state:
            shown = self._faces(now)
            self._frames += 1
            self._dropped += dropped
            self._stamps.append(now)
            fps = self._fps(now)
        frame = self._draw(rgb, shown, fps)
        return LiveResult(frame=frame, faces=tuple(shown), index=index, detected=detected, scored=scored,
                          dropped=dropped, ms=(time.perf_counter() - start) * 1000)

    def _fps(self, now: float) -> float:
        """Frames returned per second over the last two seconds (call with ``_state`` held)."""
        recent = [t for t in self._stamps if t >= now - 2.0]
        if len(recent) < 2 or recent[-1] <= recent[0]:
            return 0.0
        return (len(recent) - 1) / (recent[-1] - recent[0])

    def _detect(self, rgb: np.ndarray) -> list[Face]:
        """Faces found on a small copy, with boxes and landmarks mapped back to frame pixels."""
        return self.lab.extractor.detect(rgb, crops=False, max_faces=self.settings.max_faces,
                                         detect_side=self.settings.detect_side)

    def _score(self, rgb: np.ndarray, faces: list[Face]) -> list[float] | None:
        """Calibrated scores from the full-resolution frame, or None when the shared detector is busy.

        Explanations attach hooks to the shared network while holding its lock; scoring during that
        would run through those hooks, so a busy detector means "keep the previous scores" (never wait).
        """
        lock = self.lab.detector.lock
        if not lock.acquire(blocking=False):
            return None
        try:
            return [r.fake_prob for r in self.lab.score_faces(rgb, faces)]
        finally:
            lock.release()

    def _update_tracks(self, faces: list[Face], probs: list[float] | None, now: float) -> None:
        """Continue each earlier face that a new box overlaps (greedy by IoU); others start afresh."""
        free = list(self._tracks)
        tracks = []
        for i, face in enumerate(faces):
            best, best_iou = None, self.settings.match_iou
            for tr in free:
                iou = _iou(face.box, tr.box)
                if iou >= best_iou:
                    best, best_iou = tr, iou
            if best is None:
                best = _Track(box=face.box, scores=ScoreWindow(self.settings.window_s))
            else:
                free.remove(best)
                best.box = face.box
            if probs is not None:
                best.scores.add(now, probs[i])
            tracks.append(best)
        self._tracks = tracks

    def _faces(self, now: float) -> list[LiveFace]:
        out = []
        for tr in self._tracks:
            recent = tr.scores.recent(now)
            p = float(np.mean(recent)) if recent else None
            out.append(LiveFace(box=tr.box.copy(), fake_prob=p, verdict=self.lab.detector.verdict(p) if p is not None
                                else None, last_prob=tr.scores.latest, samples=len(recent)))
        return out

    # ---- drawing ----------------------------------------------------------------------------------
    def _draw(self, rgb: np.ndarray, faces: list[LiveFace], fps: float) -> np.ndarray:
        out = np.ascontiguousarray(rgb).copy()
        h, w = out.shape[:2]
        scale = max(h, w) / 640
        thick = max(2, round(2 * scale))
        fs = 0.55 * max(scale, 0.8)
        for face in faces:
            colour = VERDICT_COLOURS.get(face.verdict, NEUTRAL) if face.verdict else NEUTRAL
            x1, y1, x2, y2 = (int(round(v)) for v in face.box)
            cv2.rectangle(out, (x1, y1), (x2, y2), colour, thick)
            text = f"fake score {score_points(face.fake_prob)} - {face.verdict}" if face.fake_prob is not None \
                else "scoring..."
            _label(out, text, (x1, y1, x2, y2), colour, fs)
        if not self.lab.trained:
            _banner(out, "UNTRAINED MODEL - scores are random", (213, 94, 0), fs, top=True)
        _banner(out, f"{fps:4.1f} fps | {len(faces)} face{'s' if len(faces) != 1 else ''}", (40, 40, 40), fs,
                top=False)
        return out


def use_analysis_threads(settings: LiveSettings) -> None:
    """Set torch's intra-op threads for the calling thread only (the live analysis thread, or a bench's)."""
    if settings.analysis_threads:
        import torch

        torch.set_num_threads(settings.analysis_threads)


def _label(img: np.ndarray, text: str, box: tuple[int, int, int, int], colour, fs: float) -> None:
    x1, y1, _, y2 = box
    th_px = max(1, round(fs * 2))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, fs, th_px)
    ty = y1 - 6 if y1 - th - 10 > 0 else y2 + th + 6
    x1 = min(max(0, x1), max(0, img.shape[1] - tw - 6))
    cv2.rectangle(img, (x1, ty - th - 4), (x1 + tw + 6, ty + base), colour, -1)
    cv2.putText(img, text, (x1 + 3, ty - 2), cv2.FONT_HERSHEY_SIMPLEX, fs, (255, 255, 255), th_px, cv2.LINE_AA)


def _banner(img: np.ndarray, text: str, colour, fs: float, *, top: bool) -> None:
    th_px = max(1, round(fs * 2))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, fs, th_px)
    y0 = 0 if top else img.shape[0] - th - base - 8
    cv2.rectangle(img, (0, y0), (tw + 10, y0 + th + base + 8), colour, -1)
    cv2.putText(img, text, (5, y0 + th + 4), cv2.FONT_HERSHEY_SIMPLEX, fs, (255, 255, 255), th_px, cv2.LINE_AA)
