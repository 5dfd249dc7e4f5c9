"""Privacy statement and the detector's model card."""

from pathlib import Path

import streamlit as st

from ui.resources import get_lab

st.title("🔒 Privacy & model")
st.header("Privacy")
st.markdown(
    "- **Processed:** the photos and videos you choose are decoded in this server's memory, analysed and "
    "discarded when you leave the page. They are never written to disk, never logged and never sent anywhere.\n"
    "- **Stored:** nothing, except quiz answers in class sessions (a nickname, the answers and the time), kept in "
    "the lab's data folder (`LAB_DATA_DIR`, default `data/`). A teacher can delete a session from the teacher "
    "view; deleting the data folder removes everything.\n"
    "- **No internet:** the lab loads no scripts, fonts or models from the internet."
)
st.header("The detector")
lab = get_lab()
meta = lab.detector.meta
if not lab.trained:
    st.warning("No trained detector is installed: scores are from an untrained network and mean nothing.")
card = Path(__file__).resolve().parent.parent / "models" / "MODEL_CARD.md"
if card.exists():
    st.markdown(card.read_text(encoding="utf-8"))
else:
    st.info("The model card (models/MODEL_CARD.md) is not present.")
