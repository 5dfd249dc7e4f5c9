"""Typed hand-overs between pages. A page ``send_*``s something into this browser session and switches page;
the receiving page ``take_*``s it (or ``peek_*``s when it must survive reruns). Each hand-over has one
session-state key, named only here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

_LAST_FACE = "detect_last_face"  # Detect — photo → Explain
_FROZEN = "detect_photo_frozen"  # Live → Detect — photo


@dataclass(frozen=True)
class LastFace:
    """The face last looked at on Detect — photo. crop: (S, S, 3) uint8 detector crop; fake_prob: its score."""

    crop: np.ndarray
    name: str
    fake_prob: float


def send_last_face(crop: np.ndarray, name: str, fake_prob: float) -> None:
    st.session_state[_LAST_FACE] = LastFace(crop=crop, name=name, fake_prob=float(fake_prob))


def peek_last_face() -> LastFace | None:
    """The face Detect — photo showed last, kept for the session (Explain offers it every time)."""
    face = st.session_state.get(_LAST_FACE)
    return face if isinstance(face, LastFace) else None


def send_frozen_frame(rgb: np.ndarray) -> None:
    """Hand a camera frame ((H, W, 3) uint8 RGB) to Detect — photo."""
    st.session_state[_FROZEN] = rgb


def peek_frozen_frame() -> np.ndarray | None:
    """The frame handed over from Live, as (H, W, 3) uint8, until :func:`drop_frozen_frame`."""
    frame = st.session_state.get(_FROZEN)
    if isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] >= 3:
        return np.ascontiguousarray(frame[..., :3]).astype(np.uint8)
    return None


def drop_frozen_frame() -> None:
    st.session_state.pop(_FROZEN, None)


def send_preset(input_key: str, sample: str) -> None:
    """Open a page's image input on a built-in sample (a lesson's "Try it")."""
    st.session_state[f"{input_key}_preset"] = sample


def take_preset(input_key: str) -> str | None:
    """The sample handed to this image input, once (None when there is none)."""
    sample = st.session_state.pop(f"{input_key}_preset", None)
    return sample if isinstance(sample, str) else None
