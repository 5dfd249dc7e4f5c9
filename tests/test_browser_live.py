"""The Live page end to end: headless Chromium with a fake camera playing a sample face, the app on a free
localhost port, WebRTC to the server and annotated frames back.

Needs the Debian package ``chromium`` (/usr/bin/chromium) and the pip package ``playwright`` (its Python
client only; the system Chromium is used, no browser download). Skips, saying which is missing, without them.
Set LIVE_SCREENSHOT=/path.png to keep a screenshot of the page with the stream running.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from browser_pages import running_app
from core.fakes.scenes import camera_frames

CHROMIUM = Path("/usr/bin/chromium")

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the Debian package chromium (/usr/bin/chromium)"),
    pytest.mark.skipif(sync_playwright is None, reason="needs the pip package playwright (Python client only)"),
]


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = 15) -> None:
    """Frames (H, W, 3) uint8 RGB → a YUV4MPEG2 4:2:0 file, the format Chromium's fake camera plays."""
    h, w = frames[0].shape[:2]
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            f.write(b"FRAME\n")
            f.write(cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).tobytes())  # Y, then U, then V planes


@pytest.fixture()
def app_url(tmp_path):
    with open(tmp_path / "streamlit.log", "wb") as log:
        try:
            with running_app(tmp_path / "data", log=log) as url:
                yield url
        finally:
            log.flush()
            print((tmp_path / "streamlit.log").read_text(errors="replace")[-3000:])


def frames_analysed(page) -> int:
    text = page.get_by_text(re.compile(r"Frames annotated: \d+")).first.inner_text()
    return int(re.search(r"analysed: (\d+)", text).group(1))


def test_live_page_streams_annotated_frames(app_url, tmp_path):
    y4m = tmp_path / "face.y4m"
    write_y4m(y4m, camera_frames(60), fps=10)  # one slow sweep there and back every 6 s, then loops
    args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={y4m}"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.set_default_timeout(120_000)
            page.goto(app_url + "/live")
            page.get_by_role("heading", name="Live webcam").wait_for()  # the first run builds the shared models
            webrtc = page.frame_locator("iframe[title*='streamlit_webrtc']")
            webrtc.get_by_role("button", name="Start camera").click()

            # The server's annotated stream plays in the page's <video> element.
            video = webrtc.locator("video").first
            video.wait_for(state="attached")
            video.evaluate("v => new Promise((ok, fail) => {"
                           "  const t0 = Date.now();"
                           "  (function poll() {"
                           "    if (v.readyState >= 2 && v.currentTime > 0.5 && v.videoWidth > 0) return ok(true);"
                           "    if (Date.now() - t0 > 120000) return fail(new Error('video never played'));"
                           "    setTimeout(poll, 250);"
                           "  })();"
                           "})")
            width, height = video.evaluate("v => [v.videoWidth, v.videoHeight]")
            assert width * 3 == height * 4  # the camera's 4:3 picture (WebRTC may lower the size on a busy CPU)

            # The processor counts the frames it analysed, and the face on the fake camera gets scored.
            deadline = time.time() + 120
            first = 0
            while time.time() < deadline and first == 0:
                page.wait_for_timeout(1000)
                first = frames_analysed(page)
            assert first > 0, "no frame reached the live processor"
            deadline = time.time() + 90
            while time.time() < deadline and frames_analysed(page) <= first:
                page.wait_for_timeout(1000)
            assert frames_analysed(page) > first, "frames stopped arriving at the live processor"
            prob = page.locator("[data-testid='stMetric']").filter(has_text="Fake score")
            deadline = time.time() + 60
            while time.time() < deadline and not re.search(r"\n\d+\b", prob.inner_text()):
                page.wait_for_timeout(1000)
            assert re.search(r"\n\d+\b", prob.inner_text()), "the face on the fake camera was never scored"

            # The frames that come back carry the drawing: the status strip in the bottom-left corner.
            shot = video.screenshot()
            img = cv2.imdecode(np.frombuffer(shot, np.uint8), cv2.IMREAD_COLOR)
            h, w = img.shape[:2]
            corner = img[int(h * 0.93):, :int(w * 0.15)].astype(int)
            assert (np.abs(corner - 40).max(axis=2) < 30).mean() > 0.3, "no annotation strip on the video"
            if os.environ.get("LIVE_SCREENSHOT"):
                page.screenshot(path=os.environ["LIVE_SCREENSHOT"], full_page=True)
        finally:
            browser.close()
