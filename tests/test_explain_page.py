"""Explain page (pages/explain.py) under AppTest: sample face, hand-over from Detect, uploads, methods, sanity check."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.engine.explain import METHODS
from core.engine.media import encode_png
from pagetest import run as _run, texts as _texts

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "explain.py")


def test_sample_face_all_methods_and_sanity_check(lab):
    at = _run(AppTest.from_file(PAGE))
    # the crop + one overlay per method + the two sanity-check maps
    assert len(at.get("image")) == 1 + len(METHODS) + 2
    sim = float(at.metric[0].value)
    assert -1.0 <= sim <= 1.0
    # Grad-CAM (the default) is compared before the ReLU, so its check says something about the model.
    assert sim != 0.0 and "blank" not in _texts(at)
    cache = at.session_state["explain_maps"]
    assert sum(1 for k in cache if len(k) == 2) == len(METHODS)
    at.multiselect(key="explain_methods").set_value(["occlusion"])
    at.selectbox(key="explain_check").set_value("integrated_gradients")
    _run(at)
    assert len(at.get("image")) == 1 + 1 + 2
    assert any(k[1:] == ("sanity", "integrated_gradients") for k in at.session_state["explain_maps"] if len(k) == 3)


def test_face_handed_over_from_detect(lab, grace):
    crop = lab.analyze_image(grace).faces[0].crop
    at = AppTest.from_file(PAGE)
    from ui.handover import LastFace

    at.session_state["detect_last_face"] = LastFace(crop=crop, name="handed over, face 1", fake_prob=0.5)
    _run(at)
    assert at.radio(key="explain_where").value == "Face last analysed on Detect"
    assert any("handed over, face 1" in m.value for m in at.markdown)
    assert (at.get("image")[0].proto.imgs[0].url or "") != ""


def test_uploaded_photo_without_face(tmp_path):
    import numpy as np

    at = _run(AppTest.from_file(PAGE))
    at.radio(key="explain_source").set_value("Upload a photo")
    _run(at)
    at.file_uploader(key="explain_upload").upload("wall.png", encode_png(np.full((80, 80, 3), 90, np.uint8)), "image/png")
    _run(at)
    assert at.warning and "No face found" in at.warning[-1].value
