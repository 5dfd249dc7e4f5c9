"""Picking a photo: built-in sample, upload or camera, decoded in memory with clear errors."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.config import Limits
from core.engine.faces import SAMPLES, load_sample
from core.engine.media import IMAGE_EXTENSIONS, MediaError, load_image
from ui.errors import show_error
from ui.handover import take_preset

NO_FACE = ("No face found in this photo. Try one where a face is clearly visible, facing the camera, upright (not "
           "sideways or upside down: *Detect — photo* turns such photos for you) and at least about 40 pixels tall.")


@st.cache_data(show_spinner=False, max_entries=4)
def _sample(name: str) -> np.ndarray:
    return load_sample(name)


def _decode_once(key: str, file_id: str, data: bytes, max_side: int) -> np.ndarray:
    """The upload decoded at most once per browser session (not on every rerun), at a working size.

    Only the latest upload of each input is kept (``{key}_decoded``), so a session holds one decoded photo
    per input, not one per file it ever saw; a refused file is remembered too, so it is not decoded again.
    """
    slot = f"{key}_decoded"
    kept = st.session_state.get(slot)
    if kept is None or kept[0] != (file_id, max_side):
        st.session_state.pop(slot, None)  # drop the previous photo before decoding the next one
        try:
            kept = ((file_id, max_side), load_image(data, max_side=max_side), None)
        except MediaError as err:
            kept = ((file_id, max_side), None, str(err))
        st.session_state[slot] = kept
    if kept[2] is not None:
        raise MediaError(kept[2])
    return kept[1]


def image_input(key: str, *, camera: bool = True, default_sample: str | None = None,
                label: str = "Choose a photo", max_side: int | None = None) -> tuple[np.ndarray, str] | None:
    """Show sample / upload / camera choices; return ``(rgb, name)`` or None (nothing chosen or unreadable).

    ``rgb`` is (H, W, 3) uint8, its longer side at most ``max_side`` (default ``LAB_WORK_SIDE``): large
    photos are reduced while decoding, once per upload. Unreadable files show the loader's message and
    return None, so the page stays usable. ``default_sample`` preselects a sample (used by lessons' "Try
    it" links).
    """
    max_side = int(max_side or Limits.from_env().work_side)
    sources = ["Built-in sample", "Upload a photo"] + (["Camera"] if camera else [])
    # A keyed widget ignores a changed ``index`` (the browser may show the new default while the server keeps
    # the old value), so the choice is written to the widget's state before it is drawn, never passed as index.
    names = list(SAMPLES)
    preset = take_preset(key)
    if preset in SAMPLES:
        st.session_state[f"{key}_source"] = "Built-in sample"
        st.session_state[f"{key}_sample"] = preset
    st.session_state.setdefault(f"{key}_sample", default_sample if default_sample in SAMPLES else names[0])
    source = st.radio(label, sources, horizontal=True, key=f"{key}_source")
    st.session_state[f"{key}_failed"] = False  # set again below when this call is given a file it cannot read
    if source == "Built-in sample":
        choice = st.selectbox("Sample", names, format_func=SAMPLES.get, key=f"{key}_sample")
        return _sample(choice), SAMPLES[choice]
    if source == "Upload a photo":
        file = st.file_uploader("Photo (JPEG, PNG, WebP, BMP, GIF, TIFF)", type=list(IMAGE_EXTENSIONS),
                                key=f"{key}_upload")
        data, name = (file.getvalue(), file.name) if file is not None else (None, None)
        file_id = getattr(file, "file_id", None) or (f"{file.name}:{file.size}" if file is not None else None)
    else:
        st.caption("Your browser asks before it uses the camera. The picture stays in this session; nothing is saved.")
        shot = st.camera_input("Take a photo", key=f"{key}_camera")
        data, name = (shot.getvalue(), "camera shot") if shot is not None else (None, None)
        file_id = getattr(shot, "file_id", None) or (f"camera:{shot.size}" if shot is not None else None)
    if data is None:
        return None
    try:
        return _decode_once(key, f"{file_id}:{name}:{len(data)}", data, max_side), name
    except MediaError as err:
        show_error(err)
        st.session_state[f"{key}_failed"] = True
        return None


def input_failed(key: str) -> bool:
    """True when the latest :func:`image_input` call with this key was given a file it could not read (and has
    shown why): pages then show nothing older beneath the error."""
    return bool(st.session_state.get(f"{key}_failed"))
