"""What the kill -9 suite checks in a paper store file after every kill and restart.

:func:`store_problems` checks the file as it is on disk (read into a :class:`StoreView`) (the killed worker is dead, or
the restarted one waits): ``PRAGMA integrity_check``; every row loads; per account
the ledger recomputed from the stored fills equals the stored ledger (cash,
commissions, every holding), each order's filled quantity is the sum of its fills,
the engine's working orders are the stored rows' working orders, reservations are
held by working orders only, the id counters are past every stored id; group
orders' fills are their children's; every acknowledged order is stored under its id
with its client order id, never moved back from a final status nor below what was
acknowledged filled; no account has two orders with one client order id.
:func:`restore_problems` compares a restarted worker's snapshot with the file.
Each returns a list of problems in words (empty when consistent).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from decimal import Decimal
from typing import Any

from desktop.brokers.paper.ledger import Ledger
from desktop.brokers.paper.store import PaperStore
from desktop.brokers.paper.store_rows import parse_fill, parse_order
from desktop.domain import Fill, Order, OrderStatus

FINAL = {s.value for s in OrderStatus if s.is_closed}


def _cached(cache: dict[tuple[str, str], Any], kind: str, row: tuple[str, str, str], parse: Any) -> Any:
    key = (kind, "\x00".join(row))
    if key not in cache:
        cache[key] = parse(*row)
    return cache[key]


def _number(ident: str) -> int:
    digits = "".join(ch for ch in ident.rsplit("-", 1)[-1] if ch.isdigit())
    return int(digits) if digits else 0


def _fill_key(fill: Fill) -> tuple[int, str]:
    return (_number(fill.fill_id), fill.fill_id)


class StoreView:
    """The rows of a store file: orders and fills, engine states by account.

    Rows are read as :class:`PaperStore` reads them (:mod:`~desktop.brokers.paper.store_rows`);
    ``cache`` (raw text -> model) spares re-reading rows an earlier view has read.
    """

    def __init__(self, path: str, cache: dict[tuple[str, str], Any] | None = None) -> None:
        cache = {} if cache is None else cache
        with PaperStore(path) as store:  # opening as the broker does (WAL recovery, schema check)
            self.engines: dict[str, dict[str, Any] | None] = {
                aid: store.load_engine(aid) for (aid,) in store._rows("SELECT account_id FROM engines ORDER BY account_id")}
        db = sqlite3.connect(path)
        try:
            self.integrity = db.execute("PRAGMA integrity_check").fetchall()
            self.raw_counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("orders", "fills", "engines")}
            orders = db.execute("SELECT order_id, account_id, data FROM orders ORDER BY created_at, rowid").fetchall()
            fills = db.execute("SELECT fill_id, account_id, data FROM fills ORDER BY timestamp, rowid").fetchall()
        finally:
            db.close()
        self.engine_ids = list(self.engines)
        self.orders: list[Order] = [o for row in orders if (o := _cached(cache, "o", row, parse_order)) is not None]
        self.fills: list[Fill] = [f for row in fills if (f := _cached(cache, "f", row, parse_fill)) is not None]

    def orders_of(self, account: str) -> list[Order]:
        return [o for o in self.orders if o.account_id == account]

    def fills_of(self, account: str) -> list[Fill]:
        return sorted((f for f in self.fills if f.account_id == account), key=_fill_key)

    def recomputed_ledger(self, account: str, stored: Ledger) -> Ledger:
        """A fresh ledger of ``account`` with the stored fills booked on it."""
        ledger = Ledger(account_id=account, starting_cash=stored.starting_cash, currency=stored.currency, broker=stored.broker)
        for fill in self.fills_of(account):
            ledger.apply_fill(fill)
        return ledger


def store_problems(view: StoreView, acks: list[dict[str, Any]], seen: dict[Any, Any] | None = None) -> list[str]:
    """Every inconsistency of the store file read into ``view`` (see the module docs);
    ``acks``: every acknowledgement the workers reported, oldest first; ``seen``: what
    earlier checks of this file stored under each id (updated here), so that an
    order id, a client order id or a fill id that ever names something else is found."""
    problems: list[str] = []
    if view.integrity != [("ok",)]:
        problems.append(f"integrity_check: {view.integrity}")
    loaded = {"orders": len(view.orders), "fills": len(view.fills), "engines": sum(v is not None for v in view.engines.values())}
    if loaded != view.raw_counts:
        problems.append(f"rows that do not load: stored {view.raw_counts}, loaded {loaded}")
    for aid, state in view.engines.items():
        if state is not None:
            problems += _account_problems(view, aid, state)
    problems += _group_problems(view)
    problems += _ack_problems(view, acks)
    by_cid: dict[tuple[str, str], list[str]] = defaultdict(list)
    for o in view.orders:
        by_cid[(o.account_id, o.client_order_id)].append(o.order_id)
    problems += [f"{acct}: client order id {cid} used by orders {ids}" for (acct, cid), ids in by_cid.items() if len(ids) > 1]
    if seen is not None:
        problems += _history_problems(view, seen)
    return problems


def _history_problems(view: StoreView, seen: dict[Any, Any]) -> list[str]:
    """Ids that name something else than when an earlier check saw them."""
    problems = []
    now: dict[Any, Any] = {}
    for o in view.orders:
        now[("order", o.account_id, o.order_id)] = o.client_order_id
        now[("cid", o.account_id, o.client_order_id)] = o.order_id
    for f in view.fills:
        now[("fill", f.account_id, f.fill_id)] = (f.order_id, str(f.amount), str(f.price), f.timestamp.isoformat())
    for key, value in now.items():
        before = seen.setdefault(key, value)
        if before != value:
            kind, account, ident = key
            what = {"order": "order id", "cid": "client order id", "fill": "fill id"}[kind]
            problems.append(f"{account}: {what} {ident} named {before}, now {value}: "
                            + ("executed again" if kind == "cid" else "its id was reused"))
            seen[key] = value
    return problems


def _account_problems(view: StoreView, aid: str, state: dict[str, Any]) -> list[str]:
    problems = []
    stored = Ledger.from_state(state["ledger"])
    again = view.recomputed_ledger(aid, stored)
    if (stored.cash, stored.total_commissions) != (again.cash, again.total_commissions):
        problems.append(f"{aid}: stored cash {stored.cash} / commissions {stored.total_commissions}, "
                        f"from the fills {again.cash} / {again.total_commissions}")
    mine = {s: (h.quantity, h.cost_basis, h.realized_pnl) for s, h in stored.holdings.items()}
    theirs = {s: (h.quantity, h.cost_basis, h.realized_pnl) for s, h in again.holdings.items()}
    if mine != theirs:
        problems.append(f"{aid}: stored positions {mine}, from the fills {theirs}")
    filled: dict[str, Decimal] = defaultdict(Decimal)
    for f in view.fills_of(aid):
        if f.order_id:
            filled[f.order_id] += f.amount
    orders = view.orders_of(aid)
    problems += [f"{aid}: order {o.order_id} says filled {o.filled}, its fills add up to {filled.get(o.order_id, 0)}"
                 for o in orders if o.filled != filled.get(o.order_id, Decimal(0))]
    rows_working = {o.order_id: o for o in orders if o.status.is_working}
    state_working = {d["order_id"]: Order.model_validate(d) for d in state["orders"]}
    if rows_working != state_working:
        problems.append(f"{aid}: working orders in the engine {sorted(state_working)}, in the order rows {sorted(rows_working)}")
    if not set(stored.reservations) <= set(state["books"]):
        problems.append(f"{aid}: reservations {sorted(stored.reservations)} held by orders not working {sorted(state['books'])}")
    counters = state["counters"]
    top_order = max((_number(o.order_id) for o in orders), default=0)
    top_fill = max((_number(f.fill_id) for f in view.fills_of(aid)), default=0)
    if counters["order"] < top_order or counters["fill"] < top_fill:
        problems.append(f"{aid}: id counters {counters} behind the stored ids (order {top_order}, fill {top_fill}): ids would be reused")
    return problems


def _group_problems(view: StoreView) -> list[str]:
    accounts = set(view.engine_ids)
    problems = []
    for g in (o for o in view.orders if o.account_id not in accounts and o.allocation_group == o.account_id):
        children = [o for o in view.orders if o.allocation_group == g.account_id and o.account_id in accounts
                    and o.client_order_id == g.client_order_id]
        total = sum((c.filled for c in children), Decimal(0))
        if g.filled != total:
            problems.append(f"group order {g.order_id} says filled {g.filled}, its children {total}")
    return problems


def _ack_problems(view: StoreView, acks: list[dict[str, Any]]) -> list[str]:
    rows = {(o.account_id, o.order_id): o for o in view.orders}
    problems, first_id = [], {}
    for ack in acks:
        key = (ack["account"], ack["cid"])
        if first_id.setdefault(key, ack["order_id"]) != ack["order_id"]:
            problems.append(f"{ack['account']}: client order id {ack['cid']} acknowledged as {first_id[key]}, "
                            f"then again as {ack['order_id']}: executed twice")
        row = rows.get((ack["account"], ack["order_id"]))
        if row is None:
            problems.append(f"{ack['account']}: acknowledged order {ack['order_id']} ({ack['cid']}) is not stored")
        elif row.client_order_id != ack["cid"]:
            problems.append(f"{ack['account']}: acknowledged order {ack['order_id']} ({ack['cid']}) was overwritten "
                            f"by {row.client_order_id}: its id was reused")
        elif ack["status"] in FINAL and row.status.value != ack["status"]:
            problems.append(f"{ack['account']}: order {ack['order_id']} acknowledged {ack['status']}, stored {row.status.value}")
        elif row.filled < Decimal(ack["filled"]):
            problems.append(f"{ack['account']}: order {ack['order_id']} acknowledged filled {ack['filled']}, stored {row.filled}")
    return problems


def restore_problems(snap: dict[str, Any], view: StoreView) -> list[str]:
    """How the restarted broker's ``snap`` (worker.snapshot) differs from the file
    read into ``view``: ledgers recomputed from the fills, order states, fills."""
    problems = []
    for aid, acct in snap["accounts"].items():
        state = view.engines.get(aid)
        if state is None:
            continue
        again = view.recomputed_ledger(aid, Ledger.from_state(state["ledger"]))
        if (Decimal(acct["cash"]), Decimal(acct["commissions"])) != (again.cash, again.total_commissions):
            problems.append(f"restored {aid}: cash {acct['cash']} / commissions {acct['commissions']}, "
                            f"from the fills {again.cash} / {again.total_commissions}")
        held = {s: Decimal(q) for s, (q, _b, _r) in acct["holdings"].items() if Decimal(q)}
        want = {s: h.quantity for s, h in again.holdings.items() if h.quantity}
        if held != want:
            problems.append(f"restored {aid}: positions {held}, from the fills {want}")
        rows = {o.order_id: [o.client_order_id, o.status.value, str(o.filled)] for o in view.orders_of(aid)}
        if acct["orders"] != rows:
            diff = {k: (acct["orders"].get(k), rows.get(k)) for k in set(rows) | set(acct["orders"])
                    if acct["orders"].get(k) != rows.get(k)}
            problems.append(f"restored {aid}: orders differ from the stored rows (restored, stored): {diff}")
        if sorted(acct["fills"]) != sorted(f.fill_id for f in view.fills_of(aid)):
            problems.append(f"restored {aid}: fills differ from the stored rows")
    return problems
