"""Deepfake Lab — Streamlit entry point. Run with `make run` (or `streamlit run app.py`)."""

from __future__ import annotations

import streamlit as st

from ui.pages import HOME, SECTIONS
from ui.presentation import apply as apply_presentation
from ui.warmup import start_warmup

st.set_page_config(page_title="Deepfake Lab", page_icon=":material/science:", layout="wide")
start_warmup()  # once per server: the models load in the background while the first page shows


def build_navigation(top: bool = False):
    """The sidebar from the one page registry (ui/pages.py); a menu bar at the top instead when ``top`` (projector
    mode hides the sidebar)."""
    nav = {section: [st.Page(p.path, title=p.title, icon=p.icon, default=(p.path == HOME)) for p in pages]
           for section, pages in SECTIONS.items() if pages}
    return st.navigation(nav, position="top" if top else "sidebar")


build_navigation(top=apply_presentation()).run()
