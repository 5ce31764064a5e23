"""Fuzz: the paper broker's stored rows and states, the "payloads" it reads back.

Each case is a store holding the rows of a real trading session (plain account and
advisor demo: orders, group orders, fills, engine states with ledgers, the clock,
accounts) with one row made hostile by tests/fuzz/conftest.py's mutations (values
such as "1e999999999", "²", NaN, nested lists; dropped, duplicated, wrapped and
deeply nested keys; the whole row replaced) or replaced by arbitrary text, and
sometimes filed under other key columns. The broker then connects on it (the real
restore path), plays a minute of the replay, takes an order and answers every
snapshot. For every case: no exception; every other row loads (its orders and fills
are the broker's); the hostile row either loads (it still makes sense) or is logged
once and skipped; the restored ledgers hold finite numbers; saving works after.
1,000 cases per family, derandomized (the same cases every run).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.brokers.errors import BrokerError
from desktop.brokers.paper import PaperBroker
from desktop.brokers.paper.market import MarketSimulator
from desktop.brokers.paper.store import PaperStore
from desktop.domain import OrderRequest, OrderSide, OrderType, TimeInForce

from .conftest import HOSTILE, count_case, fuzz_settings, mutated

EXAMPLES = 1000
"""Cases per family."""
TABLES = ("accounts", "orders", "fills", "engines", "clock")
KEYS = {"accounts": "account_id", "orders": "order_id", "fills": "fill_id", "engines": "account_id", "clock": "id"}


async def _yes(question: Any) -> bool:
    return True


def _order(broker: PaperBroker, account: str, cid: str, **kw: Any) -> OrderRequest:
    inst = broker.market.instrument(kw.pop("symbol", "AAPL"))
    return OrderRequest(connection_id=broker.connection_id, account_id=account, instrument=inst,
                        side=kw.pop("side", OrderSide.BUY), type=kw.pop("type", OrderType.MARKET),
                        amount=Decimal(kw.pop("amount", 5)), client_order_id=cid, **kw)


async def _trade(path: Path, advisor: bool) -> None:
    broker = PaperBroker(path, autostart=False, advisor=advisor)
    await broker.connect()
    await broker.suppress_questions(["p6"])
    broker.advance_minutes(30)
    accounts = ["DU100001", "Everyone", "ByNetLiq"] if advisor else ["PAPER"]
    for i, account in enumerate(accounts):
        below = (broker.market.last_price("MSFT") * Decimal("0.95")).quantize(Decimal("0.01"))
        await broker.create_order(_order(broker, account, f"buy-{i}", amount=8), confirm=_yes)
        await broker.create_order(_order(broker, account, f"rest-{i}", symbol="MSFT", type=OrderType.LIMIT,
                                         limit_price=below, time_in_force=TimeInForce.GTC), confirm=_yes)
        await broker.create_order(_order(broker, account, f"sell-{i}", side=OrderSide.SELL, amount=2), confirm=_yes)
    broker.advance_minutes(20)
    await broker.close()


@functools.cache
def session(advisor: bool) -> dict[str, list[tuple]]:
    """The raw rows (every column) of each table after a short real session."""
    path = Path(tempfile.mkdtemp(prefix="paper-fuzz-")) / "session.sqlite3"
    asyncio.run(_trade(path, advisor))
    db = sqlite3.connect(path)
    try:
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}
    finally:
        db.close()


def base(advisor: bool, table: str, pick: int = 0, working: bool = True) -> tuple[tuple, Any]:
    """(the row, its data as JSON) of the ``pick``-th row of ``table`` (orders:
    ``working`` ones only, when so asked)."""
    rows = session(advisor)[table]
    if table == "orders" and working:
        rows = [r for r in rows if r[3] in ("ACCEPTED", "PARTIALLY_FILLED", "TRIGGERED")] or rows
    row = rows[pick % len(rows)]
    return row, json.loads(row[-1])


@functools.cache
def market() -> MarketSimulator:
    """One replayed market shared by every case (its clock moves on a minute per case)."""
    return MarketSimulator.from_resources()


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def warnings_logged() -> Iterator[_Records]:
    handler = _Records()
    logger = logging.getLogger("desktop.brokers.paper")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def hostile_store(advisor: bool, table: str, replace: tuple | None, hostile: tuple) -> tuple[PaperStore, set[Any]]:
    """An in-memory store with the session's rows, ``replace`` (a row of ``table``)
    left out and the ``hostile`` row written (over any row with its key); and the
    keys of ``table`` whose session rows are no longer there."""
    store = PaperStore(":memory:")
    for t, rows in session(advisor).items():
        keep = [r for r in rows if r is not replace]
        if keep:
            store._db.executemany(f"INSERT INTO {t} VALUES ({','.join('?' * len(keep[0]))})", keep)
    store._db.execute(f"DELETE FROM {table} WHERE {KEYS[table]} = ?", (hostile[0],))
    store._db.execute(f"INSERT INTO {table} VALUES ({','.join('?' * len(hostile))})", hostile)
    return store, {hostile[0]} | ({replace[0]} if replace is not None else set())


def _text(payload: Any) -> str:
    try:
        return json.dumps(payload)
    except (ValueError, TypeError, RecursionError):
        return repr(payload)


class Desk:
    """What the cases share: one event loop and two connected brokers (plain and
    advisor demo, no file), whose store each case replaces with its own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.brokers = {advisor: self.loop.run_until_complete(self._connected(advisor)) for advisor in (False, True)}

    @staticmethod
    async def _connected(advisor: bool) -> PaperBroker:
        broker = PaperBroker(None, autostart=False, advisor=advisor, market=market())
        await broker.connect()
        await broker.suppress_questions(["p6"])
        return broker

    def close(self) -> None:
        for broker in self.brokers.values():
            self.loop.run_until_complete(broker.close())
        self.loop.close()


