"""Held-out conditions report: every condition measured on the same faces, with the shipped detector."""

from __future__ import annotations

import pytest

import numpy as np

from core.config import model_path
from core.engine.detector import load_detector
from core.engine.faces import FaceExtractor
from core.training.heldout import FACE_WIDTHS_PX, FORGE_CONDITIONS, JPEG_QUALITIES, conditions

pytestmark = [pytest.mark.slow]


def test_conditions_cover_forge_jpeg_and_small_faces(grace, astronaut):
    det = load_detector(model_path(), device="cpu")
    faces = [FaceExtractor().detect(img, crops=False)[0] for img in (grace, astronaut)]
    out = conditions(det, [grace, astronaut], np.stack([f.box for f in faces]),
                     np.stack([f.landmarks for f in faces]), margin=det.meta.margin)
    expected = {*FORGE_CONDITIONS, *(f"JPEG quality {q}" for q in JPEG_QUALITIES),
                *(f"face {px} px wide" for px in FACE_WIDTHS_PX)}  # both sample faces are wider than 70 px
    assert set(out) == expected
    for fig in out.values():
        assert fig["n_pairs"] == 2
        assert all(0 <= fig[k] <= 1 for k in ("auc", "real_flagged", "fakes_caught", "mean_score_real"))
    # A full-opacity blend of the sample faces is what the detector was trained to see.
    assert out["blend opacity 1.0"]["mean_score_fake"] > out["blend opacity 1.0"]["mean_score_real"]
    # Shrinking changes what the detector sees: the small-face rows are not copies of the clean one.
    assert out["face 35 px wide"]["mean_score_real"] != out["clean, random forge settings"]["mean_score_real"]
