"""PaperStore: SQLite round trips of orders, fills and state dicts; reset; corrupt rows."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from desktop.brokers.paper.ledger import Ledger
from desktop.brokers.paper.matching import MatchingEngine
from desktop.brokers.paper.store import SCHEMA_VERSION, PaperStore, StoreVersionError
from desktop.domain import (
    Account,
    Bar,
    Fill,
    Instrument,
    Interval,
    Order,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)

T0 = datetime(2024, 3, 4, 14, 30, tzinfo=timezone.utc)
AAPL = Instrument.equity("AAPL", exchange="NASDAQ", description="Apple Inc.")


def order(oid="O1", status=OrderStatus.ACCEPTED, account="PAPER", minute=0, cid=None, **kw) -> Order:
    return Order(broker="paper", account_id=account, order_id=oid, client_order_id=cid or f"c-{oid}", instrument=AAPL,
                 side=OrderSide.BUY, type=OrderType.LIMIT, time_in_force=TimeInForce.GTC, amount=D("100"),
                 limit_price=D("189.55"), status=status, created_at=T0 + timedelta(minutes=minute),
                 updated_at=T0 + timedelta(minutes=minute), raw={"x": 1}, **kw)


def fill(fid="F1", oid="O1", minute=0, account="PAPER") -> Fill:
    return Fill(broker="paper", account_id=account, fill_id=fid, order_id=oid, client_order_id=f"c-{oid}",
                instrument=AAPL, side=OrderSide.BUY, amount=D("40"), price=D("189.5"), commission=D("1.00"),
                timestamp=T0 + timedelta(minutes=minute, seconds=0.25))


@pytest.fixture
def store(tmp_path):
    with PaperStore(tmp_path / "paper" / "paper.sqlite3") as s:
        yield s


def test_orders_round_trip_to_equal_models_and_update_in_place(store):
    first = order("O1")
    store.save_order(first)
    store.save_order(order("O2", minute=1))
    assert store.load_orders() == [first, order("O2", minute=1)]
    done = first.model_copy(update={"status": OrderStatus.FILLED, "filled": D(100), "remaining": D(0), "average": D("189.5")})
    store.save_order(done)
    assert store.load_orders() == [done, order("O2", minute=1)]  # replaced, still first
    assert store.load_order("O1") == done and store.load_order("nope") is None
    assert store.load_order_by_client_id("c-O2") == order("O2", minute=1)
    assert store.load_orders(status=[OrderStatus.ACCEPTED]) == [order("O2", minute=1)]
    assert store.load_orders(account_id="OTHER") == []


def test_orders_by_account(store):
    store.save_events([order("O1"), order("O2", account="P2", minute=1)])
    assert [o.order_id for o in store.load_orders("P2")] == ["O2"]
    assert [o.order_id for o in store.load_orders("PAPER", [OrderStatus.ACCEPTED, OrderStatus.FILLED])] == ["O1"]


def test_fills_round_trip_and_since(store):
    fills = [fill("F1"), fill("F2", minute=5), fill("F3", minute=2, account="P2")]
    for f in fills:
        store.save_fill(f)
    assert store.load_fills() == [fills[0], fills[2], fills[1]]  # oldest first
    assert store.load_fills("PAPER") == [fills[0], fills[1]]
    assert store.load_fills(since=T0 + timedelta(minutes=2)) == [fills[2], fills[1]]
    assert store.load_fills(since=(T0 + timedelta(minutes=5, seconds=0.25)).astimezone(timezone(timedelta(hours=-5)))) == [fills[1]]


def test_state_dicts_and_accounts_round_trip(store):
    ledger = Ledger()
    ledger.reserve("O1", "AAPL", cash=D("1.5"))
    store.save_ledger("PAPER", ledger.to_state())
    assert Ledger.from_state(store.load_ledger("PAPER")) == ledger
    assert store.load_ledger("OTHER") is None
    clock = {"now": "2024-03-04T14:30:00Z", "speed": 60, "paused": False}
    assert store.load_clock() is None
    store.save_clock(clock)
    store.save_clock({**clock, "speed": 1})
    assert store.load_clock() == {**clock, "speed": 1}
    acct = Account(broker="paper", account_id="PAPER", name="Paper", is_paper=True)
    store.save_account(acct)
    assert store.load_accounts() == [acct]


def test_save_events_refuses_other_objects_atomically(store):
    with pytest.raises(TypeError):
        store.save_events([order("O1"), "not an event"])
    assert store.load_orders() == []


def test_reset_deletes_everything(store):
    store.save_events([order("O1"), fill("F1")])
    store.save_ledger("PAPER", Ledger().to_state())
    store.save_engine("PAPER", {"version": 1})
    store.save_clock({"t": 1})
    store.save_account(Account(broker="paper", account_id="PAPER"))
    store.reset()
    assert (store.load_orders(), store.load_fills(), store.load_accounts()) == ([], [], [])
    assert (store.load_ledger("PAPER"), store.load_engine("PAPER"), store.load_clock()) == (None, None, None)
    assert store.schema_version() == SCHEMA_VERSION
    store.save_order(order("O9"))  # still usable
    assert len(store.load_orders()) == 1


def test_corrupt_rows_are_logged_and_skipped(tmp_path, caplog):
    path = tmp_path / "p.sqlite3"
    with PaperStore(path) as s:
        s.save_events([order("O1"), order("O2", minute=1), fill("F1")])
        s.save_clock({"t": 1})
    db = sqlite3.connect(path)
    db.execute("UPDATE orders SET data = '{\"broken\": true' WHERE order_id = 'O1'")
    db.execute("UPDATE fills SET data = '{\"fill_id\": \"F1\"}'")
    db.execute("UPDATE clock SET data = '[1, 2]'")
    db.commit()
    db.close()
    with caplog.at_level(logging.WARNING), PaperStore(path) as s:
        assert [o.order_id for o in s.load_orders()] == ["O2"]
        assert s.load_fills() == [] and s.load_clock() is None and s.load_order("O1") is None
    assert sum("skipping corrupt" in r.message for r in caplog.records) == 4


def test_reopen_keeps_data_wal_and_refuses_newer_schema(tmp_path):
    path = tmp_path / "p.sqlite3"
    with PaperStore(path) as s:
        s.save_order(order("O1"))
        assert s._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with PaperStore(path) as s:
        assert s.load_orders() == [order("O1")]
        s._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreVersionError):
        PaperStore(path)


def test_engine_restores_from_slim_state_plus_stored_history(tmp_path):
    def bar(minute, price, volume=1000):
        p = D(price)
        return Bar(symbol="AAPL", interval=Interval.M1, start=T0 + timedelta(minutes=minute), open=p, high=p + 1,
                   low=p - 1, close=p, volume=D(volume))

    def req(side, kind, amount, **kw):
        return OrderRequest(connection_id="paper", account_id="PAPER", instrument=AAPL, side=side, type=kind, amount=D(amount), **kw)

    eng = MatchingEngine()
    with PaperStore(tmp_path / "p.sqlite3") as s:
        def save(events):
            s.save_events(events)
            s.save_engine("PAPER", eng.to_state(include_history=False))

        save(eng.submit(req(OrderSide.BUY, OrderType.MARKET, 250), T0, D(100), bar(0, 100)))
        save(eng.on_bar("AAPL", bar(0, 100)))
        save(eng.submit(req(OrderSide.SELL, OrderType.LIMIT, 50, limit_price=D(103)), T0 + timedelta(minutes=1), D(100), None))
        save(eng.on_bar("AAPL", bar(1, 101)))
        save(eng.submit(req(OrderSide.BUY, OrderType.STOP, 30, stop_price=D(105), time_in_force=TimeInForce.GTC),
                        T0 + timedelta(minutes=2), D(101), None))
        save(eng.end_of_day(T0 + timedelta(hours=7)))
    with PaperStore(tmp_path / "p.sqlite3") as s:
        back = MatchingEngine.from_state(s.load_engine("PAPER"), orders=s.load_orders("PAPER"), fills=s.load_fills("PAPER"))
    assert back.to_state() == eng.to_state()
    assert back.orders() == eng.orders() and back.fills() == eng.fills() and back.ledger == eng.ledger


def test_rows_no_order_could_have_are_skipped_and_the_rest_loads(tmp_path, caplog):
    """Numbers that overflow Decimal arithmetic (1e999999999 raised decimal.Overflow out
    of the loader), NaN, a tick size no instrument has, a row filed under another id,
    JSON nested past the parser's depth (RecursionError): each row is logged and
    skipped; the good rows load."""
    path = tmp_path / "p.sqlite3"
    with PaperStore(path) as s:
        s.save_events([order("O1"), order("O2", minute=1), fill("F1")])
    good = order("O9").model_dump(mode="json")
    hostile = {
        "H1": {**good, "order_id": "H1", "amount": "1e999999999"},
        "H2": {**good, "order_id": "H2", "limit_price": "NaN"},
        "H3": {**good, "order_id": "H3", "instrument": {**good["instrument"], "tick_size": "1e-40"}},
        "H4": {**good, "order_id": "somebody-else"},
    }
    db = sqlite3.connect(path)
    for key, data in hostile.items():
        db.execute("INSERT INTO orders VALUES (?, 'PAPER', ?, 'ACCEPTED', '', ?)", (key, key, json.dumps(data)))
    db.execute("INSERT INTO fills VALUES ('F2', 'PAPER', 'O1', '', ?)", ("[" * 100_000 + "]" * 100_000,))
    db.execute("INSERT OR REPLACE INTO clock VALUES (1, ?)", ("[" * 100_000 + "]" * 100_000,))
    db.commit()
    db.close()
    with caplog.at_level(logging.WARNING), PaperStore(path) as s:
        assert [o.order_id for o in s.load_orders()] == ["O1", "O2"]
        assert [f.fill_id for f in s.load_fills()] == ["F1"] and s.load_clock() is None
    skipped = [r.getMessage() for r in caplog.records if "skipping corrupt" in r.getMessage()]
    assert len(skipped) == 6 and any("its data is order somebody-else" in m for m in skipped)
