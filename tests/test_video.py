"""Video analysis on clips generated here from the bundled sample photos (PyAV/libx264)."""

from __future__ import annotations

import csv
import io
import json
import threading

import av
import numpy as np
import pytest

from core.config import Limits
from core.engine.detector import VERDICTS
from core.engine.media import MediaError, write_h264
from core.engine.video import AnalysisCancelled, analyze_video, annotate_video, moving_face_clip, report_csv, report_json

N = 8


@pytest.fixture(scope="module")
def clip(grace) -> bytes:
    # 1.5 s at 10 fps, 480×270, the photo sliding from the left edge to the right edge.
    return moving_face_clip(grace, width=480, height=270, seconds=1.5, fps=10, face_height=0.8)


@pytest.fixture(scope="module")
def report(lab, clip):
    return analyze_video(lab, clip, n_frames=N, detect_every=3)


def centre_x(face) -> float:
    return float(face.box[0] + face.box[2]) / 2


def iou(a, b) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def test_one_face_per_sampled_frame_moving_right(report):
    assert report.info.width == 480 and report.info.height == 270 and report.info.codec == "h264"
    assert len(report.frame_indices) == N == len(report.faces) == len(report.frame_probs) == len(report.times_s)
    assert list(report.frame_indices) == sorted(set(report.frame_indices.tolist()))
    assert [len(f) for f in report.faces] == [1] * N
    xs = [centre_x(f[0]) for f in report.faces]
    assert all(b > a for a, b in zip(xs, xs[1:])), xs  # the face slides left to right
    assert xs[-1] - xs[0] > 150
    # Frames 0, 3, 6 and the last are detected; the others are interpolated.
    assert [f[0].detected for f in report.faces] == [True, False, False, True, False, False, True, True]


def test_scores_and_verdicts(lab, report):
    probs = report.frame_probs
    assert probs.dtype == np.float32 and np.isfinite(probs).all() and ((probs >= 0) & (probs <= 1)).all()
    for p, faces in zip(probs, report.faces):
        assert p == pytest.approx(max(f.fake_prob for f in faces))
        assert all(f.verdict == lab.detector.verdict(f.fake_prob) for f in faces)
    assert report.score == pytest.approx(float(np.mean(probs)), abs=1e-6)
    assert report.verdict == lab.detector.verdict(report.score) and report.verdict in VERDICTS
    assert report.likely_real_below == lab.detector.meta.likely_real_below
    assert report.model_trained == lab.trained
    assert np.allclose(report.times_s, report.frame_indices / report.info.fps)


def test_top_frames_are_the_highest_scoring(lab, report):
    assert 1 <= len(report.top) <= 4
    got = [s.fake_prob for s in report.top]
    assert got == sorted(got, reverse=True)
    assert got[0] == pytest.approx(float(np.nanmax(report.frame_probs)))
    s = lab.detector.input_size
    for item in report.top:
        assert item.crop.shape == (s, s, 3) and item.crop.dtype == np.uint8
        assert item.thumbnail.ndim == 3 and max(item.thumbnail.shape[:2]) <= 320
        # The stored crop is what the detector scored.
        assert float(lab.score_crops(item.crop[None])[0]) == pytest.approx(item.fake_prob, abs=1e-5)
        assert report.frame_probs[item.position] == pytest.approx(item.fake_prob)


def test_interpolated_boxes_follow_the_face(lab, clip, report):
    full = analyze_video(lab, clip, n_frames=N, detect_every=1, keep_frames=False)
    assert all(f[0].detected for f in full.faces) and full.frames is None
    for a, b in zip(report.faces, full.faces):
        assert iou(a[0].box, b[0].box) > 0.8


def test_progress_reaches_total_and_path_source(lab, clip, tmp_path):
    calls = []
    path = tmp_path / "clip.mp4"
    path.write_bytes(clip)
    rep = analyze_video(lab, path, n_frames=4, detect_every=2, progress=lambda d, t: calls.append((d, t)))
    assert len(rep.frame_indices) == 4
    done = [d for d, _ in calls]
    assert done == sorted(done) and calls[-1][0] == calls[-1][1] and len({t for _, t in calls}) == 1


def test_cancel_stops_the_analysis(lab, clip):
    flag = threading.Event()
    calls = []

    def progress(done, total):
        calls.append(done)
        if done >= 2:
            flag.set()

    with pytest.raises(AnalysisCancelled):
        analyze_video(lab, clip, n_frames=N, progress=progress, cancel=flag)
    assert max(calls) < N  # stopped while decoding, well before detection
    with pytest.raises(AnalysisCancelled):
        analyze_video(lab, clip, n_frames=N, cancel=lambda: True)


def test_limits_refuse_long_videos(lab, clip):
    with pytest.raises(MediaError, match="too long"):
        analyze_video(lab, clip, limits=Limits(max_video_seconds=1.0))
    with pytest.raises(MediaError, match="too large"):
        analyze_video(lab, clip, limits=Limits(max_video_pixels=320 * 240))
    with pytest.raises(MediaError):
        analyze_video(lab, b"not a video at all")


def test_video_without_faces(lab):
    frames = [np.full((120, 160, 3), 40 + 10 * i, np.uint8) for i in range(6)]
    rep = analyze_video(lab, write_h264(frames, fps=6), n_frames=6)
    assert np.isnan(rep.frame_probs).all() and rep.score is None and rep.verdict is None and rep.top == []
    assert json.loads(report_json(rep))["score"] is None
    assert len(annotate_video(rep)) > 0


def test_annotated_clip_is_h264(report):
    data = annotate_video(report)
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(frames) == N
    assert frames[0].shape == report.frames[0].shape[:2] + (3,)
    # The drawn box makes the annotated frame differ from the plain sampled frame.
    assert np.abs(frames[0].astype(int) - report.frames[0].astype(int)).max() > 100


def test_reports_json_and_csv(report):
    data = json.loads(report_json(report))
    assert data["verdict"] == report.verdict and data["score"] == pytest.approx(report.score, abs=1e-5)
    assert data["video"]["width"] == 480 and data["analysis"]["sampled_frames"] == N
    assert len(data["frames"]) == N and all(len(f["faces"]) == 1 for f in data["frames"])
    assert [f["frame_index"] for f in data["frames"]] == report.frame_indices.tolist()
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert len(rows) == N
    assert [int(r["frame_index"]) for r in rows] == report.frame_indices.tolist()
    assert float(rows[0]["fake_prob"]) == pytest.approx(report.faces[0][0].fake_prob, abs=1e-5)
    assert report.without_frames().frames is None and report.frames is not None
