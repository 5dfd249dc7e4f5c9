"""Class sessions for the spot-the-fake quiz: one data layer over SQLite (default) or PostgreSQL.

| variable | default | meaning |
|---|---|---|
| ``LAB_DATABASE_URL`` | ``sqlite:///<LAB_DATA_DIR>/lab.db`` | where class answers live; ``postgresql://…`` for a server |
| ``LAB_TEACHER_PASSCODE`` | unset | the teacher view's passcode, at least 12 characters; unset (or shorter) keeps the teacher view closed |

Nothing personal is stored: a participant is a nickname inside one session, and answers are tied to that
nickname only. A participant is identified by a random token that only their own browser session holds (it is
never put in an address a student could share), so one student can neither read nor write another's answers;
after a reload a student rejoins with the same code and nickname, which resumes their seat only from the
address that first took it. Wrong join codes and teacher passcodes are throttled per client address and over
all clients (:mod:`core.classroom.throttle`); one address holds at most ``MAX_SEATS_PER_CLIENT`` nicknames
per session; the teacher can remove a participant. A teacher who typed the right passcode gets a sign-in
token that the teacher page keeps in a browser-session cookie; the database keeps only its hash (with the
address that signed in and an expiry), so a reload, or another replica, keeps the teacher signed in without
putting a secret in an address, and locking the view revokes it. SQLite runs in WAL mode with a busy timeout and
every transaction takes the write lock up front (``BEGIN IMMEDIATE``), so dozens of browser sessions
answering at the same moment queue briefly instead of failing.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Sequence

from sqlalchemy import (Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
                        create_engine, delete, event, func, select, text, update)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from core.classroom import throttle
from core.config import data_dir, setting

log = logging.getLogger("lab.security")

SCHEMA_VERSION = 3
# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a code read aloud or from a projector is typed right the first time.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 5
NICKNAME_MAX = 24
SQLITE_BUSY_MS = 30_000
MIN_PASSCODE_LENGTH = 12  # a passcode sent over a classroom LAN must withstand more than a lucky guess
MAX_SEATS_PER_CLIENT = 3  # nicknames one address may hold in one session (a shared computer, a fresh start)
TEACHER_LOGIN_HOURS = 12  # a teacher's sign-in lasts a school day at most (and ends with the browser session)


# A request the store refuses; ``str(err)`` is written for the person who made it.
from core.errors import StoreError  # noqa: E402  (re-exported: callers import it from here)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class SchemaVersion(Base):
    __tablename__ = "schema_version"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class SessionRow(Base):
    __tablename__ = "class_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(120), default="")
    item_ids: Mapped[str] = mapped_column(Text)  # JSON list: every student gets the same items, in order
    model_version: Mapped[str] = mapped_column(String(120), default="")
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Version 3: the teacher asked for no face swaps between people (real photos and self-blends only).
    no_identity_swaps: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    # A code is unique among open sessions (closed ones may reuse it); the database enforces it.
    __table_args__ = (Index("uq_open_session_code", "code", unique=True,
                            sqlite_where=text("is_open = 1"), postgresql_where=text("is_open")),)


class ParticipantRow(Base):
    __tablename__ = "participants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("class_sessions.id", ondelete="CASCADE"), index=True)
    nickname: Mapped[str] = mapped_column(String(NICKNAME_MAX))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    # The address that took the seat: only it may resume the seat by rejoining. In the database, not in a
    # replica's memory, so a student whose replica died resumes on another one (schema version 2).
    client: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    __table_args__ = (UniqueConstraint("session_id", "nickname", name="uq_participant_nickname"),)


class AnswerRow(Base):
    __tablename__ = "answers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("class_sessions.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(400))
    answer: Mapped[int] = mapped_column(Integer)  # 0 real, 1 fake
    truth: Mapped[int] = mapped_column(Integer)
    correct: Mapped[bool] = mapped_column(Boolean)
    confidence: Mapped[float] = mapped_column(Float)  # 0.5 (guess) … 1.0 (certain)
    response_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    __table_args__ = (UniqueConstraint("participant_id", "item_id", name="uq_answer_once"),)


class TeacherLoginRow(Base):
    """A teacher's sign-in (version 3). Only the token's SHA-256 is stored: a copied database signs nobody in.
    passcode_tag: HMAC of the passcode it was opened with, keyed by the token itself (which the database never
    holds, so the tag cannot be used to guess the passcode offline); changing the passcode ends every sign-in."""

    __tablename__ = "teacher_logins"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    passcode_tag: Mapped[str] = mapped_column(String(64))
    client: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def _add_seat_client(conn) -> None:
    """Version 2: ``participants.client`` (databases made by version 1 lack it; new ones have it already)."""
    from sqlalchemy import inspect

    if "client" not in {c["name"] for c in inspect(conn).get_columns("participants")}:
        conn.execute(text("ALTER TABLE participants ADD COLUMN client VARCHAR(64)"))


def _add_swap_setting_and_teacher_logins(conn) -> None:
    """Version 3: ``class_sessions.no_identity_swaps`` and the ``teacher_logins`` table (databases made by an
    earlier version lack them; new ones have them already)."""
    from sqlalchemy import inspect

    if "no_identity_swaps" not in {c["name"] for c in inspect(conn).get_columns("class_sessions")}:
        conn.execute(text("ALTER TABLE class_sessions ADD COLUMN no_identity_swaps BOOLEAN NOT NULL DEFAULT false"))
    TeacherLoginRow.__table__.create(conn, checkfirst=True)


# Each entry upgrades the schema from version i to i + 1. Version 1 is the tables above (without the seat's
# client, which version 2 adds, and the swap setting and teacher sign-ins, which version 3 adds).
MIGRATIONS: list = [lambda conn: Base.metadata.create_all(conn), _add_seat_client,
                    _add_swap_setting_and_teacher_logins]


# ---------------------------------------------------------------------------------------------------------------
# What crosses into pages: plain dataclasses, never ORM rows.


@dataclass(frozen=True)
class ClassSession:
    id: int
    code: str
    title: str
    item_ids: list[str]
    model_version: str
    is_open: bool
    created_at: datetime
    closed_at: datetime | None
    no_identity_swaps: bool = False


@dataclass(frozen=True)
class Participant:
    """``token`` is the participant's secret: whoever holds it answers as this nickname."""

    id: int
    session_id: int
    nickname: str
    token: str


