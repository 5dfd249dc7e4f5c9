"""Privacy statement and the detector's model card."""

from pathlib import Path

import streamlit as st

from core.classroom.lessons import shift_headings
from ui.resources import get_lab

st.title(":material/lock: Privacy & model")
st.info(
    "**In plain words.** The lab looks at the faces in the photos and videos you choose, here on this computer, "
    "and forgets them when you close the tab; it keeps only quiz answers from class sessions. Its detector gives "
    "each face a **fake score** from 0 to 100. That score is a clue, not a verdict and not a probability: the "
    "detector learned from one kind of fake, and it can be wrong about real faces and about fakes made in other "
    "ways. Lesson 5 on the *Lessons* page shows its measured report card, and the glossary there explains the "
    "terms used below (AUC, false alarm, calibrated).",
    icon=":material/chat:",
)
st.header("Privacy")
st.markdown(
    "- **Processed:** the photos and videos you choose are decoded and analysed in this server's memory. Your "
    "results stay in your browser session's memory until you close the tab, and some Explore labs keep recent "
    "results in a small in-memory cache until newer work pushes them out or the server restarts. Nothing you "
    "upload is written to disk, logged or sent anywhere.\n"
    "- **Stored on disk** (in the lab's data folder, `LAB_DATA_DIR`, default `data/`): quiz answers in class "
    "sessions (a nickname, each answer, how sure you were and the time) in `lab.db`, or in the database the "
    "teacher set with `LAB_DATABASE_URL`; and, while a teacher is signed in, a fingerprint (hash) of their "
    "sign-in with the device's network address, for at most 12 hours. Beside them only files the lab makes "
    "itself, never from uploads: the detector's scores for quiz items (`gallery/`; the built-in quiz pictures, "
    "made from public-domain official portraits of adults whose names the lab never shows, are kept in memory "
    "only and never written to disk), and the "
    "Provenance lab's demo signing certificate (`demo_identity/`).\n"
    "- **Deleting:** a teacher deletes a class session and all its answers in the teacher view; deleting the "
    "data folder removes everything the lab ever stored (it remakes its own files when needed).\n"
    "- **No internet:** the lab loads no scripts, fonts or models from the internet."
)
lab = get_lab()
meta = lab.detector.meta
if not lab.trained:
    st.warning("No trained detector is installed: scores are from an untrained network and mean nothing.")
card = Path(__file__).resolve().parent.parent / "models" / "MODEL_CARD.md"
if card.exists():
    st.markdown(shift_headings(card.read_text(encoding="utf-8"), 1))  # its title under this page's
else:
    st.info("The model card (models/MODEL_CARD.md) is not present.")
