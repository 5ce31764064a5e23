"""Websocket ``sor`` rows applied to the orders we know (desktop.brokers.ibkr.sor_updates
and OrderPoller.apply_sor), and end to end: a fill reaches watch_orders(group) from
the emulator's sor frame without waiting for a REST poll. Row shape: NOTES.md s. 6."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

import pytest

from desktop.brokers.ibkr import IbkrBroker
from desktop.brokers.ibkr.live_orders import OrderPoller
from desktop.brokers.ibkr.order_body import orders_from_live
from desktop.brokers.ibkr.sor_updates import merge_sor, parse_sor_row
from desktop.brokers.transport import Pacer
from desktop.domain import Interval, OrderStatus

from .test_ibkr_broker import _limit
from .test_ibkr_poll_priority import ROW

fakes = pytest.importorskip("tests.fakes.ibkr")


def _order(**changes):
    return orders_from_live({"orders": [{**ROW, **changes}]}, account_id="ByNetLiq", groups={"ByNetLiq"})[0]


def test_string_values_merge_into_the_last_snapshot():
    order = _order()
    update = parse_sor_row({"orderId": "1234567001", "acct": "ByNetLiq", "status": "Submitted",
                            "filledQuantity": "40.0", "remainingQuantity": "60", "avgPrice": "189.25"})
    merged = merge_sor(order, update)
    assert (merged.status, merged.filled, merged.remaining, merged.average) == (
        OrderStatus.PARTIALLY_FILLED, Decimal(40), Decimal(60), Decimal("189.25"))
    assert merged.limit_price == order.limit_price and merged.raw == order.raw  # the rest kept
    done = merge_sor(merged, parse_sor_row({"orderId": 1234567001, "status": "Filled", "filledQuantity": 100,
                                            "remainingQuantity": 0, "avgPrice": 189.5}))
    assert (done.status, done.filled, done.remaining, done.average) == (
        OrderStatus.FILLED, Decimal(100), Decimal(0), Decimal("189.5"))
    cancelled = merge_sor(merged, parse_sor_row({"orderId": 1234567001, "status": "Cancelled",
                                                 "filledQuantity": "40", "remainingQuantity": "0"}))
    assert (cancelled.status, cancelled.amount, cancelled.filled) == (OrderStatus.CANCELED, 100, 40)
    only_status = merge_sor(order, parse_sor_row({"orderId": 1234567001, "status": "PendingCancel"}))
    assert only_status.status is OrderStatus.PENDING_CANCEL and only_status.filled == 0


@pytest.mark.parametrize("row", [
    "not a row", {"acct": "ByNetLiq", "status": "Filled"}, {"orderId": "abc"},
    {"orderId": 1234567001, "filledQuantity": "lots"}, {"orderId": 1234567001, "avgPrice": [1]},
    {"orderId": 1234567001, "filledQuantity": "-5"},
])
def test_malformed_rows_are_logged_once_and_skipped(row, caplog):
    with caplog.at_level(logging.WARNING, logger="desktop.brokers.ibkr"):
        assert parse_sor_row(row) is None
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "websocket order row (sor) that cannot be read" in lines[0]
    assert str(row if isinstance(row, str) else next(iter(row.values())))[:3] in lines[0]  # the raw row is in it


def test_impossible_quantities_and_unknown_status(caplog):
    order = _order()
    with caplog.at_level(logging.WARNING, logger="desktop.brokers.ibkr"):
        assert merge_sor(order, parse_sor_row({"orderId": 1234567001, "filledQuantity": "150"})) is None
        odd = parse_sor_row({"orderId": 1234567001, "status": "Exploded", "filledQuantity": "10"})
    assert odd.status_text is None and merge_sor(order, odd).status is OrderStatus.PARTIALLY_FILLED
    assert "150" in caplog.text and "Exploded" in caplog.text


def test_poller_publishes_sor_at_once_and_rest_corrects_it(arun):
    rest = {"rows": [ROW]}
    gate = asyncio.Event()
    gate.set()
    started = asyncio.Event()

    async def fetch(source):
        rows = list(rest["rows"])  # what the gateway had when the request arrived
        started.set()
        await gate.wait()
        return orders_from_live({"orders": rows}, account_id=source, groups={"ByNetLiq"})

    async def scenario():
        poller = OrderPoller(fetch, interval=60, idle_interval=60)
        watch = poller.watch("ByNetLiq")
        first = await asyncio.wait_for(anext(watch), 2)  # the first poll's order
        started.clear()
        gate.clear()
        poller.wake("ByNetLiq")  # a REST poll that starts BEFORE the frame ...
        await asyncio.wait_for(started.wait(), 2)
        touched = poller.apply_sor([{"orderId": "1234567001", "acct": "ByNetLiq", "status": "Filled",
                                     "filledQuantity": "100", "remainingQuantity": "0", "avgPrice": "190"},
                                    {"orderId": None}, "junk", {"orderId": 99, "acct": "DU9"}])
        from_sor = await asyncio.wait_for(anext(watch), 2)
        rest["rows"] = [{**ROW, "status": "Submitted", "filledQuantity": "60"}]
        gate.set()  # the early poll answers with older news (ACCEPTED, 0): ignored for that order;
        # the next poll (the frame touched the group) is the truth and corrects the frame
        corrected = await asyncio.wait_for(anext(watch), 2)
        await poller.close()
        return first, touched, from_sor, corrected

    first, touched, from_sor, corrected = arun(scenario())
    assert first.status is OrderStatus.ACCEPTED and touched == {"ByNetLiq"}
    assert (from_sor.status, from_sor.filled, from_sor.average) == (OrderStatus.FILLED, 100, Decimal(190))
    assert (corrected.status, corrected.filled) == (OrderStatus.PARTIALLY_FILLED, 60)


def test_a_fill_reaches_watch_orders_from_the_sor_frame_without_a_poll(tmp_path, arun):
    """Against the emulator: poll interval 60 s, so only the websocket can be fast."""
    async def scenario():
        async with fakes.running_gateway(tmp_path) as gw:
            gw.state.pacing = False
            broker = IbkrBroker(gw.base_url, pinned_sha256=gw.fingerprint, poll_interval=60.0, session_poll=0.05,
                                pacer=Pacer(global_rate=1000))
            await broker.connect()
            try:
                watch = broker.watch_orders("ByNetLiq")
                pending = asyncio.ensure_future(anext(watch))
                await broker.suppress_questions(["o163", "p6", "o354"])
                quote = await broker.fetch_bars("AAPL", Interval.D1, limit=1)
                order = await broker.create_order(_limit("ByNetLiq", price=str((quote[-1].close * Decimal("1.5"))
                                                                                .quantize(Decimal("0.01")))))
                seen = [await asyncio.wait_for(pending, 5)]
                while broker._poller.polls.count("ByNetLiq") < 2:  # the urgent poll after create
                    await asyncio.sleep(0.01)
                await asyncio.sleep(0.1)
                polls_before = len([r for r in gw.requests if r.path == "/iserver/account/orders"])
                for _ in range(30):
                    gw.paper.advance_minutes(1)
                    if all(o.status is OrderStatus.FILLED for o in await gw.paper.fetch_orders("ByNetLiq")):
                        break
                while seen[-1].status is not OrderStatus.FILLED:
                    seen.append(await asyncio.wait_for(anext(watch), 5))
                polls_after = len([r for r in gw.requests if r.path == "/iserver/account/orders"])
                return order, seen[-1], polls_before, polls_after
            finally:
                await broker.close()

    order, filled, before, after = arun(scenario(), timeout=30)
    assert filled.order_id == order.order_id and filled.filled == 100 and filled.average is not None
    assert after == before  # no REST poll between the fill and the update
