"""AppTest of the teacher view: closed without a passcode, refuses wrong ones, runs a session end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.classroom.store import get_store
from quiz_helpers import shared_data_dir
from pagetest import texts as _texts

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "teacher.py")
TIMEOUT = 600
PASSCODE = "hedgehog-orbit-7"


@pytest.fixture
def env(tmp_path_factory, tmp_path, monkeypatch):
    from core.classroom import throttle

    throttle.PASSCODE.reset()  # the lockout lives in the server process: each test starts from a clean one
    data = shared_data_dir(tmp_path_factory)
    monkeypatch.setenv("LAB_DATA_DIR", str(data))  # shares the generated gallery with the other tests
    monkeypatch.setenv("LAB_DATABASE_URL", f"sqlite:///{tmp_path / 'teacher.db'}")  # an empty database per test
    monkeypatch.delenv("LAB_GALLERY_DIR", raising=False)
    return data


def _login(at: AppTest, passcode: str) -> AppTest:
    at.text_input(key="teacher_passcode").input(passcode)
    return at.button[0].click().run()


@pytest.mark.parametrize("value", [None, "", "  "])
def test_without_a_passcode_the_view_explains_and_stays_closed(env, monkeypatch, value):
    if value is None:
        monkeypatch.delenv("LAB_TEACHER_PASSCODE", raising=False)
    else:
        monkeypatch.setenv("LAB_TEACHER_PASSCODE", value)
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "LAB_TEACHER_PASSCODE" in at.info[0].value
    assert len(at.text_input) == 0 and len(at.button) == 0 and len(at.selectbox) == 0


def test_wrong_passcodes_are_refused_then_locked_out(env, monkeypatch):
    monkeypatch.setenv("LAB_TEACHER_PASSCODE", PASSCODE)
    store = get_store()
    store.create_session(["builtin/x/q92"], title="secret class")
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    for guess in ("", "hedgehog", PASSCODE.upper(), PASSCODE + " "):
        _login(at, guess)
        assert any("not right" in e.value for e in at.error)
        assert "secret class" not in _texts(at) and len(at.selectbox) == 0
    _login(at, "wrong-5")  # the fifth failure locks this address out for a while
    _login(at, PASSCODE)
    assert any("Too many wrong tries" in e.value for e in at.error)
    assert "teacher_ok" not in at.session_state
    assert len(at.selectbox) == 0


def test_a_fresh_session_does_not_reset_the_passcode_lockout(env, monkeypatch, caplog):
    """The attack: after five wrong tries, open a new tab (a new Streamlit session) and keep guessing."""
    monkeypatch.setenv("LAB_TEACHER_PASSCODE", PASSCODE)
    first = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    with caplog.at_level("WARNING", logger="lab.security"):
        for i in range(5):
            _login(first, f"guess-{i}")
    assert sum("teacher passcode: failed try" in r.getMessage() for r in caplog.records) == 5
    fresh = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()  # a new browser session, same address
    _login(fresh, PASSCODE)
    assert any("Too many wrong tries" in e.value for e in fresh.error)
    assert "teacher_ok" not in fresh.session_state and len(fresh.selectbox) == 0


def test_a_too_short_passcode_keeps_the_teacher_view_closed(env, monkeypatch):
    monkeypatch.setenv("LAB_TEACHER_PASSCODE", "1234")
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("shorter than 12 characters" in e.value for e in at.error)
    assert len(at.text_input) == 0


def test_session_lifecycle_live_results_export_close_delete(env, monkeypatch):
    monkeypatch.setenv("LAB_TEACHER_PASSCODE", PASSCODE)
    store = get_store()
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    _login(at, PASSCODE)
    assert not at.exception and at.session_state["teacher_ok"]
    assert any("No sessions yet" in i.value for i in at.info)

    at.text_input(key="teacher_title").input("Year 10")
    at.slider(key="teacher_n").set_value(6)
    next(b for b in at.button if b.label == "Start session").click().run()
    (session,) = store.list_sessions()
    assert session.is_open and len(session.item_ids) == 6 and session.title == "Year 10"
    assert session.code in _texts(at)
    assert any("No answers yet" in i.value for i in at.info)

    # Three students answer; the teacher's next refresh shows them.
    from core.classroom.gallery import load_gallery
    from ui.resources import get_lab

    gallery = load_gallery(get_lab())
    for n, nick in enumerate(("ann", "bo", "cy")):
        part, _ = store.join(session.code, nick)
        for k, item_id in enumerate(session.item_ids):
            label = gallery.get(item_id).label
            store.submit_answer(part.token, item_id, label if (k + n) % 3 else 1 - label, label, 0.8)
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Students joined"] == "3" and metrics["Answers"] == "18"
    answers = store.session_answers(session.id)
    class_acc = sum(a.correct for a in answers) / len(answers)
    det_acc = sum(gallery.detector_correct(a.item_id) for a in answers) / len(answers)
    assert metrics["Class right"] == f"{class_acc:.0%}"
    assert metrics["Detector right on the same items"] == f"{det_acc:.0%}"
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # per-item difficulty and two confusion matrices
    assert all(json.loads(c.proto.config).get("displayModeBar") is False for c in charts)  # no toolbar over titles
    # Each answered picture is listed, hardest first, with a thumbnail and plain words (never "real (real)").
    difficulty = json.loads(charts[0].proto.spec)
    ticks = difficulty["data"][0]["x"]
    assert len(ticks) == 6 and not any("real (real)" in t for t in ticks)
    assert all(t.split(". ", 1)[1] in ("real photo", "self-blend (fake)", "face swap (fake)") for t in ticks)
    assert len([im for im in at.get("image") if im.proto.imgs]) >= 6
    listed = [c.value for c in at.caption if "class right" in c.value]
    assert len(listed) == 6 and [c.split("**")[1].split(". ")[0] for c in listed] == [str(k) for k in range(1, 7)]
    for c in listed:
        assert any(gallery.get(i).description in c for i in session.item_ids)
    (download,) = at.get("download_button")
    assert download.proto.label == "Download answers (CSV)"

    # The teacher removes a participant: their seat and answers are gone, their token no longer answers.
    removed = store.participants(session.id)[0]
    at.selectbox(key="teacher_participant").set_value(removed[0])
    at.button(key="teacher_remove").click().run()
    assert not at.exception
    assert removed[0] not in [p[0] for p in store.participants(session.id)]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Students joined"] == "2" and metrics["Answers"] == "12"

    next(b for b in at.button if b.label == "Close session").click().run()
    assert store.get_session(session.id).is_open is False
    assert "is closed" in _texts(at)
    delete = next(b for b in at.button if b.label == "Delete session")
    assert delete.disabled  # needs the confirmation tick first
    at.checkbox(key="teacher_delete_sure").check().run()
    next(b for b in at.button if b.label == "Delete session").click().run()
    assert not at.exception
    assert store.get_session(session.id) is None and store.session_answers(session.id) == []
    assert any("No sessions yet" in i.value for i in at.info)

    at.button(key="teacher_lock").click().run()
    assert "teacher_ok" not in at.session_state and at.text_input(key="teacher_passcode")


def _sign_in_cookie(monkeypatch, value):
    """The cookie this browser sends with its connection (Streamlit reads it from the request)."""
    import ui.classroom

    monkeypatch.setattr(ui.classroom, "teacher_cookie", lambda: value["token"])


def test_a_reload_keeps_the_teacher_signed_in_until_the_view_is_locked(env, monkeypatch):
    monkeypatch.setenv("LAB_TEACHER_PASSCODE", PASSCODE)
    store = get_store()
    cookie = {"token": None}
    _sign_in_cookie(monkeypatch, cookie)
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    _login(at, PASSCODE)
    assert not at.exception and at.session_state["teacher_ok"]
    token = at.session_state["teacher_token"]
    assert store.teacher_login_valid(token, None)
    # The browser is asked to keep the token in a session cookie; it is never put in the page's address.
    scripts = " ".join(h.proto.body for h in at.get("html"))
    assert f"lab_teacher={token}; Path=/; SameSite=Strict" in scripts and "Max-Age" not in scripts
    assert token not in str(dict(at.query_params))

    cookie["token"] = token  # the reload: a new browser session that sends the cookie
    reloaded = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not reloaded.exception and reloaded.session_state["teacher_ok"]
    assert len(reloaded.text_input) == 0 or "teacher_passcode" not in [t.key for t in reloaded.text_input]

    cookie["token"] = token[:-2] + "xx"  # a forged or damaged cookie opens nothing
    forged = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert "teacher_ok" not in forged.session_state and forged.text_input(key="teacher_passcode")

    cookie["token"] = token
    reloaded.button(key="teacher_lock").click().run()  # locking ends the sign-in everywhere
    assert "teacher_ok" not in reloaded.session_state and reloaded.text_input(key="teacher_passcode")
    assert "Max-Age=0" in " ".join(h.proto.body for h in reloaded.get("html"))
    assert not store.teacher_login_valid(token, None)
    again = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert "teacher_ok" not in again.session_state and again.text_input(key="teacher_passcode")


def test_a_session_without_identity_swaps(env, monkeypatch):
    monkeypatch.setenv("LAB_TEACHER_PASSCODE", PASSCODE)
    store = get_store()
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    _login(at, PASSCODE)
    text = _texts(at)
    assert "different adults" in text and "names are never shown" in text
    at.slider(key="teacher_n").set_value(20)
    at.checkbox(key="teacher_no_swaps").check()
    next(b for b in at.button if b.label == "Start session").click().run()
    assert not at.exception
    (session,) = store.list_sessions()
    assert session.no_identity_swaps and len(session.item_ids) == 20
    from core.classroom.gallery import load_gallery
    from ui.resources import get_lab

    gallery = load_gallery(get_lab())
    assert not any(gallery.get(i).identity_swap for i in session.item_ids)
    assert "no identity swaps" in at.selectbox(key="teacher_pick").format_func(session.id)
