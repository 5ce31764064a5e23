"""Checking a restored matching engine against the stored history, and rebuilding it
from that history when its saved state cannot be used.

The stored order rows and fills are the history; the engine state (working orders,
books, ledger, id counters) is a summary of it saved in the same transaction (see
:mod:`.store`). :func:`stale_reason` says when a summary is behind its history (a
file written by a version that saved them separately, then interrupted); then, or
when the state is unreadable, :func:`rebuild` makes the engine again from the history:
the ledger by booking every fill in issue order, working orders from their latest
rows, what they reserve, client order ids and id counters past every stored id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from decimal import Decimal

from desktop.domain import Fill, Order, OrderStatus

from .engine_state import id_key, id_number
from .fillmodel import ref_price
from .ledger import ZERO
from .matching import MatchingEngine
from .risk import Book

log = logging.getLogger(__name__)


def stale_reason(engine: MatchingEngine, orders: Iterable[Order], fills: Iterable[Fill]) -> str:
    """Why ``engine`` (restored from its saved state) is behind the stored ``orders``
    and ``fills`` of its account, "" when it is not: an id counter below a stored id,
    a working order whose stored row moved on, a stored working order the engine
    does not work, a fill the engine does not know."""
    orders, fills = list(orders), list(fills)
    counters = engine._counters
    top_order = max((id_number(o.order_id) for o in orders), default=0)
    top_fill = max((id_number(f.fill_id) for f in fills), default=0)
    if counters.get("order", 0) < top_order or counters.get("fill", 0) < top_fill:
        return f"id counters {counters} are behind the stored ids (order {top_order}, fill {top_fill})"
    rows = {o.order_id: o for o in orders}
    for oid in engine._books:
        if oid in rows and rows[oid] != engine._orders[oid]:
            return f"working order {oid} is {rows[oid].status.value} in the stored orders"
    for oid, row in rows.items():
        if row.status.is_working and oid not in engine._books:
            return f"stored working order {oid} is not working in the saved state"
    known = {f.fill_id for f in engine._fills}
    if missing := [f.fill_id for f in fills if f.fill_id not in known]:
        return f"fills {missing[:5]} are not in the saved state"
    return ""


def rebuild(engine: MatchingEngine, orders: Iterable[Order], fills: Iterable[Fill],
            last_price: Callable[[str], Decimal | None], id_floor: tuple[int, int] = (0, 0)) -> MatchingEngine:
    """Fill the fresh ``engine`` (its ledger at the starting cash) from the stored
    history of its account and return it. ``last_price(symbol)`` prices what working
    MARKET / STOP buys reserve; ``id_floor``: the highest (order, fill) numbers stored
    for the account, even in rows that did not load, so that no id is issued twice.
    A fill the ledger refuses (another account or currency) is logged and skipped."""
    ledger, notional = engine.ledger, {}
    for fill in sorted(fills, key=lambda f: id_key(f.fill_id)):
        try:
            ledger.apply_fill(fill)
        except (ValueError, ArithmeticError) as exc:
            log.warning("rebuilding paper account %s: skipping fill %s: %s", ledger.account_id, fill.fill_id, exc)
            continue
        engine._fills.append(fill)
        if fill.order_id:
            notional[fill.order_id] = notional.get(fill.order_id, ZERO) + fill.amount * fill.price
    engine._orders = {o.order_id: o for o in sorted(orders, key=lambda o: id_key(o.order_id))}
    for oid, order in engine._orders.items():
        engine._by_cid.setdefault(order.client_order_id, oid)
        if order.status.is_working:
            triggered = order.status is OrderStatus.TRIGGERED or (order.type.needs_stop_price and order.filled > 0)
            engine._books[oid] = Book(triggered, notional.get(oid, ZERO), ref_price(order, last_price(order.symbol)))
            engine._reserve(oid)
    engine._counters = {
        "order": max([id_floor[0], *(id_number(i) for i in engine._orders)]),
        "fill": max([id_floor[1], *(id_number(f.fill_id) for f in engine._fills)]),
    }
    return engine
