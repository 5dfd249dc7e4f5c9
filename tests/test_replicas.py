"""A class across two lab replicas behind nginx, on one PostgreSQL — the school set-up of deploy/, on loopback.

Two Streamlit replicas of the app run on loopback ports with the same database, passcode and cookie secret;
Debian's nginx (``.ci/run`` installs it) proxies to them with the configuration rendered from
deploy/nginx.conf.template, as compose does. Real browsers (Debian's Chromium through Playwright) play the
quiz through the proxy, one student pinned to each replica by the proxy's route cookie; the teacher watches
on the other replica. Then the replica under one student is killed mid-quiz: that student's browser
reconnects through the proxy to the surviving replica, resumes at the first unanswered picture and
finishes, and no answer given before the kill is lost.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.classroom.store import Store

pytestmark = [pytest.mark.postgres, pytest.mark.browser]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy"))
import proxy  # noqa: E402 - deploy/proxy.py renders the proxy configuration compose uses

CHROMIUM = os.environ.get("LAB_CHROMIUM", "/usr/bin/chromium")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PASSCODE = "replicas-test-passcode"
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
if not shutil.which(CHROMIUM):
    pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)
if not os.path.exists(NGINX):
    pytest.skip("nginx not found (apt-get install -y nginx; .ci/run does)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, cookie: str | None = None, timeout: float = 30):
    """(status, headers) of a GET; ``headers.get_all("Set-Cookie")`` lists every cookie set."""
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.headers


def _route_cookie_set(headers) -> str | None:
    return next((c.split(";")[0] for c in headers.get_all("Set-Cookie") or [] if c.startswith("lab_route=")), None)


def _wait_healthy(url: str, proc: subprocess.Popen, what: str, seconds: float = 180) -> None:
    deadline = time.time() + seconds
    while True:
        try:
            if _get(f"{url}/_stcore/health")[0] == 200:
                return
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            pytest.fail(f"{what} did not start")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def gallery_dir(tmp_path_factory, lab):
    """The built-in quiz gallery, built and scored once and copied into each replica's data folder, as the
    Docker image bakes it in (each replica would otherwise spend half a minute making the same one). It is
    the quiz tests' shared one, so a whole test run builds it once."""
    from core.classroom.gallery import load_gallery
    from quiz_helpers import shared_data_dir

    folder = shared_data_dir(tmp_path_factory) / "gallery"
    load_gallery(lab, folder=folder, teacher_dir="")
    return folder


@pytest.fixture(scope="module")
def school(pg_url, gallery_dir, tmp_path_factory):
    """Two replicas and the proxy; yields a dict with their URLs and processes."""
    env = dict(os.environ, LAB_DATABASE_URL=pg_url, LAB_TEACHER_PASSCODE=PASSCODE, LAB_WORKERS="1",
               LAB_TORCH_THREADS="1", STREAMLIT_SERVER_COOKIE_SECRET="shared-secret-of-this-test-school",
               LAB_TRUSTED_PROXIES="127.0.0.1")
    env.pop("LAB_GALLERY_DIR", None)
    Store(pg_url).close()  # the schema, made once (as compose's init service does)
    replicas = []
    for n in range(2):
        data = tmp_path_factory.mktemp(f"replica{n}")
        shutil.copytree(gallery_dir, data / "gallery")
        port = _free_port()
        log = (data / "replica.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless",
             "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=dict(env, LAB_DATA_DIR=str(data)), stdout=log, stderr=subprocess.STDOUT)
        replicas.append({"url": f"http://127.0.0.1:{port}", "addr": f"127.0.0.1:{port}", "proc": proc,
                         "log": data / "replica.log"})
    prefix = tmp_path_factory.mktemp("nginx")
    port = _free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(proxy.render([r["addr"] for r in replicas], listen=f"127.0.0.1:{port}",
                                 pid=str(prefix / "nginx.pid"), temp=str(prefix)))
    os.chmod(prefix, 0o755)
    check = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(prefix)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    nginx = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=(prefix / "error.log").open("wb"))
    proxy_url = f"http://127.0.0.1:{port}"
    try:
        for r in replicas:
            _wait_healthy(r["url"], r["proc"], f"the replica at {r['url']}")
        _wait_healthy(proxy_url, nginx, "nginx")
        yield {"proxy": proxy_url, "replicas": replicas, "pg_url": pg_url}
    finally:
        nginx.send_signal(signal.SIGQUIT)
        for p in [nginx] + [r["proc"] for r in replicas]:
            if p.poll() is None:
                p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


