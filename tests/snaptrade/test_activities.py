"""Fills from account activities (GET /accounts/{id}/activities): BUY/SELL
transactions become fills, the same trade as an executed order's fill once, against
the fake over loopback."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from desktop.brokers.snaptrade.fills import merge_fills, parse_activities
from desktop.domain import Fill, Instrument, OrderSide, OrderStatus

from tests.fakes.snaptrade.catalog import USD, universal_symbol

from .helpers import limit, linked_broker, tick

OLD = (datetime.now(timezone.utc) - timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _activity(activity_id, kind="BUY", symbol="MSFT", units=3, price=410.5, ref="old-order-1", **extra):
    return {"id": activity_id, "symbol": universal_symbol(symbol), "option_symbol": None, "price": price,
            "units": units, "amount": None, "currency": USD, "type": kind, "option_type": "",
            "description": "", "trade_date": OLD, "settlement_date": OLD, "fee": 1.25, "fx_rate": None,
            "institution": "Alpaca", "external_reference_id": ref, **extra}


def test_activity_trades_join_the_order_fills_once(tmp_path, arun):
    async def scenario():
        async with linked_broker(tmp_path, activities_every=0) as (fake, broker):
            linked = fake.account_for("ALPACA")
            price = fake.paper.market.last_price("AAPL")
            order = await broker.create_order(limit(linked.id, tick(price * Decimal("1.05")), amount="4"))
            for _ in range(30):
                if (await broker._order_rows(linked.id, fresh=True))[0].status is OrderStatus.FILLED:
                    break
                fake.paper.advance_minutes(1)
            fake.add_activity(linked, _activity("act-old"))
            fake.add_activity(linked, _activity("act-div", kind="DIVIDEND", units=0, price=0))
            fake.add_activity(linked, _activity("act-bad", units="x"))
            fake.add_activity(linked, _activity("act-sell", kind="SELL", units=-2, price=420, ref=None))
            fills = await broker.fetch_fills(linked.id)
            served = [r for r in fake.requests if r.path.endswith("/activities")]
            return order, fills, served

    order, fills, served = arun(scenario(), timeout=60)
    by_id = {f.fill_id: f for f in fills}
    assert set(by_id) == {order.order_id, "act-old", "act-sell"}  # the order's own activity once, as its fill
    old = by_id["act-old"]
    assert old.order_id == "old-order-1" and old.symbol == "MSFT" and old.side is OrderSide.BUY
    assert old.amount == 3 and old.price == Decimal("410.5") and old.commission == Decimal("1.25")
    sale = by_id["act-sell"]
    assert sale.side is OrderSide.SELL and sale.amount == 2 and sale.order_id == ""
    assert all(f.connection_id == "snap-1" for f in fills)
    assert [f.timestamp for f in fills] == sorted(f.timestamp for f in fills)
    assert served and "type=BUY%2CSELL" in served[0].query


def test_activities_are_read_once_per_period_and_a_refusal_leaves_the_order_fills(tmp_path, arun):
    async def scenario():
        async with linked_broker(tmp_path) as (fake, broker):  # the default period: hours
            linked = fake.account_for("ALPACA")
            fake.add_activity(linked, _activity("act-old"))
            first = await broker.fetch_fills(linked.id)
            second = await broker.fetch_fills(linked.id)
            reads = len([r for r in fake.requests if r.path.endswith("/activities")])
            other = fake.account_for("SCHWAB")
            fake.state.fail_next[f"GET /accounts/{other.id}/activities"] = 500
            refused = await broker.fetch_fills(other.id)
            return first, second, reads, refused

    first, second, reads, refused = arun(scenario(), timeout=60)
    assert [f.fill_id for f in first] == [f.fill_id for f in second] == ["act-old"]
    assert reads == 1 and refused == []


def _fill(fill_id, order_id="", amount="2", price="100", day=1):
    return Fill(broker="snaptrade", account_id="a", fill_id=fill_id, order_id=order_id,
                instrument=Instrument.equity("AAPL"), side=OrderSide.BUY, amount=Decimal(amount),
                price=Decimal(price), timestamp=datetime(2026, 12, day, 15, tzinfo=timezone.utc))


def test_an_activity_without_reference_is_the_order_fill_of_the_same_trade():
    orders = [_fill("o1", "o1")]
    activities = [_fill("a1", amount="2", price="100.004"), _fill("a2", amount="2", price="100"),
                  _fill("a3", "o1"), _fill("a4", amount="2", day=2)]
    merged = merge_fills(orders, activities)
    assert [f.fill_id for f in merged] == ["o1", "a2", "a4"]  # a1 is o1's twin, a3 refers to o1


def test_unreadable_activities_are_skipped():
    body = {"data": [_activity("ok"), _activity("no-price", price=None), {"type": "BUY"}, "junk",
                     _activity("opt", symbol="X", option_symbol={"ticker": "NOT OCC"})]}
    assert [f.fill_id for f in parse_activities(body, "a", "c")] == ["ok"]


def test_a_fresh_read_reports_activity_trades_older_than_since(tmp_path, arun):
    async def scenario():
        async with linked_broker(tmp_path) as (fake, broker):
            linked = fake.account_for("ALPACA")
            now = datetime.now(timezone.utc)
            first = await broker.fetch_fills(linked.id, since=now)  # nothing yet
            fake.add_activity(linked, _activity("act-late"))  # a trade from weeks ago, reported today
            kept = await broker.fetch_fills(linked.id, since=now)  # within the period: not read again
            broker.activity_fills.every = 0
            fresh = await broker.fetch_fills(linked.id, since=now)
            return first, kept, fresh

    first, kept, fresh = arun(scenario(), timeout=60)
    assert first == [] and kept == [] and [f.fill_id for f in fresh] == ["act-late"]
