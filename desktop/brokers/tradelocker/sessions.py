"""An instrument's trading session status (specs/tradelocker/NOTES.md section 5:
``GET /trade/sessionStatuses/{id}`` with ``allowedOperations`` and
``allowedOrderTypes``; the id is the details' ``tradeSessionStatusId``), for the
ticket: whether the market is open and which order types it takes now."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from desktop.domain import OrderType

from . import parse

_TYPES = {"market": OrderType.MARKET, "limit": OrderType.LIMIT, "stop": OrderType.STOP}


@dataclass(frozen=True)
class SessionStatus:
    """``name`` as TradeLocker says it ("Open", "Closed", ...), ``order_types`` the
    session allows now, ``is_open`` (an open session allows market orders, or its
    name says open), ``raw`` the answer."""

    name: str
    order_types: frozenset[OrderType]
    is_open: bool
    raw: Any = None


def read_session_status(body: Any) -> SessionStatus:
    """The SessionStatus of a ``/trade/sessionStatuses/{id}`` answer (``d``); an
    unreadable one is a closed session with no order types (noted)."""
    if not isinstance(body, Mapping):
        parse.problem("sessionStatus", body)
        return SessionStatus("unknown", frozenset(), False, body)
    name = parse.text(body.get("name")) or "unknown"
    types = frozenset(_TYPES[t.lower()] for t in body.get("allowedOrderTypes") or ()
                      if isinstance(t, str) and t.lower() in _TYPES)
    is_open = OrderType.MARKET in types or name.lower().startswith("open")
    return SessionStatus(name, types, is_open, body)
