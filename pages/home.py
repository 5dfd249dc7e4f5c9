"""Home: what the lab is and where to start."""

import streamlit as st

from ui.pages import link

st.title(":material/science: Deepfake Lab")
st.markdown(
    "A hands-on lab about **how deepfakes are made, used, detected and regulated**. Short lessons sit beside "
    "live tools: drop in a photo, a video or a webcam shot, and the lab finds every face, gives each a **fake "
    "score** (0–100: how strongly its detector sees the traces of a blended-in face, not the chance that it is "
    "fake), and shows **where** the detector looked. Everything runs on this computer: "
    "nothing is uploaded to the internet and no photo is stored."
)

c1, c2, c3 = st.columns(3)
with c1, st.container(border=True):
    st.header(":material/school: A class")
    st.markdown("Two 50-minute sessions: how fakes are made, how detectors work, where they fail, and a "
                "human-vs-machine quiz. Start with the classroom track.")
    link("pages/lessons.py", "Open the lessons")
    link("pages/teacher.py", "Start a class quiz (teacher)")
with c2, st.container(border=True):
    st.header(":material/account_balance: A workshop")
    st.markdown("One hour for policymakers, no technical background needed: threats, opportunities, "
                "detection limits and base rates, provenance, regulation. Choose the workshop track.")
    link("pages/lessons.py", "Open the lessons")
    link("pages/thresholds.py", "Base-rate calculator")
with c3, st.container(border=True):
    st.header(":material/bolt: A quick demo")
    st.markdown("Ten minutes: see what the face detector finds, then the detector's score and heatmap on the "
                "same face, then make a fake yourself.")
    link("pages/faces.py", "Faces")
    link("pages/detect_photo.py", "Detect — photo")
    link("pages/make_a_fake.py", "Make a fake")

st.divider()
st.markdown(
    "**What the scores mean.** The lab's detector was trained here, on real faces only, to spot the traces that "
    "blending one face into another leaves. It is a teaching instrument with measured strengths and blind spots "
    "(see *Privacy & model*), not a verdict on any person or video."
)
