"""Run a page's heavy analysis in the shared job pool (:mod:`core.engine.jobs`), one at a time per browser session.

Pages call ``result = run_job(fn, *args)`` where they would have called ``fn(*args)``. While the job waits
for a worker the page says how many analyses are ahead; when the lab is full it says so and stops the
page run (the learner presses "Try again"). Exceptions raised by ``fn`` (e.g. MediaError) reach the
page unchanged, so existing error handling keeps working.

Results every session can share (the same sample photo, the same slider settings) use
:func:`pooled_cache` instead of ``st.cache_data``: a cache hit returns at once, a miss runs in the pool.
"""

from __future__ import annotations

import functools
import ipaddress
import threading
import time
import uuid
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable

import streamlit as st

from core.config import setting
from core.engine.jobs import LabBusy, get_pool
from ui.errors import show_error

_SESSION_KEY = "_lab_job_session"
_POLL_S = 0.25


class JobTimedOut(RuntimeError):
    """The page stopped waiting for a job after its time limit. ``str(err)`` is a message for a student."""


def client_key(ip: str | None, tab_id: str) -> str:
    """The pool's "one job at a time" key: the client's address, so that opening more tabs does not buy a
    student more of the shared worker (issue 21). Loopback and unknown addresses (the laptop itself, or
    every client behind a reverse proxy on the same machine) fall back to the tab, so they are not all
    lumped together into one queue slot."""
    try:
        if ip and not ipaddress.ip_address(ip).is_loopback:
            return f"client:{ip}"
    except ValueError:
        pass
    return f"tab:{tab_id}"


def forwarded_client(peer: str, forwarded_for: str, trusted: str | None) -> str:
    """The client behind ``peer``: when ``peer`` is a trusted proxy (``trusted``: comma-separated addresses or
    networks, e.g. ``127.0.0.1, 172.16.0.0/12``), the last ``X-Forwarded-For`` entry — the address that proxy
    saw, which a browser cannot forge — else ``peer`` itself."""
    if not trusted or not forwarded_for.strip():
        return peer
    try:
        peer_ip = ipaddress.ip_address(peer)
        nets = [ipaddress.ip_network(t.strip(), strict=False) for t in trusted.split(",") if t.strip()]
        last = forwarded_for.split(",")[-1].strip()
        ipaddress.ip_address(last)
    except ValueError:
        return peer
    return last if any(peer_ip in net for net in nets) else peer


def client_address() -> str | None:
    """The browser's IP address (None without a request, e.g. in AppTest). Behind a reverse proxy named in
    ``LAB_TRUSTED_PROXIES`` it is the address the proxy saw (the last ``X-Forwarded-For`` entry), so per-student
    limits do not lump a whole school together under the proxy's address."""
    try:
        ip = st.context.ip_address
        headers = st.context.headers
    except Exception:  # noqa: BLE001 - no request context (bare scripts)
        return None
    forwarded = headers.get("X-Forwarded-For", "") if hasattr(headers, "get") else ""
    forwarded = forwarded if isinstance(forwarded, str) else ""
    if ip is None and forwarded:  # Streamlit reports a loopback peer as None: a proxy on this machine
        ip = "127.0.0.1"
    if not (isinstance(ip, str) and ip):  # AppTest hands back a mock object
        return None
    return forwarded_client(ip, forwarded, setting("LAB_TRUSTED_PROXIES"))


def session_id() -> str:
    """This browser's key in the shared pool: its address (see :func:`client_key`), else this tab's id."""
    if _SESSION_KEY not in st.session_state:
        st.session_state[_SESSION_KEY] = uuid.uuid4().hex
    return client_key(client_address(), st.session_state[_SESSION_KEY])


def run_job(fn: Callable[..., Any], *args: Any, label: str = "Analysing…",
            poll: Callable[[], None] | None = None, cancel: threading.Event | None = None,
            time_limit: float | None = None, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` run by the shared pool for this session; returns its result.

    When this session's previous job is still running (the learner changed an input mid-analysis, so
    Streamlit restarted the page), waits for that one first: a session never has two jobs in the pool.
    ``fn`` runs in a worker thread, so it must not call Streamlit; to show progress, let it record its
    progress and pass ``poll``, which is called from the page's own thread a few times a second (e.g. to
    update an ``st.progress``). ``cancel`` is set when the page run is abandoned while the job is still
    going (the learner pressed a button, left, or closed the tab), so a job that checks it can stop early.
    ``time_limit`` (seconds, from the job's start): the page stops waiting, sets ``cancel`` and says so.
    """
    try:
        return _run(fn, args, kwargs, label=label, poll=poll, cancel=cancel, time_limit=time_limit)
    except LabBusy as err:  # the queue is full (or, rarely, SessionBusy from a race within this session)
        _busy(err)
    except JobTimedOut as err:
        _timed_out(str(err))


def pooled_cache(*, label: str = "Analysing…", max_entries: int | None = None,
                 time_limit: float | None = None) -> Callable:
    """Like ``@st.cache_data(max_entries=...)``, but a cache miss runs the function in the shared pool.

    The decorated function runs in a worker thread, so it must not call Streamlit (pass the Lab as an
    argument whose name starts with ``_``: Streamlit leaves such arguments out of the cache key).
    """
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @st.cache_data(show_spinner=False, max_entries=max_entries)
        @functools.wraps(fn)
        def cached(*args: Any, **kwargs: Any) -> Any:
            return _run(fn, args, kwargs, label=label, time_limit=time_limit)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return cached(*args, **kwargs)
            except LabBusy as err:  # raised, not cached: the "Try again" button must live outside the cache
                _busy(err)
            except JobTimedOut as err:  # not cached either: a later, quieter moment may finish it
                _timed_out(str(err))

        return wrapper
    return decorate


def _run(fn: Callable[..., Any], args: tuple, kwargs: dict, *, label: str,
         poll: Callable[[], None] | None = None, cancel: threading.Event | None = None,
         time_limit: float | None = None) -> Any:
    """run_job's body; raises LabBusy instead of stopping the page."""
    pool = get_pool()
    sid = session_id()
    status = st.empty()
    future = None
    try:
        if pool.busy(sid):
            status.info("Your previous analysis is still running; this one starts as soon as it finishes.",
                        icon=":material/hourglass_empty:")
            while pool.busy(sid):
                time.sleep(_POLL_S)
        future = pool.submit(sid, fn, *args, **kwargs)
        with st.spinner(label):
            shown = -1
            started = None
            while True:
                try:
                    return future.result(timeout=_POLL_S)
                except FutureTimeout:
                    if poll is not None:
                        poll()
                    if started is None and future.running():
                        started = time.monotonic()
                    if time_limit is not None and started is not None and time.monotonic() - started > time_limit:
                        raise JobTimedOut(f"This took longer than the lab allows ({time_limit:.0f} s), so it was "
                                          "stopped. The file may be unusually large or crafted; try another one.")
                    ahead = pool.position(future)
                    if ahead != shown:
                        shown = ahead
                        if ahead:
                            status.info(f"The lab is busy with other analyses: {ahead} ahead of yours. "
                                        "Yours starts automatically.", icon=":material/hourglass_empty:")
                        else:
                            status.empty()
    except BaseException:
        # Streamlit stops a run by raising from its next element update: tell the job nobody waits for it.
        if cancel is not None and future is not None and not future.done():
            cancel.set()
        raise
    finally:
        status.empty()


def _timed_out(message: str) -> None:
    st.error(message, icon=":material/timer:")
    st.stop()


def _busy(err: LabBusy) -> None:
    show_error(err)
    st.button("Try again", key="_lab_job_retry")
    st.stop()
