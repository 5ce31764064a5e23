"""Synthetic minute bars (paper.intraday) and their aggregation (paper.aggregate)."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.brokers.errors import InvalidRequestError, NotFoundError
from desktop.brokers.paper.aggregate import (
    aggregate_arrays,
    aggregate_bars,
    bucket_starts,
    forming_bar,
    partial_arrays,
)
from desktop.brokers.paper import intraday
from desktop.brokers.paper.history import History
from desktop.brokers.paper.intraday import (
    SESSION_MINUTES,
    IntradayGenerator,
    _new_york_utc_offset,
    day_seed,
    generate_day,
    session_open_utc,
    units_to_decimal,
)
from desktop.domain import Interval
from desktop.paths import resources_dir

HISTORY = History.open(resources_dir() / "stocks.csv.gz")
SYMBOLS = ("AAPL", "MSFT", "IBM", "GOOG", "FB")


def _day(symbol: str, i: int):
    s = HISTORY.series(symbol)
    o, h, l, c = s.units[i].tolist()
    return generate_day(symbol, s.dates[i], o, h, l, c, int(s.volume[i])), s


@st.composite
def real_days(draw):
    symbol = draw(st.sampled_from(SYMBOLS))
    i = draw(st.integers(0, len(HISTORY.series(symbol)) - 1))
    return symbol, i


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(real_days())
def test_replayed_day_aggregates_to_the_real_daily_bar(sym_i):
    symbol, i = sym_i
    day, s = _day(symbol, i)
    real = s.bar(i)
    (daily,) = aggregate_bars(day, Interval.D1)
    assert (daily.open, daily.high, daily.low, daily.close, daily.volume) == (
        real.open,
        real.high,
        real.low,
        real.close,
        real.volume,
    )
    assert daily.start == real.start
    # minute bars are valid, continuous, inside the day, with integer volumes
    o, h, l, c, v = day.ohlcv
    assert np.all(l <= np.minimum(o, c)) and np.all(h >= np.maximum(o, c))
    assert h.max() == s.units[i, 1] and l.min() == s.units[i, 2]
    assert np.array_equal(o[1:], c[:-1])
    assert v.dtype == np.int64 and np.all(v >= 0) and int(v.sum()) == int(s.volume[i])
    # every price is on the cent grid unless it is one of the day's real prices
    anchors = set(s.units[i].tolist())
    off_grid = {int(x) for x in day.ohlcv[:4].ravel() if x % 100}
    assert off_grid <= anchors


def test_minute_bars_as_domain_objects():
    s = HISTORY.series("AAPL")
    i = s.index_of(date(2003, 4, 2))  # low 14.2675 has four decimals
    day, _ = _day("AAPL", i)
    bars = day.bars()
    assert len(bars) == SESSION_MINUTES
    assert all(b.interval is Interval.M1 and b.synthetic and b.symbol == "AAPL" for b in bars)
    assert bars[0].open == s.open[i] and bars[-1].close == s.close[i]
    assert max(b.high for b in bars) == s.high[i]
    assert min(b.low for b in bars) == Decimal("14.2675")
    assert sum(b.volume for b in bars) == int(s.volume[i])
    assert [b.start for b in bars[:2]] == [day.session_open, day.session_open + timedelta(minutes=1)]
    assert day.bar(389) == bars[-1]
    assert np.allclose(day.prices_float()[3], [float(b.close) for b in bars])


def test_determinism_and_seed():
    a, _ = _day("MSFT", 2000)
    b, _ = _day("MSFT", 2000)
    assert np.array_equal(a.ohlcv, b.ohlcv)
    c, _ = _day("MSFT", 2001)
    assert not np.array_equal(a.ohlcv[3], c.ohlcv[3])
    # blake2b-based: stable across processes and PYTHONHASHSEED values
    assert day_seed("AAPL", date(2012, 3, 1)) == 16326453736273975164
    assert day_seed("aapl", date(2012, 3, 1)) == day_seed("AAPL", date(2012, 3, 1))
    assert day_seed("AAPL", date(2012, 3, 2)) != day_seed("AAPL", date(2012, 3, 1))


def test_session_times_are_dst_correct():
    winter, summer = date(2012, 1, 5), date(2012, 7, 5)
    assert session_open_utc(winter) == datetime(2012, 1, 5, 14, 30, tzinfo=timezone.utc)
    assert session_open_utc(summer) == datetime(2012, 7, 5, 13, 30, tzinfo=timezone.utc)
    jan = IntradayGenerator(HISTORY).day("IBM", winter)
    jul = IntradayGenerator(HISTORY).day("IBM", summer)
    assert jan.minute_start(389) == datetime(2012, 1, 5, 20, 59, tzinfo=timezone.utc)
    assert jul.minute_start(389) == datetime(2012, 7, 5, 19, 59, tzinfo=timezone.utc)
    # the first trading day after the 2012 spring-forward
    assert session_open_utc(date(2012, 3, 12)).hour == 13
    assert session_open_utc(date(2012, 3, 9)).hour == 14


def test_fallback_dst_rules_match_the_tz_database(monkeypatch):
    expected = [session_open_utc(d) for d in HISTORY.calendar()]
    monkeypatch.setattr(intraday, "_new_york", lambda: None)  # as without a tz database
    assert [session_open_utc(d) for d in HISTORY.calendar()] == expected
    assert _new_york_utc_offset(date(2005, 4, 3)) == timedelta(hours=-4)  # pre-2007 rules
    assert _new_york_utc_offset(date(2005, 4, 1)) == timedelta(hours=-5)


@pytest.mark.parametrize(
    "ohlc",
    [
        (100_0000, 100_0000, 100_0000, 100_0000),  # flat day
        (100_0000, 101_0000, 99_0000, 100_5000),
        (101_0000, 101_0000, 99_0000, 100_0000),  # opens at the high
        (101_0000, 101_0000, 99_0000, 99_0000),  # opens at the high, closes at the low
        (99_0000, 101_0000, 99_0000, 101_0000),  # opens at the low, closes at the high
        (100_0000, 100_0300, 99_9900, 100_0100),  # a range of a few ticks
        (14_2675, 14_6900, 14_2675, 14_6000),  # four-decimal anchor
    ],
)
@pytest.mark.parametrize("volume", [0, 1, 389, 591_052_200])
def test_edge_case_days(ohlc, volume):
    o, h, l, c = ohlc
    day = generate_day("TEST", date(2010, 6, 1), o, h, l, c, volume)
    agg = aggregate_arrays(day.ohlcv, SESSION_MINUTES)
    assert agg[1:, 0].tolist() == [o, h, l, c, volume]
    op, hi, lo, cl, _ = day.ohlcv
    assert np.all(lo <= np.minimum(op, cl)) and np.all(hi >= np.maximum(op, cl))


def test_invalid_daily_bar_is_refused():
    with pytest.raises(ValueError):
        generate_day("TEST", date(2010, 6, 1), 100, 90, 80, 85, 10)
    with pytest.raises(ValueError):
        generate_day("TEST", date(2010, 6, 1), 100, 110, 80, 85, -1)


def test_units_to_decimal():
    assert units_to_decimal(1303100) == Decimal("130.31") and str(units_to_decimal(1303100)) == "130.31"
    assert str(units_to_decimal(1300000)) == "130.00"
    assert str(units_to_decimal(142675)) == "14.2675"
    assert str(units_to_decimal(161080)) == "16.108"


def test_generator_cache_and_lookups():
    gen = IntradayGenerator(HISTORY, maxsize=2)
    a = gen.day("aapl", date(2012, 3, 1))
    assert gen.day("AAPL", date(2012, 3, 1)) is a
    gen.day("AAPL", date(2012, 3, 2))
    gen.day("AAPL", date(2012, 3, 5))  # evicts 03-01
    assert gen.day("AAPL", date(2012, 3, 1)) is not a
    assert gen.day("FB", date(2012, 3, 1)) is None
    with pytest.raises(NotFoundError, match="XYZ"):
        gen.day("XYZ", date(2012, 3, 1))


def test_generating_a_day_is_fast():
    s = HISTORY.series("GOOG")
    rows = [(s.dates[i], *s.units[i].tolist(), int(s.volume[i])) for i in range(200)]
    t0 = time.perf_counter()
    for d, o, h, l, c, v in rows:
        generate_day("GOOG", d, o, h, l, c, v)
    per_day = (time.perf_counter() - t0) / len(rows)
    assert per_day < 0.005


# -- aggregation ----------------------------------------------------------------------


def _toy() -> np.ndarray:
    """Minute i: open 1000+i, high 1005+i (spike at 100), low 995+i, close 1001+i, volume i+1."""
    i = np.arange(SESSION_MINUTES, dtype=np.int64)
    ohlcv = np.stack([1000 + i, 1005 + i, 995 + i, 1001 + i, i + 1])
    ohlcv[1, 100] = 9999
    return ohlcv


def test_bucket_layout():
    assert len(bucket_starts(5)) == 78 and len(bucket_starts(15)) == 26
    assert bucket_starts(60).tolist() == [0, 60, 120, 180, 240, 300, 360]
    assert bucket_starts(5, played=7).tolist() == [0, 5]
    assert bucket_starts(5, played=0).tolist() == []


def test_aggregate_arrays_including_short_last_hour():
    ohlcv = _toy()
    agg = aggregate_arrays(ohlcv, 60)
    assert agg.shape == (6, 7)
    start, o, h, l, c, v = agg[:, -1]
    assert start == 360 and o == 1360 and c == 1001 + 389
    assert h == 1005 + 389 and l == 995 + 360
    assert v == sum(range(361, 391))  # 15:30-16:00: 30 minutes only
    assert agg[2, 1] == 9999  # the spike sits in 10:30-11:30
    assert int(agg[5].sum()) == int(ohlcv[4].sum())
    five = aggregate_arrays(ohlcv, 5)
    assert five[:, 1].tolist() == [5, 1005, 1014, 1000, 1010, sum(range(6, 11))]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([1, 5, 15, 60, 390]), st.integers(0, SESSION_MINUTES))
def test_aggregate_matches_a_naive_reduction(minutes, played):
    ohlcv = _toy()
    agg = aggregate_arrays(ohlcv, minutes, played)
    expected = []
    for lo in range(0, played, minutes):
        hi = min(lo + minutes, played)
        expected.append([lo, *partial_arrays(ohlcv, lo, hi)])
    assert agg.T.tolist() == expected


def test_partial_arrays():
    ohlcv = _toy()
    assert partial_arrays(ohlcv, 98, 102) == (1098, 9999, 1093, 1102, 99 + 100 + 101 + 102)
    assert partial_arrays(ohlcv, 5, 5) is None


def test_domain_aggregation_and_forming_bars():
    day = IntradayGenerator(HISTORY).day("MSFT", date(2012, 7, 5))
    hours = aggregate_bars(day, Interval.H1)
    assert [b.start.astimezone(timezone(timedelta(hours=-4))).strftime("%H:%M") for b in hours] == [
        "09:30", "10:30", "11:30", "12:30", "13:30", "14:30", "15:30",
    ]  # fmt: skip
    assert hours[-1].volume == int(day.volume[360:].sum())
    assert all(b.synthetic and b.interval is Interval.H1 for b in hours)
    assert aggregate_bars(day, Interval.M1, played=3) == day.bars(0, 3)
    assert aggregate_bars(day, Interval.M5, played=0) == []
    # forming 5m bar after 7 minutes holds minutes 5 and 6
    bar = forming_bar(day, Interval.M5, 7)
    assert bar.start == day.minute_start(5)
    assert bar.open == units_to_decimal(day.open[5]) and bar.close == units_to_decimal(day.close[6])
    assert bar.volume == int(day.volume[5:7].sum())
    assert bar == aggregate_bars(day, Interval.M5, played=7)[-1]
    daily = forming_bar(day, Interval.D1, 200)
    assert daily.start == datetime(2012, 7, 5, tzinfo=timezone.utc) and daily.interval is Interval.D1
    assert daily.volume == int(day.volume[:200].sum())
    assert forming_bar(day, Interval.M15, 0) is None
    with pytest.raises(InvalidRequestError):
        aggregate_bars(day, "2m")  # type: ignore[arg-type]
