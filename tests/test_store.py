"""The class-session data layer on SQLite (the default backend), plus the teacher passcode."""

from __future__ import annotations

import sqlite3

import pytest

from core.classroom import store as store_mod
from core.classroom.store import Store, check_passcode, database_url
from store_cases import *  # noqa: F401,F403 - the shared backend checks run here against SQLite


@pytest.fixture(autouse=True)
def _fresh_throttles():
    from core.classroom import throttle

    throttle.JOIN.reset(), throttle.PASSCODE.reset()  # server-wide counters: each test starts clean
    yield
    throttle.JOIN.reset(), throttle.PASSCODE.reset()


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'lab.db'}")
    yield s
    s.close()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(store: Store, tmp_path):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar().lower() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    raw = sqlite3.connect(tmp_path / "lab.db")
    tables = {r[0] for r in raw.execute("select name from sqlite_master where type='table'")}
    assert {"schema_version", "class_sessions", "participants", "answers"} <= tables
    raw.close()


def test_two_processes_worth_of_stores_share_one_file(tmp_path):
    a = Store(f"sqlite:///{tmp_path / 'x.db'}")
    sess = a.create_session(["i1"])
    b = Store(f"sqlite:///{tmp_path / 'x.db'}")  # a second start: migration must be a no-op
    part, _ = b.join(sess.code, "n")
    b.submit_answer(part.token, "i1", 1, 1, 0.9)
    assert len(a.session_answers(sess.id)) == 1
    a.close(), b.close()


def test_default_url_is_sqlite_in_the_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("LAB_DATABASE_URL", raising=False)
    monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path / "d"))
    assert database_url() == f"sqlite:///{tmp_path / 'd' / 'lab.db'}"
    monkeypatch.setenv("LAB_DATABASE_URL", "postgresql://u@host/db")
    assert database_url() == "postgresql+psycopg://u@host/db"


@pytest.mark.parametrize("env", [None, "", "   "])
def test_no_passcode_configured_keeps_the_teacher_view_closed(monkeypatch, env):
    if env is None:
        monkeypatch.delenv("LAB_TEACHER_PASSCODE", raising=False)
    else:
        monkeypatch.setenv("LAB_TEACHER_PASSCODE", env)
    assert store_mod.teacher_passcode() is None
    for guess in ("", "   ", None, "anything"):
        assert check_passcode(guess) is False


def test_passcode_must_match_exactly(monkeypatch):
    monkeypatch.setenv("LAB_TEACHER_PASSCODE", "owl-Ränke-42")
    assert check_passcode("owl-Ränke-42") is True
    for wrong in ("", "owl-ränke-42", "owl-Ränke-42 ", "owl-Ränke-4", "owl-Ränke-421"):
        assert check_passcode(wrong) is False


# ---------------------------------------------------------------------------------------------------------------
# Attacks on join codes, seats and the passcode (issue 21, findings 7–9)


class _Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_guessing_join_codes_is_throttled_per_address_with_backoff(store: Store, monkeypatch):
    from core.classroom import throttle

    clock = _Clock()
    monkeypatch.setattr(throttle, "JOIN", throttle.Throttle("class join code", free=5, base_s=5.0, max_s=300.0,
                                                            global_free=100, clock=clock))
    sess = store.create_session(ITEMS)
    for guess in ("AAAAA", "CCCCC", "DDDDD", "EEEEE", "FFFFF"):  # five free mistakes
        with pytest.raises(StoreError, match="No open class session"):
            store.join(guess, "guesser", client="10.0.0.9")
    with pytest.raises(StoreError, match="No open class session"):
        store.join("GGGGG", "guesser", client="10.0.0.9")  # the sixth earns a wait
    with pytest.raises(store_mod.TooManyTries) as locked:
        store.join(sess.code, "guesser", client="10.0.0.9")  # even the right code waits
    assert 4 < locked.value.wait_s <= 5
    store.join(sess.code, "classmate", client="10.0.0.10")  # another address is not held up
    clock.t += 5.1
    with pytest.raises(StoreError, match="No open class session"):
        store.join("HHHHH", "guesser", client="10.0.0.9")
    assert throttle.JOIN.wait_s("10.0.0.9") > 9  # the wait doubles
    clock.t += 10.1
    part, _ = store.join(sess.code, "guesser", client="10.0.0.9")
    assert part.nickname == "guesser" and throttle.JOIN.wait_s("10.0.0.9") == 0


def test_rotating_addresses_still_hits_the_global_passcode_lockout(monkeypatch):
    from core.classroom import throttle

    clock = _Clock()
    monkeypatch.setattr(throttle, "PASSCODE", throttle.Throttle("teacher passcode", clock=clock))
    monkeypatch.setenv("LAB_TEACHER_PASSCODE", "a-long-enough-passcode")
    for i in range(21):  # one wrong guess from each of 21 addresses: no address exceeds its own free tries
        assert store_mod.verify_teacher(f"guess {i}", f"10.1.0.{i}") is False
    with pytest.raises(store_mod.TooManyTries):
        store_mod.verify_teacher("a-long-enough-passcode", "10.1.0.200")
    clock.t += 61
    assert store_mod.verify_teacher("a-long-enough-passcode", "10.1.0.200") is True


