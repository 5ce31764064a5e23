"""PaperBroker through the Broker interface: orders, streams, persistence, reset."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from desktop.brokers import NotFoundError, OrderRejectedError
from desktop.brokers.paper import ACCOUNT_ID, PaperBroker
from desktop.domain import Interval, OrderRequest, OrderSide, OrderStatus, OrderType, TimeInForce


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "paper.sqlite3"


async def connected(path) -> PaperBroker:
    broker = PaperBroker(path, autostart=False)
    await broker.connect()
    return broker


async def instrument(broker, symbol="AAPL"):
    return next(i for i in await broker.search_instruments(symbol) if i.symbol == symbol)


def order(inst, **kw):
    base = dict(connection_id="paper", account_id=ACCOUNT_ID, instrument=inst, side=OrderSide.BUY, type=OrderType.MARKET, amount=D(100))
    base.update(kw)
    return OrderRequest(**base)


def test_market_order_fills_and_updates_cash_and_position(arun, store_path):
    async def body():
        broker = await connected(store_path)
        broker.advance_minutes(10)
        aapl = await instrument(broker)
        last = broker.market.last_price("AAPL")
        placed = await broker.create_order(order(aapl))
        assert placed.status is OrderStatus.FILLED and placed.filled == 100 and placed.average == last
        [fill] = await broker.fetch_fills(ACCOUNT_ID)
        assert fill.price == last and fill.commission == D("1.00")
        [pos] = await broker.fetch_positions(ACCOUNT_ID)
        assert pos.quantity == 100 and pos.average_price == last
        [bal] = await broker.fetch_balances(ACCOUNT_ID)
        assert bal.cash == D(100_000) - 100 * last - D("1.00")
        await broker.close()

    arun(body())


def test_rejection_raises_with_reason_and_is_recorded(arun, store_path):
    async def body():
        broker = await connected(store_path)
        broker.advance_minutes(1)
        aapl = await instrument(broker)
        with pytest.raises(OrderRejectedError) as info:
            await broker.create_order(order(aapl, amount=D(10_000)))
        assert "buying power" in info.value.message
        [rejected] = await broker.fetch_orders(ACCOUNT_ID)
        assert rejected.status is OrderStatus.REJECTED and rejected.message == info.value.message
        with pytest.raises(NotFoundError):
            await broker.fetch_orders("SOMEONE-ELSE")
        await broker.close()

    arun(body())


def test_limit_order_rests_can_be_modified_and_cancelled(arun, store_path):
    async def body():
        broker = await connected(store_path)
        broker.advance_minutes(1)
        aapl = await instrument(broker)
        far = (broker.market.last_price("AAPL") * D("0.8")).quantize(D("0.01"))
        placed = await broker.create_order(order(aapl, type=OrderType.LIMIT, limit_price=far, time_in_force=TimeInForce.GTC))
        assert placed.status is OrderStatus.ACCEPTED
        modified = await broker.modify_order(ACCOUNT_ID, placed.order_id, amount=D(50), limit_price=far - 1)
        assert modified.amount == 50 and modified.limit_price == far - 1
        cancelled = await broker.cancel_order(ACCOUNT_ID, placed.order_id)
        assert cancelled.status is OrderStatus.CANCELED
        with pytest.raises(OrderRejectedError):
            await broker.cancel_order(ACCOUNT_ID, placed.order_id)
        await broker.close()

    arun(body())


def test_same_client_order_id_is_not_sent_twice(arun, store_path):
    async def body():
        broker = await connected(store_path)
        broker.advance_minutes(1)
        request = order(await instrument(broker))
        first = await broker.create_order(request)
        again = await broker.create_order(request)
        assert again.order_id == first.order_id
        assert len(await broker.fetch_orders(ACCOUNT_ID)) == 1
        await broker.close()

    arun(body())


def test_streams_publish_orders_bars_and_quotes(arun, store_path):
    async def body():
        broker = await connected(store_path)
        aapl = await instrument(broker)
        orders, bars, quotes = [], [], []

        async def collect(stream, into, n):
            async for item in stream:
                into.append(item)
                if len(into) >= n:
                    return

        tasks = [
            asyncio.ensure_future(collect(broker.watch_orders(ACCOUNT_ID), orders, 1)),
            asyncio.ensure_future(collect(broker.watch_bars("AAPL", Interval.M5), bars, 3)),
            asyncio.ensure_future(collect(broker.watch_quotes(["AAPL", "MSFT"]), quotes, 4)),
        ]
        await asyncio.sleep(0)  # let the subscriptions register
        for _ in range(3):
            broker.advance_minutes(1)
            await asyncio.sleep(0)
        await broker.create_order(order(aapl, amount=D(10)))
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
        assert orders[0].status is OrderStatus.FILLED
        assert [b.interval for b in bars] == [Interval.M5] * 3
        assert bars[0].start == bars[2].start and bars[2].volume > bars[0].volume  # the same forming bar grows
        assert {q.symbol for q in quotes} == {"AAPL", "MSFT"} and all(q.bid < q.ask for q in quotes)
        await broker.close()

    arun(body())


def test_close_ends_watchers(arun, store_path):
    async def body():
        broker = await connected(store_path)
        seen = []

        async def consume():
            async for o in broker.watch_orders(ACCOUNT_ID):
                seen.append(o)

        task = asyncio.ensure_future(consume())
        await asyncio.sleep(0)
        await broker.close()
        await asyncio.wait_for(task, 2)
        assert task.done() and seen == []

    arun(body())


def test_state_survives_restart(arun, store_path):
    async def body():
        broker = await connected(store_path)
        broker.set_replay_speed(30)
        broker.advance_minutes(20)
        aapl = await instrument(broker)
        await broker.create_order(order(aapl, amount=D(20)))
        resting = await broker.create_order(order(aapl, type=OrderType.LIMIT, limit_price=D(300), time_in_force=TimeInForce.GTC))
        before = (broker.replay_now, await broker.fetch_positions(ACCOUNT_ID), await broker.fetch_fills(ACCOUNT_ID), await broker.fetch_balances(ACCOUNT_ID))
        await broker.close()

        again = await connected(store_path)
        after = (again.replay_now, await again.fetch_positions(ACCOUNT_ID), await again.fetch_fills(ACCOUNT_ID), await again.fetch_balances(ACCOUNT_ID))
        assert after[0] == before[0] and again.replay_speed == 30
        assert [(p.symbol, p.quantity, p.average_price) for p in after[1]] == [(p.symbol, p.quantity, p.average_price) for p in before[1]]
        assert after[2] == before[2]
        assert after[3][0].cash == before[3][0].cash
        working = await again.fetch_orders(ACCOUNT_ID, status=[OrderStatus.ACCEPTED])
        assert [o.order_id for o in working] == [resting.order_id]
        await again.cancel_order(ACCOUNT_ID, resting.order_id)  # the restored engine still manages it
        await again.close()

    arun(body())


def test_reset_account_starts_over(arun, store_path):
    async def body():
        broker = await connected(store_path)
        start = broker.replay_now
        broker.advance_minutes(30)
        await broker.create_order(order(await instrument(broker), amount=D(10)))
        await broker.reset_account()
        assert broker.replay_now == start and broker.replay_speed == 1
        assert await broker.fetch_orders(ACCOUNT_ID) == [] and await broker.fetch_positions(ACCOUNT_ID) == []
        [bal] = await broker.fetch_balances(ACCOUNT_ID)
        assert bal.cash == D(100_000)
        await broker.close()
        again = await connected(store_path)
        assert await again.fetch_fills(ACCOUNT_ID) == []
        await again.close()

    arun(body())


def test_day_orders_expire_at_the_close(arun, store_path):
    async def body():
        broker = await connected(store_path)
        broker.advance_minutes(1)
        aapl = await instrument(broker)
        low = (broker.market.last_price("AAPL") * D("0.7")).quantize(D("0.01"))
        day = await broker.create_order(order(aapl, type=OrderType.LIMIT, limit_price=low))
        gtc = await broker.create_order(order(aapl, type=OrderType.LIMIT, limit_price=low, time_in_force=TimeInForce.GTC))
        broker.advance_minutes(390)
        statuses = {o.order_id: o.status for o in await broker.fetch_orders(ACCOUNT_ID)}
        assert statuses == {day.order_id: OrderStatus.EXPIRED, gtc.order_id: OrderStatus.ACCEPTED}
        await broker.close()

    arun(body())


def test_replay_loop_runs_on_its_own(arun, store_path):
    async def body():
        broker = PaperBroker(store_path, tick_seconds=0.01)
        await broker.connect()
        broker.set_replay_speed(600)
        start = broker.replay_now
        async for bar in broker.watch_bars("MSFT", Interval.M1):
            if bar.start > start:
                break
        assert broker.replay_now > start
        await broker.close()

    arun(body())


def test_replay_loop_survives_a_failing_tick(arun, store_path, caplog):
    async def body():
        broker = PaperBroker(store_path, tick_seconds=0.01)
        await broker.connect()
        real_advance = broker.advance_minutes
        calls = {"n": 0}

        def flaky(minutes):
            calls["n"] += 1
            if calls["n"] == 2:
                raise OSError("disk full")
            real_advance(minutes)

        broker.advance_minutes = flaky
        broker.set_replay_speed(600)
        start = broker.replay_now
        while calls["n"] < 5:
            await asyncio.sleep(0.01)
        assert broker.replay_now > start
        await broker.close()

    import logging

    with caplog.at_level(logging.ERROR):
        arun(body())
    assert "market replay: skipped an item after OSError: disk full" in caplog.text


def test_orders_after_the_end_of_the_data_are_refused(arun, store_path):
    async def body():
        broker = await connected(store_path)
        clock = broker.market.clock
        clock.seek(clock.calendar[-1], 389)
        broker.advance_minutes(2)
        assert broker.replay_finished
        with pytest.raises(OrderRejectedError) as info:
            await broker.create_order(order(await instrument(broker)))
        assert "end of its data" in info.value.message
        await broker.close()

    arun(body())
