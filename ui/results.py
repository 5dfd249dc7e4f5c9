"""One per-session result cache for pages whose analysis is this learner's own (an upload, a camera shot):
results are kept in ``st.session_state`` (this browser tab only, never on disk), keyed by what they were
computed from, computed through the shared job pool (:func:`ui.jobs.run_job`), the oldest dropped first.

Results every session can share (the built-in samples) use :func:`ui.jobs.pooled_cache` instead.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any, Callable, Hashable

import numpy as np
import streamlit as st

from ui.jobs import run_job


def digest(data: bytes | np.ndarray, *extra: object) -> str:
    """A short fingerprint of an upload or an array (with its shape), plus any settings it was analysed with."""
    if isinstance(data, np.ndarray):
        raw, shape = np.ascontiguousarray(data).data, str(data.shape)
    else:
        raw, shape = data, ""
    return hashlib.blake2b(raw, digest_size=16).hexdigest() + shape + "".join(f"/{e}" for e in extra)


class SessionResults:
    """A page's recent results in this browser session, at most ``max_entries`` of them.

    ``name`` is the session-state key they live under (an ordered dict, newest last), so they survive
    visits to other pages.
    """

    def __init__(self, name: str, max_entries: int = 4):
        self.name, self.max_entries = name, max_entries

    def _entries(self) -> OrderedDict:
        entries = st.session_state.get(self.name)
        if not isinstance(entries, OrderedDict):
            entries = st.session_state[self.name] = OrderedDict()
        return entries

    def get(self, key: Hashable) -> Any | None:
        """The result for ``key``, or None when this session has not computed it (or has dropped it)."""
        entries = self._entries()
        if key not in entries:
            return None
        entries.move_to_end(key)
        return entries[key]

    def last(self) -> Any | None:
        """The newest result, or None."""
        entries = self._entries()
        return entries[next(reversed(entries))] if entries else None

    def compute(self, key: Hashable, fn: Callable[..., Any], *args: Any, label: str = "Analysing…",
                **kwargs: Any) -> Any:
        """The result for ``key``: kept, or ``fn(*args, **kwargs)`` run in the shared job pool and kept.
        ``kwargs`` go to :func:`ui.jobs.run_job` (``poll``, ``cancel``) and on to ``fn``."""
        entries = self._entries()
        if key in entries:
            entries.move_to_end(key)
            return entries[key]
        value = run_job(fn, *args, label=label, **kwargs)
        entries[key] = value
        while len(entries) > self.max_entries:
            entries.popitem(last=False)
        return value
