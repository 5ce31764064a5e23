"""The paper matching engine: order types, time in force, liquidity, rejects, state."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.brokers.errors import InvalidRequestError, NotFoundError, OrderRejectedError
from desktop.brokers.paper.commission import commission
from desktop.brokers.paper.ledger import Ledger, tidy
from desktop.brokers.paper.matching import MatchingEngine, bar_path
from desktop.domain import Bar, Fill, Instrument, Interval, Order, OrderRequest, OrderSide, OrderStatus, OrderType, TimeInForce

T0 = datetime(2024, 3, 4, 14, 30, tzinfo=timezone.utc)
S = OrderStatus
BUY, SELL = OrderSide.BUY, OrderSide.SELL
MKT, LMT, STP, STL = OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT


def t(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def bar(minute: int, o, h, l, c, v=100_000, symbol="AAPL") -> Bar:  # noqa: E741
    return Bar(symbol=symbol, interval=Interval.M1, start=t(minute), open=D(str(o)), high=D(str(h)),
               low=D(str(l)), close=D(str(c)), volume=D(v))


def req(side, kind, amount, limit=None, stop=None, tif=TimeInForce.DAY, symbol="AAPL", **kw) -> OrderRequest:
    return OrderRequest(connection_id="paper", account_id=kw.pop("account_id", "PAPER"), instrument=Instrument.equity(symbol), side=side,
                        type=kind, amount=D(amount), limit_price=None if limit is None else D(str(limit)),
                        stop_price=None if stop is None else D(str(stop)), time_in_force=tif, **kw)


def orders(events) -> list[Order]:
    return [e for e in events if isinstance(e, Order)]


def fills(events) -> list[Fill]:
    return [e for e in events if isinstance(e, Fill)]


def statuses(events) -> list:
    return [e.status if isinstance(e, Order) else "fill" for e in events]


@pytest.fixture
def eng() -> MatchingEngine:
    return MatchingEngine()


def holding(eng: MatchingEngine, amount=500, price="100") -> None:
    """Buy ``amount`` AAPL at ``price`` right away (start of the session)."""
    ev = eng.submit(req(BUY, MKT, amount), t(0), D(price), bar(0, price, price, price, price, v=10**9))
    assert ev[-1].status is S.FILLED


# -- market orders and liquidity --------------------------------------------------
def test_market_buy_fills_at_last_price_against_current_bar(eng):
    ev = eng.submit(req(BUY, MKT, 100), t(0), D("100.25"), bar(0, 100, 101, 99, 100))
    assert statuses(ev) == [S.ACCEPTED, "fill", S.FILLED]
    (f,) = fills(ev)
    assert (f.price, f.amount, f.commission, f.order_id) == (D("100.25"), D(100), commission(D(100), D("100.25")), ev[0].order_id)
    done = ev[-1]
    assert (done.filled, done.remaining, done.average, done.commission) == (D(100), 0, D("100.25"), D(1))
    assert eng.ledger.cash == D(100000) - D(10025) - D(1)
    assert eng.ledger.reservations == {}


def test_market_order_without_a_bar_waits_for_the_next_open(eng):
    ev = eng.submit(req(BUY, MKT, 100), t(0), D(100), None)
    assert statuses(ev) == [S.ACCEPTED]
    assert eng.ledger.reserved_cash() == D(100) * D("105") + D(1)  # 5% buffer + commission
    ev = eng.on_bar("AAPL", bar(0, "100.50", 101, 99, 100))
    assert statuses(ev) == ["fill", S.FILLED] and fills(ev)[0].price == D("100.50")
    assert ev[-1].updated_at == t(1)  # stamped at the bar's end by default


def test_participation_caps_fills_per_bar(eng):
    ev = eng.submit(req(BUY, MKT, 250), t(0), D(100), bar(0, 100, 100, 100, 100, v=1000))
    assert statuses(ev) == [S.ACCEPTED, "fill", S.PARTIALLY_FILLED]
    assert ev[-1].filled == 100 and ev[-1].remaining == 150
    assert eng.on_bar("AAPL", bar(0, 100, 100, 100, 100, v=1000)) == []  # same bar: capacity already used
    ev = eng.on_bar("AAPL", bar(1, 101, 101, 101, 101, v=1000))
    assert fills(ev)[0].amount == 100 and ev[-1].status is S.PARTIALLY_FILLED
    ev = eng.on_bar("AAPL", bar(2, 102, 102, 102, 102, v=5000))
    assert fills(ev)[0].amount == 50 and ev[-1].status is S.FILLED
    o = ev[-1]
    assert o.average == (D(100) * 100 + D(101) * 100 + D(102) * 50) / 250
    assert sum(f.commission for f in eng.fills()) == o.commission == commission(D(250), D(1))  # per-order minimum


def test_participation_is_shared_in_time_priority(eng):
    first = eng.submit(req(BUY, MKT, 80), t(0), D(100), None)[0]
    second = eng.submit(req(BUY, MKT, 80), t(0), D(100), None)[0]
    ev = eng.on_bar("AAPL", bar(0, 100, 100, 100, 100, v=1000))
    got = {f.order_id: f.amount for f in fills(ev)}
    assert got == {first.order_id: D(80), second.order_id: D(20)}


def test_lot_size_rounds_fills_down():
    eng = MatchingEngine()
    r = OrderRequest(connection_id="paper", account_id="PAPER", instrument=Instrument.equity("AAPL", lot_size=D(10)), side=BUY, type=MKT, amount=D(100))
    ev = eng.submit(r, t(0), D(10), bar(0, 10, 10, 10, 10, v=255))
    assert fills(ev)[0].amount == 20


def test_orders_do_not_trade_on_bars_that_began_before_them(eng):
    eng.submit(req(BUY, LMT, 10, limit=99), t(0) + timedelta(seconds=30), D(100), None)
    assert eng.on_bar("AAPL", bar(0, 100, 100, 98, 99)) == []
    assert fills(eng.on_bar("AAPL", bar(1, 100, 100, 98, 99)))[0].price == D(99)


# -- limit orders ------------------------------------------------------------------
def test_limit_buy_fills_at_limit_when_touched(eng):
    eng.submit(req(BUY, LMT, 10, limit=99), t(0), D(100), None)
    assert eng.on_bar("AAPL", bar(0, 100, "100.5", "99.01", "99.5")) == []
    ev = eng.on_bar("AAPL", bar(1, "99.5", 100, "98.5", "99.2"))
    assert fills(ev)[0].price == D(99) and ev[-1].status is S.FILLED


def test_limit_buy_gap_fills_at_the_open(eng):
    eng.submit(req(BUY, LMT, 10, limit=99), t(0), D(100), None)
    assert fills(eng.on_bar("AAPL", bar(0, 98, "98.5", 97, 98)))[0].price == D(98)


def test_limit_sell_fills_at_limit_or_better(eng):
    holding(eng)
    eng.submit(req(SELL, LMT, 10, limit=101), t(1), D(100), None)
    assert fills(eng.on_bar("AAPL", bar(1, "100.5", "101.2", 100, 101)))[0].price == D(101)
    eng.submit(req(SELL, LMT, 10, limit=101), t(2), D(101), None)
    assert fills(eng.on_bar("AAPL", bar(2, 103, 104, "102.5", 103)))[0].price == D(103)


def test_marketable_limit_fills_at_the_better_last_price(eng):
    ev = eng.submit(req(BUY, LMT, 10, limit=105), t(0), D(100), bar(0, 100, 100, 100, 100))
    assert fills(ev)[0].price == D(100) and ev[-1].status is S.FILLED


# -- stops -------------------------------------------------------------------------
def test_buy_stop_triggers_then_fills_at_the_stop(eng):
    eng.submit(req(BUY, STP, 10, stop=101), t(0), D(100), None)
    assert eng.on_bar("AAPL", bar(0, 100, "100.9", 99, 100)) == []
    ev = eng.on_bar("AAPL", bar(1, 100, 102, "99.8", "101.5"))
    assert statuses(ev) == [S.TRIGGERED, "fill", S.FILLED]
    assert fills(ev)[0].price == D(101)


def test_stop_gap_fills_at_the_open(eng):
    eng.submit(req(BUY, STP, 10, stop=101), t(0), D(100), None)
    assert fills(eng.on_bar("AAPL", bar(0, 103, 104, 102, 103)))[0].price == D(103)


def test_sell_stop_protects_a_position(eng):
    holding(eng)
    eng.submit(req(SELL, STP, 500, stop=95), t(1), D(100), None)
    ev = eng.on_bar("AAPL", bar(1, 96, 97, 94, 95))
    assert fills(ev)[0].price == D(95) and eng.ledger.quantity("AAPL") == 0
    assert eng.ledger.holdings["AAPL"].realized_pnl == D(-2500)


def test_triggered_stop_without_liquidity_fills_at_next_open(eng):
    eng.submit(req(BUY, STP, 10, stop=101), t(0), D(100), None)
    ev = eng.on_bar("AAPL", bar(0, 100, 102, 100, 102, v=0))
    assert statuses(ev) == [S.TRIGGERED]
    ev = eng.on_bar("AAPL", bar(1, "102.5", 103, 99, 100))
    assert fills(ev)[0].price == D("102.5")


def test_stop_already_through_the_market_triggers_on_submit(eng):
    ev = eng.submit(req(BUY, STP, 10, stop=99), t(0), D(100), bar(0, 100, 100, 100, 100))
    assert statuses(ev) == [S.ACCEPTED, S.TRIGGERED, "fill", S.FILLED] and fills(ev)[0].price == D(100)


def test_stop_limit_becomes_a_limit_when_triggered(eng):
    # low first (nearer the open): 100 -> 99.5 -> 103 -> 102; triggers at 101, marketable at once.
    eng.submit(req(BUY, STL, 10, limit="101.5", stop=101), t(0), D(100), None)
    ev = eng.on_bar("AAPL", bar(0, 100, 103, "99.5", 102))
    assert statuses(ev) == [S.TRIGGERED, "fill", S.FILLED] and fills(ev)[0].price == D(101)


def test_stop_limit_gapping_past_its_limit_waits_for_the_limit(eng):
    eng.submit(req(BUY, STL, 10, limit="101.5", stop=101), t(0), D(100), None)
    ev = eng.on_bar("AAPL", bar(0, 102, "102.5", "101.8", 102))  # triggered at 102, never back to 101.5
    assert statuses(ev) == [S.TRIGGERED]
    ev = eng.on_bar("AAPL", bar(1, 102, "102.5", "101.2", "101.8"))  # high first, then down through 101.5
    assert fills(ev)[0].price == D("101.5") and ev[-1].status is S.FILLED


def test_intrabar_path_order_decides_stop_limit_fills():
    assert bar_path(bar(0, 100, 101, 98, 99)) == [D(100), D(101), D(98), D(99)]
    assert bar_path(bar(0, 100, 102, "99.5", 101)) == [D(100), D("99.5"), D(102), D(101)]
    a, b = MatchingEngine(), MatchingEngine()
    for e in (a, b):
        e.submit(req(BUY, STL, 10, limit=99, stop="100.5"), t(0), D(100), None)
    # high first: up through the stop to 101, then down through the limit 99
    assert fills(a.on_bar("AAPL", bar(0, 100, 101, 98, 99)))[0].price == D(99)
    # low first: 99.5, then up through the stop, never back to 99
    assert statuses(b.on_bar("AAPL", bar(0, 100, 102, "99.5", 101))) == [S.TRIGGERED]


# -- time in force -----------------------------------------------------------------
def test_ioc_fills_what_it_can_and_cancels_the_rest(eng):
    ev = eng.submit(req(BUY, MKT, 250, tif=TimeInForce.IOC), t(0), D(100), bar(0, 100, 100, 100, 100, v=1000))
    assert statuses(ev) == [S.ACCEPTED, "fill", S.PARTIALLY_FILLED, S.CANCELED]
    last = ev[-1]
    assert (last.filled, last.remaining) == (D(100), D(150)) and "immediate or cancel" in last.message
    assert eng.working_orders() == [] and eng.ledger.reservations == {}


def test_ioc_limit_not_marketable_is_canceled(eng):
    ev = eng.submit(req(BUY, LMT, 10, limit=99, tif=TimeInForce.IOC), t(0), D(100), bar(0, 100, 100, 100, 100))
    assert statuses(ev) == [S.ACCEPTED, S.CANCELED] and "not marketable" in ev[-1].message


def test_fok_is_all_or_nothing(eng):
    ev = eng.submit(req(BUY, MKT, 250, tif=TimeInForce.FOK), t(0), D(100), bar(0, 100, 100, 100, 100, v=1000))
    assert statuses(ev) == [S.ACCEPTED, S.CANCELED]
    assert ev[-1].filled == 0 and ev[-1].message == "fill or kill: only 100 of 250 could fill immediately"
    ev = eng.submit(req(BUY, MKT, 100, tif=TimeInForce.FOK), t(0), D(100), bar(0, 100, 100, 100, 100, v=1000))
    assert statuses(ev) == [S.ACCEPTED, "fill", S.FILLED]
    assert eng.ledger.cash == D(100000) - D(10000) - D(1)


def test_fok_without_a_current_bar_is_canceled(eng):
    ev = eng.submit(req(BUY, MKT, 10, tif=TimeInForce.FOK), t(0), D(100), None)
    assert statuses(ev) == [S.ACCEPTED, S.CANCELED] and "no trading" in ev[-1].message


def test_day_orders_expire_and_gtc_survive_end_of_day(eng):
    day = eng.submit(req(BUY, LMT, 10, limit=90), t(0), D(100), None)[0]
    gtc = eng.submit(req(BUY, LMT, 10, limit=90, tif=TimeInForce.GTC), t(0), D(100), None)[0]
    ev = eng.end_of_day(t(390))
    assert [(o.order_id, o.status) for o in ev] == [(day.order_id, S.EXPIRED)]
    assert ev[0].updated_at == t(390) and "expired" in ev[0].message
    assert [o.order_id for o in eng.working_orders()] == [gtc.order_id]
    assert eng.ledger.reserved_cash() == D(900) + D(1)
    assert fills(eng.on_bar("AAPL", bar(1440, 91, 91, 89, 90)))[0].order_id == gtc.order_id


# -- rejects -----------------------------------------------------------------------
def test_insufficient_buying_power_says_needed_and_available(eng):
    eng.submit(req(BUY, LMT, 500, limit=100), t(0), D(100), None)  # holds $50,002.50
    (ev,) = eng.submit(req(BUY, LMT, 600, limit=100), t(0), D(100), None)
    assert ev.status is S.REJECTED
    assert ev.message == "insufficient buying power: this order needs $60,003.00, available $49,997.50"
    assert eng.get_order(ev.order_id) == ev


@pytest.mark.parametrize(
    ("request_", "last", "needle"),
    [
        (req(BUY, LMT, 1, limit="150.01"), D(100), "limit price 150.01 is more than 50% away from the last price 100"),
        (req(SELL, LMT, 1, limit="49.99"), D(100), "limit price 49.99 is more than 50% away"),
        (req(BUY, STP, 1, stop=151), D(100), "stop price 151 is more than 50% away"),
        (req(BUY, MKT, 1), None, "no market price for AAPL"),
        (req(BUY, MKT, 1, account_id="OTHER"), D(100), "unknown account OTHER"),
        (req(BUY, STP, 1, stop=101, tif=TimeInForce.IOC), D(100), "IOC is only available for MARKET and LIMIT"),
        (req(SELL, MKT, 1), D(100), "short selling is not available"),
    ],
)
def test_rejects_with_reasons(eng, request_, last, needle):
    (ev,) = eng.submit(request_, t(0), last, bar(0, 100, 100, 100, 100))
    assert ev.status is S.REJECTED and needle in ev.message
    assert eng.ledger.reservations == {} and eng.fills() == []


def test_limit_exactly_50_percent_away_is_accepted(eng):
    assert eng.submit(req(BUY, LMT, 1, limit=50), t(0), D(100), None)[0].status is S.ACCEPTED


def test_unknown_symbol_with_a_symbol_list():
    eng = MatchingEngine(symbols=["aapl"])
    (ev,) = eng.submit(req(BUY, MKT, 1, symbol="ZZZZ"), t(0), D(10), None)
    assert ev.status is S.REJECTED and ev.message == "unknown symbol ZZZZ"
    assert eng.submit(req(BUY, MKT, 1), t(0), D(10), None)[0].status is S.ACCEPTED


def test_selling_more_than_is_free_is_rejected(eng):
    holding(eng, 100)
    assert eng.submit(req(SELL, LMT, 60, limit=110), t(1), D(100), None)[0].status is S.ACCEPTED
    (ev,) = eng.submit(req(SELL, MKT, 50), t(1), D(100), None)
    assert ev.status is S.REJECTED
    assert ev.message == ("short selling is not available on this cash account: you can sell at most 40 AAPL "
                          "(position 100, 60 held by working sell orders)")


def test_duplicate_client_order_id_is_rejected_and_lookup_finds_the_first(eng):
    first = eng.submit(req(BUY, LMT, 1, limit=99, client_order_id="abc"), t(0), D(100), None)[0]
    (dup,) = eng.submit(req(BUY, LMT, 1, limit=99, client_order_id="abc"), t(0), D(100), None)
    assert dup.status is S.REJECTED and "duplicate client order id abc" in dup.message
    assert eng.order_by_client_id("abc") == first and eng.order_by_client_id("zzz") is None


# -- cancel and modify -------------------------------------------------------------
def test_cancel_releases_the_reservation_and_cannot_repeat(eng):
    o = eng.submit(req(BUY, LMT, 10, limit=99), t(0), D(100), None)[0]
    c = eng.cancel(o.order_id, t(1))
    assert (c.status, c.updated_at) == (S.CANCELED, t(1)) and eng.ledger.reservations == {}
    with pytest.raises(OrderRejectedError, match="is canceled and can no longer be canceled"):
        eng.cancel(o.order_id, t(2))
    with pytest.raises(NotFoundError):
        eng.cancel("nope", t(2))
    with pytest.raises(OrderRejectedError, match="can no longer be modified"):
        eng.modify(o.order_id, amount=D(5), now=t(2))
    with pytest.raises(NotFoundError):
        eng.modify("nope", amount=D(5), now=t(2))


def test_modify_changes_amount_and_price_and_the_reservation(eng):
    o = eng.submit(req(BUY, LMT, 10, limit=99), t(0), D(100), None)[0]
    m = eng.modify(o.order_id, amount=D(20), limit_price=D(98), now=t(1))
    assert (m.amount, m.remaining, m.limit_price, m.status, m.updated_at) == (D(20), D(20), D(98), S.ACCEPTED, t(1))
    assert eng.ledger.reserved_cash() == D(1960) + D(1)
    assert fills(eng.on_bar("AAPL", bar(1, 99, 99, 98, 98)))[0].amount == 20


def test_modify_validates_fields_and_rules(eng):
    o = eng.submit(req(BUY, MKT, 300), t(0), D(100), bar(0, 100, 100, 100, 100, v=1000))[0]
    assert eng.get_order(o.order_id).filled == 100
    with pytest.raises(InvalidRequestError) as err:
        eng.modify(o.order_id, amount=D(100))
    assert err.value.field == "amount" and "must exceed the filled quantity 100" in err.value.message
    with pytest.raises(InvalidRequestError) as err:
        eng.modify(o.order_id, limit_price=D(99))
    assert err.value.field == "limit_price"
    with pytest.raises(InvalidRequestError) as err:
        eng.modify(o.order_id, amount=D("150.5"))
    assert err.value.field == "amount"
    with pytest.raises(InvalidRequestError):
        eng.modify(o.order_id)
    with pytest.raises(OrderRejectedError, match="insufficient buying power"):
        eng.modify(o.order_id, amount=D(2000))
    assert eng.get_order(o.order_id).amount == 300  # unchanged after the failed attempts
    lim = eng.submit(req(BUY, LMT, 1, limit=99), t(0), D(100), None)[0]
    with pytest.raises(OrderRejectedError, match="more than 50% away"):
        eng.modify(lim.order_id, limit_price=D(200))
    with pytest.raises(InvalidRequestError) as err:
        eng.modify(lim.order_id, limit_price=D("99.001"))
    assert err.value.field == "limit_price"


def test_modify_sell_cannot_go_short(eng):
    holding(eng, 100)
    s = eng.submit(req(SELL, LMT, 50, limit=110), t(1), D(100), None)[0]
    assert eng.modify(s.order_id, amount=D(100)).amount == 100
    with pytest.raises(OrderRejectedError, match="short selling"):
        eng.modify(s.order_id, amount=D(101))


# -- cash safety -------------------------------------------------------------------
def test_gap_up_market_buy_spends_only_free_cash(eng):
    eng.submit(req(BUY, MKT, 900), t(0), D(100), None)  # reserved at $105: $94,504.50
    ev = eng.on_bar("AAPL", bar(0, 120, 121, 119, 120))
    f = fills(ev)[0]
    assert f.amount < 900 and ev[-1].status is S.CANCELED and "not enough cash" in ev[-1].message
    assert D(0) <= eng.ledger.cash < f.price + 1
    assert eng.ledger.reservations == {}


# -- queries and state ---------------------------------------------------------------
def test_queries(eng):
    a = eng.submit(req(BUY, MKT, 10), t(0), D(100), bar(0, 100, 100, 100, 100))[-1]
    b = eng.submit(req(BUY, LMT, 10, limit=90), t(1), D(100), None)[0]
    assert [o.order_id for o in eng.orders()] == [a.order_id, b.order_id]
    assert eng.orders([S.FILLED]) == [a] and eng.working_orders("AAPL") == [b] and eng.working_orders("MSFT") == []
    assert eng.fills(since=t(1)) == [] and len(eng.fills()) == 1
    assert eng.last_price("AAPL") == D(100) and eng.marks == {"AAPL": D(100)}
    with pytest.raises(NotFoundError):
        eng.get_order("missing")


def _script(eng: MatchingEngine, start: int) -> list:
    out = []
    out += eng.on_bar("AAPL", bar(start, 100, 101, 98, 99, v=1000))
    out += eng.submit(req(BUY, STL, 150, limit="99.5", stop="100.5", client_order_id="s1"), t(start + 1), D(99), None)
    out += eng.on_bar("AAPL", bar(start + 1, 99, 101, "98.5", 100, v=1000))
    out += eng.on_bar("AAPL", bar(start + 2, 100, 100, 99, "99.5", v=1000))
    out += eng.end_of_day(t(start + 3))
    return out


def test_state_round_trip_continues_identically(eng):
    holding(eng, 200)
    eng.submit(req(BUY, STP, 300, stop=101, tif=TimeInForce.GTC), t(1), D(100), None)
    eng.submit(req(SELL, LMT, 150, limit=102), t(1), D(100), None)
    eng.submit(req(BUY, MKT, 250), t(1), D(100), bar(1, 100, 100, 100, 100, v=1000))
    state = json.loads(json.dumps(eng.to_state()))
    clone = MatchingEngine.from_state(state)
    assert clone.to_state() == eng.to_state()
    assert _script(clone, 2) == _script(eng, 2)
    assert clone.to_state() == eng.to_state() and clone.ledger == eng.ledger
    with pytest.raises(ValueError, match="version"):
        MatchingEngine.from_state({**state, "version": 0})


def test_state_without_history_plus_stored_history(eng):
    holding(eng, 200)
    eng.submit(req(SELL, LMT, 150, limit=102), t(1), D(100), None)
    slim = json.loads(json.dumps(eng.to_state(include_history=False)))
    assert slim["fills"] is None and len(slim["orders"]) == 1
    clone = MatchingEngine.from_state(slim, orders=eng.orders(), fills=eng.fills())
    assert clone.to_state() == eng.to_state()


def test_custom_ledger_and_participation():
    eng = MatchingEngine(Ledger(account_id="P2", starting_cash=D(1000)), participation=D("0.5"))
    ev = eng.submit(req(BUY, MKT, 9, account_id="P2"), t(0), D(100), bar(0, 100, 100, 100, 100, v=10))
    assert fills(ev)[0].amount == 5 and fills(ev)[0].account_id == "P2"


# -- properties over random order flow ---------------------------------------------
_SYMS = ("AAPL", "MSFT")
_shape = st.tuples(st.integers(-300, 300) | st.sampled_from([-2000, 2000]), st.integers(0, 300), st.integers(0, 300), st.integers(-300, 300),
                   st.sampled_from([0, 300, 2000, 20000]))  # open move, up, down, close move (cents), volume
_submit = st.tuples(st.just("submit"), st.sampled_from(_SYMS), st.sampled_from([BUY, BUY, SELL]), st.sampled_from(OrderType),
                    st.sampled_from(TimeInForce), st.integers(1, 300) | st.integers(1, 300) | st.integers(300, 1000), st.integers(-600, 600), st.integers(-600, 600),
                    st.booleans())
_cancel = st.tuples(st.just("cancel"), st.integers(0, 60))
_modify = st.tuples(st.just("modify"), st.integers(0, 60), st.integers(1, 400), st.integers(-600, 600))
_minute = st.tuples(st.tuples(_shape, _shape), st.lists(st.one_of(_submit, _submit, _cancel, _modify), max_size=4),
                    st.integers(0, 7))  # end of day when 0


class _Sim:
    """Drives an engine minute by minute; remembers what each bar gave away."""

    def __init__(self, eng: MatchingEngine) -> None:
        self.eng, self.minute, self.cid = eng, 0, 0
        self.close = {"AAPL": 10000, "MSFT": 25000}  # cents
        self.taken: dict[tuple[str, int], D] = {}
        self.volume: dict[tuple[str, int], D] = {}

    def run(self, minutes) -> list:
        out = []
        for shapes, ops, eod in minutes:
            bars = {sym: self._bar(sym, shape) for sym, shape in zip(_SYMS, shapes)}
            for op in ops:
                out += self._op(op, bars)
            for sym in _SYMS:
                out += self._took(sym, self.eng.on_bar(sym, bars[sym]), bars[sym])
                self.close[sym] = int(bars[sym].close * 100)
            self.minute += 1
            if eod == 0:
                out += self.eng.end_of_day(t(self.minute))
        return out

    def _bar(self, sym: str, shape) -> Bar:
        d_open, up, down, d_close, volume = shape
        o = max(1, self.close[sym] + d_open)
        c = max(1, o + d_close)
        self.volume[(sym, self.minute)] = D(volume)
        return bar(self.minute, D(o) / 100, D(max(o, c) + up) / 100, D(max(1, min(o, c) - down)) / 100, D(c) / 100,
                   v=volume, symbol=sym)

    def _took(self, sym: str, events: list, at: Bar | D) -> list:
        """Tally fills per bar; check each fill's price against the bar (or last) and its limit."""
        key = (sym, self.minute)
        self.taken[key] = self.taken.get(key, D(0)) + sum((f.amount for f in fills(events)), D(0))
        for f, snap in zip(events, events[1:]):
            if isinstance(f, Fill):
                assert f.price == at if isinstance(at, D) else at.low <= f.price <= at.high
                lim = snap.limit_price
                assert lim is None or (f.price <= lim if f.side is BUY else f.price >= lim)
        return events

    def _op(self, op, bars) -> list:
        orders_ = self.eng.orders()
        if op[0] == "submit":
            _, sym, side, kind, tif, amount, loff, soff, with_bar = op
            last = self.close[sym]
            if kind.needs_stop_price and tif in (TimeInForce.IOC, TimeInForce.FOK) and amount % 4:
                tif = TimeInForce.GTC  # mostly valid combinations (the rest are rejected)
            if side is SELL and amount % 5:
                amount = max(1, min(amount, int(self.eng.ledger.available_to_sell(sym))))  # mostly not short
            self.cid += 1
            r = req(side, kind, amount, symbol=sym, tif=tif, client_order_id=f"c{self.cid}",
                    limit=D(max(1, last + loff)) / 100 if kind.needs_limit_price else None,
                    stop=D(max(1, last + soff)) / 100 if kind.needs_stop_price else None)
            ev = self.eng.submit(r, t(self.minute), D(last) / 100, bars[sym] if with_bar else None)
            return self._took(sym, ev, D(last) / 100)
        pool = self.eng.working_orders() if op[1] % 3 and self.eng.working_orders() else orders_
        if not pool:
            return []
        o = pool[op[1] % len(pool)]
        try:
            if op[0] == "cancel":
                return [self.eng.cancel(o.order_id, t(self.minute))]
            lim = D(max(1, self.close[o.symbol] + op[3])) / 100 if o.type.needs_limit_price else None
            return [self.eng.modify(o.order_id, amount=D(op[2]), limit_price=lim, now=t(self.minute))]
        except OrderRejectedError as exc:
            return [exc.message]
        except InvalidRequestError as exc:
            assert exc.field == "amount" and D(op[2]) <= o.filled
            return [exc.message]


