"""Data-layer tests shared by the SQLite and the PostgreSQL modules: each module provides a ``store`` fixture
(a fresh, empty :class:`core.classroom.store.Store`) and imports these functions, so both backends pass the same checks."""

from __future__ import annotations

import threading

import pytest

from core.classroom import store as store_mod
from core.classroom.store import CODE_ALPHABET, Store, StoreError

ITEMS = [f"builtin/item-{i}" for i in range(6)]


def test_schema_is_created_and_versioned(store: Store):
    assert store.schema_version() == store_mod.SCHEMA_VERSION
    store.migrate()  # a second start must not fail or bump the version
    assert store.schema_version() == store_mod.SCHEMA_VERSION


def test_session_join_and_answer_roundtrip(store: Store):
    sess = store.create_session(ITEMS, title="3B", model_version="v1")
    assert len(sess.code) == store_mod.CODE_LENGTH and set(sess.code) <= set(CODE_ALPHABET)
    assert store.find_open_session(sess.code.lower()).id == sess.id  # codes are typed in any case
    part, joined = store.join(f" {sess.code[:2]} {sess.code[2:]} ", "  Ada   L ")
    assert joined.id == sess.id and part.nickname == "Ada L" and joined.item_ids == ITEMS
    assert store.submit_answer(part.token, ITEMS[0], answer=1, truth=1, confidence=0.8, response_ms=1200)
    assert store.submit_answer(part.token, ITEMS[1], answer=1, truth=0, confidence=0.6)
    mine = store.my_answers(part.token)
    assert [(a.item_id, a.correct, a.confidence) for a in mine] == [(ITEMS[0], True, 0.8), (ITEMS[1], False, 0.6)]
    assert mine[0].response_ms == 1200 and mine[1].response_ms is None


def test_double_submission_keeps_the_first_answer(store: Store):
    sess = store.create_session(ITEMS)
    part, _ = store.join(sess.code, "bo")
    assert store.submit_answer(part.token, ITEMS[0], 1, 0, 0.9) is True
    assert store.submit_answer(part.token, ITEMS[0], 0, 0, 0.9) is False
    (only,) = store.my_answers(part.token)
    assert only.answer == 1 and only.correct is False


def test_students_only_read_their_own_answers(store: Store):
    sess = store.create_session(ITEMS)
    a, _ = store.join(sess.code, "alpha")
    b, _ = store.join(sess.code, "beta")
    store.submit_answer(a.token, ITEMS[0], 1, 1, 0.7)
    store.submit_answer(b.token, ITEMS[0], 0, 1, 0.9)
    store.submit_answer(b.token, ITEMS[1], 0, 0, 0.9)
    assert {x.nickname for x in store.my_answers(a.token)} == {"alpha"}
    assert len(store.my_answers(a.token)) == 1 and len(store.my_answers(b.token)) == 2
    assert store.my_answers("not-a-token") == []
    assert len(store.session_answers(sess.id)) == 3  # the teacher sees all


def test_refusals(store: Store):
    sess = store.create_session(ITEMS)
    with pytest.raises(StoreError, match="No open class session"):
        store.join("ZZZZZ", "x")
    with pytest.raises(StoreError, match="nickname"):
        store.join(sess.code, "   ")
    with pytest.raises(StoreError, match="24 characters"):
        store.join(sess.code, "x" * 25)
    part, _ = store.join(sess.code, "same")
    with pytest.raises(StoreError, match="already uses"):
        store.join(sess.code, "same")
    with pytest.raises(StoreError, match="not part of this session"):
        store.submit_answer(part.token, "builtin/elsewhere", 1, 1, 0.7)
    with pytest.raises(StoreError, match="join again"):
        store.submit_answer("forged-token", ITEMS[0], 1, 1, 0.7)
    with pytest.raises(StoreError):
        store.submit_answer(part.token, ITEMS[0], 2, 1, 0.7)
    with pytest.raises(StoreError):
        store.create_session([])
    store.close_session(sess.id)
    with pytest.raises(StoreError, match="closed"):
        store.submit_answer(part.token, ITEMS[0], 1, 1, 0.7)
    with pytest.raises(StoreError, match="No open class session"):
        store.join(sess.code, "late")
    assert store.get_session(sess.id).is_open is False and store.get_session(sess.id).closed_at is not None


def test_confidence_is_clamped_to_the_slider_range(store: Store):
    sess = store.create_session(ITEMS)
    part, _ = store.join(sess.code, "c")
    store.submit_answer(part.token, ITEMS[0], 1, 1, 7.0)
    store.submit_answer(part.token, ITEMS[1], 1, 1, 0.1)
    assert [a.confidence for a in store.my_answers(part.token)] == [1.0, 0.5]


def test_join_codes_are_unique_among_open_sessions(store: Store, monkeypatch):
    codes = {store.create_session(ITEMS).code for _ in range(40)}
    assert len(codes) == 40
    # Force collisions: the generator proposes the same code first every time.
    proposals = iter(["AAAAA", "AAAAA", "CCCCC", "AAAAA", "DDDDD"])
    monkeypatch.setattr(store_mod, "new_join_code", lambda length=5: next(proposals))
    first = store.create_session(ITEMS)
    second = store.create_session(ITEMS)
    assert (first.code, second.code) == ("AAAAA", "CCCCC")
    store.close_session(first.id)
    third = store.create_session(ITEMS)  # a closed session's code may be issued again
    assert third.code == "AAAAA"
    assert store.find_open_session("AAAAA").id == third.id
    monkeypatch.setattr(store_mod, "new_join_code", lambda length=5: "CCCCC")
    with pytest.raises(StoreError, match="free join code"):
        store.create_session(ITEMS, attempts=3)


