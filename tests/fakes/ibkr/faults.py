"""Fault injection for the fake Client Portal Gateway (off by default).

Other tests use it to reproduce the failures a real gateway shows in the field, above
all the one that matters for orders: **the order was placed, but the answer is an
error** (or never comes). ``gw.faults`` (a :class:`Faults`) holds armed faults; each
fires on the next ``count`` matching requests, then disarms itself::

    gw.faults.fail(ORDER_PLACED, 502)             # the next placement answers 502, order exists
    gw.faults.fail(ORDER_POST, 503, count=3)      # the next 3 order POSTs (placed if no question)
    gw.faults.fail(ORDER_POST, 500, after=False)  # refused before anything happens
    gw.faults.drop(MODIFY_POST)                   # modify applied, connection closed, no answer
    gw.faults.delay(ORDER_PLACED, 3.0)            # placed, answer 3 s late (client timeouts)
    gw.faults.fail(r"/iserver/account/orders", 504, method="GET")  # any route, by regex
    gw.silence_websockets()                       # sockets stay open, nothing is sent

Routes are regular expressions matched in full against the API path below ``/v1/api``
(``/iserver/account/DU100001/orders``), and ``method`` ("POST" by default, "*" for
any). :data:`ORDER_PLACED` is special: it matches whichever request *placed or
modified an order* (an order POST answered without a question, the reply POST that
ends the question chain, a modify POST or its last reply), so a test need not know
how many questions come first.

``after`` (default True): the handler runs first (the order is placed / modified /
cancelled as usual), then the fault replaces the answer: the real failure mode. With
``after=False`` the fault answers before the handler runs (nothing happened). A
:data:`ORDER_PLACED` fault is always ``after``. Status faults answer
``{"error": <text>, "statusCode": <status>}`` (or ``body`` when given: a dict/list is
sent as JSON, a str as text/html, as a proxy in front of the gateway would); drop
faults abort the TCP connection without a response; delay faults hold the answer
``seconds`` then send it (``after=False``: hold the request before handling it).

Every fired fault is recorded in ``gw.faults.fired`` as ``(method, path, kind,
status)``. ``gw.faults.clear()`` disarms everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ORDER_POST = r"/iserver/account/[^/]+/orders"
"""``POST /iserver/account/{accountId}/orders`` (placement, or its first question)."""
MODIFY_POST = r"/iserver/account/[^/]+/order/[^/]+"
"""``POST /iserver/account/{accountId}/order/{orderId}`` (modify)."""
REPLY_POST = r"/iserver/reply/[^/]+"
"""``POST /iserver/reply/{replyId}``."""
ORDER_PLACED = "order-placed"
"""Not a path: the request during which an order was placed or modified."""

STATUS_TEXT = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
               504: "Gateway Timeout"}


@dataclass
class Fault:
    """One armed fault. ``kind``: "status", "drop" or "delay"; ``remaining``: how many
    more matching requests it fires on."""

    route: str
    kind: str
    method: str = "POST"
    status: int = 500
    seconds: float = 0.0
    after: bool = True
    remaining: int = 1
    body: Any = None
    _pattern: re.Pattern | None = field(default=None, repr=False)

    def matches_path(self, method: str, path: str) -> bool:
        """True for a path fault whose method and route match (never for ORDER_PLACED)."""
        if self.route == ORDER_PLACED or self.remaining <= 0:
            return False
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        if self._pattern is None:
            self._pattern = re.compile(self.route)
        return self._pattern.fullmatch(path) is not None


class Faults:
    """The armed faults of one gateway (see the module docstring). Empty = no faults."""

    def __init__(self) -> None:
        self.armed: list[Fault] = []
        self.fired: list[tuple[str, str, str, int | None]] = []

    def fail(self, route: str, status: int, *, count: int = 1, after: bool = True, method: str = "POST",
             body: Any = None) -> Fault:
        """Answer the next ``count`` matching requests with HTTP ``status`` (e.g. 500,
        502, 503, 504). Raises ValueError for a status that is not an error (< 400)."""
        if not 400 <= int(status) <= 599:
            raise ValueError(f"fault status must be an HTTP error (400-599), got {status}")
        return self._arm(Fault(route, "status", method, int(status), 0.0, after, count, body))

    def drop(self, route: str, *, count: int = 1, after: bool = True, method: str = "POST") -> Fault:
        """Close the connection of the next ``count`` matching requests without answering."""
        return self._arm(Fault(route, "drop", method, 0, 0.0, after, count))

    def delay(self, route: str, seconds: float, *, count: int = 1, after: bool = True, method: str = "POST") -> Fault:
        """Hold the answer to the next ``count`` matching requests ``seconds`` (>= 0)."""
        if seconds < 0:
            raise ValueError(f"delay must be >= 0 seconds, got {seconds}")
        return self._arm(Fault(route, "delay", method, 0, float(seconds), after, count))

    def clear(self) -> None:
        """Disarm every fault (``fired`` is kept)."""
        self.armed.clear()

    @property
    def active(self) -> bool:
        """True while any fault is armed."""
        return any(f.remaining > 0 for f in self.armed)

    def _arm(self, fault: Fault) -> Fault:
        if fault.remaining < 1:
            raise ValueError(f"count must be >= 1, got {fault.remaining}")
        if fault.route == ORDER_PLACED:
            fault.after = True
        self.armed.append(fault)
        return fault

    def take(self, method: str, path: str, *, after: bool, placed: bool = False) -> Fault | None:
        """The first armed fault for this request and phase, counted as fired; or None.

        ``after``: the phase (before / after the handler); ``placed``: the handler placed
        or modified an order (only then does an ORDER_PLACED fault match)."""
        for fault in self.armed:
            if fault.remaining <= 0 or fault.after != after:
                continue
            if fault.matches_path(method, path) or (placed and fault.route == ORDER_PLACED):
                fault.remaining -= 1
                self.fired.append((method, path, fault.kind, fault.status if fault.kind == "status" else None))
                self.armed = [f for f in self.armed if f.remaining > 0]
                return fault
        return None
