"""Deepfake Lab — Streamlit entry point. Run with `make run` (or `streamlit run app.py`)."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Deepfake Lab", page_icon="🔬", layout="wide")

# One registry of pages, grouped as the sidebar shows them: (file, title, icon).
SECTIONS: dict[str, list[tuple[str, str, str]]] = {
    "Start": [
        ("pages/home.py", "Home", "🏠"),
    ],
    "Learn": [
        ("pages/lessons.py", "Lessons", "📚"),
    ],
    "Detect": [
        ("pages/faces.py", "Faces", "🙂"),
        ("pages/detect_photo.py", "Detect — photo", "🔎"),
        ("pages/detect_video.py", "Detect — video", "🎞️"),
        ("pages/live.py", "Live webcam", "🎥"),
    ],
    "Explore": [
        ("pages/explain.py", "Explain", "🧠"),
        ("pages/make_a_fake.py", "Make a fake", "🧪"),
        ("pages/robustness.py", "Robustness", "🌫️"),
        ("pages/adversarial.py", "Adversarial noise", "🎯"),
        ("pages/thresholds.py", "Thresholds & base rates", "📈"),
        ("pages/spectrum.py", "Spectrum lab", "🌈"),
        ("pages/provenance.py", "Provenance", "🔏"),
    ],
    "Class": [
        ("pages/quiz.py", "Spot the fake", "🕵️"),
        ("pages/teacher.py", "Teacher", "🧑‍🏫"),
    ],
    "About": [
        ("pages/about.py", "Privacy & model", "🔒"),
    ],
}


def build_navigation():
    nav = {}
    for section, entries in SECTIONS.items():
        if entries:
            nav[section] = [st.Page(path, title=title, icon=icon, default=(path == "pages/home.py"))
                            for path, title, icon in entries]
    return st.navigation(nav)


build_navigation().run()