def test_concurrent_answers_from_many_threads_lose_nothing(store: Store):
    """24 students answer all items at once, each from its own thread, as Streamlit sessions do."""
    items = [f"builtin/c-{i}" for i in range(8)]
    sess = store.create_session(items)
    students = [store.join(sess.code, f"s{i}")[0] for i in range(24)]
    start = threading.Barrier(len(students))
    errors: list[BaseException] = []

    def answer_all(part):
        try:
            start.wait()
            for j, item in enumerate(items):
                assert store.submit_answer(part.token, item, answer=j % 2, truth=(j // 2) % 2, confidence=0.75)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=answer_all, args=(p,)) for p in students]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    rows = store.session_answers(sess.id)
    assert len(rows) == len(students) * len(items)
    assert {(a.nickname, a.item_id) for a in rows} == {(f"s{i}", it) for i in range(24) for it in items}
    assert all(len(store.my_answers(p.token)) == len(items) for p in students)


def test_concurrent_joins_get_distinct_participants(store: Store):
    sess = store.create_session(ITEMS)
    got: list = []
    lock = threading.Lock()

    def join(i):
        part, _ = store.join(sess.code, f"kid{i}")
        with lock:
            got.append(part)

    threads = [threading.Thread(target=join, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(got) == 20 and len({p.token for p in got}) == 20
    assert store.participant_count(sess.id) == 20


def test_delete_removes_everything_and_csv_export(store: Store):
    sess = store.create_session(ITEMS, title="export")
    part, _ = store.join(sess.code, "=cmd()")
    store.submit_answer(part.token, ITEMS[2], 0, 1, 0.55, response_ms=900)
    text = store.export_csv(sess.id, extra={ITEMS[2]: {"detector_prob": 0.91}})
    lines = text.strip().splitlines()
    assert lines[0].startswith("nickname,item_id,answer,truth,correct,confidence,response_ms,answered_at,detector_prob")
    assert lines[1].startswith(f"'=cmd(),{ITEMS[2]},real,fake,0,0.55,900,") and lines[1].endswith(",0.91")
    other = store.create_session(ITEMS)
    keep, _ = store.join(other.code, "keep")
    store.submit_answer(keep.token, ITEMS[0], 1, 1, 0.9)
    store.delete_session(sess.id)
    assert store.get_session(sess.id) is None
    assert store.session_answers(sess.id) == [] and store.participant(part.token) is None
    assert len(store.session_answers(other.id)) == 1
    assert [s.id for s in store.list_sessions()] == [other.id]


def test_a_session_remembers_the_no_identity_swaps_setting(store: Store):
    plain = store.create_session(ITEMS)
    careful = store.create_session(ITEMS[:2], title="no swaps", no_identity_swaps=True)
    assert plain.no_identity_swaps is False and careful.no_identity_swaps is True
    assert store.get_session(careful.id).no_identity_swaps is True
    assert {s.id: s.no_identity_swaps for s in store.list_sessions()} == {plain.id: False, careful.id: True}
    _, joined = store.join(careful.code, "kit")
    assert joined.no_identity_swaps is True


def test_teacher_sign_in_survives_a_reload_and_ends_when_locked(store: Store, monkeypatch):
    monkeypatch.setenv("LAB_TEACHER_PASSCODE", "hedgehog-orbit-7")
    token = store.open_teacher_login("10.0.0.9")
    assert len(token) >= 40
    assert store.teacher_login_valid(token, "10.0.0.9")  # the reloaded page, same browser
    assert not store.teacher_login_valid(token, "10.0.0.10")  # a copied cookie on another device
    assert not store.teacher_login_valid(token[:-1] + ("A" if token[-1] != "A" else "B"), "10.0.0.9")
    assert not store.teacher_login_valid("", "10.0.0.9") and not store.teacher_login_valid(None, "10.0.0.9")
    with store.engine.connect() as conn:  # the database holds a hash, never the token
        from sqlalchemy import text

        rows = [tuple(r) for r in conn.execute(text("SELECT * FROM teacher_logins"))]
    assert rows and token not in str(rows)
    store.close_teacher_login(token)
    assert not store.teacher_login_valid(token, "10.0.0.9")


def test_teacher_sign_ins_end_when_the_passcode_changes_or_expire(store: Store, monkeypatch):
    monkeypatch.setenv("LAB_TEACHER_PASSCODE", "hedgehog-orbit-7")
    token = store.open_teacher_login(None)
    assert store.teacher_login_valid(token, None)
    monkeypatch.setenv("LAB_TEACHER_PASSCODE", "a-new-passphrase-2")
    assert not store.teacher_login_valid(token, None)
    monkeypatch.setenv("LAB_TEACHER_PASSCODE", "hedgehog-orbit-7")
    assert store.teacher_login_valid(token, None)
    stale = store.open_teacher_login(None, hours=-1)
    assert not store.teacher_login_valid(stale, None)
    monkeypatch.delenv("LAB_TEACHER_PASSCODE")
    assert not store.teacher_login_valid(token, None)  # the view was closed
    with pytest.raises(StoreError, match="closed"):
        store.open_teacher_login(None)
