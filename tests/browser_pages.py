"""Helpers for driving every page of the registry in headless Chromium (Playwright's sync API): where a page
lives, waiting until it is usable, and what overflows a phone's width. Used by tests/test_browser_pages.py and
bench/browsers.py --cold-start. Plain functions, no pytest: import them anywhere.
"""

from __future__ import annotations

from pathlib import Path

from ui.pages import HOME, PAGES

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}  # an iPhone 12–15 in CSS pixels

# Where a page's first run is finished: Streamlit marks the app root with the script's state.
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"


def page_url(base: str, path: str) -> str:
    """The address st.navigation gives a page file (the file's stem; the default page is the root)."""
    return base.rstrip("/") + ("/" if path == HOME else "/" + Path(path).stem)


def wait_usable(page, title: str, timeout_ms: float = 240_000) -> None:
    """Until the page's title heading (an h1 containing ``title``) is shown and its script has finished its run
    (models loaded, the built-in sample analysed), with no spinner left."""
    heading = page.locator("[data-testid=stMain] h1").filter(has_text=title).first
    crash = page.locator("[data-testid=stException]").first
    heading.or_(crash).wait_for(timeout=timeout_ms)
    page.locator(IDLE).wait_for(timeout=timeout_ms)
    if crash.count():  # fail at once, saying why, rather than time out waiting for a page that crashed
        raise AssertionError(f"{page.url} shows an exception: {crash.inner_text()[:500]}")
    page.locator("[data-testid=stSpinner]").first.wait_for(state="detached", timeout=timeout_ms)


def open_page(page, base: str, path: str, timeout_ms: float = 240_000) -> None:
    """Go to a registered page and wait until it is usable."""
    page.goto(page_url(base, path))
    wait_usable(page, "Deepfake Lab" if path == HOME else PAGES[path].title, timeout_ms)


# Streamlit scrolls the page inside [data-testid=stMain], not the document, so both are measured. Elements
# reaching past the window's right edge count unless a box with clipped or scrolling overflow that fits the
# window cuts them off (a table scrolling inside its own frame is fine on a phone; the page scrolling sideways
# is not).
OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const main = document.querySelector('[data-testid=stMain]');
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== main; p = p.parentElement)
      if (getComputedStyle(p).overflowX !== 'visible' && p.getBoundingClientRect().right <= width + 1) return true;
    return false;
  };
  const name = (el) => {
    const id = el.closest('[data-testid]');
    return `${el.tagName.toLowerCase()} in ${id ? id.dataset.testid : '?'}`;
  };
  const out = [];
  for (const el of main.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= width + 1 || clipped(el)) continue;
    out.push(`${name(el)}: right edge at ${Math.round(r.right)} px`);
  }
  return {scrollWidth: Math.max(document.documentElement.scrollWidth, main.scrollWidth), innerWidth: width,
          overflowing: out.slice(0, 10)};
}"""


def overflow(page) -> dict:
    """``scrollWidth`` (of the document and of Streamlit's scrolling main area, the larger), ``innerWidth``
    and up to ten elements that stick out past the window's right edge."""
    return page.evaluate(OVERFLOW_JS)


def screenshot_full(page, path: str | Path, max_height: int = 12_000) -> None:
    """A screenshot of the whole page: Streamlit scrolls inside stMain, so Playwright's ``full_page`` only sees
    one screen; the window is made as tall as the content for the shot, then put back."""
    size = page.viewport_size
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), max_height)})
    page.wait_for_timeout(300)  # let charts redraw at the new height
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
