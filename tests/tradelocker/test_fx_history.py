"""Daily forex bars from the ECB's euro reference rates (resources/ecb-eurofxref.csv.gz):
crosses computed from the euro rates, bars from consecutive fixes, the pairs'
conventional decimals."""

from __future__ import annotations

import gzip
from datetime import date
from decimal import Decimal

from desktop.brokers.paper.fx_history import PAIRS, daily_bars, decimals, load_fixes
from desktop.domain.forex import pip


def test_pairs_from_the_shipped_ecb_file():
    fixes = load_fixes()
    assert set(fixes) == set(PAIRS) == {"EURUSD", "GBPUSD", "USDJPY", "EURGBP", "USDCHF", "AUDUSD"}
    eurusd = {f.day: f.price for f in fixes["EURUSD"]}
    assert eurusd[date(1999, 1, 4)] == Decimal("1.17890")  # the ECB's first fix: USD 1.1789
    usdjpy = {f.day: f.price for f in fixes["USDJPY"]}
    assert usdjpy[date(1999, 1, 4)] == (Decimal("133.73") / Decimal("1.1789")).quantize(Decimal("0.001"))
    gbpusd = {f.day: f.price for f in fixes["GBPUSD"]}
    assert gbpusd[date(1999, 1, 4)] == (Decimal("1.1789") / Decimal("0.7111")).quantize(Decimal("0.00001"))
    assert all(len(v) > 6000 and v[-1].day.year >= 2025 for v in fixes.values())
    assert (decimals("USDJPY"), decimals("EURUSD"), pip("USDJPY"), pip("EURUSD")) == (3, 5, Decimal("0.01"),
                                                                                     Decimal("0.0001"))


def test_bars_open_at_the_previous_fix_and_close_at_the_day_fix(tmp_path):
    path = tmp_path / "fx.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("Date,USD,JPY,GBP,CHF,AUD\n2001-01-02,0.9423,107.3,0.6319,1.5225,1.6868\n"
                 "2001-01-03,0.9530,109.7,N/A,1.5235,1.7006\nbad,1,1,1,1,1\n2001-01-04,0.9506,111.2,0.6372,1.5287,1.6968\n")
    fixes = load_fixes(path)
    bars = daily_bars("EURUSD", fixes["EURUSD"])
    assert [(b.open, b.high, b.low, b.close) for b in bars] == [
        (Decimal("0.94230"),) * 4,
        (Decimal("0.94230"), Decimal("0.95300"), Decimal("0.94230"), Decimal("0.95300")),
        (Decimal("0.95300"), Decimal("0.95300"), Decimal("0.95060"), Decimal("0.95060"))]
    assert [f.day.day for f in fixes["GBPUSD"]] == [2, 4]  # GBP missing on the 3rd: no GBPUSD that day
    assert all(not b.synthetic and b.volume == 0 for b in bars)


def test_pairs_replay_on_the_stocks_clock_and_a_day_ends_at_the_ecb_fix():
    from desktop.brokers.paper.fx_market import FxMarket
    from desktop.brokers.paper.intraday import SESSION_MINUTES
    from desktop.brokers.paper.market import MarketSimulator
    from desktop.domain import Interval

    stocks = MarketSimulator.from_resources()
    fx = FxMarket(stocks.clock)
    day = stocks.clock.current_date
    fixes = {f.day: f.price for f in load_fixes()["USDJPY"]}
    previous = max(d for d in fixes if d < day)
    minutes = []
    for _ in range(SESSION_MINUTES):
        stocks.advance_one_minute()
        minutes.extend(bar for pair, bar in fx.played() if pair == "USDJPY")
    assert len(minutes) == SESSION_MINUTES and stocks.clock.current_date == day
    assert minutes[0].open == fixes[previous] and minutes[-1].close == fixes[day]  # open: the previous fix
    assert all(b.synthetic and b.close.as_tuple().exponent >= -3 for b in minutes)  # the pair's 3 decimals
    daily = fx.current_bar("USDJPY", Interval.D1)
    assert (daily.open, daily.close) == (fixes[previous], fixes[day])
    assert daily.high == max(fixes[previous], fixes[day]) and daily.low == min(fixes[previous], fixes[day])
    quote = fx.quote("EURUSD")
    assert quote.bid < quote.ask and quote.ask - quote.bid <= Decimal("0.00003")  # at most 0.3 pip
    assert fx.instrument("USDJPY").tick_size == Decimal("0.001") and fx.instrument("EURUSD").currency == "USD"
