"""Split- and dividend-adjusted daily bars of the paper market: the per-day factor
Adj Close / Close read totally from the data file, bars scaled to the replay's date
(desktop.brokers.paper.history / market / broker)."""

from __future__ import annotations

import asyncio
import gzip
import logging
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from desktop.brokers.paper import PaperBroker
from desktop.brokers.paper.history import History, load_series, parse_factor
from desktop.brokers.paper.intraday import SESSION_MINUTES
from desktop.brokers.paper.market import MarketSimulator
from desktop.brokers.paper.replay import ReplayClock
from desktop.domain import Interval
from desktop.paths import resources_dir

HEADER = "Ticker,Date,Open,High,Low,Close,Volume,Adj Close\n"
HISTORY = History.open(resources_dir() / "stocks.csv.gz")


def market_on(day: date, minute: int = 0) -> MarketSimulator:
    clock = ReplayClock(HISTORY.calendar(), start=day)
    clock.seek(day, minute)
    return MarketSimulator(HISTORY, clock)


def by_day(bars) -> dict[date, object]:
    return {b.start.date(): b for b in bars}


def _write(path, lines: list[str], header: str = HEADER):
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(header + "".join(line + "\n" for line in lines))
    return path


# -- the factor, read totally ------------------------------------------------------------
def test_factor_is_adj_close_over_close_and_unreadable_ones_take_the_next_days(tmp_path, caplog):
    path = _write(tmp_path / "s.csv.gz", [
        "XYZ,2020-01-02,10,11,9,10,100,5",          # factor 0.5
        "XYZ,2020-01-03,10,11,9,10,100,",           # missing -> next readable (0.5)
        "XYZ,2020-01-06,10,11,9,10,100,abc",        # not a number
        "XYZ,2020-01-07,10,11,9,10,100,1e999999999",  # overflows
        "XYZ,2020-01-08,10,11,9,10,100,-3",         # not positive
        "XYZ,2020-01-09,10,11,9,10,100,0",
        "XYZ,2020-01-10,10,11,9,10,100,5",          # 0.5
        "XYZ,2020-01-13,20,22,18,20,100,20",        # 1 (e.g. after a 1:2 reverse split)
        "XYZ,2020-01-14,20,22,18,20,100,²",         # last row unreadable -> previous (1)
        "ABC,2020-01-02,10,11,9,10,100",            # no Adj Close column value at all
    ])
    with caplog.at_level(logging.WARNING, logger="desktop.brokers.paper.history"):
        series = load_series(path)
    xyz = series["XYZ"]
    assert len(xyz) == 9  # no row lost for its Adj Close
    assert xyz.factor == tuple(Decimal(f) for f in ("0.5",) * 7 + ("1", "1"))
    assert xyz.close == tuple(Decimal(c) for c in ("10",) * 7 + ("20", "20"))  # prices untouched
    assert series["ABC"].factor == (Decimal(1),)  # nothing to adjust against: 1
    logged = [r.getMessage() for r in caplog.records]
    assert sum("not adjusted against its neighbours" in m for m in logged) == 7
    assert any("line 3: Adj Close missing" in m for m in logged)
    assert any("'1e999999999'" in m for m in logged)


@pytest.mark.parametrize("raw", [None, "", "  ", "x", "nan", "inf", "-1", "0", "1e999999999", "1e-999999999", "²"])
def test_parse_factor_never_raises(raw):
    factor, why = parse_factor(raw, Decimal("10"))
    assert factor is None and why


def test_parse_factor_reads_the_files_precision():
    factor, why = parse_factor("4.186662803811", Decimal("130.31"))
    assert why == "" and abs(factor - Decimal("0.032128484412639")) < Decimal("1e-14")


def test_a_file_without_the_adj_close_column_loads_unadjusted(tmp_path):
    path = _write(tmp_path / "old.csv.gz", ["XYZ,2020-01-02,10,11,9,10,100", "XYZ,2020-01-03,10,12,9,11,100"],
                  header="Ticker,Date,Open,High,Low,Close,Volume\n")
    xyz = load_series(path)["XYZ"]
    assert xyz.factor == (Decimal(1), Decimal(1))
    assert History(path).daily_bars("XYZ", adjusted_to=date(2020, 1, 3)) == History(path).daily_bars("XYZ")


# -- adjusted daily bars ----------------------------------------------------------------
def test_the_2005_split_is_no_crash_adjusted_and_is_one_unadjusted():
    market = market_on(date(2005, 3, 15), 60)
    adjusted = by_day(market.fetch_bars("AAPL", Interval.D1, adjusted=True))
    raw = by_day(market.fetch_bars("AAPL", Interval.D1))
    before, after = date(2005, 2, 25), date(2005, 2, 28)  # 2:1 split effective 2005-02-28
    assert raw[after].close / raw[before].close < Decimal("0.55")  # 88.99 -> 44.86: the false crash
    change = adjusted[after].close / adjusted[before].close
    assert Decimal("0.98") < change < Decimal("1.02")
    assert adjusted[before].close == Decimal("44.4950")  # 88.99 in post-split dollars (÷ 2)
    assert adjusted[after] == raw[after]  # no event since: the bar as traded
    # the 2000 split (2000-06-21) too, and volume is never adjusted
    assert Decimal("0.98") < adjusted[date(2000, 6, 21)].open / adjusted[date(2000, 6, 20)].close < Decimal("1.02")
    assert raw[date(2000, 6, 21)].open / raw[date(2000, 6, 20)].close < Decimal("0.55")
    assert all(adjusted[d].volume == raw[d].volume for d in raw)
    assert adjusted.keys() == raw.keys()


