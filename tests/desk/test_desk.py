"""The Qt-free desk: several connections at once, identity, routing, staleness, restore."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from desktop.brokers import InvalidRequestError
from desktop.brokers.paper import ACCOUNT_ID, PaperBroker
from desktop.connections import ConnectionStore
from desktop.desk import Desk, NotConnectedError
from desktop.desk import events as ev
from desktop.domain import OrderRequest, OrderSide, OrderStatus, OrderType
from desktop.security.secrets import SecretStore
from tests.memory_keyring import MemoryKeyring


def wait_for(predicate, timeout=5.0):
    async def waiter():
        while not predicate():
            await asyncio.sleep(0.01)
    return asyncio.wait_for(waiter(), timeout)


def paper(tmp_path, name, **kw):
    return PaperBroker(tmp_path / f"{name}.sqlite3", autostart=False, **kw)


def market_buy(connection_id, symbol_inst, amount=10, account=ACCOUNT_ID):
    return OrderRequest(connection_id=connection_id, account_id=account, instrument=symbol_inst, side=OrderSide.BUY,
                        type=OrderType.MARKET, amount=D(amount))


def test_two_paper_connections_keep_their_rows_apart(arun, tmp_path):
    async def scenario():
        desk = Desk(poll_s=30, start_budget_s=2)
        desk.market.set_watchlist(["AAPL"])
        feed = desk.state.feed()
        a = await desk.attach(paper(tmp_path, "a").bind("paper-a"), "Paper A")
        b = await desk.attach(paper(tmp_path, "b").bind("paper-b"), "Paper B")
        a.broker.advance_minutes(1)
        b.broker.advance_minutes(1)
        aapl = a.instrument_for("AAPL")
        order_a = await desk.submit(market_buy("paper-a", aapl, 10))
        order_b = await desk.submit(market_buy("paper-b", aapl, 25))
        a.broker.advance_minutes(2)
        b.broker.advance_minutes(2)
        await wait_for(lambda: len(desk.state.fills) >= 2 and len(desk.state.positions) >= 2)
        # same broker, same account id, same order id counter: the keys still differ by connection
        assert order_a.account_id == order_b.account_id == ACCOUNT_ID
        assert order_a.key != order_b.key and order_a.connection_id == "paper-a" and order_b.connection_id == "paper-b"
        positions = {p.connection_id: p.quantity for p in desk.state.positions.values()}
        assert positions == {"paper-a": D(10), "paper-b": D(25)}
        accounts = sorted(desk.state.accounts)
        assert accounts == [("paper-a", ACCOUNT_ID), ("paper-b", ACCOUNT_ID)]
        consolidated = desk.consolidated_positions()
        assert [(p.symbol, p.quantity, len(p.sources)) for p in consolidated] == [("AAPL", D(35), 2)]
        changes = feed.take()
        assert {o.connection_id for o in changes.orders} == {"paper-a", "paper-b"}
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_an_order_goes_to_its_connection_and_nowhere_else(arun, tmp_path):
    async def scenario():
        desk = Desk(poll_s=30, start_budget_s=2)
        desk.market.set_watchlist(["AAPL"])
        a = await desk.attach(paper(tmp_path, "a").bind("paper-a"))
        b = await desk.attach(paper(tmp_path, "b").bind("paper-b"))
        a.broker.advance_minutes(1)
        aapl = a.instrument_for("AAPL")
        await desk.submit(market_buy("paper-b", aapl))
        assert b.broker.engine.orders() and not a.broker.engine.orders()
        await desk.disconnect("paper-b")
        with pytest.raises(NotConnectedError) as refused:
            await desk.submit(market_buy("paper-b", aapl))
        assert "not connected" in refused.value.message and refused.value.connection_id == "paper-b"
        assert not a.broker.engine.orders()  # never routed elsewhere
        with pytest.raises(NotConnectedError):
            await desk.submit(market_buy("nosuch", aapl))
        with pytest.raises(InvalidRequestError):  # the adapter itself refuses another connection's request
            await a.broker.create_order(market_buy("paper-b", aapl))
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_disconnecting_one_marks_only_its_rows_stale(arun, tmp_path):
    async def scenario():
        desk = Desk(poll_s=30, start_budget_s=2)
        events = []
        desk.listen(lambda e: events.append((e.kind, e.connection.id)))
        feed = desk.state.feed()
        a = await desk.attach(paper(tmp_path, "a").bind("paper-a"))
        await desk.attach(paper(tmp_path, "b", advisor=True).bind("advisor"))
        assert desk.state.stale == set()
        a.broker.advance_minutes(1)
        feed.take()
        await desk.disconnect("paper-a")
        changes = feed.take()
        assert changes.stale == {"paper-a": True}
        assert desk.state.stale == {"paper-a"}
        assert desk.state.accounts_of("paper-a"), "rows stay until the connection is removed"
        assert [c.id for c in desk.live()] == ["advisor"]
        assert ("status", "paper-a") in events
        await desk.remove("paper-a")
        assert not desk.state.accounts_of("paper-a") and "paper-a" not in desk.connections
        assert feed.take().dropped == ["paper-a"]
        assert desk.state.accounts_of("advisor")
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_restore_reconnects_what_was_connected(arun, tmp_path, monkeypatch):
    keyring = MemoryKeyring()
    store = ConnectionStore(tmp_path / "connections.json")
    second = store.add("paper", "Paper 2", {"account_file": "paper-2.sqlite3"})

    async def first_run():
        desk = Desk(store, SecretStore(backend=keyring), poll_s=30, start_budget_s=2)
        assert store.restore_ids() == ["paper"]  # first run: the built-in paper connection
        outcome = await desk.restore()
        assert outcome == {"paper": None}
        await desk.connect(second.id)
        assert {c.id for c in desk.live()} == {"paper", second.id}
        await desk.shutdown()  # quitting keeps what was connected

    async def second_run():
        again = ConnectionStore(tmp_path / "connections.json")
        desk = Desk(again, SecretStore(backend=keyring), poll_s=30, start_budget_s=2)
        outcome = await desk.restore()
        assert outcome == {"paper": None, second.id: None}
        assert [c.name for c in desk.live()] == ["Paper", "Paper 2"]
        await desk.disconnect("paper")  # the user disconnects it: not restored next time
        await desk.shutdown()
        assert ConnectionStore(tmp_path / "connections.json").restore_ids() == [second.id]

    arun(first_run(), timeout=30)
    arun(second_run(), timeout=30)


def test_group_orders_and_client_fills_of_an_advisor_connection(arun, tmp_path):
    async def scenario():
        desk = Desk(poll_s=30, start_budget_s=2)
        desk.market.set_watchlist(["AAPL"])
        seen = []
        desk.listen(lambda e: seen.append(e.kind))
        conn = await desk.attach(paper(tmp_path, "adv", advisor=True).bind("adv"))
        assert conn.is_advisor and "Everyone" in conn.groups and ev.ALLOCATION in seen
        conn.broker.advance_minutes(1)

        async def yes(_question):
            return True

        order = await desk.submit(market_buy("adv", conn.instrument_for("AAPL"), 100, account="Everyone"), confirm=yes)
        conn.broker.advance_minutes(3)
        await wait_for(lambda: desk.state.orders[order.key].status is OrderStatus.FILLED)
        await wait_for(lambda: len({f.account_id for f in desk.state.fills.values()}) == 4)
        assert {f.allocation_group for f in desk.state.fills.values()} == {"Everyone"}
        assert sum(p.quantity for p in desk.consolidated_positions()) == 100
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_a_renamed_connection_shows_its_new_name(arun, tmp_path):
    store = ConnectionStore(tmp_path / "connections.json")
    second = store.add("paper", "Paper 2", {"account_file": "p2.sqlite3"})

    async def scenario():
        desk = Desk(store, SecretStore(backend=MemoryKeyring()), poll_s=30, start_budget_s=2)
        events = []
        desk.listen(lambda e: events.append((e.kind, e.connection.name)))
        conn = await desk.connect(second.id)
        store.update(second.id, name="Swing account")
        desk.refresh_names()
        assert conn.name == "Swing account" and events[-1] == ("status", "Swing account")
        await desk.shutdown()

    arun(scenario(), timeout=30)