async def trade_and_read(broker: PaperBroker) -> None:
    """Place an order in a client (or the account) and a group, read every snapshot."""
    for account in (["DU100003", "Growth"] if broker.advisor else ["PAPER"]):
        try:
            await broker.create_order(_order(broker, account, f"fuzz-{account}-{broker.market.clock.now}", amount=1),
                                      confirm=_yes)
        except BrokerError:
            pass  # refused with a reason: fine
    for account in [a.account_id for a in await broker.fetch_accounts()] + [g.name for g in await broker.fetch_allocation_groups()]:
        await broker.fetch_orders(account)
        await broker.fetch_fills(account)
        if account[:2] in ("PA", "DU", "DF"):
            await broker.fetch_balances(account)
            await broker.fetch_positions(account)


def check_case(desk: Desk, advisor: bool, table: str, replace: tuple | None, hostile: tuple) -> None:
    """Run one case (see the module docs) and check its outcome: the broker restores
    its accounts from the hostile store (as on connect), plays a minute, trades,
    answers every snapshot and saves."""
    store, gone = hostile_store(advisor, table, replace, hostile)
    valid_orders = {r[0] for r in session(advisor)["orders"]} - (gone if table == "orders" else set())
    valid_fills = {r[0] for r in session(advisor)["fills"]} - (gone if table == "fills" else set())
    broker = desk.brokers[advisor]
    broker._store._store = store  # the file the broker would have opened
    if table == "clock":  # what connect does with the saved clock (nothing else reads it)
        replayed = MarketSimulator.from_resources(store.load_clock())
        replayed.advance_one_minute()
        assert replayed.clock.now is not None
        return
    with warnings_logged() as logged:
        broker._restore()
        broker.advance_minutes(1)
        desk.loop.run_until_complete(trade_and_read(broker))
        broker._save_state()
    engines, groups = broker._engines, broker._groups
    known_orders = {o.order_id for e in engines.values() for o in e.orders()}
    if groups is not None:
        known_orders |= {o.order_id for g in groups.groups for o in groups.orders(g)}
    known_fills = {f.fill_id for e in engines.values() for f in e.fills()}
    assert valid_orders <= known_orders, f"orders lost: {valid_orders - known_orders}"
    assert valid_fills <= known_fills, f"fills lost: {valid_fills - known_fills}"
    for eng in engines.values():
        led = eng.ledger
        assert all(v.is_finite() for v in (led.cash, led.total_commissions, *(h.quantity for h in led.holdings.values())))
    read = set(engines) | (set(groups.groups) if groups is not None else set())
    if table in ("orders", "fills") and hostile[1] in read:  # rows of other accounts are not read at all
        loaded = hostile[0] in (known_orders if table == "orders" else known_fills)
        skipped = any(f"skipping corrupt {table} row" in m for m in logged.messages)
        assert loaded or skipped, f"the hostile {table} row was neither loaded nor logged: {logged.messages}"


