"""Every page of the registry in headless Chromium, on one freshly started app:

- **phones:** at 390×844 no page scrolls sideways and nothing sticks out past the screen's edge; a screenshot
  of every page is saved (under pytest's tmp dir, or PHONE_SCREENSHOTS=/some/dir to keep them);
- **accessibility:** axe-core (tests/a11y, pinned, installed by ``make test`` with ``npm ci``) finds no
  serious or critical violation on any page; everything it finds is printed;
- **projector mode:** the sidebar toggle enlarges the type, hides the sidebar, keeps the pages reachable from
  a top menu, and its button turns it off again;
- **keyboard only:** Detect — photo, from the sidebar to another built-in sample's score and heatmap, with
  Tab, Enter and the arrow keys.

Needs Debian's Chromium and the Playwright package (skipped without them, like the other browser tests); the
axe test fails, saying how to fix it, when axe-core cannot be installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from browser_pages import CHROMIUM_ARGS, IDLE, PHONE, open_page, overflow, screenshot_full, wait_usable
from test_browser_detect import CHROMIUM, app_url, sync_api  # noqa: F401 - app_url: the app on a free port
from ui.pages import PAGES, PHOTO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
A11Y = ROOT / "tests" / "a11y"
AXE = A11Y / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_every_page_fits_a_phone(app_url, browser, tmp_path):
    shots = Path(os.environ.get("PHONE_SCREENSHOTS") or tmp_path / "phone")
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems = []
    try:
        for path in PAGES:
            open_page(page, app_url, path)
            found = overflow(page)
            screenshot_full(page, shots / f"{Path(path).stem}.png")
            if found["scrollWidth"] > found["innerWidth"] or found["overflowing"]:
                problems.append(f"{path}: scrollWidth {found['scrollWidth']} > {found['innerWidth']}; "
                                f"{found['overflowing']}")
    finally:
        context.close()
    print(f"phone screenshots: {shots}")
    assert not problems, "pages wider than a phone:\n" + "\n".join(problems)


def axe_script() -> Path:
    """axe.min.js, installed from the lock file with npm ci when missing; a clear failure when it cannot be."""
    if not AXE.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("axe-core is not installed and npm is missing: apt-get install -y nodejs npm, then "
                        "`make test` (or npm ci --prefix tests/a11y)")
        run = subprocess.run([npm, "ci", "--prefix", str(A11Y), "--prefer-offline", "--no-audit", "--no-fund"],
                             capture_output=True, text=True, timeout=300)
        if run.returncode != 0 or not AXE.exists():
            pytest.fail(f"npm ci --prefix tests/a11y could not install axe-core:\n{run.stderr[-2000:]}")
    return AXE


# Moderate rules kept at zero too: headings that skip a level and tables with a nameless column confuse a screen
# reader's outline of the page.
ORDER_RULES = {"heading-order", "empty-table-header", "page-has-heading-one"}


NAV_FIXED_JS = """() => { const ul = document.querySelector('[data-testid=stSidebarNavItems]');
                         return !ul || ul.getAttribute('role') === 'none'; }"""


def test_axe_finds_no_serious_critical_or_out_of_order_violations(app_url, browser):
    script = axe_script()
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    serious, report = [], {}
    try:
        for path in PAGES:
            open_page(page, app_url, path)
            # The sidebar's list roles are fixed by a script (ui/presentation.py) that runs when Streamlit has drawn
            # the sidebar, which on a loaded machine can be a moment after the page is usable. Give it that moment;
            # if it never comes, axe below reports the bare markup.
            try:
                page.wait_for_function(NAV_FIXED_JS, timeout=20_000)
            except sync_api.TimeoutError:
                pass
            page.add_script_tag(path=str(script))
            found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
                .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => n.html.slice(0, 160))}))""")
            report[path] = [f"[{v['impact']}] {v['id']} ×{len(v['nodes'])}: {v['help']}" for v in found]
            serious += [f"{path}: [{v['impact']}] {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"][:5])
                        for v in found if v["impact"] in ("serious", "critical") or v["id"] in ORDER_RULES]
    finally:
        context.close()
    print("axe-core found:\n" + json.dumps(report, indent=1, ensure_ascii=False))
    assert not serious, "serious, critical or heading/table-order accessibility violations:\n" + "\n".join(serious)


def test_projector_mode_large_type_no_sidebar_and_a_way_back(app_url, browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    font = "() => getComputedStyle(document.documentElement).fontSize"
    try:
        open_page(page, app_url, "pages/home.py")
        assert page.evaluate(font) == "16px"
        page.locator("[data-testid=stSidebar]").get_by_text("Projector mode").click()
        leave = page.get_by_role("button", name="Leave projector mode")
        leave.wait_for()
        page.locator(IDLE).wait_for()
        assert page.evaluate(font) == "24px"
        assert not page.locator("[data-testid=stSidebar]").is_visible()
        # The pages stay reachable from the top menu, and the setting lasts across pages.
        page.locator("header").get_by_text("Class", exact=True).click()
        page.get_by_role("menuitem", name="Spot the fake").click()
        wait_usable(page, "Spot the fake")
        assert page.evaluate(font) == "24px" and leave.is_visible()
        leave.click()
        page.locator("[data-testid=stSidebar]").wait_for(state="visible")
        page.locator(IDLE).wait_for()
        assert page.evaluate(font) == "16px" and not leave.count()
    finally:
        context.close()


def _tab_to(page, want: str, limit: int = 60) -> None:
    """Press Tab until the focused element's label (aria-label, or its own short text) contains ``want``."""
    # Short text only: the focusable main area's text is the whole page.
    describe = """() => { const e = document.activeElement, text = (e.innerText || '').trim();
        return [e.getAttribute('aria-label'), text.length <= 80 ? text : e.tagName].filter(Boolean).join(' | '); }"""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(describe))
        if want in seen[-1]:
            return
    pytest.fail(f"{want!r} not reachable with Tab; focus went through: {seen}")


def test_keyboard_only_from_the_menu_to_a_score_and_heatmap(app_url, browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    heatmap = "img[alt^='Grad-CAM heatmap']"
    try:
        open_page(page, app_url, "pages/home.py")
        _tab_to(page, PAGES[PHOTO].title)  # the sidebar link
        page.keyboard.press("Enter")
        wait_usable(page, PAGES[PHOTO].title)
        first = page.locator("[data-testid=stImageCaption]").first.inner_text()
        # Another built-in sample: focus the list, open it, move down one, choose.
        _tab_to(page, "Sample")
        page.keyboard.press("ArrowDown")
        page.get_by_role("option").first.wait_for()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        page.wait_for_function(f"document.querySelector('[data-testid=stImageCaption]').innerText !== {first!r}")
        page.locator(IDLE).wait_for()
        page.get_by_text("Found ").first.wait_for()
        page.wait_for_function(f"[...document.querySelectorAll(\"{heatmap}\")]"
                               ".some(e => e.complete && e.naturalWidth > 0)")
        assert page.locator(".js-plotly-plot").count() >= 1  # the score gauge
        # The heatmap's opacity by arrow key, then the "how far to trust" notes opened with Enter.
        _tab_to(page, "Heatmap opacity")
        value = "(document.activeElement.value || document.activeElement.getAttribute('aria-valuenow'))"
        before = page.evaluate(value)
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"{value} !== {before!r}")
        page.locator(IDLE).wait_for()
        _tab_to(page, "How far to trust this verdict")
        page.keyboard.press("Enter")
        page.locator("[data-testid=stExpander] details[open]").first.wait_for()
    finally:
        context.close()
