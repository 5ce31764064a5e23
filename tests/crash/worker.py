"""The child process of the kill -9 suite: a PaperBroker on a store file, driven by a
seeded random scenario (orders placed, resent, modified, canceled; the replay advanced
so that they fill and expire) until the parent kills it with SIGKILL.

:func:`run` is the process target (started from a fork server, see test_kill9.py).
``job`` is a dict: ``store`` (file path), ``advisor`` (the advisor demo: four client
ledgers, group orders), ``seed``, ``retry`` (order specs to send again first: the
ones the parent saw sent but not acknowledged, and some acknowledged ones),
``budget`` (actions before exiting normally), ``learn`` (report every save step) and
``aim`` (``[step, n]``: block at the n-th time the store reaches save step ``step``).

Messages to the parent over ``conn``, each sent before the worker goes on, so that
whatever the parent has read happened before the kill:

- ``("ready", snapshot)``: connected; ``snapshot`` is the restored broker's state
  (:func:`snapshot`). The worker then waits for ``("go",)``.
- ``("send", spec)``: about to place the order ``spec`` (:func:`request_of`).
- ``("ack", ack)``: the broker answered with an order: ``account``, ``order_id``,
  ``cid``, ``status``, ``filled``, ``spec`` (None for cancel / modify).
- ``("refused", cid, reason)``: refused without recording an order.
- ``("step", name)`` (learn mode) / ``("paused", name, n)`` (aim; the worker blocks).
- ``("done",)``: the budget is spent; the worker exits with status 0.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from decimal import Decimal
from typing import Any

from desktop.brokers.errors import BrokerError, OrderRejectedError
from desktop.brokers.paper import PaperBroker
from desktop.domain import OrderRequest, OrderSide, OrderStatus, OrderType, TimeInForce

SYMBOLS = ("AAPL", "MSFT", "IBM", "GOOG")
CLIENTS = ("DU100001", "DU100002", "DU100003", "DU100004")
GROUPS = ("Everyone", "ByNetLiq", "ByEquity", "Growth")
CENT = Decimal("0.01")


def run(conn: Any, job: dict[str, Any]) -> None:
    """Process target: run ``job`` (see the module docs) reporting over ``conn``."""
    asyncio.run(_Worker(conn, job).main())


def request_of(broker: PaperBroker, spec: dict[str, Any]) -> OrderRequest:
    """The OrderRequest of ``spec`` (account, symbol, side, type, amount, limit, stop, tif, cid)."""
    inst = broker.market.instrument(spec["symbol"])
    return OrderRequest(connection_id=broker.connection_id, account_id=spec["account"], instrument=inst,
                        side=OrderSide(spec["side"]), type=OrderType(spec["type"]), amount=Decimal(spec["amount"]),
                        limit_price=Decimal(spec["limit"]) if spec["limit"] else None,
                        stop_price=Decimal(spec["stop"]) if spec["stop"] else None,
                        time_in_force=TimeInForce(spec["tif"]), client_order_id=spec["cid"])


def snapshot(broker: PaperBroker) -> dict[str, Any]:
    """The broker's state as plain data: per account its ledger (cash, commissions,
    holdings [quantity, cost basis, realized], reserved order ids), orders
    {id: [cid, status, filled]}, fill ids and id counters; the group orders
    {id: [group, cid, status, filled]}; the replay time."""
    accounts = {}
    for aid, eng in broker._engines.items():
        led = eng.ledger
        accounts[aid] = {
            "cash": str(led.cash), "commissions": str(led.total_commissions),
            "holdings": {s: [str(h.quantity), str(h.cost_basis), str(h.realized_pnl)] for s, h in led.holdings.items()},
            "reservations": sorted(led.reservations),
            "orders": {o.order_id: [o.client_order_id, o.status.value, str(o.filled)] for o in eng.orders()},
            "fills": [f.fill_id for f in eng.fills()],
            "counters": dict(eng._counters),
        }
    groups = {}
    if broker._groups is not None:
        for name in broker._groups.groups:
            for o in broker._groups.orders(name):
                groups[o.order_id] = [name, o.client_order_id, o.status.value, str(o.filled)]
    return {"accounts": accounts, "groups": groups, "now": broker.market.clock.now.isoformat()}


async def _yes(question: Any) -> bool:
    return True


class _Worker:
    def __init__(self, conn: Any, job: dict[str, Any]) -> None:
        self.conn, self.job = conn, job
        self.rng = random.Random(job["seed"])
        self.steps: Counter[str] = Counter()
        self.sent: list[dict[str, Any]] = []
        self.n = 0

    def hook(self, step: str) -> None:
        """The store's step hook: report (learn) or block at the aimed step."""
        self.steps[step] += 1
        if self.job.get("learn"):
            self.conn.send(("step", step))
        aim = self.job.get("aim")
        if aim and step == aim[0] and self.steps[step] == aim[1]:
            self.conn.send(("paused", step, aim[1]))
            self.conn.recv()  # the parent kills us here

    async def main(self) -> None:
        broker = PaperBroker(self.job["store"], autostart=False, advisor=self.job["advisor"])
        broker._store.step_hook = self.hook
        await broker.connect()
        await broker.suppress_questions(["p6"])
        self.conn.send(("ready", snapshot(broker)))
        self.conn.recv()
        for spec in self.job["retry"]:
            await self.place(broker, spec)
        for _ in range(self.job["budget"]):
            await self.act(broker)
        self.conn.send(("done",))
        await broker.close()

    # -- actions ------------------------------------------------------------
    async def act(self, broker: PaperBroker) -> None:
        roll = self.rng.random()
        if roll < 0.45:
            await self.place(broker, self.new_spec(broker))
        elif roll < 0.75:
            broker.advance_minutes(self.rng.randint(1, 25))
        elif roll < 0.85:
            await self.cancel(broker)
        elif roll < 0.95:
            await self.modify(broker)
        elif self.sent:
            await self.place(broker, self.rng.choice(self.sent))

    def new_spec(self, broker: PaperBroker) -> dict[str, Any]:
        rng = self.rng
        self.n += 1
        advisor = self.job["advisor"]
        account = rng.choice(CLIENTS + GROUPS) if advisor else "PAPER"
        symbol = rng.choice(SYMBOLS)
        last = broker.market.last_price(symbol) or Decimal(100)
        held = Decimal(0) if account in GROUPS else broker.engine_for(account).ledger.quantity(symbol)
        side = "SELL" if held > 0 and rng.random() < 0.4 else "BUY"
        amount = rng.randint(1, int(held) if side == "SELL" else (40 if advisor else 15))
        kind = rng.choice(["MARKET", "LIMIT", "LIMIT", "STOP"])
        limit = stop = None
        if kind == "LIMIT":
            limit = str((last * Decimal(1 + rng.uniform(-0.01, 0.004) * (1 if side == "BUY" else -1))).quantize(CENT))
        elif kind == "STOP":
            stop = str((last * Decimal(1.004 if side == "BUY" else 0.996)).quantize(CENT))
        tif = rng.choice(["DAY", "GTC", "IOC"]) if kind != "STOP" else rng.choice(["DAY", "GTC"])
        return {"account": account, "symbol": symbol, "side": side, "type": kind, "amount": str(amount), "limit": limit,
                "stop": stop, "tif": tif, "cid": f"s{self.job['seed']}-{self.n}"}

    async def place(self, broker: PaperBroker, spec: dict[str, Any]) -> None:
        self.conn.send(("send", spec))
        if spec not in self.sent:
            self.sent.append(spec)
        try:
            order = await broker.create_order(request_of(broker, spec), confirm=_yes)
        except OrderRejectedError as exc:
            raw = exc.raw if isinstance(exc.raw, dict) else {}
            if raw.get("order_id"):
                self.ack(raw["account_id"], raw["order_id"], spec["cid"], raw["status"], raw["filled"], spec)
            else:
                self.conn.send(("refused", spec["cid"], exc.message))
            return
        self.ack(order.account_id, order.order_id, order.client_order_id, order.status.value, str(order.filled), spec)

    def ack(self, account: str, order_id: str, cid: str, status: str, filled: Any, spec: dict[str, Any] | None) -> None:
        self.conn.send(("ack", {"account": account, "order_id": order_id, "cid": cid, "status": status,
                                "filled": str(filled), "spec": spec}))

    def working(self, broker: PaperBroker) -> list[tuple[str, Any]]:
        """(account, order) of every working order a user sees (group orders, not their children)."""
        out = [(aid, o) for aid, eng in broker._engines.items() for o in eng.working_orders() if not o.allocation_group]
        if broker._groups is not None:
            out += [(g, o) for g in broker._groups.groups for o in broker._groups.orders(g) if o.status.is_working]
        return out

    async def cancel(self, broker: PaperBroker) -> None:
        if not (working := self.working(broker)):
            return
        account, order = self.rng.choice(working)
        try:
            done = await broker.cancel_order(account, order.order_id)
        except BrokerError as exc:
            self.conn.send(("refused", order.client_order_id, exc.message))
            return
        self.ack(account, done.order_id, done.client_order_id, done.status.value, str(done.filled), None)

    async def modify(self, broker: PaperBroker) -> None:
        working = [(a, o) for a, o in self.working(broker) if o.type is OrderType.LIMIT]
        if not working:
            return
        account, order = self.rng.choice(working)
        change: dict[str, Decimal] = {}
        if self.rng.random() < 0.5:
            change["amount"] = order.amount + self.rng.randint(1, 5)
        else:
            change["limit_price"] = order.limit_price + CENT * self.rng.randint(-20, 20)
        try:
            done = await broker.modify_order(account, order.order_id, **change)
        except BrokerError as exc:
            self.conn.send(("refused", order.client_order_id, exc.message))
            return
        if done.status is not OrderStatus.REJECTED:
            self.ack(account, done.order_id, done.client_order_id, done.status.value, str(done.filled), None)
