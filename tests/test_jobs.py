"""The shared job pool (core/engine/jobs.py): one job per session, FIFO, bounded queue, bounded concurrency, and
the torch-thread budget from core/config.py; plus the Faces page going through it (ui/jobs.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import config
from core.engine.jobs import JobPool, LabBusy, SessionBusy

FACES_PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "faces.py")


def _blocker(pool: JobPool, session: str = "other") -> threading.Event:
    """Occupy one worker until the returned event is set."""
    release = threading.Event()
    started = threading.Event()

    def hold():
        started.set()
        release.wait(10)

    pool.submit(session, hold)
    assert started.wait(5)
    return release


def test_second_job_from_the_same_session_is_refused_until_the_first_ends():
    pool = JobPool(workers=1, max_waiting=10)
    release = _blocker(pool, "alice")
    with pytest.raises(SessionBusy, match="previous analysis is still running"):
        pool.submit("alice", lambda: 1)
    assert pool.busy("alice") and not pool.busy("bob")
    other = pool.submit("bob", lambda: "bob's")  # other sessions are not affected
    release.set()
    assert other.result(5) == "bob's"
    # As soon as a result is delivered, the same session may submit again (no race with the bookkeeping).
    for i in range(20):
        assert pool.run("alice", lambda i=i: i, timeout=5) == i


def test_queue_limit_turns_new_work_away_with_a_clear_message():
    pool = JobPool(workers=1, max_waiting=2)
    release = _blocker(pool)
    waiting = [pool.submit(f"s{i}", lambda i=i: i) for i in range(2)]
    with pytest.raises(LabBusy, match="busy.*Try again in a moment"):
        pool.submit("late", lambda: None)
    assert pool.stats().waiting == 2 and pool.stats().rejected == 1
    release.set()
    assert [f.result(5) for f in waiting] == [0, 1]
    assert pool.run("late", lambda: "now it fits", timeout=5) == "now it fits"


def test_jobs_start_in_submission_order_across_sessions_and_report_their_position():
    pool = JobPool(workers=1, max_waiting=50)
    release = _blocker(pool)
    order: list[int] = []
    futures = [pool.submit(f"s{i}", order.append, i) for i in range(12)]
    assert [pool.position(f) for f in futures] == list(range(12))
    release.set()
    for f in futures:
        f.result(5)
    assert order == list(range(12))
    assert pool.position(futures[0]) == 0  # done


def test_no_more_jobs_run_at_once_than_workers():
    pool = JobPool(workers=2, max_waiting=50)
    lock = threading.Lock()
    now = peak = 0

    def job():
        nonlocal now, peak
        with lock:
            now += 1
            peak = max(peak, now)
        time.sleep(0.03)
        with lock:
            now -= 1

    futures = [pool.submit(f"s{i}", job) for i in range(10)]
    for f in futures:
        f.result(10)
    assert peak == 2
    assert pool.stats().completed == 10 and pool.stats().running == 0


def test_a_failing_job_reaches_its_caller_and_frees_the_session():
    pool = JobPool(workers=1, max_waiting=5)

    def boom():
        raise ValueError("bad photo")

    with pytest.raises(ValueError, match="bad photo"):
        pool.run("alice", boom, timeout=5)
    assert not pool.busy("alice")
    assert pool.run("alice", lambda: "fine", timeout=5) == "fine"
    assert pool.stats().failed == 1


def test_workers_times_threads_fit_the_cores(monkeypatch):
    for var in ("LAB_WORKERS", "LAB_TORCH_THREADS", "LAB_QUEUE_LIMIT"):
        monkeypatch.delenv(var, raising=False)
    cores = config._cores()
    assert 1 <= config.lab_workers() <= cores
    assert config.lab_workers() * config.torch_threads() <= max(cores, config.lab_workers())
    assert config.torch_threads() >= min(2, cores)  # a lone analysis uses two cores where there are two
    monkeypatch.setenv("LAB_WORKERS", "1")
    assert config.torch_threads() == cores  # one worker may use every core
    monkeypatch.setenv("LAB_TORCH_THREADS", "3")
    monkeypatch.setenv("LAB_QUEUE_LIMIT", "7")
    assert (config.torch_threads(), config.queue_limit()) == (3, 7)
    assert JobPool().workers == 1 and JobPool().max_waiting == 7
    monkeypatch.setenv("LAB_WORKERS", "two")
    with pytest.raises(ValueError, match="LAB_WORKERS must be a whole number"):
        config.lab_workers()


def test_load_lab_applies_the_thread_budget(monkeypatch):
    import torch

    from core.engine.analysis import load_lab

    before = torch.get_num_threads()
    monkeypatch.setenv("LAB_WORKERS", "1")
    monkeypatch.setenv("LAB_TORCH_THREADS", "2")
    try:
        load_lab(Path("no-such-checkpoint.safetensors"))
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.fixture
def full_pool(monkeypatch):
    """The server's pool replaced by a full one (one busy worker, no waiting room). Calling the fixture's
    value frees it and returns once the worker is idle."""
    import core.engine.jobs

    pool = JobPool(workers=1, max_waiting=0)
    monkeypatch.setattr(core.engine.jobs, "_POOL", pool)
    release = _blocker(pool)

    def free():
        release.set()
        while pool.stats().running:
            time.sleep(0.01)

    yield free
    release.set()


def test_faces_page_says_the_lab_is_busy_then_works_on_try_again(full_pool, grace):
    """A full pool answers with a message and a Try again button, not a hang or a traceback."""
    from core.engine.media import encode_jpeg

    at = AppTest.from_file(FACES_PAGE)
    at.run(timeout=180)
    at.radio(key="faces_source").set_value("Upload a photo").run(timeout=60)
    at.file_uploader(key="faces_upload").upload("grace.jpg", encode_jpeg(grace), "image/jpeg").run(timeout=60)
    assert not at.exception
    assert any("The lab is busy" in w.value for w in at.warning)
    assert not at.success
    full_pool()
    at.button(key="_lab_job_retry").click().run(timeout=60)
    assert not at.exception
    assert [s.value for s in at.success] == ["Found 1 face."]


def test_run_job_returns_the_result_and_polls_progress_from_the_page_thread():
    def script():
        import threading
        import time

        import streamlit as st

        from ui.jobs import run_job

        state = {"done": 0, "seen": []}

        def slow(n):
            for i in range(n):
                time.sleep(0.1)
                state["done"] = i + 1
            return threading.current_thread().name

        bar = st.progress(0.0)

        def poll():
            state["seen"].append(state["done"])
            bar.progress(state["done"] / 8)

        worker = run_job(slow, 8, poll=poll)
        st.success(f"ran on {worker}; polled {len(state['seen'])} times, last {state['seen'][-1]}")

    at = AppTest.from_function(script)
    at.run(timeout=30)
    assert not at.exception
    text = at.success[0].value
    assert text.startswith("ran on lab-job-")  # the work ran in the pool, not in the page's thread
    polled = int(text.split("polled ")[1].split(" times")[0])
    assert polled >= 2


def test_a_job_past_its_time_limit_is_abandoned_with_a_message_and_told_to_stop(tmp_path, monkeypatch):
    """One crafted file must not keep a page (and its worker) waiting forever."""
    mark = tmp_path / "stopped"
    monkeypatch.setenv("DFLAB_TEST_STOP_MARK", str(mark))

    def script():
        import os
        import threading
        from pathlib import Path

        import streamlit as st

        from ui.jobs import run_job

        cancel = threading.Event()

        def stubborn():
            for _ in range(200):  # checks its cancel flag, as analyze_video does between frames
                if cancel.wait(0.05):
                    Path(os.environ["DFLAB_TEST_STOP_MARK"]).write_text("stopped")
                    return "stopped"
            return "finished"

        st.success(run_job(stubborn, cancel=cancel, time_limit=0.5))

    at = AppTest.from_function(script)
    at.run(timeout=120)
    assert not at.exception and not at.success
    assert any("longer than the lab allows" in e.value for e in at.error)
    deadline = time.monotonic() + 5
    while not mark.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mark.exists()  # the worker saw the cancel flag and gave its slot back


def test_big_photo_decodes_from_many_sessions_are_bounded(monkeypatch, grace):
    """Decoding is memory-hungry (≈340 MB for 40 MP): at most as many at once as the pool has workers."""
    import core.engine.media
    from core.engine.media import encode_jpeg, load_image

    monkeypatch.setattr(core.engine.media, "_DECODE_SLOTS", threading.BoundedSemaphore(2))
    real = core.engine.media._to_rgb
    lock = threading.Lock()
    now = peak = 0

    def counting(image):
        nonlocal now, peak
        with lock:
            now += 1
            peak = max(peak, now)
        time.sleep(0.05)
        try:
            return real(image)
        finally:
            with lock:
                now -= 1

    monkeypatch.setattr(core.engine.media, "_to_rgb", counting)
    payload = encode_jpeg(grace)
    shapes: list[tuple] = []
    threads = [threading.Thread(target=lambda: shapes.append(load_image(payload).shape)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert shapes == [grace.shape] * 8
    assert peak == 2


def test_pooled_cache_runs_misses_in_the_pool_and_shares_hits_across_sessions():
    def script():
        import threading

        import streamlit as st

        from ui.jobs import pooled_cache

        calls = st.session_state.setdefault("calls", [])

        @pooled_cache(label="Doubling…", max_entries=4)
        def double(x, _note):
            _note.append(threading.current_thread().name)
            return 2 * x

        st.success(f"{double(21, calls)} from {calls}")

    first = AppTest.from_function(script)
    first.run(timeout=30)
    assert not first.exception
    assert first.success[0].value.startswith("42 from ['lab-job-")  # computed in a pool worker
    second = AppTest.from_function(script)  # another browser session: a cache hit, nothing recomputed
    second.run(timeout=30)
    assert not second.exception
    assert second.success[0].value == "42 from []"


def test_pooled_cache_says_the_lab_is_busy_then_works_on_try_again(full_pool):
    """A full pool: the busy message and Try again, outside the cache (no widget inside a cached function),
    and nothing cached for the refused call."""
    def script():
        import streamlit as st

        from ui.jobs import pooled_cache

        @pooled_cache(max_entries=4)
        def square(x):
            return x * x

        st.success(f"square {square(12)}")

    at = AppTest.from_function(script)
    at.run(timeout=30)
    assert not at.exception
    assert any("The lab is busy" in w.value for w in at.warning)
    assert not at.success
    full_pool()
    at.button(key="_lab_job_retry").click().run(timeout=30)
    assert not at.exception
    assert [s.value for s in at.success] == ["square 144"]


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_saw():
    from ui.jobs import forwarded_client

    assert forwarded_client("127.0.0.1", "10.1.2.3", "127.0.0.1") == "10.1.2.3"
    # A browser may send its own X-Forwarded-For; the proxy appends what it saw, and only that last entry counts.
    assert forwarded_client("172.18.0.5", "6.6.6.6, 10.1.2.3", "172.16.0.0/12") == "10.1.2.3"
    assert forwarded_client("10.9.9.9", "6.6.6.6", "172.16.0.0/12") == "10.9.9.9"  # not a trusted proxy: forged
    assert forwarded_client("127.0.0.1", "10.1.2.3", None) == "127.0.0.1"  # no proxies trusted (the default)
    assert forwarded_client("127.0.0.1", "not-an-address", "127.0.0.1") == "127.0.0.1"
