"""Defensive parsing of IBKR Client Portal values: numbers, times, texts.

The Client Portal API (CPAPI v1, see ``specs/ibkr-cpapi/NOTES.md``) sends many numbers
as strings, sometimes with thousands separators (``"1,300"``), a ``C``/``H`` prefix on
the last price (closing / halted: ``"C168.42"``), a magnitude suffix (``"1.2K"``), or
a currency and a note (``"1,977.60 USD (10 Shares)"`` in what-if previews). Times come
as ``YYMMDDhhmmss`` (live orders), ``YYYYMMDD-hh:mm:ss`` (trades, UTC), ``YYYYMMDD``
(expiries) or epoch milliseconds.

Every parser here returns None for a value it cannot read and notes the field and
value: inside a payload reader (``PAYLOADS.item``/``PAYLOADS.payload``) the note goes
into that reader's one log line, else a WARNING is logged with the raw payload
shortened and redacted. None of them raises, whatever the value ("1e999999999",
"²", a nested list). Empty values (None, "", "N/A") are None without a note.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from desktop.brokers.transport.payloads import PayloadLog

log = logging.getLogger("desktop.brokers.ibkr")

PAYLOADS = PayloadLog(log, "IBKR")
"""The adapter's unreadable-payload log: every reader of a gateway payload is
decorated with ``PAYLOADS.item(...)`` or ``PAYLOADS.payload(...)`` (see
:mod:`desktop.brokers.transport.payloads`), and field problems are collected into
that reader's one log line."""

_EMPTY = frozenset({"", "n/a", "na", "-", "--", "null", "none", "nan"})
_SUFFIX = {"K": Decimal(1_000), "M": Decimal(1_000_000), "B": Decimal(1_000_000_000)}
_NUMBER_RE = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,4})?$", re.ASCII)
_INT_RE = re.compile(r"^[+-]?[0-9]{1,19}$", re.ASCII)
_MONEY_RE = re.compile(r"^\s*(?P<num>[+-]?[0-9,]*\.?[0-9]+)\s*(?P<ccy>[A-Z]{3})?", re.ASCII)

MAX_TEXT = 64
"""Longest number text read (longer is unreadable: no CPAPI number is that long)."""
MAX_EXPONENT = 20
"""Numbers of magnitude 1e21 or more, or non-zero below 1e-20, are unreadable: no
price, size or balance is that large or small, and Decimal arithmetic on
"1e999999999" overflows."""
MAX_ID = 2**63 - 1
"""Largest integer id (conids, order ids are 64-bit at most)."""


def warn_unparsed(field: str, value: Any, raw: Any) -> None:
    """Note that ``field`` = ``value`` could not be read: collected into the line of
    the payload reader running now, else logged (WARNING) with ``raw`` shortened."""
    PAYLOADS.problem(f"{field}={_value_text(value)} unreadable", raw)


def _value_text(value: Any) -> str:
    text = repr(value) if not isinstance(value, (dict, list)) else f"<{type(value).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


def _bounded(value: Decimal) -> Decimal | None:
    """``value`` when finite and within :data:`MAX_EXPONENT`, else None."""
    if not value.is_finite():
        return None
    if value and not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
        return None
    return value


def to_decimal(value: Any, field: str = "value", raw: Any = None) -> Decimal | None:
    """A CPAPI number as Decimal, or None.

    Accepts int, float (via its shortest repr), Decimal and strings with commas,
    spaces, a leading ``C``/``H`` (last-price markers) and a trailing ``K``/``M``/``B``
    (thousand / million / billion) or ``%`` (ASCII digits only: "²" is not a number).
    Non-finite numbers, magnitudes beyond :data:`MAX_EXPONENT` ("1e999999999"),
    booleans, containers and anything else unreadable give None, noted with ``field``
    (see :func:`warn_unparsed`; ``raw`` is the payload row, default the value
    itself). Never raises.
    """
    if value is None:
        return None
    result: Decimal | None = None
    if isinstance(value, bool):
        result = None
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value) if -10**MAX_EXPONENT * 10 < value < 10**MAX_EXPONENT * 10 else None
    elif isinstance(value, float):
        result = Decimal(repr(value)) if value == value and value not in (float("inf"), float("-inf")) else None
    elif isinstance(value, str):
        result = _decimal_from_text(value)
        if result is None and value.strip().lower() in _EMPTY:
            return None
    if result is not None:
        result = _bounded(result)
    if result is None:
        warn_unparsed(field, value, raw if raw is not None else value)
    return result


