"""Total reading of numbers in broker payloads: JSON numbers and decimal strings to
Decimal, never an exception. Broker-neutral.

Brokers send prices and quantities as JSON numbers (``12.34``) or decimal strings
(``"12.34"``, SnapTrade's order and position fields, specs/snaptrade/NOTES.md section
4). :func:`read_decimal` accepts exactly those: ASCII digits with an optional sign,
fraction and exponent ("²" is not a number), finite, of a sane magnitude
("1e999999999" would overflow later arithmetic). Anything else is None, noted through
the adapter's :class:`~desktop.brokers.transport.payloads.PayloadLog` (collected into
the running reader's one log line). ``None`` and "" are None without a note.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from .payloads import PayloadLog

NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,4})?", re.ASCII)
MAX_TEXT = 64
"""Longest number text read."""
MAX_EXPONENT = 20
"""Magnitudes of 1e21 and more, and non-zero values below 1e-20, are unreadable."""


def read_decimal(value: Any, field: str, payloads: PayloadLog | None = None) -> Decimal | None:
    """``value`` (int, float, Decimal or decimal text) as a finite Decimal, or None
    (noted as "``field``=<value> unreadable" unless the value is None or "")."""
    if value is None or value == "":
        return None
    number: Decimal | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = Decimal(value) if abs(value) < 10 ** (MAX_EXPONENT + 1) else None
    elif isinstance(value, (float, Decimal)):
        number = Decimal(repr(value)) if isinstance(value, float) else value
    elif isinstance(value, str) and len(value) <= MAX_TEXT and NUMBER.fullmatch(value.strip()):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = None
    if number is not None:
        try:
            if not number.is_finite() or (number and not -MAX_EXPONENT <= number.adjusted() <= MAX_EXPONENT):
                number = None
        except (InvalidOperation, ValueError):
            number = None
    if number is None and payloads is not None:
        text = repr(value) if not isinstance(value, (dict, list)) else f"<{type(value).__name__}>"
        payloads.problem(f"{field}={text[:40]} unreadable")
    return number


def json_number(value: Decimal | None) -> int | float | None:
    """A Decimal for a JSON body: an int when whole, else the float of its text
    (prices and quantities of an order; what SnapTrade's own Python SDK sends)."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)
