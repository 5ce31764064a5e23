"""Text formatting of cell values for the blotter tables. Pure functions, no Qt.

Every formatter accepts ``None`` (an unknown value) and returns :data:`EMPTY` for it.
Numbers may be ``Decimal``, ``int`` or ``float``; floats are converted through ``str``
so that 0.1 prints as 0.10, not 0.1000000000000000055.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from desktop.ui.display_clock import DISPLAY_CLOCK

EMPTY = ""
"""What an unknown value (None) shows as."""

PRICE_MIN_DECIMALS = 2
PRICE_MAX_DECIMALS = 4

_number_format = {"thousands": True, "price_decimals": 0}


def set_number_format(*, thousands: bool = True, price_decimals: int = 0) -> None:
    """User preference (Settings): thousands separators on/off; prices with exactly
    ``price_decimals`` decimals (0 = automatic, 2 to 4 as the value needs). Views
    repaint to show it (the formatters are called at paint time)."""
    _number_format["thousands"] = bool(thousands)
    _number_format["price_decimals"] = max(0, int(price_decimals))


def number_format() -> tuple[bool, int]:
    """The current number format: (thousands separators, price decimals)."""
    return _number_format["thousands"], _number_format["price_decimals"]


def _sep() -> str:
    return "," if _number_format["thousands"] else ""

# Display labels of enum values whose default label (capitalised words) reads badly.
_LABELS: dict[str, str] = {
    "BUY": "BUY",
    "SELL": "SELL",
    "DAY": "DAY",
    "GTC": "GTC",
    "IOC": "IOC",
    "FOK": "FOK",
    "CANCELED": "Cancelled",
    "PENDING_CANCEL": "Cancelling",
    "PENDING_UPDATE": "Modifying",
    "STOP_LIMIT": "Stop limit",
}


def to_decimal(value: Any) -> Decimal | None:
    """``value`` as a finite Decimal, or None when it is None / not a finite number."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, bool):
        return None
    elif isinstance(value, (int, float, str)):
        try:
            d = Decimal(str(value))
        except InvalidOperation:
            return None
    else:
        return None
    return d if d.is_finite() else None


def _decimals(d: Decimal) -> int:
    """Number of significant decimal places of ``d`` (trailing zeros ignored)."""
    exp = d.normalize().as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def _fixed(d: Decimal, places: int, sign: str = "") -> str:
    """``d`` with ``places`` decimals and thousands separators; never prints "-0.00"."""
    try:
        q = d.quantize(Decimal(1).scaleb(-places)) if places else d.quantize(Decimal(1))
    except ArithmeticError:  # beyond the context's precision (1e999999): as it came
        return str(d)
    if q == 0:
        q = abs(q)
        sign = ""
    return f"{q:{sign}{_sep()}.{places}f}"


def fmt_price(value: Any, decimals: int | None = None) -> str:
    """A price: 2 decimals, more when the value has them (up to 4): 512.30, 0.1234.

    ``decimals``: the instrument's own (:attr:`Instrument.price_decimals`, or
    :func:`desktop.ui.price_places.places`): at least that many and, when above 4,
    exactly that many (EURUSD 1.10230 with 5, USDJPY 110.120 with 3). The Settings
    level, when set, is kept unless the instrument needs more."""
    d = to_decimal(value)
    if d is None:
        return EMPTY
    low, high = PRICE_MIN_DECIMALS, PRICE_MAX_DECIMALS
    if decimals is not None:
        low, high = max(low, decimals), max(high, decimals)
    forced = _number_format["price_decimals"]
    places = max(forced, low if decimals is not None and decimals > PRICE_MIN_DECIMALS else 0) if forced else \
        min(max(_decimals(d), low), high)
    return _fixed(d, places)


def fmt_qty(value: Any) -> str:
    """A quantity: no trailing zeros, thousands separators: 1,500 / 0.5 / -200."""
    d = to_decimal(value)
    if d is None:
        return EMPTY
    if d == 0:
        return "0"
    return f"{d.normalize():{_sep()}f}"


def fmt_money(value: Any) -> str:
    """An amount of money: thousands separators, 2 decimals: 1,234,567.80."""
    d = to_decimal(value)
    return EMPTY if d is None else _fixed(d, 2)


def fmt_pnl(value: Any, decimals: int | None = None) -> str:
    """Signed profit or loss: +1,234.50 / -12.00 / 0.00; a price change of a pair with
    its ``decimals`` (EURUSD -0.00052), when given and above 2."""
    d = to_decimal(value)
    return EMPTY if d is None else _fixed(d, max(2, decimals or 0), "+")


