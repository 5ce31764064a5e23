"""Positions: ``GET /portfolio/{accountId}/positions/{pageId}`` rows -> Position.

Rows (``specs/ibkr-cpapi/NOTES.md`` section 5): ``{"acctId", "conid", "ticker",
"contractDesc", "assetClass": "STK"|"OPT"|..., "currency", "position", "mktPrice",
"mktValue", "avgPrice", "avgCost", "realizedPnl", "unrealizedPnl", "expiry":
"20250117", "strike": "440", "putOrCall": "C", "multiplier", "undSym", "pageSize"}``.
Pages start at 0 with up to 100 rows each; an individual account only, never an
allocation group (the FA lesson: each client holds different quantities).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from desktop.brokers.errors import InvalidRequestError
from desktop.domain import Instrument, OptionContract, OptionRight, Position

from .accounts import BROKER
from .parse import PAYLOADS, text, to_date, to_decimal, to_int
from .requester import Requester

PAGE_SIZE = 100
MAX_PAGES = 50
"""Safety stop: 5,000 positions."""


@PAYLOADS.item("position contract")
def instrument_from_position(row: dict[str, Any]) -> Instrument | None:
    """The Instrument of a position row (equities and options); None for other asset
    classes (futures, FX, crypto: not modelled) or unreadable option fields."""
    asset = text(row.get("assetClass")).upper() or "STK"
    conid = to_int(row.get("conid"), "conid", row)
    broker_id = str(conid) if conid is not None else None
    currency = text(row.get("currency")) or "USD"
    if asset == "STK":
        symbol = text(row.get("ticker")) or text(row.get("contractDesc"))
        if not symbol:
            return None
        return Instrument.equity(symbol, broker_id=broker_id, currency=currency,
                                 description=text(row.get("name")), exchange=text(row.get("listingExchange")) or None)
    if asset == "OPT":
        expiry = to_date(row.get("expiry") or row.get("lastTradingDay"), "expiry", row)
        strike = to_decimal(row.get("strike"), "strike", row)
        right = {"C": OptionRight.CALL, "P": OptionRight.PUT}.get(text(row.get("putOrCall")).upper())
        multiplier = to_decimal(row.get("multiplier"), "multiplier", row) or Decimal(100)
        root = text(row.get("undSym")) or text(row.get("ticker"))
        if expiry is None or strike is None or right is None or not root:
            return None
        contract = OptionContract(underlying=root, expiry=expiry, right=right, strike=strike, multiplier=multiplier)
        return Instrument.for_option(contract, broker_id=broker_id, currency=currency)
    return None


@PAYLOADS.item("position row", raw_arg=0)
def position_from_row(row: Any, account_id: str) -> Position | None:
    """One position row as a Position, or None (logged once with the row) when it
    cannot be read. Rows with quantity 0 give None silently (closed today)."""
    if not isinstance(row, dict):
        PAYLOADS.skip("not an object")
        return None
    quantity = to_decimal(row.get("position"), "position", row)
    if quantity is None:
        PAYLOADS.skip("no quantity")
        return None
    if quantity == 0:
        return None
    try:
        instrument = instrument_from_position.__wrapped__(row)
        if instrument is None:
            PAYLOADS.skip("an unsupported or unreadable contract")
            return None
        avg = to_decimal(row.get("avgPrice"), "avgPrice", row)
        if avg is None:
            cost = to_decimal(row.get("avgCost"), "avgCost", row)
            avg = cost / instrument.multiplier if cost is not None else Decimal(0)
        return Position(
            broker=BROKER, account_id=text(row.get("acctId")) or account_id, instrument=instrument,
            quantity=quantity, average_price=avg,
            last_price=to_decimal(row.get("mktPrice"), "mktPrice", row),
            market_value=to_decimal(row.get("mktValue"), "mktValue", row),
            unrealized_pnl=to_decimal(row.get("unrealizedPnl"), "unrealizedPnl", row),
            realized_pnl=to_decimal(row.get("realizedPnl"), "realizedPnl", row) or Decimal(0),
            raw=row,
        )
    except (ValidationError, ValueError) as exc:
        PAYLOADS.skip(f"invalid position ({str(exc)[:160]})")
        return None


def page_size(rows: list) -> int:
    """The ``pageSize`` a positions page declares (first row), clamped to 1..1000;
    :data:`PAGE_SIZE` when it has none."""
    size = None
    if rows and isinstance(rows[0], dict) and rows[0].get("pageSize") is not None:
        size = to_int(rows[0].get("pageSize"), "pageSize", rows[0])
    return min(max(size or PAGE_SIZE, 1), 10 * PAGE_SIZE)


async def fetch_positions(client: Requester, account_id: str, *, is_group: Callable[[str], bool] = lambda _a: False
                          ) -> list[Position]:
    """Every open position of ``account_id``, paging ``/portfolio/{id}/positions/{n}``
    from 0 until a page is empty or shorter than its ``pageSize`` (100).

    Raises InvalidRequestError for an allocation group (``is_group``), and the
    client's BrokerError family otherwise. Callers must have called
    ``/portfolio/accounts`` once in the session first (the gateway requires it).
    """
    if is_group(account_id):
        raise InvalidRequestError(f"{account_id} is an allocation group: positions are held per client account",
                                  field="account_id")
    out: list[Position] = []
    for page in range(MAX_PAGES):
        rows = await client.request("GET", f"/portfolio/{account_id}/positions/{page}")
        if not isinstance(rows, list):
            if rows not in (None, {}):
                PAYLOADS.skip(f"positions page {page} of {account_id} is not a list", rows)
            break
        for row in rows:
            pos = position_from_row(row, account_id)
            if pos is not None:
                out.append(pos)
        if len(rows) < page_size(rows) or not rows:
            break
    return out