@dataclass(frozen=True)
class Answer:
    item_id: str
    answer: int
    truth: int
    correct: bool
    confidence: float
    response_ms: int | None
    answered_at: datetime
    nickname: str = ""


def _session(row: SessionRow) -> ClassSession:
    return ClassSession(id=row.id, code=row.code, title=row.title, item_ids=json.loads(row.item_ids),
                        model_version=row.model_version, is_open=bool(row.is_open), created_at=row.created_at,
                        closed_at=row.closed_at, no_identity_swaps=bool(row.no_identity_swaps))


def _answer(row: AnswerRow, nickname: str = "") -> Answer:
    return Answer(item_id=row.item_id, answer=row.answer, truth=row.truth, correct=bool(row.correct),
                  confidence=float(row.confidence), response_ms=row.response_ms, answered_at=row.answered_at,
                  nickname=nickname)


# ---------------------------------------------------------------------------------------------------------------
# Passcode


def _configured_passcode() -> str | None:
    return setting("LAB_TEACHER_PASSCODE")


def passcode_too_short() -> bool:
    """True when ``LAB_TEACHER_PASSCODE`` is set but shorter than :data:`MIN_PASSCODE_LENGTH` characters."""
    raw = _configured_passcode()
    return raw is not None and len(raw) < MIN_PASSCODE_LENGTH


_warned_short = False


def teacher_passcode() -> str | None:
    """The configured passcode, or None when ``LAB_TEACHER_PASSCODE`` is unset, blank or too short (the
    teacher view then stays closed and says why; the log says so once)."""
    global _warned_short
    raw = _configured_passcode()
    if raw is not None and len(raw) < MIN_PASSCODE_LENGTH:
        if not _warned_short:
            log.error("LAB_TEACHER_PASSCODE is shorter than %d characters: the teacher view stays closed",
                      MIN_PASSCODE_LENGTH)
            _warned_short = True
        return None
    return raw


