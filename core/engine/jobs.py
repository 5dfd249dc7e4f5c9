"""A fair, bounded pool for heavy analyses shared by every browser session of one server.

Why: each Streamlit session runs its script in its own thread. If 30 students press "analyse" at once, 30
threads each start a torch forward pass with ``torch_threads`` OpenMP threads of their own, and a 2-core
laptop thrashes (every job gets slower than if they had waited their turn). The pool runs at most
``LAB_WORKERS`` jobs at a time, with ``workers × torch threads ≤ cores`` (see :mod:`core.config`), in
first-come-first-served order across sessions.

Fairness and bounds:

* at most one job in flight per session: a second submission while the first is still queued or running
  raises :class:`SessionBusy` (so one student cannot fill the queue by clicking repeatedly);
* at most ``LAB_QUEUE_LIMIT`` jobs waiting: beyond that :class:`LabBusy` says "try again in a moment",
  instead of letting waits grow without bound;
* FIFO: with one job per session, a plain queue is fair between sessions.

UI-free: :mod:`ui.jobs` is the Streamlit wrapper pages call.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Callable

from core.config import lab_workers, queue_limit


from core.errors import LabBusy  # noqa: E402  (defined with the lab's other errors; raised here)


class SessionBusy(LabBusy):
    """This session already has a job queued or running."""


@dataclass(frozen=True)
class PoolStats:
    """A snapshot: jobs running, jobs waiting, and totals since start."""

    workers: int
    queue_limit: int
    running: int
    waiting: int
    completed: int
    failed: int
    rejected: int


@dataclass
class _Job:
    ticket: int
    session: str
    fn: Callable[..., Any]
    args: tuple
    kwargs: dict
    future: Future


class JobPool:
    """``workers`` daemon threads taking jobs in order from a bounded queue.

    Thread-safe. Results and exceptions come back through :class:`concurrent.futures.Future`.
    """

    def __init__(self, workers: int | None = None, max_waiting: int | None = None):
        self.workers = max(1, int(workers if workers is not None else lab_workers()))
        self.max_waiting = max(0, int(max_waiting if max_waiting is not None else queue_limit()))
        self._cond = threading.Condition()
        self._waiting: OrderedDict[int, _Job] = OrderedDict()  # ticket → job, oldest first
        self._by_session: dict[str, _Job] = {}  # queued or running
        self._tickets = itertools.count()
        self._running = self._completed = self._failed = self._rejected = 0
        self._threads = [threading.Thread(target=self._work, name=f"lab-job-{i}", daemon=True)
                         for i in range(self.workers)]
        for t in self._threads:
            t.start()

    # ------------------------------------------------------------------------------------------- public

    def submit(self, session: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """Queue ``fn(*args, **kwargs)`` for ``session``; raises :class:`SessionBusy` or :class:`LabBusy`."""
        with self._cond:
            if session in self._by_session:
                self._rejected += 1
                raise SessionBusy("Your previous analysis is still running. Wait for it to finish, then try again.")
            if len(self._waiting) >= self.max_waiting and self._running >= self.workers:
                self._rejected += 1
                raise LabBusy(f"The lab is busy ({len(self._waiting)} analyses are waiting). "
                              "Try again in a moment.")
            job = _Job(next(self._tickets), session, fn, args, kwargs, Future())
            self._waiting[job.ticket] = job
            self._by_session[session] = job
            self._cond.notify()
            return job.future

    def run(self, session: str, fn: Callable[..., Any], *args: Any, timeout: float | None = None,
            **kwargs: Any) -> Any:
        """Submit and wait for the result (re-raises the job's own exception)."""
        return self.submit(session, fn, *args, **kwargs).result(timeout=timeout)

    def position(self, future: Future) -> int:
        """How many jobs wait ahead of this one (0 when it is next, running or done)."""
        with self._cond:
            for i, job in enumerate(self._waiting.values()):
                if job.future is future:
                    return i
            return 0

    def busy(self, session: str) -> bool:
        """True while ``session`` has a job queued or running."""
        with self._cond:
            return session in self._by_session

    def stats(self) -> PoolStats:
        with self._cond:
            return PoolStats(self.workers, self.max_waiting, self._running, len(self._waiting),
                             self._completed, self._failed, self._rejected)

    # ------------------------------------------------------------------------------------------- workers

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._waiting:
                    self._cond.wait()
                _, job = self._waiting.popitem(last=False)
                self._running += 1
            outcome: tuple[bool, Any] = (False, None)
            try:
                if job.future.set_running_or_notify_cancel():
                    try:
                        outcome = (True, job.fn(*job.args, **job.kwargs))
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
                        outcome = (False, exc)
            finally:
                # Free the session's slot before waking the caller, so it may submit again at once.
                with self._cond:
                    self._running -= 1
                    self._completed += outcome[0]
                    self._failed += not outcome[0]
                    if self._by_session.get(job.session) is job:
                        del self._by_session[job.session]
            if outcome[0]:
                job.future.set_result(outcome[1])
            elif isinstance(outcome[1], BaseException):
                job.future.set_exception(outcome[1])


_POOL: JobPool | None = None
_POOL_LOCK = threading.Lock()


def get_pool() -> JobPool:
    """The process-wide pool (built on first use from ``LAB_WORKERS`` and ``LAB_QUEUE_LIMIT``)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = JobPool()
        return _POOL
