"""spectrum lab page (pages/spectrum.py) under AppTest: both detectors side by side, plots, uploads, no model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from core.engine.media import encode_png
from core.labs.spectrum import BANDS, load_spectrum_model
from pagetest import run as _run, texts as _texts

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "spectrum.py")


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_spectrum_page_sample_shows_both_detectors_and_plots(lab, grace):
    at = _run(AppTest.from_file(PAGE))
    metrics = _metrics(at)
    model = load_spectrum_model()
    # A band measured on the model's own held-out data, not a bare percentage.
    band = model.band(model.probability(grace))
    assert band in BANDS and f"-badge[{band}]" in _texts(at)
    assert metrics["Face swapped?"] == f"{100 * lab.analyze_image(grace).faces[0].fake_prob:.0f}"
    charts = at.get("plotly_chart")
    assert len(charts) == 2  # the spectra and the difference from the average real photo
    assert "average generated face (StyleGAN2)" in charts[0].proto.spec
    text = _texts(at)
    assert "Why the face-swap detector is the wrong tool" in "\n".join(e.label for e in at.expander)
    assert "no seam" in text and "held-out AUC" in text
    rates = model.metrics["bands"]["held_out"]
    # How weak it is, said plainly from its own measurements: real photos that read "looks generated".
    assert f"and so did {rates['real']['looks generated']:.0%} of real photos" in text
    assert ("untrained" in text) == (not lab.trained)
    at.toggle(key="spectrum_upsample").set_value(True)
    _run(at)
    assert "crudely up-sampled" in at.get("plotly_chart")[0].proto.spec


def test_spectrum_page_upload_without_face_and_too_small():
    at = _run(AppTest.from_file(PAGE))
    at.radio(key="spectrum_source").set_value("Upload a photo")
    _run(at)
    assert any("Choose a sample" in i.value for i in at.info)
    noise = np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    at.file_uploader(key="spectrum_upload").upload("noise.png", encode_png(noise), "image/png")
    _run(at)
    assert _metrics(at)["Face swapped?"] == "no face found"
    assert any(f"-badge[{b}]" in _texts(at) for b in BANDS)
    at.file_uploader(key="spectrum_upload").upload("tiny.png", encode_png(noise[:6, :6]), "image/png")
    _run(at)
    assert at.error and "cannot be analysed" in at.error[0].value


def test_spectrum_page_without_model_still_shows_the_spectrum(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_SPECTRUM_MODEL", str(tmp_path / "missing.json"))
    at = _run(AppTest.from_file(PAGE))
    assert any("No spectrum classifier is installed" in w.value for w in at.warning)
    assert "**Spectrum reading:** n/a" in _texts(at)
    assert len(at.get("plotly_chart")) == 1


def test_spectrum_page_cites_the_measured_blending_auc_on_generated_faces(tmp_path, monkeypatch):
    rows = ["path,label,kind,media,score",
            "a.jpg,0,FFHQ photo,image,0.30", "b.jpg,0,FFHQ photo,image,0.20",
            "c.png,0,DFDC,image (face crop),0.05",  # other real items: left out when FFHQ photos are present
            "d.jpg,1,StyleGAN2 (thispersondoesnotexist),image,0.10",
            "e.jpg,1,StyleGAN2 (thispersondoesnotexist),image,0.25",
            "f.mp4,1,DFDC face swap,video,0.90"]
    path = tmp_path / "eval_scores.csv"
    path.write_text("\n".join(rows) + "\n")
    monkeypatch.setenv("LAB_EVAL_SCORES", str(path))
    at = _run(AppTest.from_file(PAGE))
    # Generated 0.10 and 0.25 vs FFHQ 0.30 and 0.20: one of four pairs ranked right → AUC 0.25.
    assert "its AUC for 2 fully generated faces against 2 real FFHQ photos is **0.25**" in _texts(at)
    assert "more* real than real photos" in _texts(at)
