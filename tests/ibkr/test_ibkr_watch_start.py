"""The settled watch_orders contract on IBKR's OrderPoller (desktop.brokers.base.Broker):
a watch FIRST yields the source's working orders as they are when it starts, THEN
every change; a never-polled source gets its first poll's working orders from the
poller's own (shared) poll, and nothing that changes while the watch waits is lost."""

from __future__ import annotations

import asyncio

from desktop.brokers.ibkr.live_orders import OrderPoller
from desktop.brokers.ibkr.order_body import orders_from_live
from desktop.domain import OrderStatus

ROW = {"acct": "DU1", "conid": 265598, "ticker": "AAPL", "totalSize": "100", "filledQuantity": "0", "price": "190",
       "origOrderType": "LIMIT", "side": "BUY", "timeInForce": "DAY", "status": "Submitted"}


def _row(order_id: int, **changes) -> dict:
    return {**ROW, "orderId": order_id, "order_ref": f"cid-{order_id}", **changes}


class Gateway:
    """Live orders per source; ``gate`` (when set) holds every fetch until released."""

    def __init__(self, rows: dict[str, list[dict]]) -> None:
        self.rows = rows
        self.calls: list[str] = []
        self.gate: asyncio.Event | None = None
        self.fetching = asyncio.Event()

    async def fetch(self, source: str):
        self.calls.append(source)
        answer = [dict(r) for r in self.rows.get(source, [])]  # what the gateway had when the request arrived
        self.fetching.set()
        if self.gate is not None:
            await self.gate.wait()
        return orders_from_live({"orders": answer}, account_id=source, groups=set())


async def _next(watch, n: int = 1) -> list:
    return [await asyncio.wait_for(anext(watch), 2) for _ in range(n)]


def test_first_poll_working_orders_then_changes_made_while_waiting(arun):
    """A (working) and C (cancelled before the watch) are live; B is placed while the
    watch's first poll is in flight, and a second watch and fetch_orders ask at the
    same time: one request, the watch yields A, then B, then B's fill; never C."""
    gw = Gateway({"DU1": [_row(1), _row(3, status="Cancelled")]})

    async def scenario():
        gw.gate = asyncio.Event()
        poller = OrderPoller(gw.fetch, interval=60, idle_interval=60)
        watch = poller.watch("DU1")
        first = asyncio.ensure_future(_next(watch, 2))
        await asyncio.wait_for(gw.fetching.wait(), 2)  # the poller's first poll is in flight
        listed = asyncio.ensure_future(poller.snapshot("DU1"))  # fetch_orders meanwhile: shares that poll
        await asyncio.sleep(0)
        gw.rows["DU1"].insert(0, _row(2))  # the gateway lists B once placed (the first poll's answer predates it)
        own = orders_from_live({"orders": [_row(2)]}, account_id="DU1", groups=set())[0]
        poller.remember(own)  # our create_order's result, while the watch waits
        shared = list(gw.calls)
        gw.gate.set()
        a, b = await first
        gw.gate = None
        gw.rows["DU1"] = [_row(1), _row(2, status="Filled", filledQuantity="100"), _row(3, status="Cancelled")]
        poller.wake("DU1")  # remember() asked for this poll anyway
        (filled,) = await _next(watch)
        while filled.status is not OrderStatus.FILLED:  # a poll may first restate B as the gateway lists it
            assert filled.order_id == "2", filled
            (filled,) = await _next(watch)
        snapshot = await asyncio.wait_for(listed, 2)
        await poller.close()
        return a, b, filled, snapshot, [o async for o in watch], shared

    a, b, filled, snapshot, rest, shared = arun(scenario())
    assert (a.order_id, a.status) == ("1", OrderStatus.ACCEPTED)  # the working order first
    assert b.order_id == "2"  # then the change made while waiting
    assert (filled.order_id, filled.status) == ("2", OrderStatus.FILLED)
    assert shared == ["DU1"]  # the watch, the second caller and the poller shared one request
    # fetch_orders: the shared first poll predates our order, so it asked again and sees it
    assert {o.order_id for o in snapshot} >= {"1", "2"}
    assert rest == []


def test_a_second_watch_of_a_polled_source_starts_at_once_without_a_request(arun):
    gw = Gateway({"DU1": [_row(1), _row(3, status="Cancelled")]})

    async def scenario():
        poller = OrderPoller(gw.fetch, interval=60, idle_interval=60)
        first = poller.watch("DU1")
        (a,) = await _next(first)
        calls = list(gw.calls)
        second = poller.watch("DU1")
        (again,) = await _next(second)  # no poll in between (interval 60 s)
        after = list(gw.calls)
        await poller.close()
        return a, again, calls, after

    a, again, calls, after = arun(scenario())
    assert a.order_id == again.order_id == "1" and again.is_working
    assert calls == after == ["DU1"]


def test_a_change_the_first_poll_reports_about_our_own_order_is_not_lost(arun):
    """B placed while the first poll is in flight, and that poll already lists B
    filled: the watch yields A, then B as we placed it, then B's latest (filled) state."""
    gw = Gateway({"DU1": [_row(1), _row(2, status="Filled", filledQuantity="100")]})

    async def scenario():
        gw.gate = asyncio.Event()
        poller = OrderPoller(gw.fetch, interval=60, idle_interval=60)
        watch = poller.watch("DU1")
        items = asyncio.ensure_future(_next(watch, 3))
        await asyncio.wait_for(gw.fetching.wait(), 2)
        poller.remember(orders_from_live({"orders": [_row(2)]}, account_id="DU1", groups=set())[0])
        gw.gate.set()
        got = await items
        await poller.close()
        return got

    got = arun(scenario())
    assert [(o.order_id, o.status) for o in got] == [("1", OrderStatus.ACCEPTED), ("2", OrderStatus.ACCEPTED),
                                                    ("2", OrderStatus.FILLED)]


def test_a_watch_waiting_for_a_failing_first_poll_ends_at_close(arun):
    from desktop.brokers.errors import UnavailableError

    async def failing(source):
        raise UnavailableError("gateway down")

    async def scenario():
        poller = OrderPoller(failing, interval=60, idle_interval=60)
        watch = poller.watch("DU1")
        pending = asyncio.ensure_future(anext(watch, None))
        while not poller.polls:
            await asyncio.sleep(0)
        assert not pending.done()  # no snapshot yet: the watch waits for a successful poll
        await poller.close()
        return await asyncio.wait_for(pending, 2)

    assert arun(scenario()) is None
