"""Saving and restoring a :class:`~.matching.MatchingEngine` as a JSON-safe plain dict.

The engine's ``to_state`` / ``from_state`` call these. They read and rebuild the
engine's own tables (orders, books, client ids, fills, last prices, bar usage, id
counters), so they change together with :class:`~.matching.MatchingEngine`.
Restoring refuses (ValueError) a state the engine could not have written
(:func:`check_engine`), so that a bad one is never matched against.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from desktop.domain import Fill, Order
from desktop.domain.order import MAX_MAGNITUDE

from .commission import CommissionModel
from .ledger import Ledger
from .risk import Book
from .store_rows import check_order

if TYPE_CHECKING:
    from .matching import MatchingEngine

STATE_VERSION = 1

E = TypeVar("E", bound="MatchingEngine")


_TRAILING = re.compile(r"(\d{1,12})$")


def id_number(ident: str) -> int:
    """The issue number of an engine id: "O000012" -> 12, "DU100001-EX000013" -> 13; 0 if
    none (at most its last 12 digits are read)."""
    match = _TRAILING.search(ident)
    return int(match.group(1)) if match else 0


def id_key(ident: str) -> tuple[int, str]:
    """Engine ids ("O000012", "DU100001-F000012", "EX000013") in issue order: by their
    number (one order and one fill counter per engine, whatever the prefix)."""
    return (id_number(ident), ident)


def engine_to_state(engine: MatchingEngine, include_history: bool = True) -> dict[str, Any]:
    """See :meth:`MatchingEngine.to_state`."""
    keep = engine._orders if include_history else {i: engine._orders[i] for i in engine._books}
    return {
        "version": STATE_VERSION,
        "config": {"participation": str(engine.participation), "max_deviation": str(engine.max_deviation),
                   "market_buffer": str(engine.market_buffer), "commission": engine.commission.to_state(),
                   "option_commission": engine.option_commission.to_state(),
                   "symbols": None if engine.symbols is None else sorted(engine.symbols)},
        "counters": dict(engine._counters),
        "orders": [o.model_dump(mode="json") for o in keep.values()],
        "books": {i: {"triggered": b.triggered, "notional": str(b.notional), "ref_price": str(b.ref_price)}
                  for i, b in engine._books.items()},
        "client_ids": dict(engine._by_cid),
        "fills": [f.model_dump(mode="json") for f in engine._fills] if include_history else None,
        "last": {s: str(p) for s, p in engine._last.items()},
        "used": {s: [k, str(q)] for s, (k, q) in engine._used.items()},
        "ledger": engine.ledger.to_state(),
    }


def engine_from_state(cls: type[E], state: Mapping[str, Any], *, orders: Iterable[Order] = (),
                      fills: Iterable[Fill] = ()) -> E:
    """See :meth:`MatchingEngine.from_state`; ``cls`` is the engine class to build."""
    if state.get("version") != STATE_VERSION:
        raise ValueError(f"unsupported matching engine state version {state.get('version')!r}")
    cfg = state["config"]
    eng = cls(Ledger.from_state(state["ledger"]), commission=CommissionModel.from_state(cfg["commission"]),
              symbols=cfg["symbols"], participation=Decimal(cfg["participation"]),
              max_deviation=Decimal(cfg["max_deviation"]), market_buffer=Decimal(cfg["market_buffer"]),
              option_commission=CommissionModel.from_state(cfg["option_commission"]) if "option_commission" in cfg else None)
    every = {o.order_id: o for o in orders} | {d["order_id"]: Order.model_validate(d) for d in state["orders"]}
    eng._orders = dict(sorted(every.items(), key=lambda kv: id_key(kv[0])))
    eng._books = {i: Book(b["triggered"], Decimal(b["notional"]), Decimal(b["ref_price"]))
                  for i, b in sorted(state["books"].items(), key=lambda kv: id_key(kv[0]))}
    eng._by_cid = dict(state["client_ids"])
    saved = state["fills"]
    eng._fills = [Fill.model_validate(d) for d in saved] if saved is not None else sorted(fills, key=lambda f: id_key(f.fill_id))
    eng._last = {s: Decimal(p) for s, p in state["last"].items()}
    eng._used = {s: (k, Decimal(q)) for s, (k, q) in state["used"].items()}
    eng._counters = dict(state["counters"])
    check_engine(eng)
    return eng


def _usable(name: str, value: Any, low: Decimal = -MAX_MAGNITUDE) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or not low <= value < MAX_MAGNITUDE:
        raise ValueError(f"{name} {value!r} is not a usable number")


def check_engine(eng: MatchingEngine) -> None:
    """Raise ValueError unless the restored ``eng`` is one the engine could have made:
    finite numbers in range, integer id counters, every book a working order's, every
    working order booked, every reservation a working order's, sane orders."""
    zero = Decimal(0)
    counters = eng._counters
    if set(counters) != {"order", "fill"} or not all(type(v) is int and v >= 0 for v in counters.values()):
        raise ValueError(f"bad id counters {counters!r}")
    for name in ("participation", "max_deviation", "market_buffer"):
        _usable(name, getattr(eng, name), zero)
    for model in (eng.commission, eng.option_commission):
        for name in ("per_share", "minimum", "max_rate"):
            _usable(name, getattr(model, name), zero)
    if eng.symbols is not None and not all(isinstance(s, str) for s in eng.symbols):
        raise ValueError("bad symbols")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in eng._by_cid.items()):
        raise ValueError("bad client order ids")
    working = {oid for oid, o in eng._orders.items() if o.status.is_working}
    if set(eng._books) != working:
        raise ValueError(f"booked orders {sorted(eng._books)} are not the working orders {sorted(working)}")
    for oid, book in eng._books.items():
        check_order(eng._orders[oid])
        if not isinstance(book.triggered, bool):
            raise ValueError(f"bad triggered flag of {oid}")
        _usable("notional", book.notional, zero)
        _usable("ref_price", book.ref_price, zero)
    ledger = eng.ledger
    if not all(isinstance(getattr(ledger, name), str) and getattr(ledger, name) for name in ("account_id", "currency", "broker")):
        raise ValueError("bad ledger account, currency or broker")
    if not all(isinstance(sym, str) and sym == h.instrument.symbol for sym, h in ledger.holdings.items()):
        raise ValueError("holdings filed under other symbols")
    for name in ("starting_cash", "cash", "total_commissions"):
        _usable(name, getattr(ledger, name))
    for ccy, amount in ledger.foreign.items():
        if not (isinstance(ccy, str) and len(ccy) == 3 and ccy.isalpha() and ccy != ledger.currency):
            raise ValueError(f"bad foreign currency {ccy!r}")
        _usable(f"{ccy} cash", amount)
    for sym, h in ledger.holdings.items():
        for name in ("quantity", "cost_basis", "realized_pnl"):
            _usable(f"{sym} {name}", getattr(h, name))
    for oid, r in ledger.reservations.items():
        if oid not in eng._books or r.symbol != eng._orders[oid].symbol:
            raise ValueError(f"reservation of {oid}, which is not working")
        _usable("reserved cash", r.cash, zero)
        _usable("reserved quantity", r.quantity, zero)
    for sym, price in eng._last.items():
        _usable(f"last price of {sym}", price, zero)
    for sym, (start, qty) in eng._used.items():
        if not isinstance(start, str):
            raise ValueError(f"bad bar start for {sym}")
        _usable(f"volume used of {sym}", qty, zero)
