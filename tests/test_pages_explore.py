"""AppTests of the Explore labs' pages: make a fake (forge + swap), robustness, adversarial noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from pagetest import run as _run, texts as _texts

PAGES = Path(__file__).resolve().parent.parent / "pages"


@pytest.fixture(scope="module")
def two_faces_png(grace, astronaut) -> bytes:
    """One photo with two people side by side (PNG bytes)."""
    from core.engine.media import encode_png

    h = max(grace.shape[0], astronaut.shape[0])
    canvas = np.full((h, grace.shape[1] + astronaut.shape[1], 3), 255, np.uint8)
    canvas[:grace.shape[0], :grace.shape[1]] = grace
    canvas[:astronaut.shape[0], grace.shape[1]:] = astronaut
    return encode_png(canvas)


def test_forge_page_self_blend_and_swap_with_consent_notice():
    at = _run(AppTest.from_file(str(PAGES / "make_a_fake.py")))
    assert any("Consent first" in i.value and "Nothing is stored" in i.value for i in at.info)
    assert any("under-18s" in c.value and "never a classmate's" in c.value for c in at.caption)  # safeguarding rule
    texts = _texts(at)
    # Both labs scored original and fake: four score lines with a verdict.
    assert texts.count("fake score **") >= 4  # a verdict badge under each of the four score columns
    assert len(at.image) >= 4 + 5 + 8  # self-blend steps, swap steps, 2×2 crops + heatmaps per lab
    # The fake is handed to the other labs through this session's memory.
    fake = at.session_state["explore_fake"]
    assert fake.rgb.shape == (600, 512, 3) and fake.name.startswith("self-blended fake of")
    before = fake.rgb.copy()
    at.slider(key="sb_blend").set_value(0.3)
    at.slider(key="sb_colour").set_value(1.0)
    _run(at)
    after = at.session_state["explore_fake"].rgb
    assert not np.array_equal(before, after)
    # Swap options work.
    at.radio(key="sw_blend").set_value("alpha")
    at.toggle(key="sw_colour").set_value(False)
    _run(at)
    assert "Another face in this photo" not in at.radio(key="sw_source").options  # the sample has one face


def test_swap_page_two_faces_in_one_uploaded_photo(two_faces_png):
    at = _run(AppTest.from_file(str(PAGES / "make_a_fake.py")))
    at.radio(key="fake_source").set_value("Upload a photo")
    _run(at)
    at.file_uploader(key="fake_upload").upload("pair.png", two_faces_png, "image/png")
    _run(at)
    assert "Another face in this photo" in at.radio(key="sw_source").options
    at.radio(key="sw_source").set_value("Another face in this photo")
    _run(at)
    assert "The swap" in _texts(at)


def test_forge_page_says_when_there_is_no_face_or_a_bad_file():
    from core.engine.media import encode_png

    at = _run(AppTest.from_file(str(PAGES / "make_a_fake.py")))
    at.radio(key="fake_source").set_value("Upload a photo")
    _run(at)
    at.file_uploader(key="fake_upload").upload("notes.jpg", b"this is not a picture", "image/jpeg")
    _run(at)
    assert at.error and "not an image we can read" in at.error[0].value
    at.file_uploader(key="fake_upload").upload("wall.png", encode_png(np.full((200, 300, 3), 120, np.uint8)),
                                                "image/png")
    _run(at)
    assert any("No face found" in w.value for w in at.warning)


def test_robust_page_curves_and_sliders():
    at = _run(AppTest.from_file(str(PAGES / "robustness.py")))
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    assert "No change applied yet" in _texts(at)
    at.slider(key="rb_jpeg").set_value(10.0)
    at.slider(key="rb_noise").set_value(12.0)
    _run(at)
    texts = _texts(at)
    assert "jpeg quality 10" in texts and "noise 12" in texts
    assert len(at.get("plotly_chart")) == 1


def test_robust_page_uses_the_fake_made_on_make_a_fake(grace, lab):
    from core.fakes.forge import self_blend
    from ui.explore import FAKE_KEY, MadeFake

    face = lab.extractor.detect(grace, crops=False)[0]
    at = AppTest.from_file(str(PAGES / "robustness.py"))
    at.session_state[FAKE_KEY] = MadeFake(rgb=self_blend(grace, face.landmarks, 1).fake, face=face,
                                          name="self-blended fake of a test")
    _run(at)
    assert at.radio(key="robust_use_fake").value.startswith("The fake you made")
    assert "Working on: self-blended fake of a test" in _texts(at)


def test_adversarial_page_attacks_within_eps():
    at = _run(AppTest.from_file(str(PAGES / "adversarial.py")))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Largest pixel change"] == "4 / 255"
    assert at.radio(key="adv_method").value == "pgd"
    assert len(at.get("plotly_chart")) == 1  # the ε sweep
    assert metrics["PSNR (image quality)"].endswith("dB")
    assert "Why this matters for policy" in [s.value for s in at.header]
    at.radio(key="adv_method").set_value("fgsm")
    at.slider(key="adv_eps").set_value(2)
    _run(at)
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Largest pixel change"].split("/")[0]) <= 2
    assert float(metrics["PSNR (image quality)"].split()[0]) > 40  # ≤ 2 grey levels: PSNR ≥ 42 dB


def test_forge_page_works_on_a_smaller_copy_of_a_large_photo(grace):
    import cv2

    from core.engine.media import encode_jpeg

    big = cv2.resize(grace, (grace.shape[1] * 3, grace.shape[0] * 3), interpolation=cv2.INTER_CUBIC)  # 1536×1800
    at = _run(AppTest.from_file(str(PAGES / "make_a_fake.py")))
    at.radio(key="fake_source").set_value("Upload a photo")
    _run(at)
    at.file_uploader(key="fake_upload").upload("big.jpg", encode_jpeg(big), "image/jpeg")
    _run(at)
    assert "Large photo" in _texts(at)
    assert max(at.session_state["explore_fake"].rgb.shape[:2]) == 1280


def test_adversarial_page_attacks_a_bounded_copy_of_a_large_photo(grace):
    """A 39 MP photo once took 52 s and 2 GB here, and its full-size fake was cached for every session."""
    import cv2

    from core.engine.media import encode_jpeg

    big = cv2.resize(grace, (grace.shape[1] * 3, grace.shape[0] * 3), interpolation=cv2.INTER_CUBIC)  # 1536×1800
    at = _run(AppTest.from_file(str(PAGES / "adversarial.py")))
    at.radio(key="adv_source").set_value("Upload a photo")
    _run(at)
    at.file_uploader(key="adv_upload").upload("big.jpg", encode_jpeg(big), "image/jpeg")
    _run(at)
    assert "Large photo: the lab works on a copy" in _texts(at) and "1280" in _texts(at)
    assert {m.label: m.value for m in at.metric}["Largest pixel change"] == "4 / 255"


def test_swap_source_shown_is_the_source_used_after_a_new_photo(astronaut):
    """A new destination photo resets the swap's source sample; nudging a slider must not switch it."""
    from core.engine.media import encode_png

    at = _run(AppTest.from_file(str(PAGES / "make_a_fake.py")))
    assert at.selectbox(key="sw_sample").value == "astronaut"  # destination Grace Hopper → source Eileen Collins
    at.radio(key="fake_source").set_value("Upload a photo")
    _run(at)
    at.file_uploader(key="fake_upload").upload("visitor.png", encode_png(astronaut), "image/png")
    _run(at)
    shown = at.selectbox(key="sw_sample").value
    assert shown == "grace_hopper"  # reset for the new photo, and what the box shows is what the page uses
    scores = [m for m in _texts(at).split("\n") if "fake score **" in m]
    at.slider(key="sw_scale").set_value(1.05)
    _run(at)
    at.slider(key="sw_scale").set_value(1.0)
    _run(at)
    assert at.selectbox(key="sw_sample").value == shown
    assert [m for m in _texts(at).split("\n") if "fake score **" in m] == scores
    assert at.session_state["explore_fake"].name.startswith("self-blended fake of visitor.png")
