"""The lab's stylesheet and projector mode (ui/presentation.py), headless with AppTest. Switching projector
mode on and off is tested in a real browser (tests/test_browser_pages.py): AppTest drops the entry point's
own elements when a sidebar widget of an st.navigation app changes, so it cannot follow the toggle."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.config import ROOT
from ui.presentation import PROJECTOR, PROJECTOR_CSS


def test_stylesheet_on_every_page_and_projector_mode_off_by_default():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    styles = "\n".join(str(h.proto.body) for h in at.get("html"))
    assert "stCaptionContainer" in styles and PROJECTOR_CSS not in styles
    assert at.sidebar.toggle(key=PROJECTOR).value is False
    assert not [b for b in at.button if b.key == "presentation_leave"]
