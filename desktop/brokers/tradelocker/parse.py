"""Total reading of TradeLocker values (specs/tradelocker/NOTES.md sections 2, 5, 7).

TradeLocker sends numbers as JSON numbers or as text, ids as text or integers (order
and position ids exceed 2**53: never read them through a float), booleans as
``true``/``"true"``, times as epoch milliseconds. Every reader here returns None for
a value it cannot read and notes the field and value through :data:`PAYLOADS`
(collected into the running payload reader's one log line, see
:mod:`desktop.brokers.transport.payloads`); none raises, whatever the value
("1e999999999", "²", a nested list).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop.brokers.transport.payloads import PayloadLog

log = logging.getLogger("desktop.brokers.tradelocker")

PAYLOADS = PayloadLog(log, "TradeLocker")
"""The adapter's unreadable-payload log (every row reader is decorated with it)."""

_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$", re.ASCII)
_ID = re.compile(r"^[0-9]{1,20}$", re.ASCII)
_EMPTY = frozenset({"", "null", "none", "nan", "n/a"})
MAX_MAGNITUDE = Decimal("1e18")
MAX_MS = 253402300799999  # 9999-12-31


def problem(field: str, value: Any) -> None:
    """Note that ``field`` = ``value`` could not be read."""
    shown = repr(value) if not isinstance(value, (dict, list)) else f"<{type(value).__name__}>"
    PAYLOADS.problem(f"{field}={shown[:60]} unreadable")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in _EMPTY)


def decimal(value: Any, field: str) -> Decimal | None:
    """A Decimal from a JSON number or number text; None (noted) when unreadable,
    None (silently) when empty. Floats go through ``repr`` (shortest round trip)."""
    if _empty(value):
        return None
    if isinstance(value, bool):
        problem(field, value)
        return None
    if isinstance(value, int):
        out = Decimal(value)
    elif isinstance(value, float):
        out = Decimal(repr(value))
    elif isinstance(value, str) and len(value) <= 40 and _NUMBER.match(value.strip()):
        try:
            out = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            problem(field, value)
            return None
    else:
        problem(field, value)
        return None
    if not out.is_finite() or abs(out) >= MAX_MAGNITUDE:
        problem(field, value)
        return None
    return out


def ident(value: Any, field: str) -> str | None:
    """An id as text ("7349874591890625910"): from text or an integer, never via a
    float (a float id has lost digits: refused, noted). None when empty or "0"."""
    if _empty(value) or value == 0 or value == "0":
        return None
    if isinstance(value, bool) or isinstance(value, float):
        problem(field, value)
        return None
    text = str(value).strip() if isinstance(value, (int, str)) else None
    if text is None or not _ID.match(text):
        problem(field, value)
        return None
    return str(int(text))


def text(value: Any) -> str:
    """A text field ("" for null)."""
    return "" if value is None else str(value).strip() if isinstance(value, (str, int)) else ""


def flag(value: Any) -> bool | None:
    """``true``/``"true"`` -> True, ``false``/``"false"`` -> False, else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def millis(value: Any, field: str) -> datetime | None:
    """A UTC datetime from epoch milliseconds (number or text); None (noted) when
    unreadable or out of range."""
    number = decimal(value, field)
    if number is None:
        return None
    if number < 0 or number > MAX_MS:
        problem(field, value)
        return None
    return datetime.fromtimestamp(float(number) / 1000, timezone.utc)


def to_millis(when: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(when.timestamp() * 1000)
