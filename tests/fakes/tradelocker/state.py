"""The fake server's switches and records: requests received, rate-limit
violations, armed faults and injected rows."""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received: method, path (without ``/backend-api``), query,
    the ``accNum`` header ("" when absent), whether it carried a bearer token, and
    the rateLimitType it counted against ("" for none)."""

    method: str
    path: str
    query: dict[str, str]
    acc_num: str
    bearer: bool
    limit_type: str
    at: float


@dataclass
class Fault:
    """Answer the next ``count`` requests matching ``method`` and ``pattern`` with
    HTTP ``status``; ``after``: the request takes effect first (an order is placed,
    then the 5xx), else it is refused before the handler runs."""

    method: str
    pattern: str
    status: int = 500
    after: bool = True
    count: int = 1

    def matches(self, method: str, path: str) -> bool:
        return self.count > 0 and method == self.method and re.fullmatch(self.pattern, path) is not None


@dataclass
class RateWindows:
    """Sliding windows per (user, rateLimitType); ``violations``: refused requests."""

    windows: dict[tuple[str, str], deque] = field(default_factory=dict)
    violations: list[tuple[str, str]] = field(default_factory=list)

    def admit(self, user: str, kind: str, limit: int, seconds: float, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        window = self.windows.setdefault((user, kind), deque())
        while window and window[0] <= now - seconds:
            window.popleft()
        if len(window) >= limit:
            self.violations.append((user, kind))
            return False
        window.append(now)
        return True


@dataclass
class Injected:
    """Extra raw rows served in the next answers of a list (``"orders"``,
    ``"positions"``, ``"ordersHistory"``, ``"executions"``): column id -> value."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
