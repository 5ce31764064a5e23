"""Defensive parsing of IBKR Client Portal values: numbers, times, texts.

The Client Portal API (CPAPI v1, see ``specs/ibkr-cpapi/NOTES.md``) sends many numbers
as strings, sometimes with thousands separators (``"1,300"``), a ``C``/``H`` prefix on
the last price (closing / halted: ``"C168.42"``), a magnitude suffix (``"1.2K"``), or
a currency and a note (``"1,977.60 USD (10 Shares)"`` in what-if previews). Times come
as ``YYMMDDhhmmss`` (live orders), ``YYYYMMDD-hh:mm:ss`` (trades, UTC), ``YYYYMMDD``
(expiries) or epoch milliseconds.

Every parser here returns None for a value it cannot read and logs a WARNING with the
field name and the raw payload; none of them raises. Empty values (None, "", "N/A")
are None without a warning.
"""

from __future__ import annotations

import html
import logging
import re
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

log = logging.getLogger("desktop.brokers.ibkr")

_EMPTY = frozenset({"", "n/a", "na", "-", "--", "null", "none", "nan"})
_SUFFIX = {"K": Decimal(1_000), "M": Decimal(1_000_000), "B": Decimal(1_000_000_000)}
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_MONEY_RE = re.compile(r"^\s*(?P<num>[+-]?[\d,]*\.?\d+)\s*(?P<ccy>[A-Z]{3})?")


def warn_unparsed(field: str, value: Any, raw: Any) -> None:
    """Log (WARNING) that ``field`` = ``value`` could not be read, with the payload."""
    log.warning("IBKR: cannot read %s=%r; payload: %r", field, value, raw)


def to_decimal(value: Any, field: str = "value", raw: Any = None) -> Decimal | None:
    """A CPAPI number as Decimal, or None.

    Accepts int, float (via its shortest repr), Decimal and strings with commas,
    spaces, a leading ``C``/``H`` (last-price markers) and a trailing ``K``/``M``/``B``
    (thousand / million / billion) or ``%``. Non-finite numbers, booleans and anything
    else unreadable give None and a WARNING naming ``field`` with ``raw`` (the payload
    row, default the value itself). Never raises.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        warn_unparsed(field, value, raw if raw is not None else value)
        return None
    if isinstance(value, Decimal):
        result: Decimal | None = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value)) if value == value and value not in (float("inf"), float("-inf")) else None
    elif isinstance(value, str):
        result = _decimal_from_text(value)
        if result is None and value.strip().lower() in _EMPTY:
            return None
    else:
        result = None
    if result is None or not result.is_finite():
        warn_unparsed(field, value, raw if raw is not None else value)
        return None
    return result


def _decimal_from_text(text: str) -> Decimal | None:
    s = text.strip().replace(",", "").replace(" ", "").replace("\u00a0", "")
    if s.lower() in _EMPTY:
        return None
    if s[:1] in ("C", "H") and len(s) > 1:
        s = s[1:]
    if s.endswith("%"):
        s = s[:-1]
    factor = Decimal(1)
    if s[-1:].upper() in _SUFFIX and len(s) > 1:
        factor = _SUFFIX[s[-1:].upper()]
        s = s[:-1]
    if not _NUMBER_RE.match(s):
        return None
    try:
        return Decimal(s) * factor
    except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
        return None


def money_text(value: Any, field: str = "value", raw: Any = None) -> tuple[Decimal | None, str | None]:
    """``(amount, currency)`` from a what-if string such as ``"1,977.60 USD (10 Shares)"``,
    ``"1 USD"`` or ``"123,455"`` (currency None). Unreadable: ``(None, None)`` + WARNING."""
    if value is None or (isinstance(value, str) and value.strip().lower() in _EMPTY):
        return None, None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return to_decimal(value, field, raw), None
    if isinstance(value, str):
        m = _MONEY_RE.match(value)
        if m:
            amount = _decimal_from_text(m.group("num"))
            if amount is not None:
                return amount, m.group("ccy")
    warn_unparsed(field, value, raw if raw is not None else value)
    return None, None


def to_int(value: Any, field: str = "value", raw: Any = None) -> int | None:
    """An integer id (conid, order id) from int or digit string; None + WARNING otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        warn_unparsed(field, value, raw if raw is not None else value)
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    warn_unparsed(field, value, raw if raw is not None else value)
    return None


def text(value: Any) -> str:
    """A display string: None -> "", HTML entities decoded (CPAPI sends ``&#x7F8E;``), stripped."""
    if value is None:
        return ""
    return html.unescape(str(value)).strip()


def epoch_ms(value: Any, field: str = "time", raw: Any = None) -> datetime | None:
    """Epoch milliseconds (int/float/digit string) as aware UTC; values below 1e11 are
    taken as seconds (ledger ``timestamp``). None + WARNING when unreadable."""
    number = to_decimal(value, field, raw)
    if number is None:
        return None
    seconds = number / 1000 if abs(number) >= Decimal("1e11") else number
    try:
        return datetime.fromtimestamp(float(seconds), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        warn_unparsed(field, value, raw if raw is not None else value)
        return None


def to_datetime(value: Any, field: str = "time", raw: Any = None) -> datetime | None:
    """A CPAPI time as aware UTC datetime, or None (+ WARNING when unreadable).

    Formats: ``YYYYMMDD-hh:mm:ss`` (trades ``trade_time``, history ``startTime``),
    ``YYMMDDhhmmss`` (live orders ``lastExecutionTime``), ``YYYYMMDD`` (midnight UTC),
    and epoch milliseconds as number or digit string of 13 digits (``*_r`` fields).
    """
    if value is None or value == "":
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return epoch_ms(value, field, raw)
    if isinstance(value, str):
        s = value.strip()
        formats = []
        if len(s) == 17 and s[8] == "-":
            formats.append("%Y%m%d-%H:%M:%S")
        elif len(s) == 12 and s.isdigit():
            formats.append("%y%m%d%H%M%S")
        elif len(s) == 8 and s.isdigit():
            formats.append("%Y%m%d")
        elif s.isdigit() and len(s) >= 10:
            return epoch_ms(int(s), field, raw)
        for fmt in formats:
            try:
                return datetime.strptime(s, fmt).replace(tzinfo=timezone.utc)
            except ValueError:
                pass
    warn_unparsed(field, value, raw if raw is not None else value)
    return None


def to_date(value: Any, field: str = "date", raw: Any = None) -> date | None:
    """``YYYYMMDD`` (expiry, maturityDate) as a date; None + WARNING when unreadable."""
    if value is None or value == "":
        return None
    s = str(value).strip()
    if len(s) == 8 and s.isdigit():
        try:
            return datetime.strptime(s, "%Y%m%d").date()
        except ValueError:
            pass
    warn_unparsed(field, value, raw if raw is not None else value)
    return None


def number_json(value: Decimal | int | None) -> int | float | None:
    """A Decimal as a JSON number for a CPAPI body (int when whole, else float)."""
    if value is None:
        return None
    d = Decimal(value)
    return int(d) if d == d.to_integral_value() else float(d)