def check_passcode(given: str | None) -> bool:
    """True only when a passcode is configured and ``given`` equals it (constant-time comparison)."""
    expected = teacher_passcode()
    if expected is None or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class TooManyTries(StoreError):
    """Too many failed tries from this address (or from everyone): ``wait_s`` seconds before the next."""

    def __init__(self, message: str, wait_s: float):
        super().__init__(message)
        self.wait_s = wait_s


def _wait_text(seconds: float) -> str:
    seconds = int(seconds) + 1
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60 + 1} minutes"


def verify_teacher(given: str | None, client: str | None) -> bool:
    """Check a passcode typed on the teacher page from ``client`` (its address), counting failures on the
    server: raises :class:`TooManyTries` while that address, or everyone, is locked out — even for the right
    passcode, so guessing during a lockout teaches nothing."""
    wait = throttle.PASSCODE.wait_s(client)
    if wait > 0:
        raise TooManyTries(f"Too many wrong tries. Wait {_wait_text(wait)} and try again.", wait)
    if check_passcode(given):
        throttle.PASSCODE.success(client)
        return True
    throttle.PASSCODE.failure(client)
    return False


# ---------------------------------------------------------------------------------------------------------------
# Codes and nicknames


def new_join_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(code: str) -> str:
    """Upper-case and drop spaces and dashes, so "acd 34" finds "ACD34"."""
    return "".join(ch for ch in (code or "").upper() if ch not in " -_\t")


def clean_nickname(nickname: str) -> str:
    """Trim and validate a nickname; raises StoreError with what to change."""
    nick = " ".join((nickname or "").split())
    if not nick:
        raise StoreError("Please type a nickname (any made-up name; not your real name).")
    if len(nick) > NICKNAME_MAX:
        raise StoreError(f"Please keep your nickname to {NICKNAME_MAX} characters or fewer.")
    if not all(ch.isprintable() for ch in nick):
        raise StoreError("Your nickname contains characters we cannot show; please use letters, digits or emoji.")
    return nick


# ---------------------------------------------------------------------------------------------------------------
# The store


def database_url() -> str:
    """``LAB_DATABASE_URL`` (``postgresql://`` is routed through psycopg 3), else SQLite in the data folder."""
    url = setting("LAB_DATABASE_URL") or ""
    if not url:
        return f"sqlite:///{Path(data_dir()) / 'lab.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000, "check_same_thread": False},
                               pool_size=8, max_overflow=32)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            # Take the write lock at the start: a deferred transaction that reads then writes can fail with
            # "database is locked" without waiting, because SQLite cannot upgrade its lock safely.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=32)


