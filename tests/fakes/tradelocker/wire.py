"""How the fake writes and reads TradeLocker's wire values: the envelope
(``{"s":"ok","d":…}`` / ``{"s":"error","errmsg":…}``), numbers as text, ids as text
(they exceed 2**53), times as epoch milliseconds (specs/tradelocker/NOTES.md
sections 2 and 5)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from .engine import Refused


def ok(d: Any, status: int = 200) -> web.Response:
    """``{"s":"ok","d":d}``."""
    return web.json_response({"s": "ok", "d": d}, status=status)


def fail(message: str, status: int = 400) -> web.Response:
    """``{"s":"error","errmsg":message}`` with HTTP ``status``."""
    return web.json_response({"s": "error", "errmsg": message}, status=status)


def num(value: Decimal | int | None) -> str | None:
    """A number as the server writes it in rows: text, or null."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
        return text
    return str(value)


def decimal_field(body: dict[str, Any], name: str) -> Decimal | None:
    """``body[name]`` as a Decimal (text or number); None when absent/null.
    Raises Refused naming the field for anything else."""
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise Refused(f"{name} must be a number, not {value!r}")
    try:
        out = Decimal(str(value))
    except InvalidOperation:
        raise Refused(f"{name} must be a number, not {value!r}") from None
    if not out.is_finite():
        raise Refused(f"{name} must be a finite number")
    return out


def int_field(value: Any, name: str) -> int:
    """An id (text or integer) as int. Raises Refused."""
    text = str(value).strip() if value is not None and not isinstance(value, bool) else ""
    if not text.isascii() or not text.isdigit():
        raise Refused(f"{name} must be an id, not {value!r}")
    return int(text)
