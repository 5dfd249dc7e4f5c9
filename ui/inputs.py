"""Picking a photo: built-in sample, upload or camera, decoded in memory with clear errors."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.engine.faces import SAMPLES, load_sample
from core.engine.media import IMAGE_EXTENSIONS, MediaError, load_image
from ui.errors import show_error
from ui.handover import take_preset


@st.cache_data(show_spinner=False, max_entries=4)
def _sample(name: str) -> np.ndarray:
    return load_sample(name)


def image_input(key: str, *, camera: bool = True, default_sample: str | None = None,
                label: str = "Choose a photo") -> tuple[np.ndarray, str] | None:
    """Show sample / upload / camera choices; return ``(rgb, name)`` or None (nothing chosen or unreadable).

    ``rgb`` is (H, W, 3) uint8. Unreadable files show the loader's message and return None, so the page
    stays usable. ``default_sample`` preselects a sample (used by lessons' "Try it" links).
    """
    sources = ["Built-in sample", "Upload a photo"] + (["Camera"] if camera else [])
    wanted = take_preset(key) or default_sample
    source = st.radio(label, sources, index=0, horizontal=True, key=f"{key}_source")
    if source == "Built-in sample":
        names = list(SAMPLES)
        choice = st.selectbox("Sample", names, index=names.index(wanted) if wanted in names else 0,
                              format_func=SAMPLES.get, key=f"{key}_sample")
        return _sample(choice), SAMPLES[choice]
    if source == "Upload a photo":
        file = st.file_uploader("Photo (JPEG, PNG, WebP, BMP, GIF, TIFF)", type=list(IMAGE_EXTENSIONS),
                                key=f"{key}_upload")
        data, name = (file.getvalue(), file.name) if file is not None else (None, None)
    else:
        st.caption("Your browser asks before it uses the camera. The picture stays in this session; nothing is saved.")
        shot = st.camera_input("Take a photo", key=f"{key}_camera")
        data, name = (shot.getvalue(), "camera shot") if shot is not None else (None, None)
    if data is None:
        return None
    try:
        return load_image(data), name
    except MediaError as err:
        show_error(err)
        return None