def _private_sqlite_file(path: Path) -> None:
    """Create the database file readable by its owner only (SQLite gives its -wal/-shm files the same mode),
    in a folder only its owner may list."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


class Store:
    """Class sessions, participants and answers. Thread-safe: share one per process."""

    def __init__(self, url: str | None = None):
        self.url = url or database_url()
        if self.url.startswith("sqlite:///"):
            _private_sqlite_file(Path(self.url[len("sqlite:///"):]))
        self.engine = _make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._seats_lock = threading.Lock()
        self.migrate()

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    # -- schema -------------------------------------------------------------------------------------------------

    def schema_version(self) -> int:
        with self._sessions() as s:
            return int(s.scalar(select(func.max(SchemaVersion.version))) or 0)

    def migrate(self) -> None:
        """Bring the schema to SCHEMA_VERSION; safe when several processes start at once."""
        with self.engine.begin() as conn:
            SchemaVersion.__table__.create(conn, checkfirst=True)
        current = self.schema_version()
        for version in range(current + 1, SCHEMA_VERSION + 1):
            try:
                with self.engine.begin() as conn:
                    MIGRATIONS[version - 1](conn)
                    conn.execute(SchemaVersion.__table__.insert().values(version=version, applied_at=_now()))
            except IntegrityError:  # another process applied it first
                pass

    # -- sessions -------------------------------------------------------------------------------------------------

    def create_session(self, item_ids: Sequence[str], *, title: str = "", model_version: str = "",
                       no_identity_swaps: bool = False, attempts: int = 20) -> ClassSession:
        """Open a session over these quiz items with a fresh join code (unique among open sessions).

        no_identity_swaps: the teacher chose a round without face swaps between people (the items were picked
        so; the quiz also leaves out any that a changed gallery would make one)."""
        if not item_ids:
            raise StoreError("A session needs at least one quiz item.")
        for _ in range(attempts):
            try:
                with self._sessions.begin() as s:
                    row = SessionRow(code=new_join_code(), title=title.strip()[:120], item_ids=json.dumps(list(item_ids)),
                                     model_version=model_version, is_open=True, created_at=_now(),
                                     no_identity_swaps=bool(no_identity_swaps))
                    s.add(row)
                    s.flush()
                    return _session(row)
            except IntegrityError:  # the code is taken by an open session: draw another
                continue
        raise StoreError("Could not find a free join code; close some old sessions and try again.")

    def get_session(self, session_id: int) -> ClassSession | None:
        with self._sessions() as s:
            row = s.get(SessionRow, session_id)
            return _session(row) if row else None

    def find_open_session(self, code: str) -> ClassSession | None:
        with self._sessions() as s:
            row = s.scalar(select(SessionRow).where(SessionRow.code == normalise_code(code), SessionRow.is_open))
            return _session(row) if row else None

    def list_sessions(self, *, include_closed: bool = True) -> list[ClassSession]:
        with self._sessions() as s:
            q = select(SessionRow).order_by(SessionRow.created_at.desc(), SessionRow.id.desc())
            if not include_closed:
                q = q.where(SessionRow.is_open)
            return [_session(r) for r in s.scalars(q)]

    def close_session(self, session_id: int) -> None:
        with self._sessions.begin() as s:
            s.execute(update(SessionRow).where(SessionRow.id == session_id, SessionRow.is_open)
                      .values(is_open=False, closed_at=_now()))

    def delete_session(self, session_id: int) -> None:
        """Remove a session with all its participants and answers."""
        with self._sessions.begin() as s:
            # Explicit deletes rather than relying on ON DELETE CASCADE, which SQLite only honours per connection.
            s.execute(delete(AnswerRow).where(AnswerRow.session_id == session_id))
            s.execute(delete(ParticipantRow).where(ParticipantRow.session_id == session_id))
            s.execute(delete(SessionRow).where(SessionRow.id == session_id))

    # -- participants ---------------------------------------------------------------------------------------------

    def join(self, code: str, nickname: str, *, client: str | None = None) -> tuple[Participant, ClassSession]:
        """Join the open session with this code under a nickname; returns the participant (with its token).

        ``client``: the joining browser's address. Wrong codes are throttled per address (and over all
        addresses); one address holds at most :data:`MAX_SEATS_PER_CLIENT` nicknames per session; joining
        again with a nickname this same address already holds resumes that seat (after a page reload).
        """
        nick = clean_nickname(nickname)
        wait = throttle.JOIN.wait_s(client)
        if wait > 0:
            raise TooManyTries(f"Too many wrong codes from this device. Wait {_wait_text(wait)}, check the code "
                               "with your teacher and try again.", wait)
        session = self.find_open_session(code)
        if session is None:
            throttle.JOIN.failure(client)
            raise StoreError("No open class session has that code. Check it with your teacher and type it again.")
        throttle.JOIN.success(client)
        with self._seats_lock:
            if client:
                with self._sessions() as s:
                    row = s.scalar(select(ParticipantRow).where(ParticipantRow.session_id == session.id,
                                                                ParticipantRow.nickname == nick))
                    held = int(s.scalar(select(func.count()).select_from(ParticipantRow).where(
                        ParticipantRow.session_id == session.id, ParticipantRow.client == client)) or 0)
                if row is not None and row.client == client:
                    return Participant(row.id, row.session_id, row.nickname, row.token), session  # resume
                if row is None and held >= MAX_SEATS_PER_CLIENT:
                    raise StoreError(f"This device already joined this session with {held} nicknames. To continue, "
                                     "type the nickname you used before.")
            try:
                with self._sessions.begin() as s:
                    row = ParticipantRow(session_id=session.id, nickname=nick, token=secrets.token_urlsafe(24),
                                         joined_at=_now(), client=client[:64] if client else None)
                    s.add(row)
                    s.flush()
                    part = Participant(row.id, row.session_id, row.nickname, row.token)
            except IntegrityError:
                raise StoreError(f"Someone in this session already uses the nickname {nick!r}; please pick another.") from None
            return part, session

    def participant(self, token: str) -> Participant | None:
        with self._sessions() as s:
            row = s.scalar(select(ParticipantRow).where(ParticipantRow.token == token))
            return Participant(row.id, row.session_id, row.nickname, row.token) if row else None

    # -- answers --------------------------------------------------------------------------------------------------

    def submit_answer(self, token: str, item_id: str, answer: int, truth: int, confidence: float,
                      response_ms: int | None = None) -> bool:
        """Record one answer. Returns False when this participant already answered the item (first one counts).

        Raises StoreError for an unknown participant, a closed session or an item outside the session.
        """
        if answer not in (0, 1) or truth not in (0, 1):
            raise StoreError("An answer is either real (0) or fake (1).")
        confidence = float(min(1.0, max(0.5, confidence)))
        try:
            with self._sessions.begin() as s:
                part = s.scalar(select(ParticipantRow).where(ParticipantRow.token == token))
                if part is None:
                    raise StoreError("This quiz session is no longer known; please join again with the code.")
                sess = s.get(SessionRow, part.session_id)
                if sess is None or not sess.is_open:
                    raise StoreError("Your teacher has closed this session; answers are no longer recorded.")
                if item_id not in json.loads(sess.item_ids):
                    raise StoreError("That item is not part of this session's quiz.")
                s.add(AnswerRow(session_id=sess.id, participant_id=part.id, item_id=item_id, answer=int(answer),
                                truth=int(truth), correct=int(answer) == int(truth), confidence=confidence,
                                response_ms=response_ms, answered_at=_now()))
            return True
        except IntegrityError:  # a double click: the first answer stands
            return False

    def my_answers(self, token: str) -> list[Answer]:
        """The answers of the participant holding ``token`` — and nobody else's."""
        with self._sessions() as s:
            rows = s.execute(select(AnswerRow, ParticipantRow.nickname)
                             .join(ParticipantRow, AnswerRow.participant_id == ParticipantRow.id)
                             .where(ParticipantRow.token == token).order_by(AnswerRow.id)).all()
            return [_answer(a, nick) for a, nick in rows]

    # -- teacher --------------------------------------------------------------------------------------------------

    def session_answers(self, session_id: int) -> list[Answer]:
        """Every answer of a session with nicknames (teacher view only)."""
        with self._sessions() as s:
            rows = s.execute(select(AnswerRow, ParticipantRow.nickname)
                             .join(ParticipantRow, AnswerRow.participant_id == ParticipantRow.id)
                             .where(AnswerRow.session_id == session_id).order_by(AnswerRow.id)).all()
            return [_answer(a, nick) for a, nick in rows]

    def participants(self, session_id: int) -> list[tuple[int, str, int]]:
        """(participant id, nickname, answers given) for everyone in a session, in joining order (teacher only)."""
        with self._sessions() as s:
            rows = s.execute(select(ParticipantRow.id, ParticipantRow.nickname, func.count(AnswerRow.id))
                             .outerjoin(AnswerRow, AnswerRow.participant_id == ParticipantRow.id)
                             .where(ParticipantRow.session_id == session_id)
                             .group_by(ParticipantRow.id, ParticipantRow.nickname).order_by(ParticipantRow.id)).all()
            return [(int(i), str(n), int(c)) for i, n, c in rows]

    def remove_participant(self, session_id: int, participant_id: int) -> bool:
        """Remove one participant and their answers from a session (their token stops working at once)."""
        with self._sessions.begin() as s:
            s.execute(delete(AnswerRow).where(AnswerRow.participant_id == participant_id,
                                              AnswerRow.session_id == session_id))
            gone = s.execute(delete(ParticipantRow).where(ParticipantRow.id == participant_id,
                                                          ParticipantRow.session_id == session_id)).rowcount
        return bool(gone)

    def participant_count(self, session_id: int) -> int:
        with self._sessions() as s:
            return int(s.scalar(select(func.count()).select_from(ParticipantRow)
                                .where(ParticipantRow.session_id == session_id)) or 0)

    def export_csv(self, session_id: int, extra: dict[str, dict[str, object]] | None = None) -> str:
        """The session's answers as CSV text. ``extra`` maps item id → more columns (e.g. the detector's score)."""
        answers = self.session_answers(session_id)
        extra = extra or {}
        extra_cols: list[str] = sorted({k for cols in extra.values() for k in cols})
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["nickname", "item_id", "answer", "truth", "correct", "confidence", "response_ms", "answered_at",
                    *extra_cols])
        names = {0: "real", 1: "fake"}
        for a in answers:
            more = extra.get(a.item_id, {})
            w.writerow([_csv_safe(a.nickname), a.item_id, names[a.answer], names[a.truth], int(a.correct),
                        f"{a.confidence:.2f}", a.response_ms if a.response_ms is not None else "",
                        a.answered_at.isoformat(), *[more.get(c, "") for c in extra_cols]])
        return buf.getvalue()


    # -- teacher sign-ins ---------------------------------------------------------------------------------------------

    def open_teacher_login(self, client: str | None, *, hours: float = TEACHER_LOGIN_HOURS) -> str:
        """A new sign-in token for a teacher who has just typed the right passcode from ``client`` (check it
        with :func:`verify_teacher` first). The caller keeps the token in a browser-session cookie, never in an
        address; the database keeps its hash only."""
        token = secrets.token_urlsafe(32)
        tag = _passcode_tag(token)
        if tag is None:
            raise StoreError("The teacher view is closed: no passcode is set.")
        now = _now()
        with self._sessions.begin() as s:
            s.execute(delete(TeacherLoginRow).where(TeacherLoginRow.expires_at < now))
            s.add(TeacherLoginRow(token_hash=_token_hash(token), passcode_tag=tag, client=client[:64] if client else None,
                                  created_at=now, expires_at=now + timedelta(hours=hours)))
        return token

    def teacher_login_valid(self, token: str | None, client: str | None) -> bool:
        """Whether ``token`` is a live sign-in opened from this same address with the passcode set now."""
        if not token or len(token) > 128:
            return False
        tag = _passcode_tag(token)
        if tag is None:
            return False
        with self._sessions.begin() as s:
            s.execute(delete(TeacherLoginRow).where(TeacherLoginRow.expires_at < _now()))  # expired: forget them
            row = s.scalar(select(TeacherLoginRow).where(TeacherLoginRow.token_hash == _token_hash(token)))
        if row is None or not hmac.compare_digest(row.passcode_tag, tag):
            return False
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=timezone.utc)
        return expires > _now() and row.client == (client[:64] if client else None)

    def close_teacher_login(self, token: str | None) -> None:
        """End a sign-in (the teacher locked the view): its token no longer opens anything."""
        if token:
            with self._sessions.begin() as s:
                s.execute(delete(TeacherLoginRow).where(TeacherLoginRow.token_hash == _token_hash(token)))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _passcode_tag(token: str) -> str | None:
    """HMAC of the configured passcode keyed by a sign-in's token; None when the teacher view is closed."""
    passcode = teacher_passcode()
    if passcode is None:
        return None
    return hmac.new(token.encode("utf-8"), passcode.encode("utf-8"), hashlib.sha256).hexdigest()


def _csv_safe(value: str) -> str:
    """Keep spreadsheet programs from running a nickname like ``=HYPERLINK(...)`` as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


_STORES: dict[str, Store] = {}
_STORES_LOCK = threading.Lock()


def get_store(url: str | None = None) -> Store:
    """One shared Store per database URL in this process."""
    url = url or database_url()
    with _STORES_LOCK:
        if url not in _STORES:
            _STORES[url] = Store(url)
        return _STORES[url]