def _route_cookies(school) -> dict[str, str]:
    """A route-cookie value that the proxy sends to each replica (address → value), found by asking it."""
    found: dict[str, str] = {}
    for i in range(200):
        value = f"probe{i}"
        _, headers = _get(f"{school['proxy']}/_stcore/health", cookie=f"lab_route={value}")
        found.setdefault(headers["X-Lab-Replica"], value)
        if len(found) == len(school["replicas"]):
            return found
    pytest.fail(f"the proxy sent 200 different route cookies to only {sorted(found)}")


def test_proxy_is_sticky_and_hands_out_a_route_cookie(school):
    status, headers = _get(f"{school['proxy']}/_stcore/health")
    cookie = _route_cookie_set(headers)
    assert status == 200 and cookie
    seen = {_get(f"{school['proxy']}/_stcore/health", cookie=cookie)[1]["X-Lab-Replica"] for _ in range(10)}
    assert seen == {headers["X-Lab-Replica"]}  # every request of that browser reaches the same replica
    assert _route_cookie_set(_get(f"{school['proxy']}/_stcore/health", cookie=cookie)[1]) is None
    assert set(_route_cookies(school)) == {r["addr"] for r in school["replicas"]}


def _step(what: str) -> None:
    """A timestamped line in the test's output (shown with -s, and in the report when a step hangs)."""
    print(f"{time.strftime('%H:%M:%S')} {what}", file=sys.stderr, flush=True)


def _browser_page(browser, base_url: str, route: str | None = None):
    context = browser.new_context(viewport={"width": 1300, "height": 1600})
    if route is not None:
        context.add_cookies([{"name": "lab_route", "value": route, "url": base_url}])
    page = context.new_page()
    page.set_default_timeout(600_000)  # generous for a starved shared CPU; the first run of a page loads the models
    return page


def _join(page, proxy_url: str, code: str, nickname: str) -> None:
    page.goto(f"{proxy_url}/quiz")
    _fill_join(page, code, nickname)
    page.get_by_text("Picture 1 of").wait_for()


def _fill_join(page, code: str, nickname: str) -> None:
    page.get_by_text("With my class").click()
    page.get_by_label("Join code").fill(code)
    page.get_by_label("Nickname").fill(nickname)
    page.get_by_role("button", name="Join", exact=True).click()


def _answer(page, n: int, choice: str = "Fake") -> None:
    """Answer picture ``n`` (1-based) and move on from the reveal to the next picture."""
    page.get_by_text(f"Picture {n} of").wait_for()
    page.get_by_text(choice, exact=True).click()
    page.get_by_role("button", name="Answer", exact=True).click()
    page.get_by_text(re.compile(r"^(Right|Not this time): this picture is")).wait_for()
    page.get_by_role("button", name="Next picture", exact=True).click()
    page.get_by_text(f"Picture {n + 1} of").wait_for()


def _settled(page, seconds: float = 300) -> None:
    """Wait until the page's script run is over (Streamlit's status widget says "Running" or "Connecting")."""
    status = page.locator("[data-testid=stStatusWidget]")
    deadline = time.time() + seconds
    page.wait_for_timeout(1000)
    while status.count() and status.first.is_visible() and time.time() < deadline:
        page.wait_for_timeout(300)


def _teacher_answers(page) -> int:
    metric = page.locator("[data-testid=stMetric]").filter(has_text="Answers")
    return int(re.search(r"Answers\s*(\d+)", metric.inner_text()).group(1))


