"""Fills of SnapTrade accounts. SnapTrade reports no fills as such; they come from:

- executed orders (:func:`order_fills`): each order, or each leg of a multi-leg
  order, with a filled quantity and an execution price is one fill at that price
  (``fill_id`` = the leg's ``brokerage_order_id``, ``order_id`` = the order's id);
- account activities (``GET /accounts/{id}/activities``, api.yaml
  ``AccountUniversalActivity``; :func:`parse_trade_activity`): each BUY or SELL
  transaction is one fill (``fill_id`` = the activity ``id``, ``order_id`` = its
  ``external_reference_id``, the brokerage's reference that relates an order's
  transactions; ``commission`` = ``fee``). They cover trades older than the orders'
  30 days and trades made outside SnapTrade.

:func:`merge_fills` keeps the order-derived fill where both report one trade.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from desktop.brokers.errors import BrokerError
from desktop.brokers.transport.decimals import read_decimal
from desktop.domain import Fill, Instrument, Order, OrderSide

from .parse import BROKER, NOT_AN_OPTION, PAYLOADS, _text, parse_order, parse_time, row_option

log = logging.getLogger(__name__)

TRADE_TYPES = {"BUY": OrderSide.BUY, "SELL": OrderSide.SELL}
"""Activity ``type`` values that are trades (the rest, e.g. DIVIDEND or FEE, are not fills)."""


def order_fills(order: Order, broker: str, connection_id: str) -> list[Fill]:
    """The fills of ``order`` (a plain order: one when it has fills and an average
    price; a multi-leg order: one per leg with fills, read from its raw legs)."""
    raw = order.raw if isinstance(order.raw, dict) else {}
    legs = raw.get("legs") if "leg_orders" in raw else None
    if legs:
        found = []
        for row in legs:
            leg = parse_order(row, order.account_id, connection_id) if isinstance(row, dict) else None
            if leg is not None:
                found += [f.model_copy(update={"order_id": order.order_id,
                                               "client_order_id": order.client_order_id})
                          for f in order_fills(leg, broker, connection_id)]
        return found
    if order.filled <= 0 or order.average is None or order.average <= Decimal(0):
        return []
    return [Fill(broker=broker, connection_id=connection_id, account_id=order.account_id, fill_id=order.order_id,
                 order_id=order.order_id, client_order_id=order.client_order_id, instrument=order.instrument,
                 side=order.side, amount=order.filled, price=order.average, timestamp=order.updated_at,
                 raw=order.raw)]


def _activity_instrument(row: Any) -> Instrument | None:
    option = row_option(row)
    if option is not NOT_AN_OPTION:
        return option  # type: ignore[return-value]
    symbol = row.get("symbol")
    if isinstance(symbol, dict) and _text(symbol.get("symbol")):
        return Instrument.equity(_text(symbol["symbol"])[:32], description=_text(symbol.get("description")),
                                 currency=_text((symbol.get("currency") or {}).get("code")) or "USD",
                                 broker_id=_text(symbol.get("id")) or None, lot_size=Decimal("0.00000001"))
    PAYLOADS.skip("a trade without symbol or option_symbol")
    return None


@PAYLOADS.item("activity")
def parse_trade_activity(row: Any, account_id: str, connection_id: str) -> Fill | None:
    """A BUY/SELL ``AccountUniversalActivity`` as a Fill, None for other types (and,
    logged, for an unreadable one). ``units`` and ``price`` are numbers; units may be
    negative for a sale (the side comes from ``type``); an option's price is per
    share of the contract (api.yaml)."""
    side = TRADE_TYPES.get(_text(row.get("type")).upper())
    if side is None:
        return None
    activity_id = _text(row.get("id"))
    if not activity_id:
        PAYLOADS.skip("no id")
        return None
    instrument = _activity_instrument(row)
    units = read_decimal(row.get("units"), "units", PAYLOADS)
    price = read_decimal(row.get("price"), "price", PAYLOADS)
    when = parse_time(row.get("trade_date"))
    if instrument is None or units is None or units == 0 or price is None or price <= 0 or when is None:
        if instrument is not None:
            PAYLOADS.skip("units, price or trade_date missing or unreadable")
        return None
    fee = read_decimal(row.get("fee"), "fee", PAYLOADS)
    return Fill(broker=BROKER, connection_id=connection_id, account_id=account_id, fill_id=activity_id,
                order_id=_text(row.get("external_reference_id")), instrument=instrument, side=side,
                amount=abs(units), price=price, commission=abs(fee) if fee is not None else Decimal(0),
                timestamp=when, raw=row)


def parse_activities(body: Any, account_id: str, connection_id: str) -> list[Fill]:
    """The trade fills of one ``PaginatedUniversalActivity`` page (or of a bare list)."""
    rows = body.get("data") if isinstance(body, dict) else body
    found = [parse_trade_activity(r, account_id, connection_id) for r in rows or [] if isinstance(r, dict)]
    return [f for f in found if f is not None]


def _same_trade(a: Fill, b: Fill) -> bool:
    return (a.instrument.symbol == b.instrument.symbol and a.side is b.side and a.amount == b.amount
            and abs(a.price - b.price) <= Decimal("0.01") and a.timestamp.date() == b.timestamp.date())


def merge_fills(from_orders: list[Fill], from_activities: list[Fill]) -> list[Fill]:
    """Order-derived fills plus the activity fills that are not the same trade: an
    activity whose ``order_id`` (external reference) is an order's or leg's id, or
    its ``fill_id`` a known fill's, is dropped; one without a reference is dropped
    when an order fill of the same symbol, side, quantity, price (within a cent) and
    day is left unmatched (each order fill matches one activity). Oldest first."""
    known = {f.fill_id for f in from_orders} | {f.order_id for f in from_orders}
    unmatched = list(from_orders)
    out = list(from_orders)
    for fill in from_activities:
        if fill.fill_id in known or (fill.order_id and fill.order_id in known):
            continue
        twin = next((f for f in unmatched if _same_trade(f, fill)), None) if not fill.order_id else None
        if twin is not None:
            unmatched.remove(twin)
            continue
        out.append(fill)
    return sorted(out, key=lambda f: f.timestamp)


class ActivityFills:
    """The trade fills of each account's activities, read through ``client`` (all
    pages of 1000) at most every ``every`` seconds of ``clock`` per account; a read
    that fails (e.g. the app may not read account history) is logged and the last
    fills read (or none) are used."""

    def __init__(self, client: Any, *, clock: Callable[[], float], every: float) -> None:
        self.client, self._clock, self.every = client, clock, every
        self._kept: dict[str, tuple[float, list[Fill]]] = {}

    async def read(self, account_id: str, connection_id: str) -> tuple[list[Fill], bool]:
        """``(fills, fresh)``: the account's activity fills, and whether they were
        read just now (False: the ones kept from an earlier read, or none)."""
        kept = self._kept.get(account_id)
        if kept is not None and self._clock() - kept[0] < self.every:
            return kept[1], False
        found: list[Fill] = []
        try:
            offset = 0
            for _page in range(20):
                body = await self.client.activities(account_id, offset=offset)
                rows = body.get("data") if isinstance(body, dict) else body
                found += parse_activities(body, account_id, connection_id)
                total = (body.get("pagination") or {}).get("total") if isinstance(body, dict) else None
                offset += len(rows or [])
                if not rows or not isinstance(total, int) or offset >= total:
                    break
        except BrokerError as exc:
            log.info("SnapTrade: activities of %s not read (%s); fills come from orders only", account_id, exc)
            return (kept[1] if kept is not None else []), False
        self._kept[account_id] = (self._clock(), found)
        return found, True