def fmt_pct(value: Any, signed: bool = True) -> str:
    """A percentage already scaled to 0..100: +1.23% (or 1.23% when not ``signed``)."""
    d = to_decimal(value)
    return EMPTY if d is None else _fixed(d, 2, "+" if signed else "") + "%"


def fmt_int(value: Any) -> str:
    """A whole number with thousands separators (volumes): 12,345,678."""
    d = to_decimal(value)
    return EMPTY if d is None else _fixed(d, 0)


_SCALES = ((Decimal(10) ** 3, "K"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 9, "B"))
COMPACT_FROM = Decimal(100_000)
"""Volumes from this size on are shown compact (883K, 10.8M)."""


def _whole_digits(d: Decimal) -> int:
    """Digits before the decimal point of a non-zero ``d`` (at least 1)."""
    return max(1, d.adjusted() + 1)


def fmt_volume(value: Any) -> str:
    """A volume, compact from 100,000 on with three significant digits: 99,999 /
    159K / 1.62M / 10.8M / 2.41B (the exact figure goes to exports and tooltips)."""
    d = to_decimal(value)
    if d is None:
        return EMPTY
    try:
        return _compact(d) if abs(d) >= COMPACT_FROM else _fixed(d, 0)
    except ArithmeticError:  # beyond the context's precision: as it came
        return str(d)


def _compact(d: Decimal) -> str:
    i = max(j for j, (scale, _) in enumerate(_SCALES) if abs(d) >= scale)
    while True:
        scale, suffix = _SCALES[i]
        scaled = d / scale
        places = max(0, 3 - _whole_digits(scaled))
        text = _fixed(scaled, places)
        rounded = Decimal(text.replace(",", ""))
        if abs(rounded) >= 1000 and i + 1 < len(_SCALES):
            i += 1  # 999,600 is 1.00M, not 1000K
            continue
        if places and _whole_digits(rounded) > 3 - places:  # 9.996M rounds to 10.0M, not 10.00M
            text = _fixed(scaled, places - 1)
        return text + suffix


def local_time(value: datetime) -> datetime:
    """``value`` in the display time zone (machine local unless a replay set the
    exchange's, see desktop.ui.display_clock); naive datetimes are taken as UTC."""
    return DISPLAY_CLOCK.localize(value)


def fmt_time(value: datetime | None, today: date | None = None, connection_id: str = "") -> str:
    """A blotter time on ``connection_id``'s display clock (its exchange's zone, a
    replay's replayed day): HH:MM:SS today, "Mar 01 10:00:00" on another day of this
    year, "2011-12-30 10:00:00" in another year (tooltips and exports give the full
    timestamp).

    ``today`` defaults to the connection's date (the replayed day during a replay).
    """
    if value is None:
        return EMPTY
    local = DISPLAY_CLOCK.localize(value, connection_id)
    today = today or DISPLAY_CLOCK.today(connection_id)
    day = local.date()
    if day == today:
        return local.strftime("%H:%M:%S")
    if day.year == today.year:
        return f"{_MONTHS[day.month - 1]} {day.day:02d} {local:%H:%M:%S}"
    return local.strftime("%Y-%m-%d %H:%M:%S")


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""Month names, whatever the machine's locale (the rest of the app is in English)."""


def fmt_timestamp(value: datetime | None) -> str:
    """Full local date and time, for exports and tooltips: 2026-05-09 14:03:07."""
    return EMPTY if value is None else local_time(value).strftime("%Y-%m-%d %H:%M:%S")


def enum_label(value: Any) -> str:
    """Display label of an enum value: PARTIALLY_FILLED -> "Partially filled", BUY -> "BUY"."""
    if value is None:
        return EMPTY
    raw = value.value if isinstance(value, Enum) else str(value)
    raw = str(raw)
    label = _LABELS.get(raw)
    if label is not None:
        return label
    return raw.replace("_", " ").capitalize()


def fmt_text(value: Any) -> str:
    """Generic text: None -> EMPTY, enums -> :func:`enum_label`, the rest ``str``."""
    if value is None:
        return EMPTY
    if isinstance(value, Enum):
        return enum_label(value)
    return str(value)


def sort_value(value: Any) -> Any:
    """A value Qt can compare natively for sorting (the model's SortRole).

    Numbers become float (so 9 < 10 < 100), datetimes POSIX seconds, enums their label,
    strings are case-folded; None stays None (Qt sorts invalid values last).
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (Decimal, int, float)):
        return float(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    if isinstance(value, Enum):
        return enum_label(value).casefold()
    return str(value).casefold()
