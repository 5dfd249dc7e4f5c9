"""In a real browser: a teacher who signed in stays signed in across a reload (a browser-session cookie holding
a sign-in the database knows), the address never carries it, and locking the view ends it.

Needs Debian's Chromium and the Playwright Python package, like tests/test_browser_detect.py; skipped without.
"""

from __future__ import annotations

import shutil

import pytest

from browser_pages import running_app
from core.config import setting

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = setting("LAB_CHROMIUM") or "/usr/bin/chromium"
PASSCODE = "hedgehog-orbit-7"

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
if not shutil.which(CHROMIUM):
    pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    env = {"LAB_TEACHER_PASSCODE": PASSCODE, "LAB_DATABASE_URL": None}  # the data folder's own SQLite file
    with running_app(tmp_path_factory.mktemp("labdata"), env) as url:
        yield url


def test_the_teacher_stays_signed_in_across_a_reload(app_url):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 1400})
            page = context.new_page()
            page.set_default_timeout(240_000)  # the first visit builds and scores the quiz gallery
            page.goto(f"{app_url}/teacher")
            page.get_by_label("Teacher passcode").fill(PASSCODE)
            page.get_by_role("button", name="Open the teacher view").click()
            lock = page.get_by_role("button", name="Lock the teacher view")
            lock.wait_for()
            page.wait_for_function("document.cookie.includes('lab_teacher=')")
            cookie = next(c for c in context.cookies() if c["name"] == "lab_teacher")
            assert cookie["expires"] == -1 and cookie["sameSite"] == "Strict"  # a session cookie
            assert cookie["value"] not in page.url

            page.reload()
            lock.wait_for()  # signed in again without typing the passcode
            assert page.get_by_label("Teacher passcode").count() == 0

            lock.click()
            page.get_by_label("Teacher passcode").wait_for()
            page.wait_for_function("!document.cookie.includes('lab_teacher=')")
            page.reload()
            page.get_by_label("Teacher passcode").wait_for()  # locked stays locked
        finally:
            browser.close()
