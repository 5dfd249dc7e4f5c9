"""Video analysis: sampled frames → faces (the "fast MTCNN" way) → the lab's detector → a timeline.

The one video path used by pages, benches and notebooks. Frames are sampled evenly (``core.engine.media.read_frames``
decodes them in memory; only sampled frames are converted to RGB). Faces are detected on downscaled copies of
every ``detect_every``-th sampled frame, all in one MTCNN batch, and the boxes in between are interpolated
between neighbouring detections, which is what makes this several times faster than running MTCNN at full
resolution on every frame. Every face is then cropped from the full-resolution frame with the lab's one crop
function and all crops are scored in one batched forward pass.

Scores: a frame's score is the highest fake score among its *counted* faces — the main face(s), not a tiny box
in the background (:mod:`core.engine.video_decision`) — NaN when none; the video's score combines the frame
scores (the mean, chosen by measurement: see the model card) and its verdict comes from the detector's bands.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence, Union

import cv2
import numpy as np

from core.config import Limits
from core.errors import Cancelled
from core.engine.faces import Face, shrink_to_longest
from core.engine.media import Source, VideoInfo, read_frames, write_h264
from core.engine.video_decision import DEFAULT_AGGREGATION, MAIN_FACE_RATIO, counted_faces, frame_scores, video_score

CancelFlag = Union[threading.Event, Callable[[], bool], None]
Progress = Callable[[int, int], None]

MAX_SAMPLED_FRAMES = 240  # frames are kept in memory; more than this is never needed for a timeline
ANALYSIS_SIDE = 1920  # 4K frames are decoded at this longer side: crops are 128 px, more pixels add nothing
PREVIEW_SIDE = 854  # annotated clip and thumbnails (480p-wide): small to send, sharp enough to see a box


class AnalysisCancelled(Cancelled):
    """Raised when the cancel flag was set while a video was being analysed."""


@dataclass(frozen=True)
class FrameFace:
    """One face in one sampled frame.

    box: (4,) float32 x1, y1, x2, y2 in original video pixels; landmarks: (5, 2) float32 video pixels;
    fake_prob: calibrated fake score in [0, 1]; detected: True where MTCNN ran on this frame,
    False where the box was interpolated from neighbouring detections; counted: False for a face far smaller
    than the video's main face, which is shown but does not set the frame's score.
    """

    box: np.ndarray
    landmarks: np.ndarray
    fake_prob: float
    verdict: str
    detected: bool
    counted: bool = True


@dataclass(frozen=True)
class SuspiciousFrame:
    """A frame among the most suspicious: its face crop (S, S, 3) uint8 as the detector saw it, and a
    thumbnail (h, w, 3) uint8 of the whole frame with the face boxed."""

    position: int  # index into the report's timeline
    frame_index: int
    time_s: float
    fake_prob: float
    crop: np.ndarray = field(repr=False)
    thumbnail: np.ndarray = field(repr=False)


@dataclass
class VideoReport:
    """What :func:`analyze_video` found.

    frame_indices: (T,) int64 frame numbers in the file; times_s: (T,) float64 seconds;
    frame_probs: (T,) float32 highest counted face score per frame, NaN where no face counts;
    faces: T lists of :class:`FrameFace`; score: frame_probs combined by ``aggregation`` over frames with
    faces (None if there were none); frames: the sampled frames at preview size (only until the annotated clip is made;
    pages drop them before storing the report).
    """

    info: VideoInfo
    frame_indices: np.ndarray
    times_s: np.ndarray
    frame_probs: np.ndarray
    faces: list[list[FrameFace]]
    score: float | None
    verdict: str | None
    top: list[SuspiciousFrame]
    detect_every: int
    detect_side: int
    likely_real_below: float
    likely_manipulated_from: float
    model_trained: bool
    model_version: str
    timings_s: dict[str, float]
    frames: list[np.ndarray] | None = field(default=None, repr=False)
    preview_scale: float = 1.0  # preview pixels per video pixel
    aggregation: str = DEFAULT_AGGREGATION

    @property
    def frames_with_faces(self) -> int:
        return int(np.isfinite(self.frame_probs).sum())

    def without_frames(self) -> "VideoReport":
        """The same report without the preview frames (what a page keeps in its session)."""
        from dataclasses import replace

        return replace(self, frames=None)


def _cancelled(cancel: CancelFlag) -> bool:
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def _centre(face: Face) -> np.ndarray:
    return np.array([(face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2])


def _interpolate(before: list[Face], after: list[Face], t: float) -> list[Face]:
    """Faces at fraction ``t`` ∈ (0, 1) between two detected frames.

    Each face of the nearer frame is matched to the closest face of the other of similar size (centres
    less than three face sizes apart: sampled frames can be a second apart); matched faces move linearly,
    unmatched ones are held where the nearer frame saw them.
    """
    near, far, w = (before, after, t) if t <= 0.5 else (after, before, 1.0 - t)
    out, used = [], set()
    for f in near:
        best, best_d = None, np.inf
        for j, g in enumerate(far):
            d = float(np.linalg.norm(_centre(f) - _centre(g)))
            similar = 0.6 < g.size / max(f.size, 1e-6) < 1 / 0.6 and d < 3 * max(f.size, g.size)
            if j not in used and similar and d < best_d:
                best, best_d = j, d
        if best is None:
            out.append(Face(box=f.box, landmarks=f.landmarks, prob=f.prob))
            continue
        used.add(best)
        g = far[best]
        out.append(Face(box=((1 - w) * f.box + w * g.box).astype(np.float32),
                        landmarks=((1 - w) * f.landmarks + w * g.landmarks).astype(np.float32),
                        prob=min(f.prob, g.prob)))
    return out


def _detect_sparse(lab, frames: Sequence[np.ndarray], detect_every: int, detect_side: int,
                   max_faces: int, cancel: CancelFlag, tick: Callable[[int], None]) -> tuple[list[list[Face]], list[bool]]:
    """Faces (boxes and landmarks in full-frame pixels, no crops) for every frame, detecting on every
    ``detect_every``-th frame (and always the last) at ``detect_side`` and interpolating between."""
    n = len(frames)
    keys = sorted(set(range(0, n, detect_every)) | {n - 1})
    detected: dict[int, list[Face]] = {}
    chunk = 8  # MTCNN batch: large enough to amortise its per-call cost, small enough to report progress
    for start in range(0, len(keys), chunk):
        if _cancelled(cancel):
            raise AnalysisCancelled()
        part = keys[start:start + chunk]
        found = lab.extractor.detect_batch([frames[i] for i in part], crops=False, max_faces=max_faces,
                                           detect_side=detect_side)
        detected.update(zip(part, found))
        tick(len(part))
    per_frame, was_detected = [], []
    for i in range(n):
        if i in detected:
            per_frame.append(detected[i])
            was_detected.append(True)
            continue
        a = max(k for k in keys if k < i)
        b = min(k for k in keys if k > i)
        per_frame.append(_interpolate(detected[a], detected[b], (i - a) / (b - a))[:max_faces])
        was_detected.append(False)
    return per_frame, was_detected


def analyze_video(lab, source: Source, *, n_frames: int = 32, detect_every: int = 2, detect_side: int = 640,
                  top_k: int = 4, progress: Progress | None = None, cancel: CancelFlag = None,
                  limits: Limits | None = None, keep_frames: bool = True, main_face_ratio: float = MAIN_FACE_RATIO,
                  aggregation: str = DEFAULT_AGGREGATION) -> VideoReport:
    """Analyse ``n_frames`` evenly spaced frames of a video (bytes or a path) with the lab's engine.

    ``detect_every``: run MTCNN on every k-th sampled frame (1 = all) on a copy whose longer side is
    ``detect_side``; ``progress(done, total)`` is called as work advances; setting ``cancel`` (an Event or a
    callable returning True) stops the analysis with :class:`AnalysisCancelled`. Faces smaller than
    ``main_face_ratio`` × the main face do not count; ``aggregation`` names how frame scores are combined
    (:data:`core.engine.video_decision.AGGREGATIONS`). Files beyond the limits
    (duration, frame size) raise :class:`core.engine.media.MediaError` with a message for the student.
    """
    limits = limits or lab.limits
    n_frames = int(np.clip(n_frames, 1, MAX_SAMPLED_FRAMES))
    detect_every = max(1, int(detect_every))
    timings: dict[str, float] = {}
    n_keys_est = (n_frames - 1) // detect_every + 2
    total = n_frames + n_keys_est + 1
    done = 0

    def tick(k: int) -> None:
        nonlocal done
        done = min(total - 1, done + k)
        if progress is not None:
            progress(done, total)

    def on_frame(_count: int) -> None:
        if _cancelled(cancel):
            raise AnalysisCancelled()
        tick(1)

    t0 = time.perf_counter()
    info, indices, frames = read_frames(source, n_frames, limits=limits, max_side=ANALYSIS_SIDE, on_frame=on_frame)
    timings["decode"] = time.perf_counter() - t0
    # The video's own pixels; frames may be smaller when a 4K video was decoded at ANALYSIS_SIDE.
    to_video = info.width / frames[0].shape[1]

    t0 = time.perf_counter()
    per_frame, was_detected = _detect_sparse(lab, frames, detect_every, detect_side, limits.max_faces, cancel, tick)
    timings["detect"] = time.perf_counter() - t0
    if _cancelled(cancel):
        raise AnalysisCancelled()

    t0 = time.perf_counter()
    crops, owners = [], []
    for t, (frame, faces) in enumerate(zip(frames, per_frame)):
        for j, face in enumerate(faces):
            crops.append(lab.crop(frame, face)[0])
            owners.append((t, j))
    probs = lab.score_crops(np.stack(crops)) if crops else np.zeros(0, np.float32)
    timings["score"] = time.perf_counter() - t0

    verdict = lab.detector.verdict
    counted = counted_faces([[f.size for f in faces] for faces in per_frame], main_face_ratio)
    per_face: list[list[float]] = [[] for _ in frames]
    for (t, _j), p in zip(owners, probs):
        per_face[t].append(float(p))
    frame_probs = frame_scores(per_face, counted)
    faces_out: list[list[FrameFace]] = [[] for _ in frames]
    best_crop: dict[int, tuple[float, int]] = {}
    for k, ((t, j), p) in enumerate(zip(owners, probs)):
        f = per_frame[t][j]
        faces_out[t].append(FrameFace(box=f.box * to_video, landmarks=f.landmarks * to_video, fake_prob=float(p),
                                      verdict=verdict(float(p)), detected=was_detected[t], counted=bool(counted[t][j])))
        if counted[t][j] and (t not in best_crop or p > best_crop[t][0]):
            best_crop[t] = (float(p), k)
    score = video_score(frame_probs, aggregation)

    preview = [shrink_to_longest(f, PREVIEW_SIDE)[0] for f in frames]
    preview_scale = preview[0].shape[1] / info.width
    fps = info.fps if info.fps > 0 else 25.0
    times = np.asarray(indices, np.float64) / fps
    ranked = sorted(best_crop, key=lambda t: -best_crop[t][0])[:max(0, top_k)]
    top = []
    for t in sorted(ranked, key=lambda t: -best_crop[t][0]):
        p, k = best_crop[t]
        t_face = owners[k][1]
        thumb = _draw(preview[t], [faces_out[t][t_face]], preview_scale, thumb=True)
        top.append(SuspiciousFrame(position=t, frame_index=int(indices[t]), time_s=float(times[t]), fake_prob=p,
                                   crop=crops[k], thumbnail=shrink_to_longest(thumb, 320)[0]))
    tick(1)
    if progress is not None:
        progress(total, total)
    meta = lab.detector.meta
    return VideoReport(
        info=info, frame_indices=np.asarray(indices, np.int64), times_s=times, frame_probs=frame_probs,
        faces=faces_out, score=score, verdict=verdict(score) if score is not None else None, top=top,
        detect_every=detect_every, detect_side=detect_side, likely_real_below=meta.likely_real_below,
        likely_manipulated_from=meta.likely_manipulated_from, model_trained=lab.trained,
        model_version=meta.version, timings_s=timings, frames=preview if keep_frames else None,
        preview_scale=preview_scale, aggregation=aggregation,
    )


def _draw(frame: np.ndarray, faces: list[FrameFace], scale: float, thumb: bool = False) -> np.ndarray:
    """Boxes in verdict colours (and, unless ``thumb``, score labels) on a copy of a preview frame."""
    from core.engine.draw import NOT_COUNTED, NEUTRAL, VERDICT_COLOURS, draw_faces
    from core.engine.verdict import score_points

    # A face too small to count gets a grey box and no score: it does not take part in the decision.
    labels = None if thumb else [f"{score_points(f.fake_prob)} {f.verdict}" if f.counted else "small: not counted"
                                 for f in faces]
    return draw_faces(frame, [f.box * scale for f in faces], None, labels,
                      [VERDICT_COLOURS.get(f.verdict, NEUTRAL) if f.counted else NOT_COUNTED for f in faces])


def annotate_video(report: VideoReport, frames: Sequence[np.ndarray] | None = None, *, fps: float | None = None) -> bytes:
    """A browser-playable H.264 MP4 of the sampled frames with each face boxed in its verdict colour and
    labelled with its score, plus the time and frame score in a corner.

    ``frames`` default to the report's preview frames. The clip lasts as long as the video (sampled frames
    shown at ``n / duration`` fps, at least 1 and at most 30) unless ``fps`` is given.
    """
    frames = list(frames if frames is not None else (report.frames or []))
    if not frames:
        raise ValueError("annotate_video needs the sampled frames: analyse with keep_frames=True")
    scale = frames[0].shape[1] / report.info.width
    if fps is None:
        duration = report.info.duration_s or (len(frames) / 10.0)
        fps = float(np.clip(len(frames) / max(duration, 1e-6), 1.0, 30.0))
    out = []
    for t, frame in enumerate(frames):
        img = _draw(frame, report.faces[t], scale)
        p = report.frame_probs[t]
        text = f"t={report.times_s[t]:.1f}s  frame score: " + (f"{p:.0%}" if np.isfinite(p) else "no face")
        cv2.putText(img, text, (8, img.shape[0] - 10), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(img, text, (8, img.shape[0] - 10), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        out.append(img)
    return write_h264(out, fps=fps)


# ------------------------------------------------------------------------------------------- reports


def report_dict(report: VideoReport) -> dict:
    """A JSON-ready summary: the video, the model, the verdict and the per-frame timeline (no pixels)."""
    def num(x):
        return None if x is None or not np.isfinite(x) else round(float(x), 6)

    i = report.info
    return {
        "video": {"container": i.container, "codec": i.codec, "width": i.width, "height": i.height,
                  "fps": round(i.fps, 3), "duration_s": round(i.duration_s, 3), "n_frames": i.n_frames},
        "model": {"version": report.model_version, "trained": report.model_trained,
                  "likely_real_below": report.likely_real_below,
                  "likely_manipulated_from": report.likely_manipulated_from},
        "analysis": {"sampled_frames": len(report.frame_indices), "frames_with_faces": report.frames_with_faces,
                     "detect_every": report.detect_every, "detect_side": report.detect_side,
                     "aggregation": report.aggregation,
                     "timings_s": {k: round(v, 3) for k, v in report.timings_s.items()}},
        "score": num(report.score),
        "verdict": report.verdict,
        "most_suspicious_frames": [{"frame_index": s.frame_index, "time_s": round(s.time_s, 3),
                                    "fake_prob": num(s.fake_prob)} for s in report.top],
        "frames": [{"frame_index": int(fi), "time_s": round(float(ts), 3), "frame_score": num(p),
                    "faces": [{"box": [round(float(v), 1) for v in f.box], "fake_prob": num(f.fake_prob),
                               "verdict": f.verdict, "detected": f.detected, "counted": f.counted}
                              for f in faces]}
                   for fi, ts, p, faces in zip(report.frame_indices, report.times_s, report.frame_probs, report.faces)],
    }


def report_json(report: VideoReport) -> str:
    return json.dumps(report_dict(report), indent=2)


def report_csv(report: VideoReport) -> str:
    """One row per face per sampled frame (a frame without faces gets one row with empty face fields)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["frame_index", "time_s", "frame_score", "face", "x1", "y1", "x2", "y2", "fake_prob", "verdict",
                "detected", "counted"])
    for fi, ts, p, faces in zip(report.frame_indices, report.times_s, report.frame_probs, report.faces):
        fs = "" if not np.isfinite(p) else f"{p:.6f}"
        if not faces:
            w.writerow([int(fi), f"{ts:.3f}", fs, "", "", "", "", "", "", "", "", ""])
        for j, f in enumerate(faces):
            w.writerow([int(fi), f"{ts:.3f}", fs, j + 1, *(f"{v:.1f}" for v in f.box), f"{f.fake_prob:.6f}",
                        f.verdict, int(f.detected), int(f.counted)])
    return buf.getvalue()


# ------------------------------------------------------------------------------------ a demo clip


def moving_face_clip(face_rgb: np.ndarray, *, width: int = 640, height: int = 360, seconds: float = 2.0,
                     fps: float = 15.0, face_height: float = 0.6, copies: int = 1, crf: int = 23) -> bytes:
    """A generated H.264 MP4 of a photo sliding across a plain background (the built-in demo clip, and the
    input of tests and benchmarks, so they run on a fresh machine). See :func:`core.fakes.scenes.moving_face_frames`.
    """
    from core.fakes.scenes import moving_face_frames

    n = max(1, int(round(seconds * fps)))
    frames = moving_face_frames(n, width=width, height=height, photo=face_rgb, face_height=face_height, copies=copies)
    return write_h264(frames, fps=fps, crf=crf)
