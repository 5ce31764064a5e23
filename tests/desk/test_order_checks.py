"""Maybe sent is its own outcome: an order POST (or a modify) whose answer is lost is
not a refusal; the desk checks by client order id in the background and reports the
real outcome; the same order is never placed twice."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from desktop.brokers import OrderRejectedError
from desktop.desk import Desk, NotConnectedError, OrderUnconfirmedError
from desktop.desk import events as ev
from desktop.desk.order_checks import NOT_PLACED, PLACED, UNKNOWN
from desktop.domain import OrderStatus
from tests.desk.support import buy, resting
from tests.desk.unconfirmed_brokers import AnswerLost, read_timeout

QUICK = (0.05, 0.05, 0.1)  # look-ups after 0.05, 0.1 and 0.2 s


async def start(tmp_path, delays=QUICK):
    desk = Desk(poll_s=30, start_budget_s=2, check_delays=delays)
    desk.market.set_watchlist(["AAPL"])
    checks = []
    desk.listen(lambda e: e.kind == ev.ORDER_CHECK and checks.append((e.detail, e.detail.state)))
    conn = await desk.attach(AnswerLost(tmp_path / "p.sqlite3", autostart=False).bind("p"), "Paper")
    conn.broker.advance_minutes(1)
    return desk, conn, checks


def broker_orders(conn):
    return conn.broker.engine.orders()


@pytest.mark.parametrize("error", [None, read_timeout], ids=["502", "read-timeout"])
def test_a_placed_order_whose_answer_was_lost_is_checked_and_reported_placed(arun, tmp_path, error):
    async def scenario():
        desk, conn, checks = await start(tmp_path)
        conn.broker.answer_lost(placed=True, error=error)
        request = buy(conn)
        with pytest.raises(OrderUnconfirmedError) as unconfirmed:
            await desk.submit(request)
        check = unconfirmed.value.check
        assert check.message == "Sent, not confirmed yet: checking…" and unconfirmed.value.maybe_sent
        await asyncio.wait_for(check.wait(), 5)
        assert check.state == PLACED and check.order.client_order_id == request.client_order_id
        assert check.message == f"Order {check.order.order_id} filled: Buy 10 AAPL at market, good for the day"
        assert check.order.key in desk.state.orders  # applied like any order
        assert [state for _check, state in checks] == ["checking", "placed"]
        assert len(broker_orders(conn)) == 1
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_an_order_found_only_by_the_look_up_is_applied_to_the_state(arun, tmp_path):
    async def scenario():
        desk, conn, _checks = await start(tmp_path, delays=(0.3, 0.3))
        conn.broker.answer_lost(placed=True, hide=True)  # the stream never shows it
        request = resting(conn, 10)
        with pytest.raises(OrderUnconfirmedError) as unconfirmed:
            await desk.submit(request)
        check = unconfirmed.value.check
        await asyncio.sleep(0.05)
        assert not check.done and not any(o.client_order_id == request.client_order_id
                                          for o in desk.state.orders.values())
        conn.broker.reveal()  # the broker lists it now: the next look-up finds it
        await asyncio.wait_for(check.wait(), 5)
        assert check.state == PLACED and check.lookups >= 1 and check.order.status is OrderStatus.ACCEPTED
        assert desk.state.orders[check.order.key].client_order_id == request.client_order_id
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_an_order_that_never_arrived_is_reported_not_placed_and_a_retry_places_it_once(arun, tmp_path):
    async def scenario():
        desk, conn, _checks = await start(tmp_path)
        conn.broker.answer_lost(placed=False)
        request = buy(conn)
        with pytest.raises(OrderUnconfirmedError) as unconfirmed:
            await desk.submit(request)
        check = await asyncio.wait_for(unconfirmed.value.check.wait(), 5)
        assert check.state == NOT_PLACED and check.lookups == len(QUICK)
        assert check.message == ("Not placed as far as Paper shows (Buy 10 AAPL at market, good for the day): "
                                 "check with the broker before sending it again.")
        assert broker_orders(conn) == []
        order = await desk.submit(request)  # the user retries the same order: same client order id
        assert order.client_order_id == request.client_order_id and len(broker_orders(conn)) == 1
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_a_retry_of_an_order_that_appears_late_answers_with_that_order_not_a_second(arun, tmp_path):
    async def scenario():
        desk, conn, _checks = await start(tmp_path)
        conn.broker.answer_lost(placed=True, hide=True)  # placed, but not listed within the check's bound
        request = resting(conn, 10)
        with pytest.raises(OrderUnconfirmedError) as unconfirmed:
            await desk.submit(request)
        check = await asyncio.wait_for(unconfirmed.value.check.wait(), 5)
        assert check.state == NOT_PLACED
        conn.broker.reveal()
        again = await desk.submit(request)  # same client order id: the broker answers with the order it has
        assert len(broker_orders(conn)) == 1 and again.order_id == broker_orders(conn)[0].order_id
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_a_retry_refused_as_a_repeat_is_answered_with_the_order_the_broker_has(arun, tmp_path):
    async def scenario():
        desk, conn, _checks = await start(tmp_path)
        conn.broker.refuse_repeats = True
        conn.broker.answer_lost(placed=True, hide=True)
        request = resting(conn, 10)
        with pytest.raises(OrderUnconfirmedError) as unconfirmed:
            await desk.submit(request)
        assert (await asyncio.wait_for(unconfirmed.value.check.wait(), 5)).state == NOT_PLACED
        conn.broker.reveal()
        again = await desk.submit(request)  # "already registered": the desk asks for the order with that id
        assert again.client_order_id == request.client_order_id and again.key in desk.state.orders
        assert conn.broker.creates == 2 and len(broker_orders(conn)) == 1
        with pytest.raises(OrderRejectedError):  # answered: a repeat now is no retry of an unknown outcome
            await desk.submit(request)
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_the_same_order_is_not_sent_again_while_it_is_being_checked(arun, tmp_path):
    async def scenario():
        desk, conn, _checks = await start(tmp_path, delays=(0.5, 0.5))
        conn.broker.answer_lost(placed=True, hide=True)
        request = resting(conn, 10)
        with pytest.raises(OrderUnconfirmedError) as first:
            await desk.submit(request)
        with pytest.raises(OrderUnconfirmedError) as second:
            await desk.submit(request)
        assert second.value.check is first.value.check and conn.broker.creates == 1
        conn.broker.reveal()
        check = await asyncio.wait_for(first.value.check.wait(), 5)
        assert check.state == PLACED
        assert (await desk.submit(request)).order_id == check.order.order_id  # found: the same order again
        assert conn.broker.creates == 1 and len(broker_orders(conn)) == 1
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_an_unexpected_failure_after_sending_is_checked_not_called_a_refusal(arun, tmp_path):
    async def scenario():
        desk, conn, _checks = await start(tmp_path)
        conn.broker.answer_lost(placed=True, error=lambda: TypeError("'NoneType' object is not subscriptable"))
        with pytest.raises(OrderUnconfirmedError) as unconfirmed:
            await desk.submit(buy(conn))
        check = await asyncio.wait_for(unconfirmed.value.check.wait(), 5)
        assert check.state == PLACED and "TypeError" in str(check.cause)
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_refusals_stay_refusals(arun, tmp_path):
    async def scenario():
        desk, conn, checks = await start(tmp_path)
        with pytest.raises(OrderRejectedError):  # the broker said no: not a check
            await desk.submit(buy(conn, 10_000_000))
        await desk.disconnect(conn.id)
        with pytest.raises(NotConnectedError) as refused:
            await desk.submit(buy(conn))
        assert refused.value.message == "Paper is not connected. Connect it in File → Connections…"
        assert checks == []

    arun(scenario(), timeout=30)


def test_a_change_whose_answer_was_lost_is_read_back_until_it_shows(arun, tmp_path):
    async def scenario():
        desk, conn, checks = await start(tmp_path)
        order = await desk.submit(resting(conn, 10))
        conn.broker.answer_lost(placed=True)
        with pytest.raises(OrderUnconfirmedError) as unconfirmed:
            await desk.modify(order, {"amount": D(20)})
        check = await asyncio.wait_for(unconfirmed.value.check.wait(), 5)
        assert check.state == PLACED and check.order.amount == D(20)
        assert check.message.startswith(f"Order {order.order_id} modified: Buy 20 AAPL at limit")
        assert desk.state.orders[order.key].amount == D(20)
        conn.broker.answer_lost(placed=False)  # this change never arrives
        with pytest.raises(OrderUnconfirmedError) as lost:
            await desk.modify(desk.state.orders[order.key], {"amount": D(30)})
        check = await asyncio.wait_for(lost.value.check.wait(), 5)
        assert check.state == NOT_PLACED and "does not show at Paper" in check.message
        assert conn.broker.engine.get_order(order.order_id).amount == D(20)
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_a_check_cut_short_by_a_disconnect_says_so(arun, tmp_path):
    async def scenario():
        desk, conn, _checks = await start(tmp_path, delays=(5.0,))
        conn.broker.answer_lost(placed=False)
        with pytest.raises(OrderUnconfirmedError) as unconfirmed:
            await desk.submit(buy(conn))
        await desk.disconnect(conn.id)
        check = await asyncio.wait_for(unconfirmed.value.check.wait(), 2)
        assert check.state == UNKNOWN and "was disconnected before it could be checked" in check.message

    arun(scenario(), timeout=30)
