"""Connect Trade's wire format, the mdstream websocket: authenticate, subscribe and
unsubscribe messages, frame kinds and the bar message reader. Source: NOTES.md
section 3.3."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from desktop.domain import Bar, Interval

from .values import PAYLOADS, number, text, timestamp
from .requests import SESSION, STREAM_VERSION


def authenticate_message(token: str, request_id: str) -> dict[str, Any]:
    """``{"action": "authenticate", "access_token", "request_id", "version": "v1.0"}``."""
    return {"action": "authenticate", "access_token": token, "request_id": request_id, "version": STREAM_VERSION}


def subscribe_message(symbol: str, interval: Interval, backfill: int, request_id: str) -> dict[str, Any]:
    """``{"action": "subscribe", "channel": "bars", "symbol", "interval", "session":
    "USEqCore", "request_id", "backfill_nbars"}``."""
    return {"action": "subscribe", "channel": "bars", "symbol": symbol, "interval": Interval(interval).value,
            "session": SESSION, "request_id": request_id, "backfill_nbars": int(backfill)}


def unsubscribe_message(symbol: str, interval: Interval, request_id: str) -> dict[str, Any]:
    """``{"action": "unsubscribe", "channel": "bars", "symbol", "interval", "request_id"}`` (ASSUMED)."""
    return {"action": "unsubscribe", "channel": "bars", "symbol": symbol, "interval": Interval(interval).value,
            "request_id": request_id}


def is_auth_success(frame: Mapping[str, Any]) -> bool:
    return frame.get("type") == "auth_success"


def is_error(frame: Mapping[str, Any]) -> bool:
    return frame.get("type") in ("error", "auth_error", "auth_failed")


def is_bar(frame: Mapping[str, Any]) -> bool:
    """A bar message: it carries ``c`` (the cookbook's test) and is no ack."""
    return "c" in frame and frame.get("type") not in ("subscribed", "unsubscribed")


@PAYLOADS.item("bar message")
def read_bar(frame: Any, default_interval: Interval | None = None) -> Bar | None:
    """A bar message (``symbol``, ``interval``, ``t`` the bar's start, ``o h l c v``,
    numbers or numeric strings) -> Bar; None (logged) when unreadable."""
    interval_text = text(frame, "interval")
    interval = Interval(interval_text) if interval_text in {i.value for i in Interval} else default_interval
    if interval is None:
        raise ValueError("interval")
    start = timestamp(frame, "t")
    if start is None:
        raise ValueError("t")
    close = number(frame, "c", required=True)
    o, h, low = (number(frame, k) for k in ("o", "h", "l"))
    o = o if o is not None else close
    h = h if h is not None else max(o, close)
    low = low if low is not None else min(o, close)
    return Bar(symbol=text(frame, "symbol", required=True).upper(), interval=interval, start=start, open=o, high=h,
               low=low, close=close, volume=number(frame, "v") or Decimal(0), raw=frame)
