"""TradeLocker rows -> domain objects (specs/tradelocker/NOTES.md sections 4, 5).

Rows arrive zipped (:class:`~.columns.ColumnMaps`) as {column id: value}. Every
reader is total: an unreadable row is logged once (naming the value) and skipped,
the others are read. Quantities are lots; ids stay text.

Order statuses: working ``New``/``Placed``/``Accepted``/``Pending*`` (ACCEPTED),
``PartiallyFilled`` (PARTIALLY_FILLED); history ``Filled`` (FILLED), ``Cancelled`` and
``Removed`` (CANCELED; Removed: a position's stop-loss/take-profit dropped when the
position closed), ``Refused`` and ``Unplaced`` (REJECTED), ``Expired`` (EXPIRED).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from desktop.domain import (Balance, Fill, Instrument, Order, OrderSide, OrderStatus, OrderType, Position,
                            ProtectionType, TimeInForce)

from . import parse
from .parse import PAYLOADS

BROKER = "tradelocker"
STATUSES = {"new": OrderStatus.ACCEPTED, "placed": OrderStatus.ACCEPTED, "accepted": OrderStatus.ACCEPTED,
            "working": OrderStatus.ACCEPTED, "pending": OrderStatus.SUBMITTED, "pendingnew": OrderStatus.SUBMITTED,
            "pendingcancel": OrderStatus.PENDING_CANCEL, "pendingreplace": OrderStatus.PENDING_UPDATE,
            "partiallyfilled": OrderStatus.PARTIALLY_FILLED, "filled": OrderStatus.FILLED,
            "cancelled": OrderStatus.CANCELED, "canceled": OrderStatus.CANCELED, "removed": OrderStatus.CANCELED,
            "refused": OrderStatus.REJECTED, "rejected": OrderStatus.REJECTED, "unplaced": OrderStatus.REJECTED,
            "expired": OrderStatus.EXPIRED}
TYPES = {"market": OrderType.MARKET, "limit": OrderType.LIMIT, "stop": OrderType.STOP}
VALIDITIES = {"IOC": TimeInForce.IOC, "GTC": TimeInForce.GTC, "DAY": TimeInForce.DAY, "FOK": TimeInForce.FOK}
PROTECTION = {"absolute": ProtectionType.ABSOLUTE, "offset": ProtectionType.OFFSET,
              "trailingoffset": ProtectionType.TRAILING_OFFSET}
WIRE_PROTECTION = {ProtectionType.ABSOLUTE: "absolute", ProtectionType.OFFSET: "offset",
                   ProtectionType.TRAILING_OFFSET: "trailingOffset"}

# -- client order ids in strategyId (at most 31 characters) ------------------------------
MAX_STRATEGY_ID = 31
_TAG, _HASHED = "td.", "td#"


def strategy_tag(client_order_id: str) -> str:
    """The ``strategyId`` carrying ``client_order_id`` (TradeLocker has no client
    order id; strategyId is at most 31 characters): the id itself when it fits, a
    32-hex id (ours) as "td." + its 16 bytes in base64url (25 characters, read back
    by :func:`client_id_of`), anything longer as "td#" + 28 hex of its SHA-256."""
    if len(client_order_id) <= MAX_STRATEGY_ID and not client_order_id.startswith(("td.", "td#")):
        return client_order_id
    try:
        raw = bytes.fromhex(client_order_id)
    except ValueError:
        raw = b""
    if len(raw) == 16 and raw.hex() == client_order_id.lower():
        return _TAG + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    return _HASHED + hashlib.sha256(client_order_id.encode()).hexdigest()[:28]


def client_id_of(strategy_id: str, known: Mapping[str, str] | None = None) -> str:
    """The client order id a ``strategyId`` carries (see :func:`strategy_tag`);
    ``known`` maps tags of this session back to their ids (the hashed ones)."""
    if known and strategy_id in known:
        return known[strategy_id]
    if strategy_id.startswith(_TAG) and len(strategy_id) == 25:
        try:
            return base64.urlsafe_b64decode(strategy_id[3:] + "==").hex()
        except ValueError:
            return strategy_id
    return strategy_id


def _side(value: Any) -> OrderSide | None:
    text = parse.text(value).lower()
    return OrderSide.BUY if text == "buy" else OrderSide.SELL if text == "sell" else None


Resolver = Callable[[str | None], Instrument | None]


@PAYLOADS.item("order row", raw_arg=1)
def read_order(connection_id: str, row: Mapping[str, Any], account_id: str, instrument_of: Resolver,
               known: Mapping[str, str] | None = None) -> Order | None:
    """An ``orders`` / ``ordersHistory`` row as an Order; None (logged) when it
    cannot be read."""
    oid = parse.ident(row.get("id"), "id")
    instrument = instrument_of(parse.ident(row.get("tradableInstrumentId"), "tradableInstrumentId"))
    side, kind = _side(row.get("side")), TYPES.get(parse.text(row.get("type")).lower())
    status = STATUSES.get(parse.text(row.get("status")).replace(" ", "").lower())
    qty = parse.decimal(row.get("qty"), "qty")
    if status is None and row.get("status") is not None:
        parse.problem("status", row.get("status"))
    if oid is None or instrument is None or side is None or kind is None or status is None or qty is None or qty <= 0:
        PAYLOADS.skip(f"order {oid or '?'} incomplete")
        return None
    filled = parse.decimal(row.get("filledQty"), "filledQty") or Decimal(0)
    if status is OrderStatus.FILLED and filled == 0:
        filled = qty
    average = parse.decimal(row.get("avgPrice"), "avgPrice")
    price, stop = parse.decimal(row.get("price"), "price"), parse.decimal(row.get("stopPrice"), "stopPrice")
    strategy = parse.text(row.get("strategyId"))
    sl, tp = parse.decimal(row.get("stopLoss"), "stopLoss"), parse.decimal(row.get("takeProfit"), "takeProfit")
    created = parse.millis(row.get("createdDate"), "createdDate")
    modified = parse.millis(row.get("lastModified"), "lastModified") or created
    fields: dict[str, Any] = {}
    if created is not None:
        fields["created_at"] = created
    if modified is not None:
        fields["updated_at"] = modified
    return Order(
        broker=BROKER, connection_id=connection_id, account_id=account_id, order_id=oid,
        client_order_id=client_id_of(strategy, known) if strategy else "", instrument=instrument, side=side,
        type=kind, time_in_force=VALIDITIES.get(parse.text(row.get("validity")).upper(), TimeInForce.GTC),
        amount=max(qty, filled), filled=min(filled, max(qty, filled)), average=average if average else None,
        limit_price=price if kind is OrderType.LIMIT and price else None,
        stop_price=stop if kind is OrderType.STOP and stop else None, status=status,
        stop_loss=sl if sl else None,
        stop_loss_type=PROTECTION.get(parse.text(row.get("stopLossType")).lower(), ProtectionType.ABSOLUTE),
        take_profit=tp if tp else None,
        take_profit_type=PROTECTION.get(parse.text(row.get("takeProfitType")).lower(), ProtectionType.ABSOLUTE),
        position_id=parse.ident(row.get("positionId"), "positionId") or "", raw=dict(row), **fields)


@PAYLOADS.item("position row", raw_arg=1)
def read_position(connection_id: str, row: Mapping[str, Any], account_id: str, instrument_of: Resolver,
                  protection: Mapping[str, Decimal]) -> Position | None:
    """A ``positions`` row as a Position with its id; ``protection`` maps order ids
    to their trigger price, for the position's stopLossId / takeProfitId. None
    (logged) when unreadable."""
    pid = parse.ident(row.get("id"), "id")
    instrument = instrument_of(parse.ident(row.get("tradableInstrumentId"), "tradableInstrumentId"))
    side = _side(row.get("side"))
    qty, avg = parse.decimal(row.get("qty"), "qty"), parse.decimal(row.get("avgPrice"), "avgPrice")
    if pid is None or instrument is None or side is None or qty is None or qty <= 0 or avg is None:
        PAYLOADS.skip(f"position {pid or '?'} incomplete")
        return None
    sl_id = parse.ident(row.get("stopLossId"), "stopLossId")
    tp_id = parse.ident(row.get("takeProfitId"), "takeProfitId")
    fields: dict[str, Any] = {}
    opened = parse.millis(row.get("openDate"), "openDate")
    if opened is not None:
        fields["timestamp"] = opened
    return Position(broker=BROKER, connection_id=connection_id, account_id=account_id, instrument=instrument,
                    quantity=qty * side.sign, average_price=avg, position_id=pid,
                    unrealized_pnl=parse.decimal(row.get("unrealizedPl"), "unrealizedPl"),
                    stop_loss=protection.get(sl_id or ""), take_profit=protection.get(tp_id or ""), raw=dict(row),
                    **fields)


@PAYLOADS.item("execution row", raw_arg=1)
def read_fill(connection_id: str, row: Mapping[str, Any], account_id: str, instrument_of: Resolver,
              client_ids: Mapping[str, str]) -> Fill | None:
    """An ``executions`` row as a Fill; ``client_ids`` maps order ids to client ids."""
    fid, oid = parse.ident(row.get("id"), "id"), parse.ident(row.get("orderId"), "orderId")
    instrument = instrument_of(parse.ident(row.get("tradableInstrumentId"), "tradableInstrumentId"))
    side = _side(row.get("side"))
    qty, price = parse.decimal(row.get("qty"), "qty"), parse.decimal(row.get("price"), "price")
    if fid is None or oid is None or instrument is None or side is None or not qty or qty <= 0 or not price \
            or price <= 0:
        PAYLOADS.skip(f"execution {fid or '?'} incomplete")
        return None
    fields: dict[str, Any] = {}
    when = parse.millis(row.get("createdDate"), "createdDate")
    if when is not None:
        fields["timestamp"] = when
    return Fill(broker=BROKER, connection_id=connection_id, account_id=account_id, fill_id=fid, order_id=oid,
                client_order_id=client_ids.get(oid, ""), instrument=instrument, side=side, amount=qty, price=price,
                raw=dict(row), **fields)


@PAYLOADS.payload("account state")
def read_balance(connection_id: str, values: Mapping[str, Any], account_id: str, currency: str) -> Balance:
    """``accountDetailsData`` (zipped with accountDetailsConfig) as the account's
    Balance: cash = balance, net liquidation / total = projectedBalance (equity),
    buying power / free = availableFunds, used = initialMarginReq (margin in use),
    realized = todayNet, unrealized = openNetPnL. Raises PayloadError (logged) when
    balance or availableFunds cannot be read."""
    def get(name: str) -> Decimal | None:
        return parse.decimal(values.get(name), name)

    cash, free = get("balance"), get("availableFunds")
    if cash is None or free is None:
        from desktop.brokers.transport import PayloadError

        raise PayloadError("TradeLocker's account state has no readable balance / availableFunds")
    equity = get("projectedBalance")
    return Balance(broker=BROKER, connection_id=connection_id, account_id=account_id, currency=currency,
                   cash=cash, buying_power=free, net_liquidation=equity, free=free, used=get("initialMarginReq"),
                   total=equity, realized_pnl=get("todayNet"), unrealized_pnl=get("openNetPnL"), raw=dict(values))
