"""Every registered page runs inside the app without an exception (AppTest, headless)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.config import ROOT
from ui.pages import registered_pages

PAGES = sorted(registered_pages())


def test_every_planned_page_file_is_registered():
    assert "pages/home.py" in PAGES and "pages/faces.py" in PAGES and len(PAGES) >= 10


def test_home_page_starts():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert any("Deepfake Lab" in t.value for t in at.title)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page(page).run()
    assert not at.exception, f"{page}: {[e.value for e in at.exception]}"
    assert len(at.main.children) > 0
