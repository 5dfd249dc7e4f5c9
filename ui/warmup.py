"""Warming the lab's shared heavy objects once per server process, in the background, so the first visitor to
Faces, a Detect page or the quiz does not wait for them.

Streamlit runs no app code before the first browser connects, so app.py starts the warm-up on the server's
first script run; that page (usually Home, which needs no model) shows at once while the models load. A page
that asks for an object still being built waits for that same build (``st.cache_resource`` builds each value
once, whoever asks first), never for a second one. ``LAB_WARMUP=0`` switches it off (the test suite does).
"""

from __future__ import annotations

import logging
import threading
import time

import streamlit as st
from streamlit.logger import get_logger

from core.config import setting

log = get_logger(__name__)
THREAD = "lab-warmup"


class _NotFromWarmup(logging.Filter):
    """Drops Streamlit's "missing ScriptRunContext" warnings from the warm-up thread: its spinners have no page
    to show on, by design."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != THREAD


def warm() -> float:
    """Build what the first visitors would otherwise wait for; returns the seconds it took. Failures are
    logged, never raised: a page then builds what it needs on first use, as without a warm-up."""
    from ui.classroom import get_gallery
    from ui.resources import get_lab

    t0 = time.perf_counter()
    try:
        lab = get_lab()  # the detector and MTCNN, with their first (lazy-initialising) detection
        get_gallery(lab)  # the quiz pictures, made and scored on a data folder's first start: the slowest
    except Exception:  # noqa: BLE001 - a warm-up must never take the server down
        log.exception("Warm-up failed; pages will build what they need on first use")
    seconds = time.perf_counter() - t0
    log.info("Shared models and quiz pictures warm after %.1f s", seconds)
    return seconds


@st.cache_resource(show_spinner=False)
def _started() -> threading.Thread:
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_NotFromWarmup())
    thread = threading.Thread(target=warm, name=THREAD, daemon=True)
    thread.start()
    return thread


def start_warmup() -> None:
    """Start :func:`warm` in a background thread, once per server process (unless ``LAB_WARMUP=0``)."""
    if setting("LAB_WARMUP") != "0":
        _started()
