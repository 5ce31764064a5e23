"""Rate limits of the Client Portal Gateway (NOTES.md section 7, IBKR Campus "Pacing").

A global token bucket of 10 requests per second (capacity 10, refilled continuously:
tolerant of the arrival jitter of a client that paces itself at 10/s) plus
per-endpoint sliding windows, matched on the method and the path without the query
string. A request over a limit is refused with 429 and not counted. ``/iserver/marketdata/history`` allows 5 requests
in flight at once (see :meth:`Pacer.history_slot`).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from contextlib import contextmanager

GLOBAL_LIMIT = (10, 1.0)
"""(requests, seconds): the gateway-wide limit."""

ENDPOINT_LIMITS: tuple[tuple[str, str, int, float], ...] = (
    ("GET", r"/iserver/marketdata/snapshot", 10, 1.0),
    ("GET", r"/iserver/account/orders", 1, 5.0),
    ("GET", r"/iserver/account/trades", 1, 5.0),
    ("GET", r"/iserver/account/pnl/partitioned", 1, 5.0),
    ("GET", r"/portfolio/accounts", 1, 5.0),
    ("GET", r"/portfolio/subaccounts", 1, 5.0),
    ("POST", r"/iserver/scanner/run", 1, 1.0),
    ("GET", r"/fyi/.*", 1, 1.0),
    ("POST", r"/tickle", 1, 1.0),
    ("GET", r"/sso/validate", 1, 60.0),
)
"""(method, path regex, requests, seconds) per endpoint."""

HISTORY_CONCURRENCY = 5


class Pacer:
    """Sliding-window limiter. ``clock`` returns seconds (monotonic)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._tokens = float(GLOBAL_LIMIT[0])
        self._refilled_at: float | None = None
        self._windows: dict[int, deque[float]] = {}
        self._patterns = [(m, re.compile(p + r"\Z"), n, s) for m, p, n, s in ENDPOINT_LIMITS]
        self.history_in_flight = 0

    def admit(self, method: str, path: str) -> str | None:
        """Record the request and return None, or return why it is refused (429)."""
        now = self.clock()
        capacity, seconds = GLOBAL_LIMIT
        if self._refilled_at is not None:
            self._tokens = min(capacity, self._tokens + (now - self._refilled_at) * capacity / seconds)
        self._refilled_at = now
        if self._tokens < 1:
            return "global 10 req/s"
        checks = []
        for i, (m, rx, n, s) in enumerate(self._patterns):
            if m == method and rx.match(path):
                checks.append((self._windows.setdefault(i, deque()), n, s, f"{path} {n} per {s:g}s"))
        for window, _n, span, _what in checks:
            while window and window[0] <= now - span:
                window.popleft()
        for window, n, _span, what in checks:
            if len(window) >= n:
                return what
        for window, *_ in checks:
            window.append(now)
        self._tokens -= 1
        return None

    @contextmanager
    def history_slot(self):
        """Hold one of the 5 concurrent history slots; yields False when none is free."""
        if self.history_in_flight >= HISTORY_CONCURRENCY:
            yield False
            return
        self.history_in_flight += 1
        try:
            yield True
        finally:
            self.history_in_flight -= 1
