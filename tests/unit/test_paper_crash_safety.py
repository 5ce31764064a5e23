"""Crash safety of the paper store and broker: one transaction per state change, ids
never reused, client order ids idempotent across restarts, saved states behind their
history (or unreadable) rebuilt from the orders and fills, failed saves retried.
(The kill -9 suite in tests/crash does the same against a real killed process.)"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime, timezone
from decimal import Decimal as D

import pytest

from desktop.brokers import OrderRejectedError, UnavailableError
from desktop.brokers.paper import ACCOUNT_ID, PaperBroker
from desktop.brokers.paper.ledger import Ledger
from desktop.brokers.paper.store import PaperStore, StoreConflictError
from desktop.domain import Fill, Instrument, Order, OrderRequest, OrderSide, OrderStatus, OrderType, TimeInForce

T0 = datetime(2012, 3, 1, 14, 30, tzinfo=timezone.utc)
AAPL = Instrument.equity("AAPL")
STEPS = ["begin", "orders", "fills", "engine:PAPER", "clock", "commit"]


def row_order(oid="O000001", cid="c1", status=OrderStatus.ACCEPTED) -> Order:
    return Order(broker="paper", account_id="PAPER", order_id=oid, client_order_id=cid, instrument=AAPL, side=OrderSide.BUY,
                 type=OrderType.LIMIT, amount=D(10), limit_price=D("100.00"), status=status, created_at=T0, updated_at=T0)


def row_fill(fid="F000001", oid="O000001", amount=D(4)) -> Fill:
    return Fill(broker="paper", account_id="PAPER", fill_id=fid, order_id=oid, client_order_id="c1", instrument=AAPL,
                side=OrderSide.BUY, amount=amount, price=D("100.00"), commission=D(1), timestamp=T0)


def stored(store: PaperStore) -> tuple:
    return (store.load_orders(), store.load_fills(), store.load_engine("PAPER"), store.load_clock())


class Boom(Exception):
    pass


@pytest.mark.parametrize("step", STEPS)
def test_a_save_interrupted_at_any_step_leaves_the_previous_state_whole(tmp_path, step):
    with PaperStore(tmp_path / "p.sqlite3") as store:
        store.save_state([row_order()], {"PAPER": {"n": 1}}, {"minute": 1})
        before = stored(store)

        def hook(name):
            if name == step:
                raise Boom(name)

        store.step_hook = hook
        with pytest.raises(Boom):
            store.save_state([row_order(status=OrderStatus.PARTIALLY_FILLED).model_copy(update={"filled": D(4), "remaining": D(6)}),
                              row_fill()], {"PAPER": {"n": 2}}, {"minute": 2})
        assert stored(store) == before
        store.step_hook = None
        store.save_state([row_fill()], {"PAPER": {"n": 2}}, {"minute": 2})
        assert store.load_engine("PAPER") == {"n": 2} and store.load_clock() == {"minute": 2} and len(store.load_fills()) == 1


def test_the_step_hook_sees_every_step_in_order(tmp_path):
    seen = []
    with PaperStore(tmp_path / "p.sqlite3", step_hook=seen.append) as store:
        store.save_state([row_order()], {"PAPER": {}, "OTHER": {}}, {"minute": 1})
    assert seen == ["begin", "orders", "fills", "engine:PAPER", "engine:OTHER", "clock", "commit", "committed"]


def test_an_order_or_fill_id_is_never_saved_over_another(tmp_path):
    with PaperStore(tmp_path / "p.sqlite3") as store:
        store.save_state([row_order(), row_fill()])
        store.save_order(row_order(status=OrderStatus.CANCELED))  # the same order moving on: fine
        with pytest.raises(StoreConflictError, match="O000001"):
            store.save_state([row_fill("F000002"), row_order(cid="someone-else")], {"PAPER": {"n": 9}})
        with pytest.raises(StoreConflictError, match="F000001"):
            store.save_fill(row_fill(oid="O000002"))
        assert [o.client_order_id for o in store.load_orders()] == ["c1"]
        assert [f.fill_id for f in store.load_fills()] == ["F000001"] and store.load_engine("PAPER") is None
        assert store.load_orders()[0].status is OrderStatus.CANCELED


def test_id_floor_counts_rows_that_do_not_load_or_are_filed_elsewhere(tmp_path):
    with PaperStore(tmp_path / "p.sqlite3") as store:
        client = row_order("DU1-O000009", cid="x").model_copy(update={"account_id": "DU1"})
        misfiled = row_order("O000011", cid="y").model_copy(update={"account_id": "OTHER"})
        store.save_state([row_order("O000007"), row_fill("F000003", "O000007"), client, misfiled,
                          row_order("G000004", cid="g").model_copy(update={"account_id": "Everyone"})])
        store._db.execute("UPDATE orders SET data = 'garbage' WHERE order_id = 'O000007'")
        store._db.execute("INSERT INTO fills VALUES ('EX000005', 'PAPER', '', '', 'garbage')")
        store._db.execute("INSERT INTO orders VALUES (?, 'PAPER', 'z', 'ACCEPTED', '', 'x')", ("O" + "9" * 5000,))
        assert store.load_orders("PAPER") == []
        assert store.id_floor() == (11, 5)  # O000011 filed under another account counts too
        assert store.id_floor("DU1-") == (9, 0) and store.id_floor(order_letter="G") == (4, 5)


# -- the broker ------------------------------------------------------------------

async def connected(path, **kw) -> PaperBroker:
    broker = PaperBroker(path, autostart=False, **kw)
    await broker.connect()
    return broker


def request(broker, cid, amount=10, **kw) -> OrderRequest:
    inst = broker.market.instrument("AAPL")
    return OrderRequest(connection_id="paper", account_id=kw.pop("account", ACCOUNT_ID), instrument=inst, side=OrderSide.BUY,
                        type=kw.pop("type", OrderType.MARKET), amount=D(amount), client_order_id=cid, **kw)


def below(broker, factor="0.9") -> D:
    return (broker.market.last_price("AAPL") * D(factor)).quantize(D("0.01"))


async def trade(broker):
    """A filled market buy, a resting GTC limit buy; returns the resting order."""
    broker.advance_minutes(5)
    await broker.create_order(request(broker, "bought"))
    return await broker.create_order(request(broker, "resting", type=OrderType.LIMIT, limit_price=below(broker),
                                             time_in_force=TimeInForce.GTC))


def engine_row(path) -> str:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT data FROM engines WHERE account_id = 'PAPER'").fetchone()[0]
    finally:
        db.close()


def set_engine_row(path, data: str) -> None:
    db = sqlite3.connect(path)
    db.execute("UPDATE engines SET data = ? WHERE account_id = 'PAPER'", (data,))
    db.commit()
    db.close()


def cash_from_fills(fills) -> D:
    ledger = Ledger(starting_cash=D(100_000))
    for f in fills:
        ledger.apply_fill(f)
    return ledger.cash


def test_a_state_behind_its_history_is_rebuilt_from_the_orders_and_fills(arun, tmp_path, caplog):
    """What a file written by the old, separate saves looks like after a crash: the
    orders and fills of the last change saved, the engine state from before it."""
    path = tmp_path / "paper.sqlite3"

    async def body():
        broker = await connected(path)
        resting = await trade(broker)
        old_state = engine_row(path)
        await broker.cancel_order(ACCOUNT_ID, resting.order_id)
        late = await broker.create_order(request(broker, "late", amount=5))
        await broker.close()
        set_engine_row(path, old_state)  # the engine save of the last two changes was lost

        with caplog.at_level(logging.ERROR):
            again = await connected(path)
        assert "behind its history" in caplog.text
        fills = await again.fetch_fills(ACCOUNT_ID)
        [bal] = await again.fetch_balances(ACCOUNT_ID)
        assert len(fills) == 2 and bal.cash == cash_from_fills(fills) and bal.buying_power == bal.cash
        [pos] = await again.fetch_positions(ACCOUNT_ID)
        assert pos.quantity == 15
        statuses = {o.client_order_id: o.status for o in await again.fetch_orders(ACCOUNT_ID)}
        assert statuses == {"bought": OrderStatus.FILLED, "resting": OrderStatus.CANCELED, "late": OrderStatus.FILLED}
        assert (await again.create_order(request(again, "late", amount=5))).order_id == late.order_id  # not again
        new = await again.create_order(request(again, "new", amount=1))
        assert new.order_id not in {resting.order_id, late.order_id} and len(await again.fetch_fills(ACCOUNT_ID)) == 3
        await again.close()

    arun(body())


@pytest.mark.parametrize("garbage", ["{not json", "[]", json.dumps({"version": 1}),
                                     json.dumps({"version": 1, "counters": {"order": "x"}})])
def test_an_unreadable_state_is_rebuilt_and_working_orders_keep_working(arun, tmp_path, caplog, garbage):
    path = tmp_path / "paper.sqlite3"

    async def body():
        broker = await connected(path)
        resting = await trade(broker)
        [before] = await broker.fetch_balances(ACCOUNT_ID)
        await broker.close()
        set_engine_row(path, garbage)

        with caplog.at_level(logging.WARNING):
            again = await connected(path)
        assert "rebuilding it from its orders and fills" in caplog.text
        [after] = await again.fetch_balances(ACCOUNT_ID)
        assert (after.cash, after.buying_power) == (before.cash, before.buying_power)  # the resting buy reserves again
        [working] = await again.fetch_orders(ACCOUNT_ID, status=[OrderStatus.ACCEPTED])
        assert working.order_id == resting.order_id
        assert (await again.cancel_order(ACCOUNT_ID, resting.order_id)).status is OrderStatus.CANCELED
        await again.close()

    arun(body())


def test_a_client_order_id_never_executes_again_after_a_restart(arun, tmp_path):
    async def body():
        plain = await connected(tmp_path / "p.sqlite3")
        plain.advance_minutes(5)
        first = await plain.create_order(request(plain, "once"))
        await plain.close()
        plain = await connected(tmp_path / "p.sqlite3")
        assert (await plain.create_order(request(plain, "once"))).order_id == first.order_id
        assert len(await plain.fetch_fills(ACCOUNT_ID)) == 1
        await plain.close()

        adv = await connected(tmp_path / "a.sqlite3", advisor=True)
        await adv.suppress_questions(["p6"])
        adv.advance_minutes(5)
        group = await adv.create_order(request(adv, "group-once", account="Everyone", amount=8))
        await adv.close()
        adv = await connected(tmp_path / "a.sqlite3", advisor=True)
        await adv.suppress_questions(["p6"])
        again = await adv.create_order(request(adv, "group-once", account="Everyone", amount=8))
        assert again.order_id == group.order_id and again.filled == 8
        assert len(await adv.fetch_fills("Everyone")) == 4 and len(await adv.fetch_orders("Everyone")) == 1
        await adv.close()

    arun(body())


def test_a_failed_save_raises_keeps_the_order_and_saves_it_next_time(arun, tmp_path, monkeypatch):
    path = tmp_path / "paper.sqlite3"

    async def body():
        broker = await connected(path)
        broker.advance_minutes(5)
        real = PaperStore.save_state

        def full_disk(self, *args, **kw):
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(PaperStore, "save_state", full_disk)
        with pytest.raises(UnavailableError, match="could not be saved"):
            await broker.create_order(request(broker, "unsaved"))
        [placed] = await broker.fetch_orders(ACCOUNT_ID)  # placed, shown, not yet saved
        with pytest.raises(UnavailableError):  # the retry is not answered while it is not saved
            await broker.create_order(request(broker, "unsaved"))
        monkeypatch.setattr(PaperStore, "save_state", real)
        assert (await broker.create_order(request(broker, "unsaved"))) == placed  # saved now, answered
        await broker.close()
        again = await connected(path)
        [back] = await again.fetch_orders(ACCOUNT_ID)
        assert back == placed and len(await again.fetch_fills(ACCOUNT_ID)) == 1
        await again.close()

    arun(body())


def test_reset_is_one_transaction(arun, tmp_path):
    path = tmp_path / "paper.sqlite3"

    async def body():
        broker = await connected(path)
        await trade(broker)
        await broker.close()
        broker = PaperBroker(path, autostart=False)

        def fail_at_engine(step):
            if step == "engine:PAPER":
                raise Boom(step)

        broker._store.step_hook = fail_at_engine
        await broker.connect()
        with pytest.raises(Boom):
            await broker.reset_account()
        broker._store.close()
        again = await connected(path)
        assert len(await again.fetch_orders(ACCOUNT_ID)) == 2 and len(await again.fetch_fills(ACCOUNT_ID)) == 1
        await again.close()

    arun(body())


@pytest.mark.parametrize("clock", ["{}", json.dumps({"date": "2012-03-05", "minute": 1e400}), json.dumps({"date": "x", "minute": 1}),
                                   json.dumps({"date": "2012-03-05", "minute": 5, "speed": 7})])
def test_an_unusable_saved_clock_starts_the_replay_at_the_default_start(arun, tmp_path, clock, caplog):
    path = tmp_path / "paper.sqlite3"

    async def body():
        broker = await connected(path)
        start = broker.replay_now
        broker.advance_minutes(30)
        await broker.close()
        db = sqlite3.connect(path)
        db.execute("UPDATE clock SET data = ?", (clock,))
        db.commit()
        db.close()
        with caplog.at_level(logging.WARNING):
            again = await connected(path)
        assert again.replay_now == start
        await again.close()

    arun(body())
    assert "clock" in caplog.text


def test_rejected_order_keeps_its_id_after_a_restart(arun, tmp_path):
    path = tmp_path / "paper.sqlite3"

    async def body():
        broker = await connected(path)
        broker.advance_minutes(5)
        with pytest.raises(OrderRejectedError) as info:
            await broker.create_order(request(broker, "too-big", amount=10_000))
        await broker.close()
        again = await connected(path)
        repeat = await again.create_order(request(again, "too-big", amount=10_000))
        assert repeat.order_id == info.value.raw["order_id"] and repeat.status is OrderStatus.REJECTED
        assert len(await again.fetch_orders(ACCOUNT_ID)) == 1
        await again.close()

    arun(body())
