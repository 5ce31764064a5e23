"""Client-side pacing from ``/trade/config`` ``rateLimits`` (specs/tradelocker/NOTES.md
section 4): at most ``limit`` requests per ``intervalNum`` SECONDS/MINUTES for each
``rateLimitType``, as :class:`~desktop.brokers.transport.PaceRule` s of the kit's
pacer, each for the method and path pattern of its endpoints; and the
``QUOTES_HISTORY_BARS`` limit of ``limits``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from desktop.brokers.transport import PaceRule

log = logging.getLogger(__name__)

_A = r"/trade/accounts/[^/]+"
ENDPOINTS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "GET_ACCOUNTS": (("GET", r"/trade/accounts"),),
    "GET_EXECUTIONS": (("GET", _A + r"/executions"),),
    "GET_INSTRUMENTS": (("GET", _A + r"/instruments"),),
    "GET_ORDERS": (("GET", _A + r"/orders"),),
    "GET_ORDERS_HISTORY": (("GET", _A + r"/ordersHistory"),),
    "GET_POSITIONS": (("GET", _A + r"/positions"),),
    "GET_ACCOUNTS_STATE": (("GET", _A + r"/state"),),
    "GET_INSTRUMENT_DETAILS": (("GET", r"/trade/instruments/[^/]+"),),
    "GET_TRADE_SESSIONS": (("GET", r"/trade/sessions/[^/]+"),),
    "GET_SESSION_STATUSES": (("GET", r"/trade/sessionStatuses/[^/]+"),),
    "PLACE_ORDER": (("POST", _A + r"/orders"),),
    "MODIFY_ORDER": (("PATCH", r"/trade/orders/[^/]+"), ("DELETE", r"/trade/orders/[^/]+"), ("DELETE", _A + r"/orders")),
    "MODIFY_POSITION": (("PATCH", r"/trade/positions/[^/]+"), ("DELETE", r"/trade/positions/[^/]+"),
                        ("DELETE", _A + r"/positions")),
    "DAILY_BAR": (("GET", r"/trade/dailyBar"),),
    "QUOTES": (("GET", r"/trade/quotes"),),
    "DEPTH": (("GET", r"/trade/depth"),),
    "TRADES": (("GET", r"/trade/trades"),),
    "QUOTES_HISTORY": (("GET", r"/trade/history"),),
}
"""rateLimitType -> the (method, path pattern) pairs it limits."""

DEFAULT_HISTORY_BARS = 20000
"""QUOTES_HISTORY_BARS when the config does not say (T3: over 20,000 is rejected)."""


def pace_rules(rate_limits: Any) -> tuple[list[PaceRule], dict[str, tuple[int, float]]]:
    """PaceRules for the config's ``rateLimits``, and rateLimitType -> (limit,
    seconds) of the ones read. An unreadable entry or an unknown type is logged
    and skipped (requests of an unknown type are then paced only globally)."""
    rules: list[PaceRule] = []
    read: dict[str, tuple[int, float]] = {}
    for entry in rate_limits if isinstance(rate_limits, list) else ():
        if not isinstance(entry, Mapping):
            continue
        kind, measure = entry.get("rateLimitType"), entry.get("measure")
        limit, interval = entry.get("limit"), entry.get("intervalNum")
        unit = {"SECONDS": 1.0, "MINUTES": 60.0}.get(str(measure))
        if (kind not in ENDPOINTS or unit is None or not isinstance(limit, int) or isinstance(limit, bool)
                or limit <= 0 or not isinstance(interval, (int, float)) or isinstance(interval, bool)
                or interval <= 0):
            log.warning("TradeLocker rate limit %r not understood; skipped", entry)
            continue
        seconds = float(interval) * unit
        read[kind] = (limit, seconds)
        pairs = ENDPOINTS[kind]
        pattern = "|".join(sorted({p for _m, p in pairs}))
        rules.append(PaceRule(f"(?:{pattern})", max_calls=limit, per_seconds=seconds,
                              methods=frozenset(m for m, _p in pairs)))  # one window per type
    return rules, read


def history_bars(limits: Any) -> int:
    """``QUOTES_HISTORY_BARS`` of the config's ``limits`` (default 20,000)."""
    for entry in limits if isinstance(limits, list) else ():
        if isinstance(entry, Mapping) and entry.get("limitType") == "QUOTES_HISTORY_BARS":
            value = entry.get("limit")
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return DEFAULT_HISTORY_BARS
