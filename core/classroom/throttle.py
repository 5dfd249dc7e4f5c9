"""Server-side failure counting with backoff: the teacher passcode and class join codes.

A lockout kept in a browser session does nothing: a fresh session starts unlocked (issue 21, finding 7).
:class:`Throttle` lives in the server process and counts failures per client address *and* over all
clients, so an attacker can neither open new tabs nor rotate addresses to guess faster. After ``free``
failures a client waits ``base_s``, then twice as long after each further failure (at most ``max_s``);
a success clears that client's count. Past ``global_free`` failures within ``window_s`` from everyone
together, every client waits, with the same doubling. Each failure is logged on the ``lab.security``
logger with the client's address.

In memory, per process: a restart clears the counts (a restart is also what changes the passcode).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

log = logging.getLogger("lab.security")

UNKNOWN = "unknown address"


@dataclass
class _Client:
    failures: int = 0
    locked_until: float = 0.0


@dataclass
class Throttle:
    """Failure counts with exponential backoff, per client and over all clients. Thread-safe."""

    name: str
    free: int = 4
    base_s: float = 60.0
    max_s: float = 3600.0
    global_free: int = 20
    window_s: float = 600.0
    clock: Callable[[], float] = time.monotonic
    _clients: dict[str, _Client] = field(default_factory=dict, repr=False)
    _recent: deque = field(default_factory=deque, repr=False)
    _global_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _backoff(self, over: int) -> float:
        return min(self.max_s, self.base_s * 2 ** max(0, over - 1))

    def wait_s(self, client: str | None) -> float:
        """Seconds ``client`` must wait before its next try (0 when it may try now)."""
        now = self.clock()
        with self._lock:
            own = self._clients.get(client or UNKNOWN)
            until = max(own.locked_until if own else 0.0, self._global_until)
        return max(0.0, until - now)

    def failure(self, client: str | None) -> float:
        """Record a failed try; returns the wait now imposed on ``client`` (0 while it is still free)."""
        now = self.clock()
        key = client or UNKNOWN
        with self._lock:
            own = self._clients.setdefault(key, _Client())
            own.failures += 1
            if own.failures > self.free:
                own.locked_until = now + self._backoff(own.failures - self.free)
            self._recent.append(now)
            while self._recent and self._recent[0] < now - self.window_s:
                self._recent.popleft()
            if len(self._recent) > self.global_free:
                self._global_until = now + self._backoff(len(self._recent) - self.global_free)
            if len(self._clients) > 10_000:  # bound memory under an address-rotating attack
                for stale in [k for k, c in self._clients.items() if c.locked_until < now][:5_000]:
                    del self._clients[stale]
            wait = max(own.locked_until, self._global_until) - now
            failures, recent = own.failures, len(self._recent)
        log.warning("%s: failed try from %s (%d from this address, %d from all in %.0f min)%s", self.name, key,
                    failures, recent, self.window_s / 60, f"; locked for {wait:.0f} s" if wait > 0 else "")
        return max(0.0, wait)

    def success(self, client: str | None) -> None:
        """Forget ``client``'s failures (the global count keeps its window)."""
        with self._lock:
            self._clients.pop(client or UNKNOWN, None)

    def reset(self) -> None:
        """Forget everything (tests; a restart does the same)."""
        with self._lock:
            self._clients.clear()
            self._recent.clear()
            self._global_until = 0.0


#: The teacher passcode: 4 free tries, then 1 min, 2 min, 4 min… (at most 1 h) per address; more than 20 wrong
#: tries in 10 minutes from all addresses together lock the teacher view for everyone the same way.
PASSCODE = Throttle("teacher passcode")
#: Join codes: students mistype, so 5 free tries, then 5 s, 10 s, 20 s… (at most 5 min) per address; the whole
#: class together may mistype 100 times in 10 minutes before everyone waits.
JOIN = Throttle("class join code", free=5, base_s=5.0, max_s=300.0, global_free=100)
