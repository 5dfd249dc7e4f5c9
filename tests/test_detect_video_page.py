"""Detect — video page (pages/detect_video.py) under AppTest: demo clip, upload, bad upload, kept results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.engine.video import moving_face_clip
from pagetest import run as _run, texts as _texts

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "detect_video.py")


@pytest.fixture(scope="module")
def small_clip(astronaut) -> bytes:
    return moving_face_clip(astronaut, width=320, height=240, seconds=1.0, fps=8, face_height=0.9)


def test_demo_clip_analysis_shows_timeline_clip_frames_and_downloads():
    at = _run(AppTest.from_file(PAGE))
    at.slider(key="detect_video_frames").set_value(8)
    _run(at)
    at.button(key="detect_video_go").click()
    _run(at)
    result = list(at.session_state["detect_video_result"].values())[-1]
    report = result["report"]
    assert report.frames is None  # frames dropped before storing
    assert len(report.frame_indices) == 8 and report.frames_with_faces == 8
    assert at.metric[2].value == "8 / 8"
    assert len(at.get("plotly_chart")) == 1  # timeline
    assert len(at.get("video")) == 1
    assert len(at.get("download_button")) == 2
    assert json.loads(result["json"])["analysis"]["sampled_frames"] == 8
    assert result["csv"].count("\n") == 9  # header + one face per frame
    images = at.get("image")
    assert len(images) == 2 * len(report.top) and 1 <= len(report.top) <= 4
    _run(at)
    assert at.button(key="detect_video_go").disabled  # same clip and settings: nothing new to analyse


def test_upload_then_bad_upload_then_result_kept(small_clip):
    at = _run(AppTest.from_file(PAGE))
    at.radio(key="detect_video_source").set_value("Upload a video")
    _run(at)
    assert any("Upload a video" in i.value for i in at.info)
    at.slider(key="detect_video_frames").set_value(8)
    at.file_uploader(key="detect_video_upload").upload("me.mp4", small_clip, "video/mp4")
    _run(at)
    at.button(key="detect_video_go").click()
    _run(at)
    assert at.header[0].value == "Result — me.mp4"
    at.file_uploader(key="detect_video_upload").clear()
    at.file_uploader(key="detect_video_upload").upload("broken.mp4", b"\x00\x00\x00\x18ftypmp42 broken", "video/mp4")
    _run(at)
    at.button(key="detect_video_go").click()
    _run(at)
    assert at.error and "not a video we can read" in at.error[0].value
    # The reason is shown on the page, not inside the collapsed status box, and the old result is gone.
    assert all(not blk.error for blk in at.status)
    assert not at.header and "Below: your last result" not in _texts(at)
    at.file_uploader(key="detect_video_upload").clear()
    _run(at)
    assert at.header[0].value == "Result — me.mp4"  # the last good result stays on screen
