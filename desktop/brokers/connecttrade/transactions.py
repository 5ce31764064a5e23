"""Account activity (GET /transactions, NOTES.md section 3.2) as plain data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from desktop.domain import BrokerModel

from . import wire


class Transaction(BrokerModel):
    """One entry of an account's history: ``transaction_type`` (BUY, SELL, DIVIDEND,
    DEPOSIT, ... as Connect Trade names it), ``symbol`` and ``amount`` (money in the
    account currency, signed as the broker reports it) when given; ``day`` its date,
    ``quantity`` / ``price`` / ``description`` when given (not in the cookbook:
    read when present). ``connection_id`` / ``account_id`` as everywhere."""

    broker: str = wire.BROKER
    connection_id: str = ""
    account_id: str = ""
    transaction_id: str = ""
    transaction_type: str
    symbol: str = ""
    amount: Decimal | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    day: date | None = None
    description: str = ""


@wire.PAYLOADS.item("transaction")
def read_transaction(row: Any, connection_id: str, account_id: str) -> Transaction | None:
    """A GET /transactions row -> Transaction (``transaction_type`` required; the
    cookbook reads ``symbol`` and ``amount`` with ``.get``: both optional)."""
    day_text = wire.text(row, "date") or wire.text(row, "trade_date")
    try:
        day = date.fromisoformat(day_text[:10]) if day_text else None
    except ValueError:
        wire.PAYLOADS.problem(f"date={day_text!r} unreadable")
        day = None
    return Transaction(connection_id=connection_id, account_id=account_id,
                       transaction_id=wire.text(row, "transaction_id") or wire.text(row, "id"),
                       transaction_type=wire.text(row, "transaction_type", required=True).upper(),
                       symbol=wire.text(row, "symbol").upper(), amount=wire.number(row, "amount"),
                       quantity=wire.number(row, "quantity"), price=wire.number(row, "price"), day=day,
                       description=wire.text(row, "description"), raw=row)
