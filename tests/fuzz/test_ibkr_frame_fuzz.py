"""Fuzz: IBKR websocket frames (smd, sor, sts, act, system), mutated, through the
whole receiving path: the kit's frame decoding with its size and depth limits
(``reconnecting_ws._decode``, also fed raw text: garbage, deep nesting, oversized
frames), the stream's frame handler (``IbkrStream._on_frame``: quote merge, order
and P&L queues, session status) and what consumes its output (``quote_from_fields``,
``OrderPoller.apply_sor``; the accounts object of ``act`` through the accounts
readers). 1,000 seeded + 200 hypothesis cases per frame family; nothing may raise
and the adapter's safety net must catch nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import zlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.brokers.ibkr.accounts import accounts_from, group_names_of, is_fa_login
from desktop.brokers.ibkr.live_orders import OrderPoller
from desktop.brokers.ibkr.marketdata import quote_from_fields
from desktop.brokers.ibkr.parse import PAYLOADS
from desktop.brokers.ibkr.stream import IbkrStream
from desktop.brokers.transport.reconnecting_ws import _decode
from desktop.domain import Instrument, Order, OrderSide, OrderStatus, OrderType

from .conftest import RandomChooser, count_case, fuzz_settings, mutate, mutated

SEEDED_CASES = 1000
HYPOTHESIS_CASES = 200

FRAMES = {
    "smd": {"topic": "smd+265598", "conid": 265598, "_updated": 1712596911593, "server_id": "q1", "6509": "RpB",
            "31": "C168.42", "84": "168.41", "86": "168.43", "88": "1,300", "85": "600", "7762": "1.2M",
            "7741": "167.00", "55": "AAPL"},
    "sor": {"topic": "sor", "args": [
        {"orderId": 1234567001, "acct": "ByNetLiq", "conid": 265598, "conidex": "265598", "status": "Submitted",
         "filledQuantity": "40", "remainingQuantity": "60", "avgPrice": "189.50", "order_ref": "c0ffee",
         "side": "BUY", "orderType": "Limit", "price": "190.00", "lastExecutionTime_r": 1705329000000},
        {"orderId": 1234567002, "acct": "DU100001", "status": "Filled", "filledQuantity": 100.0,
         "remainingQuantity": 0.0}]},
    "sts": {"topic": "sts", "args": {"authenticated": True, "competing": False, "message": "", "fail": "",
                                     "serverName": "JifN19053", "serverVersion": "Build 10.25.0p"}},
    "act": {"topic": "act", "args": {
        "accounts": ["DF100000", "DU100001"], "acctProps": {"DF100000": {"hasChildAccounts": True}},
        "aliases": {"DF100000": "DF100000", "DU100001": "Harper"}, "allowFeatures": {"allowFA": True},
        "chartPeriods": {"STK": ["*"]}, "groups": ["All", "ByNetLiq"], "profiles": [], "selectedAccount": "DF100000",
        "serverInfo": {"serverName": "JifN19053", "serverVersion": "Build 10.25.0p"}, "sessionId": "65ee8a41.1e",
        "isFT": False, "isPaper": True}},
    "system": {"topic": "system", "success": "fakeuser", "isFT": False, "isPaper": True, "hb": 1712596911593},
}
GARBAGE = ("", "not json", "{", "[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000, "\udcff", "null", "42",
           '"text"', "[]", '{"topic": 1}', '{"topic": "smd+"}', '{"topic": "smd+@"}', "\x00\x01", "1e999999999",
           '{"topic": "smd+265598", "31": ' + "9" * 5000 + "}", "x" * 300_000)


def _order() -> Order:
    return Order(broker="ibkr", account_id="ByNetLiq", order_id="1234567001", client_order_id="c0ffee",
                 instrument=Instrument.equity("AAPL", broker_id="265598"), side=OrderSide.BUY, type=OrderType.LIMIT,
                 amount=Decimal(100), limit_price=Decimal("190.00"), status=OrderStatus.ACCEPTED,
                 allocation_group="ByNetLiq")


class Receiver:
    """One stream's receiving side, as the adapter wires it: IbkrStream (not
    connected; frames handed to its handler), a quote consumer of conid 265598, an
    order consumer feeding an OrderPoller that knows order 1234567001, a P&L consumer."""

    def __init__(self) -> None:
        self.stream = IbkrStream("ws://127.0.0.1:9/v1/api/ws", None, lambda: "tok", resubscribe_every=3600)
        self.stream.websocket.max_frame_bytes = 100_000  # oversized garbage is refused, not decoded
        self.quotes: asyncio.Queue = asyncio.Queue()
        self.orders: asyncio.Queue = asyncio.Queue()
        self.pnl: asyncio.Queue = asyncio.Queue()
        self.stream._quote_queues["265598"] = [self.quotes]
        self.stream._order_queues.append(self.orders)
        self.stream._pnl_queues.append(self.pnl)

        async def fetch(_account: str) -> list[Order]:
            return []
        self.poller = OrderPoller(fetch, interval=3600)
        self.poller.remember(_order())

    async def receive(self, text: str) -> None:
        frame = _decode(text, max_bytes=self.stream.websocket.max_frame_bytes)
        if frame is None:
            return
        self.stream._on_frame(frame)
        while not self.quotes.empty():
            quote_from_fields("AAPL", self.quotes.get_nowait())
        while not self.orders.empty():
            self.poller.apply_sor(self.orders.get_nowait())
        while not self.pnl.empty():
            self.pnl.get_nowait()
        if frame.get("topic") == "act":
            args = frame.get("args")
            is_fa_login(args)
            group_names_of(args)
            accounts_from(args, [], [])
        for task in list(self.stream._tasks):  # sts authenticated:false asks for a reconnect
            task.cancel()


_LOOP: asyncio.AbstractEventLoop | None = None
_RECEIVER: Receiver | None = None


def _receive(text: str) -> None:
    global _LOOP, _RECEIVER
    if _LOOP is None or _LOOP.is_closed():
        _LOOP = asyncio.new_event_loop()
        _RECEIVER = None
    if _RECEIVER is None:
        async def make() -> Receiver:
            return Receiver()
        _RECEIVER = _LOOP.run_until_complete(make())
    _LOOP.run_until_complete(_RECEIVER.receive(text))


@pytest.fixture(autouse=True, scope="module")
def _close_loop():
    yield
    global _RECEIVER
    if _LOOP is not None:
        if _RECEIVER is not None:
            _LOOP.run_until_complete(_RECEIVER.poller.close())
            _RECEIVER = None
        _LOOP.close()


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level(logging.CRITICAL, logger="desktop.brokers")


def _text(frame) -> str:
    try:
        return json.dumps(frame, allow_nan=True)
    except (TypeError, ValueError):
        return repr(frame)


def _item_failures() -> int:
    return sum(_RECEIVER.poller._supervisor.item_failures.values()) if _RECEIVER is not None else 0


def check(family: str, text: str) -> None:
    """One frame through the receiving path: nothing raises, neither the payload net
    nor the supervisor's per-row guard caught anything."""
    count_case(f"websocket {family} frames")
    before, rows_before = PAYLOADS.caught, _item_failures()
    _receive(text)  # nothing may raise
    if PAYLOADS.caught != before:
        what, exc = PAYLOADS.last_caught[-1]
        raise AssertionError(f"the net caught an exception reading a {what}") from exc
    assert _item_failures() == rows_before, "a sor row failed unexpectedly (see the log)"


@pytest.mark.parametrize("family", list(FRAMES))
def test_seeded_frames(family):
    chooser = RandomChooser(zlib.crc32(family.encode()))
    for i in range(SEEDED_CASES):
        if i % 50 == 0:
            check(family, GARBAGE[(i // 50) % len(GARBAGE)])
        else:
            check(family, _text(mutate(FRAMES[family], chooser)))


@pytest.mark.parametrize("family", list(FRAMES))
@fuzz_settings(HYPOTHESIS_CASES)
@given(data=st.data())
def test_hypothesis_frames(family, data):
    check(family, _text(data.draw(mutated(FRAMES[family]))))
