"""The live frame processor on generated camera frames: boxes, scores, smoothing, frame dropping."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from core.engine.analysis import Lab
from core.config import ROOT
from core.engine.draw import VERDICT_COLOURS
from core.engine.live import LiveProcessor, LiveSettings, ScoreWindow
from core.fakes.scenes import camera_frames


@pytest.fixture(scope="module")
def clip() -> list[np.ndarray]:
    return camera_frames(60)


class FakeClock:
    def __init__(self, t: float = 100.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


class GatedExtractor:
    """The real face extractor behind a gate, so a test can hold one frame "in progress"."""

    def __init__(self, inner):
        self.inner = inner
        self.entered = threading.Event()
        self.release = threading.Event()

    def detect(self, *args, **kwargs):
        self.entered.set()
        assert self.release.wait(30), "test never released the gate"
        return self.inner.detect(*args, **kwargs)


def test_clip_moves_a_face_across_the_canvas(clip):
    assert clip[0].shape == (480, 640, 3) and clip[0].dtype == np.uint8
    assert not np.array_equal(clip[0], clip[15])


def test_boxes_and_score_drawn_where_the_face_is(lab, clip):
    frame = clip[10]
    before = frame.copy()
    proc = LiveProcessor(lab)
    result = proc.process(frame)
    assert np.array_equal(frame, before), "the input frame must not be modified"
    assert result.detected and result.scored and not result.dropped
    assert len(result.faces) == 1
    face = result.faces[0]
    assert face.fake_prob is not None and 0.0 <= face.fake_prob <= 1.0
    assert face.verdict == lab.detector.verdict(face.fake_prob)

    # Same face, same place as the full analysis of the full-size frame finds.
    full = lab.analyze_image(frame).faces[0]
    x1, y1, x2, y2 = face.box
    ix = max(0, min(x2, full.box[2]) - max(x1, full.box[0])) * max(0, min(y2, full.box[3]) - max(y1, full.box[1]))
    union = (x2 - x1) * (y2 - y1) + (full.box[2] - full.box[0]) * (full.box[3] - full.box[1]) - ix
    assert ix / union > 0.7
    # The same detector and crop function score it: given live's own box and landmarks, the photo path's
    # scorer gives live's score. (Live finds faces on a 384-px copy; the photo page at full size, and the
    # 160-px detector is sensitive to the small landmark shifts between the two — see the model card.)
    same_faces = lab.extractor.detect(frame, crops=False, detect_side=proc.settings.detect_side)
    assert abs(face.fake_prob - lab.score_faces(frame, same_faces)[0].fake_prob) < 1e-4

    # The box outline is drawn: most pixels along the box's left edge changed, the far corner did not.
    changed = np.any(result.frame != frame, axis=2)
    xi, ya, yb = int(round(x1)), int(round(y1)) + 5, int(round(y2)) - 5
    assert changed[ya:yb, xi].mean() > 0.9
    assert not changed[470:, 620:].any()
    # The label sits next to the box in the verdict colour.
    colour = np.array(VERDICT_COLOURS[face.verdict], np.uint8)
    label_rows = result.frame[max(0, int(y1) - 25):int(y1), int(x1):int(x2)]
    assert np.all(label_rows == colour, axis=2).sum() > 100
    assert result.ms > 0


def test_boxes_are_reused_between_detections(lab, clip):
    proc = LiveProcessor(lab, LiveSettings(detect_every=2, score_every=4))
    first = proc.process(clip[0])
    second = proc.process(clip[1])
    assert first.detected and not second.detected and not second.scored
    assert len(second.faces) == 1
    np.testing.assert_array_equal(second.faces[0].box, first.faces[0].box)
    assert second.faces[0].fake_prob == pytest.approx(first.faces[0].fake_prob)
    assert np.any(second.frame != clip[1])
    third = proc.process(clip[2])
    assert third.detected and not third.scored  # detection every 2nd frame, scoring every 4th


def test_frame_without_a_face(lab):
    blank = np.full((480, 640, 3), 120, np.uint8)
    result = LiveProcessor(lab).process(blank)
    assert result.faces == ()
    assert result.detected and not result.scored


def test_bad_frames_are_refused(lab):
    with pytest.raises(ValueError, match="uint8 RGB frame"):
        LiveProcessor(lab).process(np.zeros((48, 64), np.uint8))
    with pytest.raises(ValueError):
        LiveProcessor(lab).process(np.zeros((48, 64, 3), np.float32))


def test_score_window_keeps_the_last_second():
    w = ScoreWindow(1.0)
    assert w.value(0.0) is None
    w.add(0.0, 0.2)
    w.add(0.5, 0.4)
    assert w.value(0.9) == pytest.approx(0.3)
    assert w.value(1.2) == pytest.approx(0.4)  # the score at t=0 fell out of the window
    assert w.value(9.0) == pytest.approx(0.4)  # nothing recent: the latest score stands alone
    w.add(9.5, 0.8)
    assert w.value(9.6) == pytest.approx(0.8)


def test_processor_smooths_over_time(lab, clip):
    clock = FakeClock()
    proc = LiveProcessor(lab, LiveSettings(detect_every=1, score_every=1, window_s=1.0), clock=clock)
    a = proc.process(clip[0]).faces[0]
    clock.t += 0.4
    b = proc.process(clip[1]).faces[0]
    assert b.samples == 2
    assert b.fake_prob == pytest.approx((a.last_prob + b.last_prob) / 2, abs=1e-6)
    clock.t += 1.5  # both earlier scores are now older than the window
    c = proc.process(clip[2]).faces[0]
    assert c.samples == 1 and c.fake_prob == pytest.approx(c.last_prob)
    stats = proc.stats()
    assert stats.frames == 3 and stats.dropped == 0 and stats.faces == 1
    assert stats.fake_prob == pytest.approx(c.fake_prob)
    assert stats.ms_p50 is not None and stats.ms_p95 >= stats.ms_p50 > 0


def test_busy_processor_drops_instead_of_queueing(lab, clip):
    gated = GatedExtractor(lab.extractor)
    proc = LiveProcessor(Lab(lab.detector, extractor=gated), LiveSettings(detect_every=1, score_every=1))
    results = {}
    worker = threading.Thread(target=lambda: results.setdefault("slow", proc.process(clip[0])))
    worker.start()
    try:
        assert gated.entered.wait(30)
        quick = proc.process(clip[5])  # arrives while frame 0 is still being detected
    finally:
        gated.release.set()
        worker.join(60)
    assert quick.dropped and not quick.detected and quick.faces == ()
    assert results["slow"].detected and len(results["slow"].faces) == 1
    np.testing.assert_array_equal(proc.latest_frame(), clip[5])  # Freeze takes the newest frame

    # Once boxes exist, a dropped frame is the new picture with the last boxes drawn on it.
    gated.entered.clear()
    gated.release.clear()
    worker = threading.Thread(target=lambda: proc.process(clip[1]))
    worker.start()
    try:
        assert gated.entered.wait(30)
        quick = proc.process(clip[2])
    finally:
        gated.release.set()
        worker.join(60)
    assert quick.dropped and len(quick.faces) == 1
    np.testing.assert_array_equal(quick.faces[0].box, results["slow"].faces[0].box)
    x1, y1, _, y2 = (int(round(v)) for v in quick.faces[0].box)
    assert np.any(quick.frame[y1 + 5:y2 - 5, x1] != clip[2][y1 + 5:y2 - 5, x1])
    stats = proc.stats()
    assert stats.dropped == 2 and stats.frames == 4


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_video_mode_never_waits_for_the_analysis(lab, clip):
    gated = GatedExtractor(lab.extractor)
    proc = LiveProcessor(Lab(lab.detector, extractor=gated), LiveSettings(detect_every=1, score_every=1))
    try:
        first = proc.process(clip[0], wait=False)  # starts the analysis of frame 0 in the background
        assert not first.dropped and first.faces == () and not first.detected
        assert gated.entered.wait(30)
        busy = proc.process(clip[1], wait=False)  # frame 0 is still being analysed: not analysed, not queued
        assert busy.dropped and busy.faces == ()
    finally:
        gated.release.set()
    wait_for(lambda: proc.stats().analysed == 1)
    later = proc.process(clip[2], wait=False)  # the boxes found in frame 0, drawn on the new picture
    assert not later.dropped and len(later.faces) == 1 and later.faces[0].fake_prob is not None
    assert np.any(later.frame != clip[2])
    wait_for(lambda: proc.stats().analysed == 2)
    stats = proc.stats()
    assert (stats.frames, stats.dropped, stats.analysed) == (3, 1, 2) and proc.error is None


def test_background_failure_is_reported_and_the_stream_goes_on(lab, clip):
    class Broken:
        def detect(self, *args, **kwargs):
            raise RuntimeError("camera frame garbled")

    proc = LiveProcessor(Lab(lab.detector, extractor=Broken()))
    proc.process(clip[0], wait=False)
    wait_for(lambda: proc.error is not None)
    assert "camera frame garbled" in proc.error
    wait_for(lambda: not proc.process(clip[1], wait=False).dropped)  # the lock was released


@pytest.fixture()
def no_webrtc(monkeypatch):
    """AppTest has no browser session for the WebRTC component (tests/test_browser_live.py runs the real
    one); stand in for it with a stream that is not playing."""
    import types

    import streamlit_webrtc

    calls = []

    def fake_streamer(**kwargs):
        calls.append(kwargs)
        return types.SimpleNamespace(state=types.SimpleNamespace(playing=False))

    monkeypatch.setattr(streamlit_webrtc, "webrtc_streamer", fake_streamer)
    return calls


def test_live_page_renders_and_freeze_needs_a_frame(no_webrtc):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "live.py"), default_timeout=120).run()
    assert not at.exception
    assert "Live webcam" in at.title[0].value
    assert any("HTTPS" in e.label for e in at.expander)
    config = no_webrtc[-1]
    assert config["rtc_configuration"] == {"iceServers": []} and callable(config["video_frame_callback"])
    freeze = next(b for b in at.button if "Freeze" in b.label)
    freeze.click().run()
    assert not at.exception
    assert any("No camera frame yet" in w.value for w in at.warning)


def test_freeze_hands_the_newest_frame_to_the_photo_page(clip, no_webrtc):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/live.py").run()
    proc = at.session_state["live_processor"]
    proc.process(clip[7])  # as the video callback would
    next(b for b in at.button if "Freeze" in b.label).click().run()
    assert not at.exception
    np.testing.assert_array_equal(at.session_state["detect_photo_frozen"], clip[7])
    assert at.title[0].value.endswith("Detect — photo")
    assert any("froze on the **Live** page" in i.value for i in at.info)


def test_freeze_analyses_inline_when_the_photo_page_is_missing(clip, no_webrtc, monkeypatch):
    import ui.pages
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(ui.pages, "registered_pages", lambda *a, **k: {"pages/home.py", "pages/live.py"})
    at = AppTest.from_file(str(ROOT / "pages" / "live.py"), default_timeout=180).run()
    at.session_state["live_processor"].process(clip[7])
    next(b for b in at.button if "Freeze" in b.label).click().run()
    assert not at.exception
    assert "detect_photo_frozen" not in at.session_state
    assert any(s.value == "Frozen frame" for s in at.header)
    assert len(at.get("image")) >= 2  # the annotated frame, then the face crop beside its Grad-CAM overlay
