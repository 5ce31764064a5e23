"""Connect Trade's wire format, requests: endpoints and paths, header names, limits,
order-type, time-in-force and status codes, the POST /orders body and query
parameters. Source: NOTES.md section 3.2 (users and connections: section 2)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from desktop.domain import OrderRequest, OrderStatus, OrderType, TimeInForce


# -- endpoints (NOTES.md section 3.2; users/connections section 2) ----------------------
BASE_URL = "https://api.connecttrade.com"
MDSTREAM_URL = "wss://mdstream.connecttrade.com"
ACCOUNTS = "/accounts"
BALANCES = "/balances"
POSITIONS = "/positions"
ORDERS = "/orders"
TRANSACTIONS = "/transactions"
USERS = "/users"
CONNECTIONS = "/connections"


def cancel_path(account_id: str, order_id: str) -> str:
    """DELETE path of one order: ``/accounts/{account_id}/orders/{order_id}``."""
    return f"/accounts/{account_id}/orders/{order_id}"


def token_path(connection_id: str) -> str:
    """GET path of a market-data token: ``/connections/{connection_id}/token``."""
    return f"/connections/{connection_id}/token"


def connection_path(connection_id: str) -> str:
    """DELETE path unlinking a brokerage: ``/connections/{connection_id}``."""
    return f"/connections/{connection_id}"


HEADER_NAMES = ("client-id", "client-secret", "user-id", "user-secret")
"""The four headers every request carries (NOTES.md section 3.1)."""
MAX_CL_ORDER_ID = 30
"""Longest ``cl_order_id`` (the cookbook cuts a UUID4 string to 30 characters)."""
ORDERS_LIMIT = "500"
"""``limit`` of the orders snapshot (the cookbook's largest; sent as a string)."""
SORT_RECENT = "last_exec_time:desc"
SESSION = "USEqCore"
STREAM_VERSION = "v1.0"

# -- orders ---------------------------------------------------------------------------
ORDER_TYPES = {OrderType.MARKET: "MKT", OrderType.LIMIT: "LMT", OrderType.STOP: "STP", OrderType.STOP_LIMIT: "STP LMT"}
ORDER_TYPES_IN = {v: k for k, v in ORDER_TYPES.items()} | {"MARKET": OrderType.MARKET, "LIMIT": OrderType.LIMIT,
                                                          "STOP": OrderType.STOP, "STOP_LIMIT": OrderType.STOP_LIMIT,
                                                          "STP_LMT": OrderType.STOP_LIMIT}
TIFS = {TimeInForce.DAY: "DAY", TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK"}
STATUSES = {
    "PENDING_NEW": OrderStatus.SUBMITTED, "PENDING": OrderStatus.SUBMITTED, "SUBMITTED": OrderStatus.SUBMITTED,
    "NEW": OrderStatus.ACCEPTED, "OPEN": OrderStatus.ACCEPTED, "ACCEPTED": OrderStatus.ACCEPTED,
    "WORKING": OrderStatus.ACCEPTED, "PENDING_REPLACE": OrderStatus.PENDING_UPDATE,
    "PENDING_CANCEL": OrderStatus.PENDING_CANCEL, "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "PARTIAL": OrderStatus.PARTIALLY_FILLED, "FILLED": OrderStatus.FILLED, "CANCELLED": OrderStatus.CANCELED,
    "CANCELED": OrderStatus.CANCELED, "REJECTED": OrderStatus.REJECTED, "EXPIRED": OrderStatus.EXPIRED,
    "DONE_FOR_DAY": OrderStatus.EXPIRED,
}
"""``normalized_status`` (ASSUMED values; upper-cased, spaces and dashes as ``_``) ->
OrderStatus."""


def cl_order_id(client_order_id: str) -> str:
    """The ``cl_order_id`` sent for a request's ``client_order_id``: itself when at most
    30 characters, else its first 30 (as the cookbook cuts a UUID): deterministic, so
    a retry of the same request sends the same id."""
    return client_order_id[:MAX_CL_ORDER_ID]


def order_body(request: OrderRequest, broker_code: str) -> dict[str, Any]:
    """The POST /orders body of ``request`` for an account at ``broker_code``
    (NOTES.md section 3.2: account_id, cl_order_id, broker, side, order_qty as a
    string, order_type, order_tif, instrument STK or OPT with the OCC symbol, symbol;
    ``limit_price`` / ``stop_price`` as strings, ASSUMED names)."""
    body: dict[str, Any] = {
        "account_id": request.account_id,
        "cl_order_id": cl_order_id(request.client_order_id),
        "broker": broker_code,
        "side": request.side.value,
        "order_qty": plain(request.amount),
        "order_type": ORDER_TYPES[request.type],
        "order_tif": TIFS[request.time_in_force],
        "instrument": "OPT" if request.instrument.is_option else "STK",
        "symbol": request.instrument.symbol,
    }
    if request.limit_price is not None:
        body["limit_price"] = plain(request.limit_price)
    if request.stop_price is not None:
        body["stop_price"] = plain(request.stop_price)
    return body


def plain(value: Decimal) -> str:
    """``value`` as a plain numeric string ("10", "187.25"; never "1E+1")."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def orders_params(*, status: str = "all", start_time: datetime | None = None, symbols: str | None = None,
                  limit: str = ORDERS_LIMIT) -> dict[str, str]:
    """GET /orders query: ``status`` (open/filled/all), ``sort``, ``limit`` (a string),
    ``start_time`` (``YYYY-MM-DDTHH:MM:SSZ``), ``symbols``."""
    params = {"status": status, "sort": SORT_RECENT, "limit": limit}
    if start_time is not None:
        params["start_time"] = start_time.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if symbols:
        params["symbols"] = symbols
    return params


def transactions_params(start: date, end: date) -> dict[str, str]:
    """GET /transactions query: ``start_date`` / ``end_date`` as ``YYYY-MM-DD``."""
    return {"start_date": start.isoformat(), "end_date": end.isoformat()}
