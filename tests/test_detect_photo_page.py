"""Detect — photo page (pages/detect_photo.py) under Streamlit's AppTest: samples, uploads, many faces, hand-over."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.engine.media import encode_jpeg
from pagetest import run as _run, texts as _texts

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "detect_photo.py")


def _last(at):
    """The page's newest result in this session (ui.results.SessionResults keeps them newest last)."""
    return list(at.session_state["detect_photo_result"].values())[-1]


def _n_images(at: AppTest) -> int:
    return len(at.get("image"))


def test_sample_shows_score_heatmap_and_reading(lab):
    at = _run(AppTest.from_file(PAGE))
    text = _texts(at)
    assert "Found 1 face" in text
    assert len(at.get("plotly_chart")) == 1  # the gauge
    # annotated photo, crop, Grad-CAM overlay (and the seam map when the detector has a seam head)
    assert _n_images(at) == 3 + lab.detector.has_seam_head
    verdicts = ("likely real", "uncertain", "likely manipulated")
    assert any(v in md.value for md in at.markdown for v in verdicts)
    assert "where the model looked, not what is fake" in text
    assert ("untrained" in text) == (not lab.trained)
    last = at.session_state["detect_last_face"]
    assert last.crop.shape == (lab.detector.input_size,) * 2 + (3,)
    # The opacity slider redraws the overlay without recomputing the analysis.
    before = _last(at)
    at.slider(key="detect_photo_alpha").set_value(1.0)
    _run(at)
    assert _last(at) is before


def test_a_detector_with_a_seam_head_shows_its_map_beside_grad_cam(tmp_path, monkeypatch):
    import torch

    from core.engine.detector import BlendNet, Detector, DetectorMeta
    from ui.resources import get_lab

    torch.manual_seed(0)
    Detector(BlendNet(seam_head=True), DetectorMeta(seam_head=True, trained=True, version="seam-test"), "cpu").save(
        tmp_path / "seam.safetensors")
    monkeypatch.setenv("LAB_MODEL_PATH", str(tmp_path / "seam.safetensors"))
    get_lab.clear()
    try:
        at = _run(AppTest.from_file(PAGE))
        assert _n_images(at) == 4  # annotated photo, crop, Grad-CAM, seam map
        captions = [i.caption for img in at.get("image") for i in img.proto.imgs]
        assert any(c.startswith("Seam map: where it thinks a blend edge is") for c in captions)
        assert "How to read the seam map" in _texts(at)
    finally:
        get_lab.clear()  # the next test loads the shipped model again


def test_upload_and_keep_result_when_the_input_goes(astronaut):
    at = _run(AppTest.from_file(PAGE))
    at.radio(key="detect_photo_source").set_value("Upload a photo")
    _run(at)
    at.file_uploader(key="detect_photo_upload").upload("astronaut.jpg", encode_jpeg(astronaut), "image/jpeg")
    _run(at)
    assert "Found 1 face" in _texts(at)
    assert _last(at)["name"] == "astronaut.jpg"
    at.file_uploader(key="detect_photo_upload").clear()
    _run(at)
    assert "Showing your last result (astronaut.jpg)" in _texts(at)
    assert _n_images(at) == 3


def test_unreadable_upload_is_explained_not_crashed():
    at = _run(AppTest.from_file(PAGE))
    assert _n_images(at) == 3  # the sample's result
    at.radio(key="detect_photo_source").set_value("Upload a photo")
    _run(at)
    at.file_uploader(key="detect_photo_upload").upload("broken.jpg", b"\xff\xd8\xff garbage", "image/jpeg")
    _run(at)
    assert at.error and "not an image we can read" in at.error[0].value
    # The error replaces the earlier result: nothing below it could be mistaken for this file's.
    assert _n_images(at) == 0 and "Found" not in _texts(at) and "last result" not in _texts(at)


def test_status_box_follows_the_verdict(lab):
    """The face-count message is coloured and iconed by the worst verdict, never a green success."""
    at = _run(AppTest.from_file(PAGE))
    verdict = _last(at)["report"].faces[0].verdict
    box = {"likely real": at.info, "uncertain": at.warning, "likely manipulated": at.error}[verdict]
    assert any("Found 1 face" in b.value and verdict in b.value for b in box)
    assert not any("Found" in b.value for b in at.success)


def test_many_faces_table_and_selection(grace, astronaut):
    h = max(grace.shape[0], astronaut.shape[0])
    canvas = np.full((h, grace.shape[1] + astronaut.shape[1], 3), 128, np.uint8)
    canvas[:grace.shape[0], :grace.shape[1]] = grace
    canvas[:astronaut.shape[0], grace.shape[1]:] = astronaut
    at = AppTest.from_file(PAGE)
    at.session_state["detect_photo_frozen"] = canvas
    _run(at)
    assert "frame you froze on the **Live** page" in _texts(at)
    assert "Found 2 faces" in _texts(at)
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 2
    at.selectbox(key="detect_photo_face").set_value(1)
    _run(at)
    assert any(h.value == "Face 2" for h in at.header)
    assert len(at.get("plotly_chart")) == 2  # all faces' bars + the chosen face's gauge
    assert at.session_state["detect_last_face"].name.endswith("face 2")
    at.button(key="detect_photo_unfreeze").click()
    _run(at)
    assert "detect_photo_frozen" not in at.session_state


@pytest.mark.parametrize("shape", [(40, 60, 3)])
def test_no_face_is_a_plain_message(shape):
    at = AppTest.from_file(PAGE)
    at.session_state["detect_photo_frozen"] = np.full(shape, 200, np.uint8)
    _run(at)
    assert at.warning and any("No face found" in w.value for w in at.warning)


def test_upside_down_photo_is_turned_and_scored(grace, lab):
    """MTCNN finds upright faces only: an upside-down upload is turned 180° and scored like the upright one.

    "The upright one" is the uploaded JPEG's own pixels turned back: a JPEG of the upright photo would put the 8×8
    block grid elsewhere on the face and move the score by compression noise, not by anything the rotation did."""
    from core.engine.media import load_image

    at = _run(AppTest.from_file(PAGE))
    at.radio(key="detect_photo_source").set_value("Upload a photo")
    _run(at)
    upside_down = encode_jpeg(grace[::-1, ::-1].copy())
    at.file_uploader(key="detect_photo_upload").upload("upside_down.jpg", upside_down, "image/jpeg")
    _run(at)
    report = _last(at)["report"]
    assert report.rotation == 180 and len(report.faces) == 1
    assert any("turned it 180°" in i.value for i in at.info)
    upright = lab.analyze_image(np.ascontiguousarray(load_image(upside_down)[::-1, ::-1])).faces[0].fake_prob
    assert report.faces[0].fake_prob == pytest.approx(upright, abs=1e-3)
