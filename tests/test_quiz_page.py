"""AppTest of the Spot-the-fake page: a solo round and a class round stored in the database."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from core.classroom.store import get_store
from quiz_helpers import shared_data_dir
from pagetest import texts as _texts

PAGE = str(__import__("pathlib").Path(__file__).resolve().parent.parent / "pages" / "quiz.py")
TIMEOUT = 600  # the first run builds the engine and (once per test session) the gallery on a shared CPU


@pytest.fixture
def env(tmp_path_factory, monkeypatch):
    data = shared_data_dir(tmp_path_factory)
    monkeypatch.setenv("LAB_DATA_DIR", str(data))
    monkeypatch.delenv("LAB_DATABASE_URL", raising=False)
    monkeypatch.delenv("LAB_GALLERY_DIR", raising=False)
    return data


def _answer(at: AppTest, i: int, choice: str, confidence: int) -> None:
    at.radio(key=f"quiz_choice_{i}").set_value(choice)
    at.slider(key=f"quiz_conf_{i}").set_value(confidence)
    at.button[0].click().run()  # the form's submit button is the only button while asking


def _item_under_question(at: AppTest) -> str:
    return at.session_state["quiz"].item


def test_solo_round_reveals_truth_detector_heatmap_and_compares(env):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    at.slider(key="quiz_n").set_value(4)
    at.button(key="quiz_start").click().run()
    quiz = at.session_state["quiz"]
    assert len(quiz.items) == 4 and len(set(quiz.items)) == 4

    at.button[0].click().run()  # answering without choosing
    assert any("Choose real or fake" in w.value for w in at.warning)
    assert at.session_state["quiz"].phase == "ask"

    from core.classroom.gallery import load_gallery
    from ui.resources import get_lab

    gallery = load_gallery(get_lab())  # the page's items and scores, read back from the data folder
    expected_you = expected_det = 0
    for i in range(4):
        item = gallery.get(_item_under_question(at))
        choice = "Fake" if i % 2 else "Real"
        _answer(at, i, choice, 60 + 10 * i)
        assert not at.exception
        text = _texts(at)
        assert f"this picture is **{item.truth}**" in text
        right = int(choice == "Fake") == item.label
        assert ("Right:" in text) == right and ("Not this time" in text) == (not right)
        score = gallery.scores[item.id]
        assert f"fake score of {100 * score.fake_prob:.0f} " in text
        assert item.tip in text
        captions = [im.proto.imgs[0].caption for im in at.get("image") if im.proto.imgs]
        assert any(c.startswith("Grad-CAM") for c in captions)  # the detector's heatmap for this face
        expected_you += right
        expected_det += gallery.detector_correct(item.id)
        at.button(key=f"quiz_next_{i}").click().run()
    text = _texts(at)
    assert f"You got **{expected_you} of 4** right; the detector got **{expected_det} of 4**" in text
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    # No plotly toolbar: at phone width it covered the charts' titles.
    assert all(json.loads(c.proto.config).get("displayModeBar") is False for c in charts)
    at.button(key="quiz_again").click().run()
    assert "quiz" not in at.session_state and at.button(key="quiz_start")


def _gallery():
    from core.classroom.gallery import load_gallery
    from ui.resources import get_lab

    return load_gallery(get_lab())  # the page's items and scores, read back from the data folder


def _play_solo(at: AppTest, right: list[bool], confidence: list[int] | None) -> None:
    """A solo round of ``len(right)`` pictures, answered right or wrong as listed; confidence None leaves the
    slider alone."""
    gallery = _gallery()
    at.slider(key="quiz_n").set_value(len(right))
    at.button(key="quiz_start").click().run()
    for i, ok in enumerate(right):
        truth = gallery.get(_item_under_question(at)).label
        at.radio(key=f"quiz_choice_{i}").set_value("Fake" if truth == ok else "Real")
        if confidence is not None:
            at.slider(key=f"quiz_conf_{i}").set_value(confidence[i])
        at.button[0].click().run()
        at.button(key=f"quiz_next_{i}").click().run()
    assert not at.exception and at.session_state["quiz"].phase == "done"


def test_an_untouched_confidence_slider_draws_no_conclusion(env):
    """Answers all at the default 70%, three right and three wrong: the results say the slider was not used,
    instead of "feeling sure did not mean being right"."""
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    _play_solo(at, [True, False] * 3, confidence=None)
    records = at.session_state["quiz"].records
    assert {r.confidence for r in records} == {0.7} and sum(r.answer == r.truth for r in records) == 3
    text = _texts(at)
    assert "feeling sure did not mean being right" not in text and "surer when you were right" not in text
    assert "same confidence (70%)" in text
    # A learner who used the slider, and was surer when wrong, does get the conclusion.
    at.button(key="quiz_again").click().run()
    _play_solo(at, [True, False] * 3, confidence=[60, 90, 60, 90, 70, 80])
    assert "feeling sure did not mean being right" in _texts(at)


def test_no_identity_swaps_on_my_own(env):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    at.toggle(key="quiz_no_swaps").set_value(True).run()
    at.slider(key="quiz_n").set_value(20)
    at.button(key="quiz_start").click().run()
    gallery = _gallery()
    items = [gallery.get(i) for i in at.session_state["quiz"].items]
    assert len(items) == 20 and not any(it.identity_swap for it in items)
    assert {it.kind for it in items} == {"real", "self-blend"}


def test_class_round_stores_answers_under_the_nickname_only(env, monkeypatch):
    import ui.jobs
    from core.classroom import throttle

    throttle.JOIN.reset()
    address = {"ip": "10.0.0.5"}  # the student's browser, as the server sees it
    monkeypatch.setattr(ui.jobs, "client_address", lambda: address["ip"])
    store = get_store()
    from core.classroom.gallery import load_gallery
    from ui.resources import get_lab

    gallery = load_gallery(get_lab())
    items = gallery.pick(3, seed=11)
    session = store.create_session(items, title="Class 9")
    other, _ = store.join(session.code, "taken")
    store.submit_answer(other.token, items[0], 1, gallery.get(items[0]).label, 0.9)

    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    at.radio(key="quiz_mode").set_value("With my class").run()
    at.text_input(key="quiz_code").input("WRONG")
    at.text_input(key="quiz_nickname").input("kit")
    at.button[0].click().run()
    assert any("No open class session" in e.value for e in at.error)
    at.text_input(key="quiz_code").input(session.code.lower())
    at.text_input(key="quiz_nickname").input("taken")
    at.button[0].click().run()
    assert any("already uses the nickname" in e.value for e in at.error)
    at.text_input(key="quiz_nickname").input("kit")
    at.button[0].click().run()
    assert at.session_state["quiz"].items == items and at.session_state["quiz"].nickname == "kit"
    assert "you are **kit**" in _texts(at)
    # Another student's answer is nowhere on this student's page.
    assert "taken" not in _texts(at)

    _answer(at, 0, "Fake", 90)
    token = at.session_state["quiz"].token
    mine = store.my_answers(token)
    assert [(a.item_id, a.answer, a.confidence, a.nickname) for a in mine] == [(items[0], 1, 0.9, "kit")]
    assert mine[0].response_ms is not None and mine[0].response_ms >= 0

    # The seat's token never appears in the page's address, which a student could share.
    assert "seat" not in at.query_params and token not in str(dict(at.query_params))
    # A reload (a fresh browser session from the same address) rejoins with the same code and nickname and
    # continues at the next picture.
    again = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    again.radio(key="quiz_mode").set_value("With my class").run()
    again.text_input(key="quiz_code").input(session.code)
    again.text_input(key="quiz_nickname").input("kit")
    again.button[0].click().run()
    resumed = again.session_state["quiz"]
    assert (resumed.i, resumed.phase, resumed.nickname, resumed.items) == (1, "ask", "kit", items)
    assert [(r.item_id, r.answer, r.truth, r.confidence) for r in resumed.records] == \
        [(items[0], 1, gallery.get(items[0]).label, 0.9)]
    # The same nickname from another address does not get the seat; an old-style ?seat= link does nothing.
    address["ip"] = "10.0.0.66"
    other_device = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    other_device.radio(key="quiz_mode").set_value("With my class").run()
    other_device.text_input(key="quiz_code").input(session.code)
    other_device.text_input(key="quiz_nickname").input("kit")
    other_device.button[0].click().run()
    assert any("already uses the nickname" in e.value for e in other_device.error)
    assert "quiz" not in other_device.session_state
    forged = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    forged.query_params["seat"] = token
    forged.run()
    assert "quiz" not in forged.session_state and forged.radio(key="quiz_mode")
    assert "seat" not in forged.query_params

    store.close_session(session.id)  # the teacher closes the session mid-quiz
    at.button(key="quiz_next_0").click().run()
    _answer(at, 1, "Real", 70)
    assert any("could not be saved" in w.value for w in at.warning)
    assert len(store.my_answers(token)) == 1
    at.button(key="quiz_next_1").click().run()
    _answer(at, 2, "Real", 70)
    at.button(key="quiz_next_2").click().run()
    assert "1 of your answers are saved for your teacher under the nickname **kit**" in _texts(at)
    assert not at.exception


def test_a_class_session_without_identity_swaps_shows_none(env, monkeypatch):
    import ui.jobs
    from core.classroom import throttle

    throttle.JOIN.reset()
    monkeypatch.setattr(ui.jobs, "client_address", lambda: "10.0.0.8")
    gallery = _gallery()
    swap = next(it.id for it in gallery.items if it.identity_swap)
    items = [swap] + gallery.pick(3, seed=4, identity_swaps=False)
    session = get_store().create_session(items, title="careful", no_identity_swaps=True)
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    at.radio(key="quiz_mode").set_value("With my class").run()
    at.text_input(key="quiz_code").input(session.code)
    at.text_input(key="quiz_nickname").input("pat")
    at.button[0].click().run()
    assert not at.exception and at.session_state["quiz"].items == items[1:]