def _check_invariants(sim: _Sim) -> None:
    eng, led = sim.eng, sim.eng.ledger
    all_fills = eng.fills()
    assert len({f.fill_id for f in all_fills}) == len(all_fills)
    working = {o.order_id for o in eng.working_orders()}
    for o in eng.orders():
        mine = [f for f in all_fills if f.order_id == o.order_id]
        assert sum((f.amount for f in mine), D(0)) == o.filled <= o.amount  # never overfilled
        assert o.remaining == o.amount - o.filled
        assert sum((f.commission for f in mine), D(0)) == o.commission
        assert (o.status is S.FILLED) == (o.filled == o.amount)
        assert (o.order_id in working) == o.status.is_open
        if mine:
            assert o.average == tidy(sum(f.amount * f.price for f in mine) / o.filled)
    assert set(led.reservations) == working
    buys = sum((f.cost for f in all_fills if f.side is BUY), D(0))
    sells = sum((f.cost for f in all_fills if f.side is SELL), D(0))
    fees = sum((f.commission for f in all_fills), D(0))
    assert led.cash == D(100000) - buys + sells - fees >= 0
    assert led.total_commissions == fees
    for sym in _SYMS:
        assert led.quantity(sym) == sum((f.amount * f.side.sign for f in all_fills if f.symbol == sym), D(0)) >= 0
    marks = eng.marks
    assert led.net_liquidation(marks) == D(100000) + led.realized_pnl + led.unrealized_pnl(marks) - fees
    for key, qty in sim.taken.items():
        assert qty <= eng.participation * sim.volume[key]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_minute, max_size=14))
def test_random_order_flow_keeps_every_invariant(minutes):
    sim = _Sim(MatchingEngine())
    for m in minutes:
        sim.run([m])
        _check_invariants(sim)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_minute, min_size=1, max_size=10), st.data())
def test_state_round_trip_anywhere_continues_identically(minutes, data):
    k = data.draw(st.integers(0, len(minutes)))
    a = _Sim(MatchingEngine())
    a.run(minutes[:k])
    b = _Sim(MatchingEngine.from_state(json.loads(json.dumps(a.eng.to_state()))))
    b.minute, b.cid, b.close = a.minute, a.cid, dict(a.close)
    assert b.run(minutes[k:]) == a.run(minutes[k:])
    assert b.eng.to_state() == a.eng.to_state()
