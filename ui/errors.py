"""Showing the lab's learner-facing errors (:class:`core.errors.LabError`) the same way on every page."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from core.errors import LabError


def show_error(err: Exception, *, before: str = "") -> None:
    """The error's own message (written for a student) in a red box (yellow for "try again in a moment"),
    after an optional sentence of context."""
    text = str(err) or "Something went wrong."
    # getattr: errors of modules not yet moved under LabError (store, provenance) have no icon/level of their own
    show = st.warning if getattr(err, "level", "error") == "warning" else st.error
    show(f"{before} {text}".strip(), icon=getattr(err, "icon", ":material/block:"))


@contextmanager
def lab_errors(*, before: str = "", stop: bool = True) -> Iterator[None]:
    """``with lab_errors():`` around a call into core: a :class:`LabError` is shown with :func:`show_error`
    and, unless ``stop=False``, the page stops there. Other exceptions are bugs and pass through."""
    try:
        yield
    except LabError as err:
        show_error(err, before=before)
        if stop:
            st.stop()
