"""Connect Trade's wire format: the adapter's payload log, the broker kind, and the
total readers of one field (numbers that may be strings, texts, timestamps). See the
package docstring for the sources."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop.brokers.transport.payloads import PayloadLog


log = logging.getLogger("desktop.brokers.connecttrade")
PAYLOADS = PayloadLog(log, "Connect Trade")
"""The adapter's unreadable-payload log (one line per unreadable row)."""

BROKER = "connecttrade"

# -- field readers ----------------------------------------------------------------------
_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$", re.ASCII)
MAX_EXPONENT = 15


def number(row: Mapping[str, Any], name: str, *, required: bool = False) -> Decimal | None:
    """``row[name]`` as Decimal: a JSON number or a numeric string (ASCII digits only;
    magnitudes beyond 1e15 and non-finite values are unreadable). None when absent
    or null; an unreadable value is noted (:data:`PAYLOADS`) and gives None, and a
    ``required`` one raises ValueError (the row is skipped)."""
    value = row.get(name)
    if value is None or value == "":
        if required:
            raise ValueError(f"{name} missing")
        return None
    result: Decimal | None = None
    if isinstance(value, bool):
        result = None
    elif isinstance(value, int):
        result = Decimal(value) if abs(value) < 10**MAX_EXPONENT else None
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str) and len(value) <= 40 and _NUMBER.match(value.strip()):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            result = None
    if result is not None and (not result.is_finite() or (result and abs(result.adjusted()) > MAX_EXPONENT)):
        result = None
    if result is None:
        PAYLOADS.problem(f"{name}={shorten(value)} unreadable")
        if required:
            raise ValueError(f"{name} unreadable")
    return result


def text(row: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    """``row[name]`` as stripped text ("" when absent); ``required``: ValueError when empty."""
    value = row.get(name)
    out = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if required and not out:
        PAYLOADS.problem(f"{name}={shorten(value)} missing or unreadable")
        raise ValueError(f"{name} missing")
    return out


def timestamp(row: Mapping[str, Any], name: str) -> datetime | None:
    """``row[name]`` as an aware UTC datetime: ISO 8601 text (``Z`` or an offset), or
    epoch seconds / milliseconds as a number. None (noted) when unreadable."""
    value = row.get(name)
    if value is None or value == "":
        return None
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value) / (1000 if abs(value) > 1e11 else 1)
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        if isinstance(value, str) and len(value) <= 40:
            if value.strip().isascii() and value.strip().isdigit():
                return timestamp({name: int(value.strip())}, name)
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    except (ValueError, OverflowError, OSError):
        pass
    PAYLOADS.problem(f"{name}={shorten(value)} unreadable")
    return None


def shorten(value: Any) -> str:
    """``value`` for a log line: its repr up to 40 characters, a container by its type."""
    out = repr(value) if not isinstance(value, (dict, list)) else f"<{type(value).__name__}>"
    return out if len(out) <= 40 else out[:37] + "..."