def test_a_class_across_two_replicas_survives_losing_one(school, tmp_path):
    routes = _route_cookies(school)
    a, b = school["replicas"]
    store = Store(school["pg_url"])
    pages = {}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            _step("the teacher opens the teacher view directly on replica B and starts a session")
            teacher = pages["teacher"] = _browser_page(browser, b["url"])
            teacher.goto(f"{b['url']}/teacher")
            teacher.get_by_label("Teacher passcode").fill(PASSCODE)
            teacher.get_by_role("button", name="Open the teacher view", exact=True).click()
            teacher.get_by_role("button", name="Start session", exact=True).click()
            teacher.get_by_text("Join code:").wait_for()
            session = store.list_sessions(include_closed=False)[0]
            assert session.code in teacher.get_by_text("Join code:").inner_text()

            _step("two students join through the proxy: Ada lands on replica A, Bo on replica B")
            ada = pages["ada"] = _browser_page(browser, school["proxy"], routes[a["addr"]])
            bo = pages["bo"] = _browser_page(browser, school["proxy"], routes[b["addr"]])
            _join(ada, school["proxy"], session.code, "Ada")
            _join(bo, school["proxy"], session.code, "Bo")
            for n in (1, 2):
                _step(f"both answer picture {n}")
                _answer(ada, n)
                _answer(bo, n, "Real")

            _step("replica B's teacher view shows the four answers, two of them given on replica A")
            teacher.get_by_text("Refresh every 5 seconds").click()
            _wait_for_answers(teacher, 4)
            before = {(x.nickname, x.item_id, x.answer) for x in store.session_answers(session.id)}
            assert len(before) == 4

            # Replica A dies while Ada looks at picture 3. Her browser reconnects through the proxy (to replica
            # B, the only one left), where she types the code and her nickname again: the seat's address is in
            # PostgreSQL, not in A's memory, so B resumes her at picture 3 under her nickname.
            _step("replica A is killed while Ada looks at picture 3")
            with ada.expect_websocket(lambda ws: "/_stcore/stream" in ws.url, timeout=300_000):
                a["proc"].send_signal(signal.SIGKILL)
                a["proc"].wait(timeout=30)
            _step("Ada's browser reconnected through the proxy")
            _settled(ada)
            # She reloads the quiz (through the proxy, now to B) and types the code and her nickname again.
            ada.goto(f"{school['proxy']}/quiz")
            _fill_join(ada, session.code, "Ada")
            ada.get_by_text("you are Ada").wait_for()
            ada.get_by_text("Picture 3 of").wait_for()
            _answer(ada, 3)
            _answer(bo, 3, "Real")
            after = {(x.nickname, x.item_id, x.answer) for x in store.session_answers(session.id)}
            assert before <= after and len(after) == 6  # nothing lost, nothing twice
            assert [x.nickname for x in store.session_answers(session.id)].count("Ada") == 3
            _wait_for_answers(teacher, 6)
            # Ada's route now ends on the surviving replica (nginx lists every replica it tried: after its
            # fail_timeout it tries the dead one again first, then moves on).
            tried = _get(f"{school['proxy']}/_stcore/health", cookie=f"lab_route={routes[a['addr']]}")[1]
            assert tried["X-Lab-Replica"].split(", ")[-1] == b["addr"]
            _step("done")
        except Exception:
            for name, page in pages.items():  # what each browser showed, for whoever reads the failure
                try:
                    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
                except Exception:  # noqa: BLE001 - a closed page has nothing to show
                    pass
            for r in school["replicas"]:
                _step(f"replica {r['addr']} (exit code {r['proc'].poll()}), last lines of its log:\n"
                      + r["log"].read_text(errors="replace")[-1500:])
            _step(f"screenshots in {tmp_path}")
            raise
        finally:
            browser.close()
            store.close()


def _wait_for_answers(teacher, n: int, seconds: float = 300) -> None:
    deadline = time.time() + seconds
    while _teacher_answers(teacher) != n and time.time() < deadline:
        time.sleep(1)
    assert _teacher_answers(teacher) == n
