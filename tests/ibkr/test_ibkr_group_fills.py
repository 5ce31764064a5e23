"""Fills of a group order: one ``GET /iserver/account/trades?accountId=<group>`` answers
every client's fetch_fills (desktop.brokers.ibkr.trades_book), the group request
goes before queued client requests, and the emulator lists each client's allocation
under the group as the real gateway is documented to (NOTES.md ss. 3-4)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from desktop.brokers.transport import SnapshotCache
from desktop.brokers.ibkr.trades_book import PriorityGate, TradesBook
from desktop.domain import Interval, OrderStatus

from .test_ibkr_broker import CLIENTS, _connected, _limit

fakes = pytest.importorskip("tests.fakes.ibkr")


def _trade(execution, account, group, size, order_id=77):
    return {"execution_id": execution, "symbol": "AAPL", "conid": "265598", "side": "B", "size": size,
            "price": "190.00", "commission": "1.00", "trade_time_r": 1_763_000_000_000 + len(execution),
            "account": account, "accountCode": account, "account_allocation_name": group, "order_id": order_id,
            "order_ref": "cid-77"}


class Trades:
    """Answers GET /iserver/account/trades from ``rows`` (filtered like the gateway),
    recording each accountId; ``hold`` (an Event) stalls every answer until set."""

    def __init__(self, rows):
        self.rows = rows
        self.calls: list[str] = []
        self.hold = asyncio.Event()
        self.hold.set()

    async def request(self, method, path, *, params=None, json=None, idempotent=None):
        assert (method, path) == ("GET", "/iserver/account/trades")
        target = params["accountId"]
        self.calls.append(target)
        rows = [r for r in self.rows if target in (r["account"], r["account_allocation_name"])]
        await self.hold.wait()
        return rows


def test_one_group_request_answers_every_client_with_its_own_fills_kept(arun):
    own = [_trade("e-own", "DU100001", "DU100001", 5, order_id=1)]  # a fill of an ordinary order
    group_rows = [_trade(f"e-{c}", c, "ByNetLiq", n) for c, n in zip(CLIENTS, (40, 30, 20, 10))]
    api = Trades(own)
    clock = [100.0]

    async def scenario():
        cache = SnapshotCache(5.0, clock=lambda: clock[0])
        book = TradesBook(api, cache, groups=lambda: {"ByNetLiq"}, client_accounts=lambda: set(CLIENTS),
                          members=lambda g: set(CLIENTS) if g == "ByNetLiq" else None, clock=lambda: clock[0])
        before = await asyncio.gather(*(book.fills(c) for c in CLIENTS))  # the UI's start: one each
        clock[0] += 60  # the own snapshots are old now
        api.rows = own + group_rows
        api.calls.clear()
        book.note_group_fill("ByNetLiq")
        after = await asyncio.gather(*(book.fills(c) for c in CLIENTS))
        calls_for_answers = list(api.calls)
        again = await book.fills("DU100002")  # a later read: the group snapshot is reused
        await asyncio.sleep(0)
        group = await book.fills("ByNetLiq")  # the group's own fills: the same snapshot
        await cache.close()
        return before, after, calls_for_answers, again, group

    before, after, calls, again, group = arun(scenario())
    assert [len(f) for f in before] == [1, 0, 0, 0]
    assert calls[0] == "ByNetLiq" and calls.count("ByNetLiq") == 1  # one request for the four answers
    assert {c: sorted(f.fill_id for f in fills) for c, fills in zip(CLIENTS, after)} == {
        "DU100001": ["e-DU100001", "e-own"], "DU100002": ["e-DU100002"], "DU100003": ["e-DU100003"],
        "DU100004": ["e-DU100004"]}
    assert all(f.allocation_group == "ByNetLiq" for fills in after for f in fills if f.fill_id != "e-own")
    assert [f.amount for f in again] == [Decimal(30)]
    assert sorted(f.account_id for f in group) == sorted(CLIENTS)


def test_group_request_goes_before_queued_client_refreshes(arun):
    api = Trades([])

    async def scenario():
        gate = PriorityGate()
        order: list[str] = []
        release = asyncio.Event()

        async def use(name, priority, hold=None):
            async with gate.hold(priority):
                order.append(name)
                if hold is not None:
                    await hold.wait()

        first = asyncio.ensure_future(use("client-1", 1, release))  # a client request in flight
        await asyncio.sleep(0)
        waiting = [asyncio.ensure_future(use(f"client-{i}", 1)) for i in (2, 3)]
        cancelled = asyncio.ensure_future(use("cancelled", 0))
        group = asyncio.ensure_future(use("group", 0))
        await asyncio.sleep(0)
        cancelled.cancel()
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(first, *waiting, group, cancelled, return_exceptions=True)
        return order

    assert arun(scenario()) == ["client-1", "group", "client-2", "client-3"]
    assert api.calls == []


def test_emulator_lists_every_allocation_under_the_group_and_fills_need_one_call(tmp_path, arun):
    async def scenario():
        async with fakes.running_gateway(tmp_path) as gw:
            broker = await _connected(gw)
            try:
                for c in CLIENTS:  # the UI's start: each client's own snapshot
                    await broker.fetch_fills(c)
                await broker.suppress_questions(["o163", "p6", "o354"])
                watch = broker.watch_orders("ByNetLiq")
                started = asyncio.ensure_future(anext(watch))  # the watch starts before the order (as the desk's)
                await asyncio.sleep(0)
                last = (await broker.fetch_bars("AAPL", Interval.D1, limit=1))[-1].close
                order = await broker.create_order(_limit("ByNetLiq", price=str((last * Decimal("1.3")).quantize(
                    Decimal("0.01")))))
                for _ in range(30):
                    gw.paper.advance_minutes(1)
                    if all(o.status is OrderStatus.FILLED for o in await gw.paper.fetch_orders("ByNetLiq")):
                        break
                seen = await started
                while not (seen.order_id == order.order_id and seen.status is OrderStatus.FILLED):
                    seen = await anext(watch)
                mark = len(gw.requests)
                fills = await asyncio.gather(*(broker.fetch_fills(c) for c in CLIENTS))
                trades = [r.query.get("accountId") for r in gw.requests[mark:] if r.path == "/iserver/account/trades"]
                return order, fills, trades
            finally:
                await broker.close()

    order, fills, trades = arun(scenario(), timeout=30)
    assert trades[0] == "ByNetLiq" and trades.count("ByNetLiq") == 1
    mine = [f for per_client in fills for f in per_client if f.order_id == order.order_id]
    assert sum(f.amount for f in mine) == 100 and {f.account_id for f in mine} == set(CLIENTS)
    assert {f.allocation_group for f in mine} == {"ByNetLiq"}
