"""The class-session data layer on SQLite (the default backend), plus the teacher passcode."""

from __future__ import annotations

import sqlite3

import pytest

from core.classroom import store as store_mod
from core.classroom.store import Store, check_passcode, database_url
from store_cases import *  # noqa: F401,F403 - the shared backend checks run here against SQLite


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
