"""Fuzz: the paper broker's order inputs (create, preview, modify; plain accounts, the
advisor demo's clients and allocation groups).

Each case sends hostile numbers and values (tests/fuzz/conftest.py's HOSTILE values,
any Decimal including NaN / sNaN / infinity / negative zero, huge and tiny ones,
floats, text, containers) in the order fields, in requests built without validation
(``model_construct``) as a careless caller would, next to sensible values that place
real orders. The broker may only answer with an order, InvalidRequestError (bad input,
naming the field), OrderRejectedError (the account's limits, with a reason) or
NotFoundError; never an ArithmeticError, TypeError or another exception. After every
case the accounts still add up (finite numbers; every reservation a working
order's) and the replay still plays. 1,000 cases per family, derandomized.
"""

from __future__ import annotations

import asyncio
import functools
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.brokers.errors import InvalidRequestError, NotFoundError, OrderRejectedError
from desktop.brokers.paper import PaperBroker
from desktop.domain import OrderRequest, OrderSide, OrderType, TimeInForce

from .conftest import count_case, fuzz_settings, hostile_values

EXAMPLES = 1000
ACCOUNTS = ("PAPER",)
ADVISOR_ACCOUNTS = ("DU100001", "DU100004", "Everyone", "ByNetLiq", "Shares", "Growth")
FIELDS = {"amount", "limit_price", "stop_price", "type", "side", "time_in_force", "position_effect", "client_order_id",
          "account_id", "instrument", "connection_id"}
ALLOWED = (InvalidRequestError, OrderRejectedError, NotFoundError)


async def _yes(question: Any) -> bool:
    return True


class Desk:
    """One loop and two connected in-memory brokers (plain, advisor demo) for every
    case; each keeps a resting limit order per account to modify."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.brokers = {adv: self.loop.run_until_complete(self._connected(adv)) for adv in (False, True)}
        self.cases = 0

    async def _connected(self, advisor: bool) -> PaperBroker:
        broker = PaperBroker(None, autostart=False, advisor=advisor)
        await broker.connect()
        await broker.suppress_questions(["p6"])
        broker.advance_minutes(30)
        return broker

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def resting(self, broker: PaperBroker, account: str):
        """A working limit buy of ``account`` (placed again when the last one closed)."""
        orders = [o for o in self.run(broker.fetch_orders(account)) if o.is_working and o.type is OrderType.LIMIT]
        if orders:
            return orders[-1]
        last = broker.market.last_price("MSFT")
        request = OrderRequest(connection_id="paper", account_id=account, instrument=broker.market.instrument("MSFT"),
                               side=OrderSide.BUY, type=OrderType.LIMIT, amount=Decimal(4),
                               limit_price=(last * Decimal("0.95")).quantize(Decimal("0.01")), time_in_force=TimeInForce.GTC)
        return self.run(broker.create_order(request, confirm=_yes))

    def after_case(self, broker: PaperBroker) -> None:
        """The accounts add up; every 50 cases the replay plays a minute."""
        for eng in broker._engines.values():
            led = eng.ledger
            numbers = [led.cash, led.total_commissions, *(r.cash for r in led.reservations.values())]
            assert all(n.is_finite() for n in numbers), numbers
            assert set(led.reservations) <= set(eng._books), "a reservation outlived its order"
        self.cases += 1
        if self.cases % 50 == 0:
            broker.advance_minutes(1)

    def close(self) -> None:
        for broker in self.brokers.values():
            self.run(broker.close())
        self.loop.close()


@pytest.fixture(scope="module")
def desk():
    shared = Desk()
    yield shared
    shared.close()


@functools.cache
def numbers() -> st.SearchStrategy[Any]:
    """A number field's value: hostile anything, any Decimal, or a sensible one (built once:
    making strategies is what costs most)."""
    specials = st.sampled_from([Decimal("-0"), Decimal("0"), Decimal("1e15"), Decimal("1e14"), Decimal("1e-30"),
                                Decimal("sNaN"), Decimal("-NaN"), Decimal("1e999999"), Decimal("-Infinity"), None])
    sensible = st.integers(1, 50).map(Decimal)
    return st.one_of(hostile_values(), st.decimals(), specials, sensible, sensible)


@functools.cache
def prices() -> st.SearchStrategy[Any]:
    """A price: :func:`numbers`, or within -20%..+5% of MSFT's last price (read when drawn)."""
    def near(pct: int) -> Decimal:
        return (PRICE["MSFT"] * pct / 100).quantize(Decimal("0.01"))
    return st.one_of(numbers(), st.integers(80, 105).map(near), st.integers(80, 105).map(near))


PRICE = {"MSFT": Decimal(30)}
"""The last price prices() draws near (updated from the brokers' market before each draw)."""


def outcome(desk: Desk, coro: Any) -> None:
    """Run one order call: it answers, or raises one of ALLOWED in words."""
    try:
        desk.run(coro)
    except ALLOWED as exc:
        assert exc.message, exc
        if isinstance(exc, InvalidRequestError):
            assert exc.field in FIELDS | {None}, exc.field


@st.composite
def requests(draw: Any, desk: Desk) -> tuple[PaperBroker, OrderRequest]:
    advisor = draw(st.booleans())
    broker = desk.brokers[advisor]
    PRICE["MSFT"] = broker.market.last_price("MSFT") or Decimal(30)
    fields = dict(connection_id="paper", account_id=draw(st.sampled_from(ADVISOR_ACCOUNTS if advisor else ACCOUNTS)),
                  instrument=broker.market.instrument(draw(st.sampled_from(["MSFT", "IBM", "AAPL"]))),
                  side=draw(st.sampled_from([OrderSide.BUY, OrderSide.BUY, OrderSide.SELL, "SHORT", None])),
                  type=draw(st.sampled_from(list(OrderType) + ["ICEBERG"])),
                  amount=draw(numbers()), limit_price=draw(prices()), stop_price=draw(prices()),
                  time_in_force=draw(st.sampled_from(list(TimeInForce) + [None])),
                  client_order_id=f"fuzz-{draw(st.integers(0, 10**9))}", position_effect=None)
    return broker, OrderRequest.model_construct(**fields)


@fuzz_settings(EXAMPLES)
@given(data=st.data())
def test_create_order_with_hostile_fields(desk, data):
    count_case("paper inputs: create_order")
    broker, request = data.draw(requests(desk))
    outcome(desk, broker.create_order(request, confirm=_yes))
    desk.after_case(broker)


@fuzz_settings(EXAMPLES)
@given(data=st.data())
def test_preview_order_with_hostile_fields(desk, data):
    count_case("paper inputs: preview_order")
    broker, request = data.draw(requests(desk))
    outcome(desk, broker.preview_order(request))
    desk.after_case(broker)


@fuzz_settings(EXAMPLES)
@given(data=st.data(), advisor=st.booleans())
def test_modify_order_with_hostile_fields(desk, data, advisor):
    count_case("paper inputs: modify_order")
    broker = desk.brokers[advisor]
    account = data.draw(st.sampled_from(["DU100002", "Everyone", "ByEquity"] if advisor else ["PAPER"]))
    order = desk.resting(broker, account)
    PRICE["MSFT"] = broker.market.last_price("MSFT") or Decimal(30)
    change = {name: data.draw(prices() if name != "amount" else numbers())
              for name in data.draw(st.sets(st.sampled_from(["amount", "limit_price", "stop_price"]), max_size=3))}
    outcome(desk, broker.modify_order(account, order.order_id, **change))
    desk.after_case(broker)
