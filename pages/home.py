"""Home: what the lab is and where to start."""

import streamlit as st

st.title("🔬 Deepfake Lab")
st.markdown(
    "A hands-on lab about **how deepfakes are made, used, detected and regulated**. Short lessons sit beside "
    "live tools: drop in a photo, a video or a webcam shot, and the lab finds every face, estimates how likely "
    "each one is manipulated, and shows **where** its detector looked. Everything runs on this computer: "
    "nothing is uploaded to the internet and no photo is stored."
)

c1, c2, c3 = st.columns(3)
with c1, st.container(border=True):
    st.subheader("🎓 A class")
    st.markdown("Two 50-minute sessions: how fakes are made, how detectors work, where they fail, and a "
                "human-vs-machine quiz. Start with the classroom track.")
    st.page_link("pages/lessons.py", label="Open the lessons", icon="📚")
    st.page_link("pages/teacher.py", label="Start a class quiz (teacher)", icon="🧑‍🏫")
with c2, st.container(border=True):
    st.subheader("🏛️ A workshop")
    st.markdown("One hour for policymakers, no technical background needed: threats, opportunities, "
                "detection limits and base rates, provenance, regulation. Choose the workshop track.")
    st.page_link("pages/lessons.py", label="Open the lessons", icon="📚")
    st.page_link("pages/thresholds.py", label="Base-rate calculator", icon="📈")
with c3, st.container(border=True):
    st.subheader("⚡ A quick demo")
    st.markdown("Ten minutes: see what the face detector finds, then the detector's score and heatmap on the "
                "same face, then make a fake yourself.")
    st.page_link("pages/faces.py", label="Faces", icon="🙂")
    st.page_link("pages/detect_photo.py", label="Detect — photo", icon="🔎")
    st.page_link("pages/make_a_fake.py", label="Make a fake", icon="🧪")

st.divider()
st.markdown(
    "**What the scores mean.** The lab's detector was trained here, on real faces only, to spot the traces that "
    "blending one face into another leaves. It is a teaching instrument with measured strengths and blind spots "
    "(see *Privacy & model*), not a verdict on any person or video."
)
