"""roc lab page (pages/thresholds.py): runs with and without measured scores; the calculator reacts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from pagetest import run as _run, texts as _texts

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "thresholds.py")


def test_roc_page_without_scores_offers_the_calculator(monkeypatch, tmp_path):
    monkeypatch.setenv("LAB_EVAL_SCORES", str(tmp_path / "missing.csv"))
    at = _run(AppTest.from_file(PAGE))
    assert any("No measured scores yet" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 1  # only the alerts bar, no ROC
    assert not at.radio  # no measured rates to choose from
    at.number_input(key="thr_share").set_value(0.0)
    _run(at)
    # The example: 95% caught, 5% false alarms, a million real items a day.
    assert "50,000 false alarms" in at.success[0].value
    assert "none is a real fake" in at.success[0].value
    at.number_input(key="thr_share").set_value(1.0)
    at.slider(key="thr_tpr").set_value(90.0)
    at.slider(key="thr_fpr").set_value(1.0)
    _run(at)
    assert at.success[0].value.startswith("Of every 100 alerts, about 48 are real fakes")


@pytest.fixture
def scores_csv(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    rows = ["path,label,kind,media,score"]
    for i, s in enumerate(np.clip(rng.normal(0.25, 0.15, 60), 0, 1)):
        rows.append(f"real_{i}.jpg,0,FFHQ photo,image,{s:.4f}")
    for i, s in enumerate(np.clip(rng.normal(0.75, 0.15, 40), 0, 1)):
        rows.append(f"swap_{i}.jpg,1,DFDC face swap,image,{s:.4f}")
    for i, s in enumerate(np.clip(rng.normal(0.15, 0.10, 20), 0, 1)):
        rows.append(f"gan_{i}.jpg,1,StyleGAN2,image,{s:.4f}")
    path = tmp_path / "eval_scores.csv"
    path.write_text("\n".join(rows) + "\n")
    monkeypatch.setenv("LAB_EVAL_SCORES", str(path))
    return path


def test_roc_page_with_scores_threshold_and_family_filter(scores_csv):
    at = _run(AppTest.from_file(PAGE))
    assert len(at.get("plotly_chart")) == 3  # ROC, histograms, alerts bar
    slider = at.slider(key="thr_threshold")
    from core.engine.analysis import load_lab  # the default is the detector's own "likely manipulated" boundary

    assert slider.value == pytest.approx(load_lab().detector.meta.likely_manipulated_from)
    auc_all = float(at.metric[3].value)
    # Keep only the fully generated faces: the (simulated) blending scores now rank them below real photos.
    at.multiselect(key="thr_fake_kinds").set_value(["StyleGAN2"])
    _run(at)
    auc_gan = float(at.metric[3].value)
    assert auc_gan < 0.5 < auc_all
    # A low threshold flags every fake; the calculator can use the measured rates.
    at.slider(key="thr_threshold").set_value(0.0)
    at.radio(key="thr_rate_source").set_value("The lab detector at the threshold above")
    _run(at)
    assert at.metric[0].value == "100.0%" and at.metric[1].value == "100.0%"
    assert "Measured at threshold 0.00" in _texts(at)
    # Filtering away every fake says what to do instead of failing.
    at.multiselect(key="thr_fake_kinds").set_value([])
    _run(at)
    assert any("needs both real items and fakes" in w.value for w in at.warning)


def test_roc_page_reports_a_broken_file(tmp_path, monkeypatch):
    bad = tmp_path / "eval_scores.csv"
    bad.write_text("path,label,score\nx.jpg,perhaps,0.3\n")
    monkeypatch.setenv("LAB_EVAL_SCORES", str(bad))
    at = _run(AppTest.from_file(PAGE))
    assert any("could not be read" in e.value and "row 2" in e.value for e in at.error)
    assert at.success  # the calculator still works


def test_shipped_scores_are_chosen_by_family_name(monkeypatch):
    """The shipped models/eval_scores.csv: the filters list the model card's family names, not manifest strings."""
    monkeypatch.delenv("LAB_EVAL_SCORES", raising=False)
    at = _run(AppTest.from_file(PAGE))
    card = json.loads((Path(PAGE).parent.parent / "models" / "model_card.json").read_text())
    for key in ("thr_fake_kinds", "thr_real_kinds"):
        options = at.multiselect(key=key).options
        assert options and set(options) <= set(card["families"])
        assert not any('"' in o or " / " in o for o in options)