def test_one_address_holds_few_nicknames_and_rejoining_resumes_only_its_own_seat(store: Store):
    sess = store.create_session(ITEMS)
    seats = [store.join(sess.code, f"nick{i}", client="10.0.0.7")[0] for i in range(store_mod.MAX_SEATS_PER_CLIENT)]
    with pytest.raises(StoreError, match="already joined this session"):
        store.join(sess.code, "one-more", client="10.0.0.7")
    again, _ = store.join(sess.code, "nick0", client="10.0.0.7")  # a reload: same address, same nickname
    assert again.token == seats[0].token
    with pytest.raises(StoreError, match="already uses the nickname"):
        store.join(sess.code, "nick0", client="10.0.0.8")  # someone else typing that nickname gets no seat
    with pytest.raises(StoreError, match="already uses the nickname"):
        store.join(sess.code, "nick0")  # nor does a browser whose address is unknown


def test_teacher_removes_a_participant_and_their_token_stops_working(store: Store):
    sess = store.create_session(ITEMS)
    troll, _ = store.join(sess.code, "troll", client="10.0.0.3")
    kept, _ = store.join(sess.code, "kept", client="10.0.0.4")
    store.submit_answer(troll.token, ITEMS[0], 1, 1, 0.9)
    store.submit_answer(kept.token, ITEMS[0], 0, 1, 0.9)
    assert [(n, c) for _, n, c in store.participants(sess.id)] == [("troll", 1), ("kept", 1)]
    assert store.remove_participant(sess.id, troll.id)
    assert [n for _, n, _ in store.participants(sess.id)] == ["kept"]
    assert [a.nickname for a in store.session_answers(sess.id)] == ["kept"]
    with pytest.raises(StoreError, match="no longer known"):
        store.submit_answer(troll.token, ITEMS[1], 1, 1, 0.9)
    assert not store.remove_participant(sess.id, kept.id + 999)


def test_database_file_and_data_folder_are_private(tmp_path, monkeypatch):
    import stat

    monkeypatch.delenv("LAB_DATABASE_URL", raising=False)
    monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path / "fresh"))
    s = Store()
    s.create_session(ITEMS)
    s.close()
    assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "fresh" / "lab.db").stat().st_mode) == 0o600


def test_a_short_passcode_keeps_the_teacher_view_closed(monkeypatch, caplog):
    monkeypatch.setattr(store_mod, "_warned_short", False)
    monkeypatch.setenv("LAB_TEACHER_PASSCODE", "12345678901")  # 11 characters
    with caplog.at_level("ERROR", logger="lab.security"):
        assert store_mod.passcode_too_short() and store_mod.teacher_passcode() is None
        assert check_passcode("12345678901") is False
    assert any("shorter than 12" in r.getMessage() for r in caplog.records)


def test_a_seat_resumes_on_another_replica_and_survives_a_restart(tmp_path):
    """Two servers on one database (replicas, or one restarted): the seat's address is in the database."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = Store(url), Store(url)
    session = first.create_session(["a", "b"], title="shared")
    part, _ = first.join(session.code, "kit", client="10.0.0.5")
    again, _ = second.join(session.code, "kit", client="10.0.0.5")  # the other replica, same device
    assert again.token == part.token
    with pytest.raises(store_mod.StoreError, match="already uses the nickname"):
        second.join(session.code, "kit", client="10.0.0.99")  # another device does not get the seat
    first.close()
    restarted = Store(url)
    assert restarted.join(session.code, "kit", client="10.0.0.5")[0].token == part.token
    assert restarted.schema_version() == store_mod.SCHEMA_VERSION == 3


def test_a_version_1_database_gains_the_seat_column(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # the participants table as version 1 made it
        db.executescript("""
            CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at DATETIME);
            INSERT INTO schema_version VALUES (1, '2026-11-01 00:00:00');
            CREATE TABLE class_sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, code VARCHAR(16), title VARCHAR(120),
                item_ids TEXT, model_version VARCHAR(120), is_open BOOLEAN, created_at DATETIME, closed_at DATETIME);
            CREATE TABLE participants (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id INTEGER, nickname VARCHAR(24),
                token VARCHAR(64) UNIQUE, joined_at DATETIME, UNIQUE (session_id, nickname));
        """)
    store = Store(f"sqlite:///{path}")
    session = store.create_session(["a"], title="after the upgrade")
    part, _ = store.join(session.code, "ada", client="10.0.0.7")
    assert store.join(session.code, "ada", client="10.0.0.7")[0].token == part.token
    assert store.schema_version() == store_mod.SCHEMA_VERSION


def test_a_version_2_database_gains_the_swap_setting_and_teacher_sign_ins(tmp_path, monkeypatch):
    path = tmp_path / "v2.db"
    with sqlite3.connect(path) as db:  # the sessions table as version 2 made it, with one old session
        db.executescript("""
            CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at DATETIME);
            INSERT INTO schema_version VALUES (1, '2026-11-01 00:00:00'), (2, '2026-11-20 00:00:00');
            CREATE TABLE class_sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, code VARCHAR(16), title VARCHAR(120),
                item_ids TEXT, model_version VARCHAR(120), is_open BOOLEAN, created_at DATETIME, closed_at DATETIME);
            INSERT INTO class_sessions (code, title, item_ids, model_version, is_open, created_at)
                VALUES ('ACD34', 'old class', '["a"]', 'v1', 1, '2026-11-21 09:00:00');
            CREATE TABLE participants (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id INTEGER, nickname VARCHAR(24),
                token VARCHAR(64) UNIQUE, joined_at DATETIME, client VARCHAR(64), UNIQUE (session_id, nickname));
        """)
    store = Store(f"sqlite:///{path}")
    assert store.schema_version() == 3
    (old,) = store.list_sessions()
    assert old.title == "old class" and old.no_identity_swaps is False
    assert store.create_session(["a"], no_identity_swaps=True).no_identity_swaps is True
    monkeypatch.setenv("LAB_TEACHER_PASSCODE", "hedgehog-orbit-7")
    assert store.teacher_login_valid(store.open_teacher_login(None), None)
