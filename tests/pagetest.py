"""Helpers for AppTest-based page tests."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def run(at: AppTest, timeout: float = 240) -> AppTest:
    """Run the page (the first run builds the shared engine, hence the long timeout) and fail on an exception."""
    at.run(timeout=timeout)
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    """Every message, markdown and caption the page shows, as one string."""
    elements = [*at.success, *at.info, *at.warning, *at.error, *at.markdown, *at.caption]
    return "\n".join(str(e.value) for e in elements)
