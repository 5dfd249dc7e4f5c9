"""The same data-layer checks against a real PostgreSQL server.

``pg_url`` (tests/pg_server.py, shared through conftest.py) starts a throwaway server from the Debian
``postgresql`` binaries; the module is skipped, saying why, only when no server can be started here.
"""

from __future__ import annotations

import pytest

from core.classroom.store import Store
from store_cases import *  # noqa: F401,F403 - the shared backend checks run here against PostgreSQL

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def store(pg_url, monkeypatch):
    monkeypatch.setenv("LAB_DATABASE_URL", pg_url)
    s = Store()
    assert s.backend == "postgresql"
    yield s
    # Every test starts from an empty database: drop the schema, not just rows, so migration runs each time.
    from sqlalchemy import text

    with s.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    s.close()


def test_the_server_is_postgresql(store: Store):
    from sqlalchemy import text

    with store.engine.connect() as conn:
        assert conn.execute(text("select version()")).scalar().startswith("PostgreSQL")


def test_a_version_2_database_is_upgraded_in_place(store: Store, monkeypatch):
    """Turn the fresh schema back into version 2 (no swap setting, no teacher sign-ins), then start again."""
    from sqlalchemy import text

    old = store.create_session(["a"], title="before the upgrade")
    with store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE class_sessions DROP COLUMN no_identity_swaps"))
        conn.execute(text("DROP TABLE teacher_logins"))
        conn.execute(text("DELETE FROM schema_version WHERE version = 3"))
    again = Store(store.url)
    try:
        assert again.schema_version() == 3
        assert again.get_session(old.id).no_identity_swaps is False
        monkeypatch.setenv("LAB_TEACHER_PASSCODE", "hedgehog-orbit-7")
        assert again.teacher_login_valid(again.open_teacher_login("10.1.1.1"), "10.1.1.1")
    finally:
        again.close()
