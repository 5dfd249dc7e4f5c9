"""Helpers for driving the lab in headless Chromium (Playwright's sync API): starting the app on a free port,
where a page lives, waiting until it is usable, and what overflows a phone's width. Used by the browser tests
and bench/browsers.py. Plain functions, no pytest: import them anywhere.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from ui.pages import HOME, PAGES

ROOT = Path(__file__).resolve().parent.parent

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}  # an iPhone 12–15 in CSS pixels

# Where a page's first run is finished: Streamlit marks the app root with the script's state.
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"


@contextmanager
def running_app(data_dir: str | Path, env: dict[str, str] | None = None, *, log: IO[bytes] | None = None,
                timeout_s: float = 180) -> Iterator[str]:
    """The lab served by ``streamlit run app.py`` on a free local port, with its own data folder: yields its
    address once ``/_stcore/health`` answers, and stops the server afterwards. ``env`` adds or overrides
    environment variables (a value of None removes one); ``log`` receives the server's output (else dropped).
    Raises RuntimeError when the server exits or does not answer within ``timeout_s``."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    full_env = dict(os.environ, LAB_DATA_DIR=str(data_dir))
    for key, value in (env or {}).items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    out = log if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the Streamlit app exited with {proc.returncode} before it answered")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"the Streamlit app did not answer within {timeout_s:.0f} s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


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