# -- families ------------------------------------------------------------------------

KEY_SPELLINGS = st.one_of(st.none(), st.sampled_from([h for h in HOSTILE if isinstance(h, str)]), st.text(max_size=8))


def _row_with(row: tuple, data: str, key: str | None = None, account: str | None = None) -> tuple:
    out = list(row)
    out[-1] = data
    if key is not None:
        out[0] = key
    if account is not None and len(out) > 2:
        out[1] = account
    return tuple(out)


def _case(desk: Desk, family: str, advisor: bool, table: str, payload: Any, pick: int,
          key: str | None = None, account: str | None = None, replace: bool = True, working: bool = True) -> None:
    count_case(f"paper store: {family}")
    row, _data = base(advisor, table, pick, working)
    hostile = _row_with(row, _text(payload), key, account if table in ("orders", "fills") else None)
    check_case(desk, advisor, table, row if replace else None, hostile)


@functools.cache
def _mutation_of(advisor: bool, table: str, pick: int, working: bool) -> st.SearchStrategy[Any]:
    """(advisor, pick, the pick-th row of ``table`` mutated) (built once per row: making
    strategies is what costs most)."""
    return st.tuples(st.just(advisor), st.just(pick), mutated(base(advisor, table, pick, working)[1]))


def _mutated(table: str, working: bool = True):
    """(advisor, pick, a mutated row of that pick): plain or advisor sessions alike."""
    return st.tuples(st.booleans(), st.integers(0, 30)).flatmap(lambda ap: _mutation_of(ap[0], table, ap[1], working))


@pytest.fixture(scope="module")
def desk():
    """The loop and brokers every case of the module shares (see :class:`Desk`)."""
    shared = Desk()
    yield shared
    shared.close()


@fuzz_settings(EXAMPLES)
@given(drawn=st.deferred(lambda: _mutated("orders", working=False)), key=KEY_SPELLINGS,
       account=st.sampled_from([None, None, "PAPER", "DU100002", "Everyone", "OTHER", ""]), replace=st.booleans())
def test_hostile_order_and_group_order_rows(desk, drawn, key, account, replace):
    advisor, pick, payload = drawn
    _case(desk, "orders", advisor, "orders", payload, pick, key, account, replace, working=False)


@fuzz_settings(EXAMPLES)
@given(drawn=st.deferred(lambda: _mutated("fills")), key=KEY_SPELLINGS,
       account=st.sampled_from([None, None, "PAPER", "DU100003", "OTHER"]), replace=st.booleans())
def test_hostile_fill_rows(desk, drawn, key, account, replace):
    advisor, pick, payload = drawn
    _case(desk, "fills", advisor, "fills", payload, pick, key, account, replace)


@fuzz_settings(EXAMPLES)
@given(drawn=st.deferred(lambda: _mutated("engines")))
def test_hostile_engine_and_ledger_states(desk, drawn):
    advisor, pick, payload = drawn
    _case(desk, "engines and ledgers", advisor, "engines", payload, pick)


@fuzz_settings(EXAMPLES)
@given(drawn=st.deferred(lambda: _mutated("clock")))
def test_hostile_replay_clocks(desk, drawn):
    advisor, pick, payload = drawn
    _case(desk, "clock", advisor, "clock", payload, pick)


@fuzz_settings(EXAMPLES)
@given(advisor=st.booleans(), table=st.sampled_from(TABLES), pick=st.integers(0, 30),
       text=st.one_of(st.text(max_size=300), st.binary(max_size=64),
                      st.sampled_from(["", "null", "[]", "{}", "[" * 5000, '{"a":' * 3000])))
def test_rows_that_are_not_json_at_all(desk, advisor, table, pick, text):
    count_case("paper store: raw text rows (every table)")
    row, _data = base(advisor, table, pick, working=False)
    check_case(desk, advisor, table, row, _row_with(row, text))
