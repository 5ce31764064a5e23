"""Columnar history (desktop.brokers.bar_columns, Broker.fetch_bars_array): the paper
market's native columns hold exactly what its Bars hold, for every window shape; the
base class's default converts fetch_bars; to_bars gives the Bars back."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import pytest

from desktop.brokers.bar_columns import BarColumns
from desktop.brokers.base import Broker
from desktop.brokers.paper.history import History
from desktop.brokers.paper.market import MarketSimulator
from desktop.brokers.paper.replay import ReplayClock
from desktop.domain import Bar, Interval
from desktop.paths import resources_dir

HISTORY = History.open(resources_dir() / "stocks.csv.gz")
UTC = timezone.utc


def sim_at(day: date, minute: int) -> MarketSimulator:
    clock = ReplayClock(HISTORY.calendar(), start=day)
    clock.seek(day, minute)
    return MarketSimulator(HISTORY, clock)


def same(columns: BarColumns, bars: list[Bar]) -> None:
    assert len(columns) == len(bars)
    assert columns.time.tolist() == [int(b.start.timestamp()) for b in bars]
    for f in ("open", "high", "low", "close", "volume"):
        assert getattr(columns, f).tolist() == [float(getattr(b, f)) for b in bars], f


@pytest.mark.parametrize("interval", [Interval.M1, Interval.M5, Interval.M15, Interval.H1, Interval.D1])
@pytest.mark.parametrize("window", [{}, {"limit": 777}, {"limit": 1}, {"limit": 0}, {"start": "days_ago"},
                                    {"start": "days_ago", "end": "hour_ago"}])
def test_paper_columns_hold_what_its_bars_hold(interval, window):
    sim = sim_at(date(2012, 6, 14), 200)  # mid-session: the last bar is forming
    now = sim.clock.now
    kw = dict(window)
    if kw.get("start") == "days_ago":
        kw["start"] = now - timedelta(days=3)
    if kw.get("end") == "hour_ago":
        kw["end"] = now - timedelta(hours=1)
    bars = sim.fetch_bars("AAPL", interval, **kw)
    columns = sim.fetch_bars_array("AAPL", interval, **kw)
    same(columns, bars)
    assert columns.symbol == "AAPL" and columns.interval is interval
    if kw.get("limit") != 0:
        assert len(columns) > 0


def test_columns_are_read_only_and_give_the_bars_back():
    sim = sim_at(date(2012, 6, 14), 200)
    bars = sim.fetch_bars("IBM", Interval.M5, limit=300)
    columns = sim.fetch_bars_array("IBM", Interval.M5, limit=300)
    with pytest.raises(ValueError):
        columns.close[0] = 1.0
    again = columns.to_bars()
    assert [(b.start, b.open, b.high, b.low, b.close, b.volume, b.synthetic) for b in again] == \
        [(b.start, b.open, b.high, b.low, b.close, b.volume, b.synthetic) for b in bars]


def test_unequal_columns_are_refused():
    with pytest.raises(ValueError, match="one length"):
        BarColumns("X", Interval.M1, np.arange(3), np.ones(3), np.ones(3), np.ones(2), np.ones(3), np.ones(3))


def test_the_base_default_converts_fetch_bars():
    bar = Bar(symbol="X", interval=Interval.M1, start=datetime(2026, 5, 8, 13, 30, tzinfo=UTC), open=Decimal("1.5"),
              high=Decimal("2.25"), low=Decimal("1"), close=Decimal("2"), volume=Decimal(700))

    class OnlyBars:
        fetch_bars_array = Broker.fetch_bars_array

        async def fetch_bars(self, symbol, interval, start=None, end=None, limit=None):
            assert (symbol, interval, limit) == ("X", Interval.M1, 5)
            return [bar]

    columns = asyncio.run(OnlyBars().fetch_bars_array("X", Interval.M1, limit=5))
    same(columns, [bar])
    assert columns.to_bars()[0].high == Decimal("2.25")
