"""Which faces set a video's score, and how frame scores combine (core.engine.video_decision + the video path)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.engine.media import write_h264
from core.engine.video import analyze_video
from core.engine.video_decision import AGGREGATIONS, counted_faces, frame_scores, video_score
from core.fakes.scenes import moving_face_frames
from core.training.video_rules import compare_rules


def test_a_face_far_smaller_than_the_main_face_does_not_count():
    sizes = [[200.0, 44.0], [210.0], [], [190.0, 120.0]]
    counted = counted_faces(sizes, 0.5)
    assert [c.tolist() for c in counted] == [[True, False], [True], [], [True, True]]
    scores = frame_scores([[0.1, 0.9], [0.2], [], [0.3, 0.6]], counted)
    np.testing.assert_allclose(scores[[0, 1, 3]], [0.1, 0.2, 0.6])  # the 44-px box's 0.9 is ignored
    assert np.isnan(scores[2])
    assert all(c.all() for c in counted_faces(sizes, 0.0))  # ratio 0 counts every face


def test_aggregations_combine_frames_with_faces_only():
    frames = np.array([0.1, np.nan, 0.2, 0.3, 0.9], np.float32)
    assert video_score(frames, "mean") == pytest.approx(0.375)
    assert video_score(frames, "median") == pytest.approx(0.25)
    assert video_score(frames, "top-quarter mean") == pytest.approx(0.9)  # ceil(4 / 4) = 1 frame
    assert video_score(frames, "max") == pytest.approx(0.9)
    assert video_score(np.array([np.nan]), "mean") is None
    with pytest.raises(ValueError, match="unknown aggregation"):
        video_score(frames, "mode")


def test_compare_rules_reports_auc_per_rule_and_family():
    # Two real and two fake videos; each real one has a tiny high-scoring background "face".
    def video(label, main, fam):
        return {"label": label, "families": [fam], "frames": [[[main, 200.0], [0.95, 40.0]] if label == 0
                                                              else [[main, 200.0]]] * 3}
    videos = [video(0, 0.2, "A"), video(0, 0.3, "A"), video(1, 0.6, "A"), video(1, 0.5, "A")]
    rows = {(r["min_face_ratio"], r["aggregation"]): r for r in compare_rules(videos)}
    assert rows[(0.0, "mean")]["video_auc"] == 0.0  # counting the background box inverts the ranking
    assert rows[(0.5, "mean")]["video_auc"] == 1.0 and rows[(0.5, "mean")]["families"]["A"] == 1.0
    assert len(rows) == 4 * len(AGGREGATIONS)
    assert "real_flagged" not in rows[(0.5, "mean")]  # no threshold, no alarm rates


def test_compare_rules_with_a_threshold_counts_real_videos_flagged():
    # Equal rankings, unequal alarms: one bad frame in four lifts a real video's top-quarter mean, not its mean.
    real = {"label": 0, "families": ["A"], "frames": [[[0.2, 200.0]]] * 3 + [[[0.9, 200.0]]]}
    fake = {"label": 1, "families": ["A"], "frames": [[[0.95, 200.0]]] * 4}
    rows = {(r["min_face_ratio"], r["aggregation"]): r
            for r in compare_rules([real, fake], ratios=(0.5,), threshold=0.7)}
    assert rows[(0.5, "mean")]["video_auc"] == rows[(0.5, "top-quarter mean")]["video_auc"] == 1.0
    assert rows[(0.5, "mean")]["real_flagged"] == 0.0 and rows[(0.5, "top-quarter mean")]["real_flagged"] == 1.0
    assert rows[(0.5, "mean")]["fakes_caught"] == 1.0


def test_a_small_background_face_is_shown_but_not_counted(lab, grace):
    frames = []
    # A 60-px-tall copy of the photo in the bottom-right corner: a face in the background.
    small = cv2.resize(grace, (grace.shape[1] * 60 // grace.shape[0], 60), interpolation=cv2.INTER_AREA)[:, :70]
    for frame in moving_face_frames(6, width=640, height=360, photo=grace, face_height=0.8):
        frame[290:350, 570:570 + small.shape[1]] = small
        frames.append(frame)
    report = analyze_video(lab, write_h264(frames, fps=6), n_frames=6, detect_every=1)
    sizes = [[float(max(f.box[2] - f.box[0], f.box[3] - f.box[1])) for f in faces] for faces in report.faces]
    assert any(len(s) == 2 for s in sizes), sizes  # the small copy is found in some frames...
    for faces, p in zip(report.faces, report.frame_probs):
        main = max(faces, key=lambda f: f.box[2] - f.box[0])
        assert main.counted and p == pytest.approx(main.fake_prob)  # ...but only the main face sets the frame
        assert all(not f.counted for f in faces if f is not main)
