"""End to end in a real browser: start the app, upload a photo on Detect — photo, see the score and the heatmap.

Needs Debian's Chromium (/usr/bin/chromium, `apt-get install -y chromium`) and the Playwright Python package
(`pip install playwright`; its own browser download is not used). Skipped only when those are missing.
"""

from __future__ import annotations

import re
import shutil

import pytest

from browser_pages import running_app
from core.config import setting
from core.engine.faces import load_sample
from core.engine.media import encode_jpeg

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = setting("LAB_CHROMIUM") or "/usr/bin/chromium"

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
if not shutil.which(CHROMIUM):
    pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("labdata")) as url:
        yield url


def test_first_visitor_by_direct_link_gets_the_labs_navigation(app_url):
    """Runs first on a fresh server: a direct link (a QR code to a page) must not leave the visitor in
    Streamlit's old pages-folder mode (raw file names in the sidebar, no page config)."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.set_default_timeout(240_000)
            page.goto(f"{app_url}/thresholds")
            nav = page.get_by_test_id("stSidebarNav")
            nav.get_by_text("Detect — photo").wait_for()  # the registry's titles, grouped
            assert nav.get_by_text("detect photo", exact=True).count() == 0
            page.get_by_text("Thresholds & base rates").first.wait_for()
            assert page.title() == "Deepfake Lab"
        finally:
            browser.close()


def test_upload_photo_shows_score_and_heatmap(app_url, tmp_path):
    photo = encode_jpeg(load_sample("grace_hopper"))
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            page.set_default_timeout(240_000)  # the first visit loads the models
            # Arrive the way a learner does: the home page, then the sidebar's navigation.
            page.goto(app_url)
            page.locator("[data-testid=stSidebarNav]").get_by_text("Detect — photo").click()
            page.get_by_role("heading", name="Detect — photo").wait_for()
            page.get_by_text("Upload a photo", exact=True).click()
            page.locator("input[type=file]").set_input_files(
                files=[{"name": "grace.jpg", "mimeType": "image/jpeg", "buffer": photo}])
            page.get_by_text("Found 1 face").wait_for()
            # The score: the plotly gauge rendered the fake score (0–100) under its title.
            gauge = page.locator(".js-plotly-plot").first
            gauge.wait_for()
            text = gauge.inner_text()
            assert "fake score" in text and re.search(r"^\d{1,3}$", text, re.M)
            # The heatmap: its caption, and the image above it decoded with real pixels.
            page.get_by_text("Grad-CAM: where it looked").wait_for()
            page.get_by_text("How to read the heatmap").wait_for()
            page.get_by_text("Grad-CAM: where it looked").scroll_into_view_if_needed()  # images load lazily
            images = "[data-testid=stImage] img, [data-testid=stFullScreenFrame] img"
            # photo, crop and heatmap, each decoded with real pixels
            page.wait_for_function(f"document.querySelectorAll('{images}').length >= 3 && "
                                   f"[...document.querySelectorAll('{images}')]"
                                   ".filter(e => e.complete && e.naturalWidth > 0).length >= 3")
            assert page.get_by_text("grace.jpg").count() >= 1
            page.screenshot(path=str(tmp_path / "detect_photo.png"), full_page=True)
        finally:
            browser.close()
