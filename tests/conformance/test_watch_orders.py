"""The settled ``watch_orders`` contract (docstring of desktop.brokers.base.Broker): a
watch FIRST yields the account's working orders as they are when it starts (possibly
none), THEN every change of the account's orders; nothing in between is lost.

Each test starts a watch, lets it start (one turn of the event loop), and at once
makes a change (places order B): the watch must yield the working order A placed
before it first, then B, then every later change (A's and B's cancellations).
"""

from __future__ import annotations

from desktop.domain import OrderStatus

from .cases import Session, describe, order_seen


async def _snapshot_then_changes(s: Session, before: str) -> dict:
    """Start a watch, place B at once, then cancel A and B; what the watch yielded."""
    watcher = await s.watch_orders()
    b = await s.create(await s.far_limit(factor="0.69"))
    await watcher.until(lambda items: order_seen(before)(items) and order_seen(b.order_id)(items),
                        what="orders A (placed before the watch) and B")
    for order_id in (before, b.order_id):
        await s.broker.cancel_order(s.account_id, order_id)
    items = await watcher.until(
        lambda items: all(order_seen(i, lambda o: o.status is OrderStatus.CANCELED)(items) for i in (before, b.order_id)),
        what="the cancellations of A and B")
    for item in items:
        s.check_owned(item)
    return {"a": before, "b": b.order_id, "items": items, "seen": [describe(i) for i in items]}


def _check(result: dict) -> None:
    items, a, seen = result["items"], result["a"], result["seen"]
    assert items[0].order_id == a, f"the first item is not the working order A={a} placed before the watch: {seen}"
    assert items[0].is_working, f"A is yielded first as {items[0].status}, not working: {seen}"
    assert all(o.account_id == items[0].account_id for o in items), seen


def test_watch_first_yields_orders_working_before_it(run):
    async def scenario(s):
        a = await s.create(await s.far_limit())
        return await _snapshot_then_changes(s, a.order_id)

    _check(run(scenario))


def test_watch_first_yields_orders_of_an_earlier_session(run):
    async def scenario(s):
        a = await s.create(await s.far_limit())
        await s.reconnect()  # a new adapter instance: it never placed A itself
        return await _snapshot_then_changes(s, a.order_id)

    _check(run(scenario))


def test_watch_without_working_orders_yields_changes_only(run):
    async def scenario(s):
        closed = await s.create(await s.far_limit())
        await s.broker.cancel_order(s.account_id, closed.order_id)
        await s.reconnect()  # a new adapter instance: the closed order is history
        watcher = await s.watch_orders()
        b = await s.create(await s.far_limit())
        await watcher.until(order_seen(b.order_id), what=f"order {b.order_id}")
        await s.broker.cancel_order(s.account_id, b.order_id)  # a later change: what came before it has come
        items = await watcher.until(order_seen(b.order_id, lambda o: o.status is OrderStatus.CANCELED),
                                    what=f"order {b.order_id} CANCELED")
        return closed.order_id, b.order_id, [describe(i) for i in items], items

    closed, b, seen, items = run(scenario)
    assert closed not in {o.order_id for o in items}, f"the closed order was yielded: {seen}"
    assert items[0].order_id == b, seen
