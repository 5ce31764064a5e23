"""Which rateLimitType each fake endpoint counts against (by method and path below
``/backend-api``), following the endpoint table of specs/tradelocker/NOTES.md
section 5 and the types of section 4."""

from __future__ import annotations

import re

_A = r"/trade/accounts/[^/]+"
ROUTES: tuple[tuple[str, str, str], ...] = (
    ("GET", r"/trade/accounts", "GET_ACCOUNTS"),
    ("GET", _A + r"/executions", "GET_EXECUTIONS"),
    ("GET", _A + r"/instruments", "GET_INSTRUMENTS"),
    ("GET", _A + r"/orders", "GET_ORDERS"),
    ("GET", _A + r"/ordersHistory", "GET_ORDERS_HISTORY"),
    ("GET", _A + r"/positions", "GET_POSITIONS"),
    ("GET", _A + r"/state", "GET_ACCOUNTS_STATE"),
    ("GET", r"/trade/instruments/[^/]+", "GET_INSTRUMENT_DETAILS"),
    ("GET", r"/trade/sessions/[^/]+", "GET_TRADE_SESSIONS"),
    ("GET", r"/trade/sessionStatuses/[^/]+", "GET_SESSION_STATUSES"),
    ("POST", _A + r"/orders", "PLACE_ORDER"),
    ("PATCH", r"/trade/orders/[^/]+", "MODIFY_ORDER"),
    ("DELETE", r"/trade/orders/[^/]+", "MODIFY_ORDER"),
    ("DELETE", _A + r"/orders", "MODIFY_ORDER"),
    ("PATCH", r"/trade/positions/[^/]+", "MODIFY_POSITION"),
    ("DELETE", r"/trade/positions/[^/]+", "MODIFY_POSITION"),
    ("DELETE", _A + r"/positions", "MODIFY_POSITION"),
    ("GET", r"/trade/dailyBar", "DAILY_BAR"),
    ("GET", r"/trade/quotes", "QUOTES"),
    ("GET", r"/trade/depth", "DEPTH"),
    ("GET", r"/trade/history", "QUOTES_HISTORY"),
)
_COMPILED = [(m, re.compile(p), kind) for m, p, kind in ROUTES]


def limit_type(method: str, path: str) -> str:
    """The rateLimitType of ``method path``, "" when none applies (config, auth)."""
    for m, regex, kind in _COMPILED:
        if m == method and regex.fullmatch(path):
            return kind
    return ""