def _decimal_from_text(text: str) -> Decimal | None:
    if len(text) > MAX_TEXT:
        return None
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
    number = _bounded(Decimal(s))  # the regex admits only literals Decimal reads
    return _bounded(number * factor) if number is not None else None


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
    """An integer id (conid, order id) from an int, a whole float or an ASCII digit
    string of at most 19 digits; None (noted, see :func:`warn_unparsed`) otherwise,
    also for "²" and ids beyond 64 bits. Never raises."""
    if value is None or value == "":
        return None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer() and abs(value) <= MAX_ID:
        number = int(value)
    elif isinstance(value, str) and _INT_RE.match(value.strip()):
        number = int(value.strip())
    if number is not None and abs(number) <= MAX_ID:
        return number
    warn_unparsed(field, value, raw if raw is not None else value)
    return None


def text(value: Any) -> str:
    """A display string: None -> "", HTML entities decoded (CPAPI sends ``&#x7F8E;``),
    stripped. An object or a list is not text: "" (the caller treats the field as
    missing). Never raises."""
    if value is None or isinstance(value, (Mapping, list, tuple, set)):
        return ""
    return html.unescape(str(value)).strip()


def epoch_ms(value: Any, field: str = "time", raw: Any = None) -> datetime | None:
    """Epoch milliseconds (int/float/digit string) as aware UTC; values below 1e11 are
    taken as seconds (ledger ``timestamp``). None (noted) when unreadable or outside
    the years datetime can hold. Never raises."""
    number = to_decimal(value, field, raw)
    if number is None:
        return None
    seconds = number / 1000 if abs(number) >= Decimal("1e11") else number
    try:
        return datetime.fromtimestamp(float(seconds), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        warn_unparsed(field, value, raw if raw is not None else value)
        return None


def _digits(s: str) -> bool:
    return s.isascii() and s.isdigit()


def to_datetime(value: Any, field: str = "time", raw: Any = None) -> datetime | None:
    """A CPAPI time as aware UTC datetime, or None (noted when unreadable). Never raises.

    Formats: ``YYYYMMDD-hh:mm:ss`` (trades ``trade_time``, history ``startTime``),
    ``YYMMDDhhmmss`` (live orders ``lastExecutionTime``), ``YYYYMMDD`` (midnight UTC),
    and epoch milliseconds as number or ASCII digit string of 10 digits or more
    (``*_r`` fields).
    """
    if value is None or value == "":
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return epoch_ms(value, field, raw)
    if isinstance(value, str) and len(value) <= MAX_TEXT:
        s = value.strip()
        formats = []
        if len(s) == 17 and s[8] == "-" and s.isascii():
            formats.append("%Y%m%d-%H:%M:%S")
        elif len(s) == 12 and _digits(s):
            formats.append("%y%m%d%H%M%S")
        elif len(s) == 8 and _digits(s):
            formats.append("%Y%m%d")
        elif _digits(s) and len(s) >= 10:
            return epoch_ms(int(s), field, raw)
        for fmt in formats:
            try:
                return datetime.strptime(s, fmt).replace(tzinfo=timezone.utc)
            except ValueError:
                pass
    warn_unparsed(field, value, raw if raw is not None else value)
    return None


def to_date(value: Any, field: str = "date", raw: Any = None) -> date | None:
    """``YYYYMMDD`` (expiry, maturityDate) as a date; None (noted) when unreadable.
    Never raises."""
    if value is None or value == "":
        return None
    s = value.strip() if isinstance(value, str) else str(value) if isinstance(value, int) else ""
    if len(s) == 8 and _digits(s):
        try:
            return datetime.strptime(s, "%Y%m%d").date()
        except ValueError:
            pass
    warn_unparsed(field, value, raw if raw is not None else value)
    return None


def number_json(value: Decimal | int | None) -> int | float | None:
    """A Decimal as a JSON number for a CPAPI body (int when whole, else float).
    Raises ValueError for NaN or infinity (callers validate first: see
    :func:`desktop.brokers.ibkr.order_body.check_numbers`)."""
    if value is None:
        return None
    d = Decimal(value)
    if not d.is_finite():
        raise ValueError(f"not a number: {d}")
    return int(d) if d == d.to_integral_value() else float(d)
