"""Heavy objects, built once per server process and shared by every browser session."""

from __future__ import annotations

import streamlit as st

from core.engine.analysis import Lab, load_lab


@st.cache_resource(show_spinner="Loading the face detector and the lab's model (first use only)…")
def get_lab() -> Lab:
    """The shared engine (thread-safe; see core.engine.analysis.Lab)."""
    lab = load_lab()
    # Warm up once so the first student does not wait for lazy initialisation.
    import numpy as np

    lab.extractor.detect(np.zeros((64, 64, 3), np.uint8))
    return lab


def untrained_warning(lab: Lab) -> None:
    """Say plainly when no trained checkpoint is present, so nobody reads meaning into the scores."""
    if not lab.trained:
        st.warning(
            "No trained detector is installed (models/detector.safetensors is missing), so the lab is running an "
            "**untrained** network: its scores are random and mean nothing. Train one with `python -m core.training.train`.",
            icon=":material/warning:",
        )
