"""The fake's linked accounts and the JSON rows it answers with.

Two linked brokerage accounts of the test user, at different brokers:

- :data:`TRADING_ACCOUNT` (Alpaca, connection type ``trade``), backed by the paper
  broker's one account ``PAPER``: its balances, positions, orders and fills are the
  paper broker's, on the paper broker's replayed market;
- :data:`READONLY_ACCOUNT` (tastytrade, connection type ``readonly``): fixed holdings
  marked to the same market, one of them without ``unrealized_pl`` (null, as the
  cookbook allows), two in symbols the market does not quote (marked at fixed
  prices) and a row of quantity 0 (the cookbook's concentration sample skips it).

Numbers go out the way the cookbook reads them (``float()`` of a number or a
numeric string): quantities and prices as strings, some as JSON numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from desktop.domain import Fill, Order, OrderStatus, OrderType, Position


@dataclass(frozen=True)
class LinkedAccount:
    """One linked brokerage account: ``account_id`` (Connect Trade's id),
    ``account_number`` (the broker's), ``institution_name``, ``broker`` code,
    ``connection_id`` and ``connection_type`` (trade / readonly)."""

    account_id: str
    account_number: str
    institution_name: str
    broker: str
    connection_id: str
    connection_type: str

    def row(self) -> dict[str, Any]:
        """The account as GET /accounts lists it."""
        return {"account_id": self.account_id, "account_number": self.account_number,
                "institution_name": self.institution_name, "broker": self.broker,
                "connection_id": self.connection_id, "connection_type": self.connection_type}


TRADING_ACCOUNT = LinkedAccount("acct_alp_7f3a91", "PA3X9Q2L7M", "Alpaca", "ALPACA", "conn_alpaca_51c2", "trade")
READONLY_ACCOUNT = LinkedAccount("acct_tt_2b9104", "5WT48213", "tastytrade", "TASTYTRADE", "conn_tasty_88d0",
                                 "readonly")
ACCOUNTS = (TRADING_ACCOUNT, READONLY_ACCOUNT)
PAPER_ACCOUNT = "PAPER"
"""The paper broker's account behind :data:`TRADING_ACCOUNT`."""

CREDENTIALS = {
    "client-id": "ct_client_tradedesk_test",
    "client-secret": "ct_csecret_9Yq2XbL4nR7w",
    "user-id": "6f1c2a4e-93b7-4f0e-9d1a-2c5e8b7a41d3",
    "user-secret": "ct_usecret_Hk83PzQ1mV6t",
}
"""The test user's four headers (the fake accepts exactly these; users made with
POST /users get their own user-id/user-secret)."""

READONLY_CASH = Decimal("12500.00")
READONLY_HOLDINGS: tuple[tuple[str, Decimal, Decimal | None, Decimal | None], ...] = (
    # symbol, quantity, average price (None: unrealized_pl is null), fixed last price (None: the market's)
    ("MSFT", Decimal("120"), Decimal("25.10"), None),
    ("BND", Decimal("50"), None, Decimal("72.80")),
    ("VTI", Decimal("40"), Decimal("70.00"), Decimal("72.50")),
    ("GOOG", Decimal("0"), Decimal("300.00"), None),
)
"""The read-only account's holdings; BND has no unrealized P&L (null; the market
does not quote it, so nothing re-marks it), VTI is not quoted by the market either
(fixed last price), GOOG is a row of quantity 0."""

PAPER_TO_CT = {
    OrderStatus.SUBMITTED: "PENDING_NEW", OrderStatus.ACCEPTED: "OPEN", OrderStatus.TRIGGERED: "OPEN",
    OrderStatus.PENDING_UPDATE: "PENDING_REPLACE", OrderStatus.PENDING_CANCEL: "PENDING_CANCEL",
    OrderStatus.PARTIALLY_FILLED: "PARTIALLY_FILLED", OrderStatus.FILLED: "FILLED",
    OrderStatus.CANCELED: "CANCELLED", OrderStatus.REJECTED: "REJECTED", OrderStatus.DENIED: "REJECTED",
    OrderStatus.EXPIRED: "EXPIRED",
}
"""The ``normalized_status`` the fake reports for each paper order status."""
WORKING_CT = frozenset({"PENDING_NEW", "OPEN", "PENDING_REPLACE", "PENDING_CANCEL", "PARTIALLY_FILLED"})
ORDER_TYPES = {OrderType.MARKET: "MKT", OrderType.LIMIT: "LMT", OrderType.STOP: "STP", OrderType.STOP_LIMIT: "STP LMT"}
ORDER_TYPES_IN = {v: k for k, v in ORDER_TYPES.items()}


def num(value: Decimal | None) -> str | None:
    """``value`` as a plain numeric string ("123.45", never "1E+2"), None for None."""
    if value is None:
        return None
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".") or "0"
    return text


def iso(ts: datetime) -> str:
    """``ts`` as ISO 8601 UTC with a Z ("2012-05-18T13:31:00Z")."""
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def order_row(order: Order, fills: list[Fill], account: LinkedAccount = TRADING_ACCOUNT) -> dict[str, Any]:
    """A paper order as GET /orders lists it (with its ``fills`` array, oldest first)."""
    mine = sorted((f for f in fills if f.order_id == order.order_id), key=lambda f: f.timestamp)
    last_exec = mine[-1].timestamp if mine else order.updated_at
    row: dict[str, Any] = {
        "order_id": order.order_id, "cl_order_id": order.client_order_id, "account_id": account.account_id,
        "account_number": account.account_number, "broker": account.broker, "symbol": order.symbol,
        "side": order.side.value, "order_qty": num(order.amount), "order_type": ORDER_TYPES[order.type],
        "order_tif": order.time_in_force.value, "instrument": "OPT" if order.instrument.is_option else "STK",
        "limit_price": num(order.limit_price), "stop_price": num(order.stop_price),
        "filled_qty": num(order.filled), "avg_fill_price": num(order.average),
        "normalized_status": PAPER_TO_CT[order.status], "status_message": order.message or None,
        "created_time": iso(order.created_at), "last_exec_time": iso(last_exec),
        "fills": [{"quantity": num(f.amount), "price": num(f.price), "time": iso(f.timestamp)} for f in mine],
    }
    return row


def position_row(pos: Position, account: LinkedAccount) -> dict[str, Any]:
    """A position as GET /positions lists it; ``unrealized_pl`` null when unknown."""
    return {"account_id": account.account_id, "account_number": account.account_number, "symbol": pos.symbol,
            "quantity": num(pos.quantity), "last_price": num(pos.last_price),
            "unrealized_pl": num(pos.unrealized_pnl)}


def readonly_positions(last_price) -> list[dict[str, Any]]:
    """The read-only account's holdings, marked with ``last_price(symbol)``."""
    rows = []
    for symbol, qty, avg, fixed in READONLY_HOLDINGS:
        last = fixed if fixed is not None else last_price(symbol)
        upl = None if avg is None or last is None else (last - avg) * qty
        rows.append({"account_id": READONLY_ACCOUNT.account_id, "account_number": READONLY_ACCOUNT.account_number,
                     "symbol": symbol, "quantity": num(qty) if qty else 0, "last_price": float(last) if symbol == "VTI" else num(last),
                     "unrealized_pl": num(upl)})
    return rows


def readonly_value(last_price) -> Decimal:
    """Cash plus the market value of the read-only holdings."""
    total = READONLY_CASH
    for symbol, qty, _avg, fixed in READONLY_HOLDINGS:
        last = fixed if fixed is not None else last_price(symbol)
        total += qty * (last or 0)
    return total