def test_adjusted_bars_are_consistent_candles_in_four_decimals():
    bars = market_on(date(2013, 2, 28), 10).fetch_bars("AAPL", Interval.D1, adjusted=True)
    for b in bars:
        assert b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high
        assert all(p > 0 and p.as_tuple().exponent >= -4 for p in (b.open, b.high, b.low, b.close))


@pytest.mark.parametrize("day", [date(2005, 2, 25), date(2005, 2, 28), date(2012, 8, 9), date(2013, 3, 1)])
def test_the_latest_adjusted_bar_is_the_traded_one_on_the_replay_date(day):
    market = market_on(day, SESSION_MINUTES)  # the session closed: today's real bar is the last
    adjusted = market.fetch_bars("AAPL", Interval.D1, adjusted=True)
    raw = market.fetch_bars("AAPL", Interval.D1)
    assert adjusted[-1].start.date() == day and adjusted[-1] == raw[-1]
    assert adjusted[-1].close == market.quote("AAPL").last  # the chart's last price is the quote's
    # forming bar in the middle of the day: the same as traded
    midday = market_on(day, 120)
    assert midday.fetch_bars("AAPL", Interval.D1, adjusted=True)[-1] == midday.fetch_bars("AAPL", Interval.D1)[-1]


def test_adjustment_is_relative_to_the_replay_date_not_the_end_of_data():
    # On 2005-02-25 the split is still ahead: that day's history is as traded since 2000-06-21
    before_split = by_day(market_on(date(2005, 2, 25), SESSION_MINUTES).fetch_bars("AAPL", Interval.D1, adjusted=True))
    assert before_split[date(2005, 2, 24)].close == Decimal("88.93")
    assert before_split[date(2000, 6, 20)].close == Decimal("50.6250")  # 101.25 ÷ 2 for the 2000 split
    after_split = by_day(market_on(date(2005, 3, 1), SESSION_MINUTES).fetch_bars("AAPL", Interval.D1, adjusted=True))
    assert after_split[date(2005, 2, 24)].close == Decimal("44.4650")
    assert after_split[date(2000, 6, 20)].close == Decimal("25.3125")


def test_dividends_adjust_too():
    # AAPL went ex-dividend ($2.65) on 2012-08-09: older closes scale down by about 0.4 %
    market = market_on(date(2012, 8, 20), SESSION_MINUTES)
    adjusted = by_day(market.fetch_bars("AAPL", Interval.D1, adjusted=True))
    raw = by_day(market.fetch_bars("AAPL", Interval.D1))
    day_before = date(2012, 8, 8)
    ratio = adjusted[day_before].close / raw[day_before].close
    assert Decimal("0.99") < ratio < Decimal("0.999")
    assert adjusted[date(2012, 8, 9)] == raw[date(2012, 8, 9)]


def test_windows_and_limits_still_apply_adjusted():
    market = market_on(date(2005, 3, 15), 60)
    start = datetime(2005, 2, 24, tzinfo=timezone.utc)
    bars = market.fetch_bars("AAPL", Interval.D1, start=start, end=start + timedelta(days=5), adjusted=True)
    assert [b.start.date() for b in bars] == [date(2005, 2, 24), date(2005, 2, 25), date(2005, 2, 28)]
    assert len(market.fetch_bars("AAPL", Interval.D1, limit=3, adjusted=True)) == 3


def test_intraday_bars_are_never_adjusted():
    market = market_on(date(2005, 3, 1), 200)
    for interval in (Interval.M1, Interval.M5, Interval.H1):
        assert market.fetch_bars("AAPL", interval, adjusted=True) == market.fetch_bars("AAPL", interval)


# -- the broker's choice ----------------------------------------------------------------
def test_the_paper_broker_adjusts_by_default_and_can_serve_prices_as_traded(tmp_path):
    async def scenario():
        broker = PaperBroker(None, autostart=False, market=market_on(date(2005, 3, 15), 60))
        await broker.connect()
        try:
            assert broker.capabilities.adjusted_prices and broker.adjusted_prices
            adjusted = by_day(await broker.fetch_bars("AAPL", Interval.D1))
            broker.set_adjusted_prices(False)
            raw = by_day(await broker.fetch_bars("AAPL", Interval.D1))
            with pytest.raises(TypeError):
                broker.set_adjusted_prices("no")
            quote = broker.market.quote("AAPL")
        finally:
            await broker.close()
        return adjusted, raw, quote

    adjusted, raw, quote = asyncio.run(scenario())
    assert adjusted[date(2005, 2, 25)].close == Decimal("44.4950") and raw[date(2005, 2, 25)].close == Decimal("88.99")
    assert quote.last < Decimal("50")  # quotes are as traded, post-split


def test_other_brokers_declare_no_adjusted_prices():
    from desktop.brokers.capabilities import BrokerCapabilities

    assert BrokerCapabilities().adjusted_prices is False
