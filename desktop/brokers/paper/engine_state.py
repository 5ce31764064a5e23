"""Saving and restoring a :class:`~.matching.MatchingEngine` as a JSON-safe plain dict.

The engine's ``to_state`` / ``from_state`` call these. They read and rebuild the
engine's own tables (orders, books, client ids, fills, last prices, bar usage, id
counters), so they change together with :class:`~.matching.MatchingEngine`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from desktop.domain import Fill, Order

from .commission import CommissionModel
from .ledger import Ledger
from .risk import Book

if TYPE_CHECKING:
    from .matching import MatchingEngine

STATE_VERSION = 1

E = TypeVar("E", bound="MatchingEngine")


def _id_key(ident: str) -> tuple[int, str]:
    """Engine ids ("O000012", "F1234567", "EX000013") in issue order: by their number."""
    digits = ident.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return (int(digits), ident) if digits.isdigit() else (len(ident), ident)


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
    eng._orders = dict(sorted(every.items(), key=lambda kv: _id_key(kv[0])))
    eng._books = {i: Book(b["triggered"], Decimal(b["notional"]), Decimal(b["ref_price"]))
                  for i, b in sorted(state["books"].items(), key=lambda kv: _id_key(kv[0]))}
    eng._by_cid = dict(state["client_ids"])
    saved = state["fills"]
    eng._fills = [Fill.model_validate(d) for d in saved] if saved is not None else sorted(fills, key=lambda f: _id_key(f.fill_id))
    eng._last = {s: Decimal(p) for s, p in state["last"].items()}
    eng._used = {s: (k, Decimal(q)) for s, (k, q) in state["used"].items()}
    eng._counters = dict(state["counters"])
    return eng
