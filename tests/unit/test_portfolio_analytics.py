"""The cookbook's five portfolio figures (desktop/domain/analytics.py) on hand-computed
examples, with the cookbook's edge cases: a null unrealized P&L is skipped, a zero
total value gives 0 %, a zero quantity is skipped."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from desktop.domain import Bar, Fill, Instrument, Interval, OrderSide, Position
from desktop.domain.analytics import (closes_momentum, concentration, fills_on, session_date, unrealized_summary,
                                      vwap_by_symbol)


def pos(conn, acct, symbol, qty, last=None, upl=None):
    return Position(broker="x", connection_id=conn, account_id=acct, instrument=Instrument.equity(symbol),
                    quantity=D(qty), average_price=D(1), last_price=None if last is None else D(last),
                    unrealized_pnl=None if upl is None else D(upl))


def fill(symbol, qty, price, when, i=0, side=OrderSide.BUY):
    return Fill(broker="x", connection_id="c", account_id="a", fill_id=str(i), order_id="o",
                instrument=Instrument.equity(symbol), side=side, amount=D(qty), price=D(price), timestamp=when)


def test_unrealized_per_account_connection_and_overall_skipping_null():
    s = unrealized_summary([pos("paper", "PAPER", "AAPL", 10, upl="125.50"), pos("ct", "A1", "MSFT", 5, upl="-20"),
                            pos("ct", "A2", "IBM", 3, upl=None), pos("ct", "A2", "VTI", 4, upl="10.25")])
    assert s.overall == D("115.75")
    assert s.by_connection == {"paper": D("125.50"), "ct": D("-9.75")}
    assert s.by_account == {("paper", "PAPER"): D("125.50"), ("ct", "A1"): D("-20"), ("ct", "A2"): D("10.25")}
    assert (s.counted, s.skipped) == (3, 1)
    assert unrealized_summary([pos("ct", "A2", "IBM", 3)]).overall == 0


def test_fills_today_in_the_exchange_session():
    ny = "America/New_York"
    late = datetime(2012, 5, 18, 23, 30, tzinfo=timezone.utc)  # 19:30 in New York: the 18th there
    after_midnight_utc = datetime(2012, 5, 19, 2, 0, tzinfo=timezone.utc)  # 22:00 on the 18th in New York
    next_day = datetime(2012, 5, 21, 14, 0, tzinfo=timezone.utc)
    fills = [fill("AAPL", 1, 1, late, 1), fill("AAPL", 1, 1, after_midnight_utc, 2), fill("AAPL", 1, 1, next_day, 3)]
    day = session_date(after_midnight_utc, ny)
    assert str(day) == "2012-05-18"
    assert [f.fill_id for f in fills_on(fills, day, ny)] == ["2", "1"]  # newest first
    assert [f.fill_id for f in fills_on(fills, day, None)] == ["1"]  # UTC days, as the cookbook's midnight Z


def test_execution_vwap_per_symbol_with_quantity():
    t = datetime(2012, 5, 18, 14, tzinfo=timezone.utc)
    rows = vwap_by_symbol([fill("AAPL", 100, "10.00", t, 1), fill("AAPL", 300, "10.40", t, 2),
                           fill("MSFT", 7, "30.10", t, 3)])
    assert [(r.symbol, r.vwap, r.quantity, r.fills) for r in rows] == [
        ("AAPL", D("10.30"), D(400), 2), ("MSFT", D("30.10"), D(7), 1)]
    assert vwap_by_symbol([]) == []


def test_concentration_largest_first_with_the_cookbooks_edge_cases():
    rows = concentration([pos("p", "A", "AAPL", 10, last="150"), pos("c", "B", "AAPL", 10, last="150"),
                          pos("c", "B", "MSFT", 50, last="20"), pos("c", "B", "GOOG", 0, last="600"),
                          pos("c", "B", "IBM", 5, last=None)])
    assert [(r.symbol, r.market_value, r.share) for r in rows] == [
        ("AAPL", D(3000), D(75)), ("MSFT", D(1000), D(25))]
    zero = concentration([pos("c", "B", "X", 10, last="0")])
    assert zero == []  # a last price of 0 is skipped, as the cookbook's `if pos.get("last_price")`
    assert concentration([]) == []


def test_concentration_zero_total_is_zero_percent():
    long_, short = pos("c", "B", "X", 10, last="1"), pos("c", "B", "X", -10, last="1")
    rows = concentration([long_, short])  # one symbol, gross 20
    assert rows[0].share == 100
    from desktop.domain.analytics import Concentration
    assert Concentration(symbol="X", market_value=D(0), share=D(0)).share == 0


def test_momentum_over_the_last_n_closes():
    t0 = datetime(2012, 1, 3, tzinfo=timezone.utc)
    closes = ["90", "100", "101", "99", "110"]
    bars = [Bar(symbol="A", interval=Interval.D1, start=t0 + timedelta(days=i), open=D(c), high=D(c), low=D(c),
                close=D(c)) for i, c in enumerate(closes)]
    assert closes_momentum(bars, 4) == D("0.1")  # 110 / 100 - 1
    assert closes_momentum(bars, 5) == D(110) / D(90) - 1
    assert closes_momentum(bars, 6) is None
    with pytest.raises(ValueError, match="at least 2"):
        closes_momentum(bars, 1)


def test_positions_priced_in_another_currency_are_counted_apart_not_added():
    from desktop.domain import AssetClass, Instrument

    usdjpy = pos("paper", "PAPER", "USDJPY", 5_000, upl="40000", last="81").model_copy(update={
        "instrument": Instrument(symbol="USDJPY", asset_class=AssetClass.FOREX, currency="JPY", tick_size=D("0.001"))})
    aapl = pos("paper", "PAPER", "AAPL", 10, upl="125.50", last="150")
    s = unrealized_summary([aapl, usdjpy], "USD")
    assert s.overall == D("125.50") and s.counted == 1 and s.other_currencies == {"JPY": 1}
    assert [r.symbol for r in concentration([aapl, usdjpy], "USD")] == ["AAPL"]
    assert unrealized_summary([aapl, usdjpy]).overall == D("40125.50")  # without a currency: as before
