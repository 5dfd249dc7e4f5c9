"""The trust panel: what the Detect pages say about how far to trust a verdict, read from the model card."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.engine.trust import NOT_A_PROBABILITY, auc_level, trust_lines, worst_first
from core.training.model_card import CARD_JSON
from pagetest import run as _run, texts as _texts

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "detect_photo.py")


def test_every_measured_family_is_listed_with_its_own_number():
    card = json.loads(CARD_JSON.read_text())
    lines = trust_lines(card)
    measured = {name: f for name, f in card["families"].items() if f.get("auc") is not None}
    assert measured, "the shipped card has per-family measurements"
    for name, fam in measured.items():
        line = next(line for line in lines if line.kind == name)
        assert line.value == fam["auc"] and f"{round(100 * fam['auc'])} of 100 pairs" in line.figure
        assert line.level == auc_level(fam["auc"])
        lo, hi = fam["auc_ci95"]  # the shipped card has every family's interval
        assert (f"likely between {round(100 * lo)} and {round(100 * hi)}" in line.figure) == (hi - lo >= 0.10)


def test_levels_and_order_put_the_weakest_kind_first():
    card = {"families": {"A (videos)": {"auc": 0.95, "n": 20}, "B (videos)": {"auc": 0.41, "n": 20},
                         "C crops": {"auc": 0.7, "n": 300, "fpr": 0.2, "n_real": 150}},
            "fairness_utkface": {"fpr_overall": 0.02, "n": 100}}
    lines = worst_first(trust_lines(card))
    assert lines[0].kind == "B (videos)" and lines[0].level == "inverted"
    assert [line.level for line in lines if line.kind == "A (videos)"] == ["good"]
    tight = next(line for line in lines if line.kind.startswith("real faces cropped tightly"))
    assert tight.level == "weak" and "20% of 150 real faces" in tight.figure
    assert trust_lines(None) == [] and trust_lines({}) == []


def test_detect_photo_shows_the_panel_beside_the_verdict():
    at = _run(AppTest.from_file(PAGE))
    text = _texts(at)
    assert any(e.label == "How far to trust this verdict" for e in at.get("expander"))
    assert NOT_A_PROBABILITY in text
    card = json.loads(CARD_JSON.read_text())
    worst = worst_first(trust_lines(card))[0]
    assert worst.kind in text and worst.figure in text


def test_the_card_reads_the_bundled_samples_as_the_shipped_model_does(lab):
    """Lessons and facilitator notes quote the samples' scores from the card: they must be what a class will see."""
    from core.engine.faces import SAMPLES, load_sample

    card = json.loads(CARD_JSON.read_text())
    assert card["version"] == lab.detector.meta.version
    for key, name in SAMPLES.items():
        face = lab.analyze_image(load_sample(key)).faces[0]
        pinned = card["bundled_samples"][name]
        assert abs(face.fake_prob - pinned["fake_prob"]) < 0.01 and face.verdict == pinned["verdict"], name
