"""The lab's one page registry: the sidebar (``app.py``), the home page's links, the lessons' "Try it" buttons
and lesson validation all read it. Plain data, so it loads without starting Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Page:
    """One page: its file (relative to the repository), title and icon as the sidebar shows them, and the key
    its image input uses (a lesson's "Try it" hands a sample over as ``<input_key>_preset``)."""

    path: str
    title: str
    icon: str
    input_key: str = ""

    @property
    def preset_key(self) -> str:
        return self.input_key or Path(self.path).stem


# Grouped as the sidebar shows them.
SECTIONS: dict[str, tuple[Page, ...]] = {
    "Start": (Page("pages/home.py", "Home", ":material/home:"),),
    "Learn": (Page("pages/lessons.py", "Lessons", ":material/menu_book:"),),
    "Detect": (
        Page("pages/faces.py", "Faces", ":material/face:"),
        Page("pages/detect_photo.py", "Detect — photo", ":material/image_search:"),
        Page("pages/detect_video.py", "Detect — video", ":material/movie:"),
        Page("pages/live.py", "Live webcam", ":material/videocam:"),
    ),
    "Explore": (
        Page("pages/explain.py", "Explain", ":material/psychology:"),
        Page("pages/make_a_fake.py", "Make a fake", ":material/theater_comedy:", input_key="fake"),
        Page("pages/robustness.py", "Robustness", ":material/blur_on:", input_key="robust"),
        Page("pages/adversarial.py", "Adversarial noise", ":material/target:", input_key="adv"),
        Page("pages/thresholds.py", "Thresholds & base rates", ":material/show_chart:"),
        Page("pages/spectrum.py", "Spectrum lab", ":material/graphic_eq:"),
        Page("pages/provenance.py", "Provenance", ":material/verified:"),
    ),
    "Class": (
        Page("pages/quiz.py", "Spot the fake", ":material/quiz:"),
        Page("pages/teacher.py", "Teacher", ":material/co_present:"),
    ),
    "About": (Page("pages/about.py", "Privacy & model", ":material/lock:"),),
}
PAGES: dict[str, Page] = {p.path: p for pages in SECTIONS.values() for p in pages}
HOME = "pages/home.py"
PHOTO = "pages/detect_photo.py"
EXPLAIN = "pages/explain.py"


def registered_pages() -> set[str]:
    """The page files the lab runs."""
    return set(PAGES)


def page_titles() -> dict[str, str]:
    """Page file → title, the list lesson validation checks a lesson's labs against."""
    return {p.path: p.title for p in PAGES.values()}


def preset_key(path: str) -> str:
    """The session-state prefix a page's image input reads a handed-over sample from."""
    page = PAGES.get(path)
    return page.preset_key if page else Path(path).stem


def link(path: str, label: str | None = None) -> None:
    """A sidebar-style link to a registered page (its icon and, unless given, its title)."""
    import streamlit as st

    page = PAGES[path]
    st.page_link(page.path, label=label or page.title, icon=page.icon)
