"""Many real browsers at once: N headless Chromium sessions upload different photos to the Faces page together.

    python bench/browsers.py                 # 10 sessions; ends with one JSON line of its figures
    python bench/browsers.py --sessions 12 --url http://127.0.0.1:8501   # against an app you started
    python bench/browsers.py --cold-start    # first visit to every page on a freshly started app; one JSON line

Starts the app on a free port on 127.0.0.1 (unless --url is given; loopback only), opens one Chromium with
N separate browser contexts (separate cookies and websockets: N Streamlit sessions), and in each, at the same
time: open the Faces page, choose "Upload a photo", upload its own picture (a scene with 1–4 faces, each of
a different size, made from package-shipped photos) and wait for the answer. A session is correct when it
shows its own face count and its own file name and size, and nobody else's. Latency is from the upload to
the answer. Needs Debian's Chromium (/usr/bin/chromium) and the Playwright package (its browser download is
not used).

--cold-start instead starts a fresh app (with an empty data folder, as on first install) and, once its health
check answers, visits every page of the registry in sidebar order, each in a new browser session, timing the
navigation until the page is usable (its title shown, its script finished, no spinner left). The first page
that needs the models pays for loading them unless the app warmed them up in the background.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.config import setting  # noqa: E402  (after the path set-up above)
from tests.browser_pages import running_app  # noqa: E402

CHROMIUM = setting("LAB_CHROMIUM") or "/usr/bin/chromium"


def make_uploads(n: int) -> list[dict]:
    from core.engine.media import encode_jpeg
    from core.fakes.scenes import scene

    uploads = []
    for i in range(n):
        faces = 1 + i % 4
        width, height = 640 + 32 * i, 480 + 16 * i  # every picture a different size: a visible fingerprint
        uploads.append({"name": f"student{i:02d}.jpg", "faces": faces, "size": f"{width}×{height}",
                        "bytes": encode_jpeg(scene(width, height, faces), quality=88)})
    return uploads


async def one_session(browser, url: str, upload: dict, others: list[str], timeout_s: float) -> dict:
    context = await browser.new_context(viewport={"width": 1280, "height": 1600})
    page = await context.new_page()
    page.set_default_timeout(timeout_s * 1000)
    try:
        await page.goto(f"{url}/faces")
        await page.get_by_role("heading", name="Faces").wait_for()
        await page.get_by_text("Upload a photo", exact=True).click()
        file_input = page.locator("input[type=file]")
        await file_input.wait_for(state="attached")
        t0 = time.perf_counter()
        await file_input.set_input_files(files=[{"name": upload["name"], "mimeType": "image/jpeg",
                                                 "buffer": upload["bytes"]}])
        want = f"Found {upload['faces']} face{'s' if upload['faces'] != 1 else ''}."
        answer = page.get_by_text("Found ").or_(page.get_by_text("No face found")).or_(
            page.locator("[data-testid=stException]"))
        await answer.first.wait_for()
        caption = page.get_by_text(f"{upload['name']} — {upload['size']} pixels")
        await caption.first.wait_for()
        latency = time.perf_counter() - t0
        body = await page.locator("[data-testid=stMain]").inner_text()
        problems = []
        if want not in body:
            problems.append(f"expected {want!r}, page says {[ln for ln in body.splitlines() if 'ound' in ln]}")
        if await page.locator("[data-testid=stException]").count():
            problems.append("an exception is shown")
        leaked = [o for o in others if o in body]
        if leaked:
            problems.append(f"shows other sessions' files {leaked}")
        return {"name": upload["name"], "latency_s": latency, "problems": problems}
    except Exception as exc:  # noqa: BLE001 - reported per session
        return {"name": upload["name"], "latency_s": None, "problems": [f"{type(exc).__name__}: {exc}"]}
    finally:
        await context.close()


async def run(url: str, n: int, timeout_s: float) -> tuple[list[dict], float]:
    from playwright.async_api import async_playwright

    uploads = make_uploads(n)
    names = [u["name"] for u in uploads]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            # One warm-up visit so the first-use model load is not counted against the class.
            await one_session(browser, url, uploads[0], [], timeout_s)
            t0 = time.perf_counter()
            results = await asyncio.wait_for(asyncio.gather(*[
                one_session(browser, url, u, [o for o in names if o != u["name"]], timeout_s) for u in uploads]),
                timeout=timeout_s + 60)
            return results, time.perf_counter() - t0
        finally:
            await browser.close()


def cold_start(url: str, timeout_s: float, settle_s: float = 0.0) -> dict[str, float]:
    """Seconds from navigation to a usable page, for the first visit to every page (sidebar order); ``settle_s``
    seconds pass between the first page and the others (a teacher talking before the class starts)."""
    from playwright.sync_api import sync_playwright

    from tests.browser_pages import CHROMIUM_ARGS, open_page
    from ui.pages import PAGES

    times = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for path in PAGES:
                context = browser.new_context(viewport={"width": 1280, "height": 900})  # a new session each
                t0 = time.perf_counter()
                open_page(context.new_page(), url, path, timeout_ms=timeout_s * 1000)
                times[Path(path).stem] = round(time.perf_counter() - t0, 2)
                print(f"{path}: {times[Path(path).stem]:.1f} s", flush=True)
                context.close()
                if len(times) == 1:
                    time.sleep(settle_s)
        finally:
            browser.close()
    return times


def main_cold_start(args) -> None:
    if args.url:
        raise SystemExit("--cold-start starts its own app (a fresh server is the point)")
    with tempfile.TemporaryDirectory(prefix="lab-cold-") as data_dir:
        t0 = time.perf_counter()
        with running_app(data_dir, {"LAB_WARMUP": "0" if args.no_warmup else "1"}) as url:
            started = time.perf_counter() - t0
            times = cold_start(url, args.timeout, args.settle)
    slowest = max(times, key=times.get)
    print(json.dumps({"warmup": not args.no_warmup, "settle_s": args.settle, "server_start_s": round(started, 2),
                      "pages": times, "total_s": round(sum(times.values()), 2),
                      "slowest_page": slowest, "slowest_s": times[slowest]}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--url", default=None, help="an app already running on 127.0.0.1 (default: start one)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds each session may take")
    ap.add_argument("--cold-start", action="store_true", help="time the first visit to every page instead")
    ap.add_argument("--no-warmup", action="store_true", help="--cold-start with LAB_WARMUP=0 (no background warm-up)")
    ap.add_argument("--settle", type=float, default=0.0, help="--cold-start: seconds between the first page and the rest")
    args = ap.parse_args()
    if args.cold_start:
        return main_cold_start(args)
    if args.url and not args.url.startswith(("http://127.0.0.1", "http://localhost")):
        raise SystemExit("bench/browsers.py only drives an app on this machine (127.0.0.1)")
    with tempfile.TemporaryDirectory(prefix="lab-browsers-") as data_dir, \
            (nullcontext(args.url.rstrip("/")) if args.url else running_app(data_dir, {"LAB_WARMUP": "1"})) as url:
        results, wall = asyncio.run(run(url, args.sessions, args.timeout))
    latencies = [r["latency_s"] for r in results if r["latency_s"] is not None and not r["problems"]]
    for r in results:
        status = "ok" if not r["problems"] else "; ".join(r["problems"])
        lat = f"{r['latency_s']:.1f} s" if r["latency_s"] is not None else "-"
        print(f"{r['name']}: {lat}  {status}")
    figures = {
        "browsers": args.sessions,
        "correct": sum(not r["problems"] for r in results),
        "errors": sum(bool(r["problems"]) for r in results),
        "p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "max_s": round(max(latencies), 2) if latencies else None,
        "wall_s": round(wall, 2),
    }
    print(json.dumps(figures))
    sys.exit(1 if figures["errors"] else 0)


if __name__ == "__main__":
    main()
