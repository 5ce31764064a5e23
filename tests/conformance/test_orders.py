"""Orders: create → working → cancel, a fill, modify, a rejection, the same client
order id twice, and a request naming another connection."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop.brokers.errors import BrokerError, InvalidRequestError, OrderRejectedError
from desktop.domain import Fill, Order, OrderSide, OrderStatus

from .cases import cents, order_seen
from .checks import assert_exact_numbers


def test_create_working_then_cancel(run):
    async def scenario(s):
        request = await s.far_limit()
        order = await s.create(request)
        listed = await s.orders_by_id()
        same_status = await s.broker.fetch_orders(s.account_id, status=[order.status])
        filled_only = await s.broker.fetch_orders(s.account_id, status=[OrderStatus.FILLED])
        watcher = await s.watch_orders()
        cancelled = await s.broker.cancel_order(s.account_id, order.order_id)
        seen = await watcher.until(order_seen(order.order_id, lambda o: o.status is OrderStatus.CANCELED),
                                   what=f"order {order.order_id} CANCELED")
        after = await s.orders_by_id()
        for item in [order, *listed.values(), cancelled, *seen]:
            s.check_owned(item)
            assert_exact_numbers(item)
        return s.account_id, request, order, listed, same_status, filled_only, cancelled, after

    account_id, request, order, listed, same_status, filled_only, cancelled, after = run(scenario)
    assert isinstance(order, Order) and order.order_id
    assert order.is_working, order.status
    assert (order.account_id, order.client_order_id) == (account_id, request.client_order_id)
    assert (order.side, order.amount, order.limit_price) == (request.side, request.amount, request.limit_price)
    assert order.order_id in listed and listed[order.order_id].is_working
    assert listed[order.order_id].limit_price == request.limit_price
    assert order.order_id in {o.order_id for o in same_status}
    assert order.order_id not in {o.order_id for o in filled_only}
    assert cancelled.order_id == order.order_id
    assert cancelled.status in (OrderStatus.CANCELED, OrderStatus.PENDING_CANCEL), cancelled.status
    assert order.order_id not in after or not after[order.order_id].is_working, after.get(order.order_id)


def test_fetch_orders_shows_an_order_created_while_watching(run):
    async def scenario(s):
        watcher = await s.watch_orders()  # as the desk does: the account's orders are always watched
        order = await s.create(await s.far_limit())
        listed = await s.orders_by_id()
        seen = await watcher.until(order_seen(order.order_id), what=f"order {order.order_id}")
        return order, listed, seen

    order, listed, seen = run(scenario)
    assert order.order_id in listed, f"fetch_orders after create_order returned misses {order.order_id}: {list(listed)}"
    assert listed[order.order_id].is_working


def test_fill_shows_in_fetch_fills_and_watch_orders(run):
    async def scenario(s):
        watcher = await s.watch_orders()
        request = await s.marketable(amount=10)
        final = await s.fill(request, watcher)
        fills = await s.broker.fetch_fills(s.account_id)
        for item in [final, *fills]:
            s.check_owned(item)
            assert_exact_numbers(item)
        return s.account_id, s.symbol, request, final, fills

    account_id, symbol, request, final, fills = run(scenario)
    assert final.status is OrderStatus.FILLED and final.filled == final.amount == request.amount
    assert final.client_order_id == request.client_order_id
    mine = [f for f in fills if f.order_id == final.order_id]
    assert mine, f"no fill of order {final.order_id} in fetch_fills: {fills}"
    assert all(isinstance(f, Fill) for f in mine)
    assert sum(f.amount for f in mine) == request.amount
    for fill in mine:
        assert (fill.account_id, fill.side, fill.symbol) == (account_id, OrderSide.BUY, symbol)
        assert isinstance(fill.amount, Decimal) and isinstance(fill.price, Decimal)
        assert 0 < fill.price <= request.limit_price, (fill.price, request.limit_price)
        assert fill.client_order_id in ("", request.client_order_id)
    assert len({f.fill_id for f in fills}) == len(fills), "fill ids repeat"
    assert [f.timestamp for f in fills] == sorted(f.timestamp for f in fills), "fills are not oldest first"


def test_modify_changes_the_limit_price(run):
    async def scenario(s):
        if not s.broker.capabilities.modify_order:
            pytest.skip(f"{s.case.id}: capabilities.modify_order is False")
        order = await s.create(await s.far_limit())
        new_price = cents(order.limit_price - Decimal("1.00"))
        modified = await s.broker.modify_order(s.account_id, order.order_id, limit_price=new_price,
                                               confirm=s.case.confirm)
        listed = await s.orders_by_id()
        s.check_owned(modified)
        return order, new_price, modified, listed

    order, new_price, modified, listed = run(scenario)
    assert modified.order_id == order.order_id and modified.limit_price == new_price
    assert modified.is_working and modified.amount == order.amount
    assert listed[order.order_id].limit_price == new_price, listed[order.order_id]
    assert listed[order.order_id].is_working


def test_rejected_order_raises_with_a_reason(run):
    async def scenario(s):
        request = s.request(await s.last_price(), amount=10_000_000)  # far beyond any account's buying power
        with pytest.raises(OrderRejectedError) as rejected:
            await s.create(request)
        listed = await s.broker.fetch_orders(s.account_id)
        return request, rejected.value, listed

    request, error, listed = run(scenario)
    assert error.message.strip(), "OrderRejectedError without a reason"
    assert not [o for o in listed if o.client_order_id == request.client_order_id and o.is_working]


def test_same_client_order_id_twice_makes_one_order(run):
    async def scenario(s):
        request = await s.far_limit()
        first = await s.create(request)
        try:
            second = await s.create(request)
        except BrokerError as exc:  # refused: also conforming
            second = exc
        listed = await s.broker.fetch_orders(s.account_id)
        return request, first, second, listed

    request, first, second, listed = run(scenario)
    if isinstance(second, Order):
        assert second.order_id == first.order_id, "the repeat made a second order"
    else:
        assert isinstance(second, (OrderRejectedError, InvalidRequestError)), repr(second)
        assert second.message.strip()
    same = [o for o in listed if o.client_order_id == request.client_order_id]
    assert [o.order_id for o in same] == [first.order_id], same


def test_request_for_another_connection_is_refused(run):
    async def scenario(s):
        request = (await s.far_limit()).model_copy(update={"connection_id": "conn-other"})
        posts = s.case.order_posts(s)
        with pytest.raises(InvalidRequestError) as refused:
            await s.create(request)
        listed = await s.broker.fetch_orders(s.account_id)
        return request, refused.value, listed, posts, s.case.order_posts(s)

    request, error, listed, posts_before, posts_after = run(scenario)
    assert "conn-other" in error.message and error.field == "connection_id"
    assert not [o for o in listed if o.client_order_id == request.client_order_id], "the order was placed"
    assert posts_after == posts_before, "an order submission reached the broker"
