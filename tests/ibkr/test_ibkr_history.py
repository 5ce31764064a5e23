"""History requests for every interval the app offers: a documented CPAPI ``bar``
(NOTES.md section 6: 1min 2min 3min 5min 10min 15min 30min 1h 2h 3h 4h 8h 1d 1w 1m),
a ``period`` within the documented ranges, ``startTime`` (``YYYYMMDD-hh:mm:ss`` UTC)
when bars before a past ``end`` are asked for; and, against the gateway emulator
(which accepts every documented bar size and ``startTime``), bars of each interval."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from desktop.brokers.ibkr import IbkrBroker
from desktop.brokers.ibkr.marketdata import BAR_SIZES, DOCUMENTED_BARS, bar_size, history_params
from desktop.brokers.transport import Pacer
from desktop.domain import Interval

fakes = pytest.importorskip("tests.fakes.ibkr")

PERIOD = re.compile(r"^(\d+)(min|h|d|w|m|y)$")
RANGES = {"min": 30, "h": 8, "d": 1000, "w": 792, "m": 182, "y": 15}
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)


def test_every_interval_of_the_app_has_a_documented_bar():
    assert set(BAR_SIZES) == set(Interval)  # the chart offers nothing IBKR cannot serve
    assert all(bar_size(i) in DOCUMENTED_BARS for i in Interval)
    assert [BAR_SIZES[i] for i in (Interval.M1, Interval.M5, Interval.M15, Interval.H1, Interval.D1)] == [
        "1min", "5min", "15min", "1h", "1d"]
    assert IbkrBroker().capabilities.intervals == tuple(BAR_SIZES)


@pytest.mark.parametrize("interval", list(Interval))
@pytest.mark.parametrize("limit", [1, 2, 300, 1000, 5000])
def test_periods_are_documented_and_cover_the_bars_asked_for(interval, limit):
    params = history_params(265598, interval, limit=limit, now=NOW)
    count, unit = PERIOD.match(params["period"]).groups()
    assert 1 <= int(count) <= RANGES[unit]
    assert params["bar"] == BAR_SIZES[interval] and params["outsideRth"] == "false" and "startTime" not in params
    days = int(count) * {"d": 1, "y": 365}[unit]
    bars_per_day = 1 if interval is Interval.D1 else 390 // interval.minutes
    trading_days = days * 5 / 7 if interval is Interval.D1 else days - 1
    assert trading_days * bars_per_day >= min(limit, 15 * 365 * 5 / 7 * bars_per_day)


def test_bars_before_a_past_end_ask_from_start_time():
    end = datetime(2026, 3, 6, 20, 0, tzinfo=timezone.utc)
    start = end - timedelta(days=3)
    params = history_params(265598, Interval.M5, start=start, end=end, now=NOW)
    assert params["startTime"] == "20260306-20:00:00" and params["period"] == "4d"  # ends at startTime (-1)
    naive = history_params(265598, Interval.D1, end=end.replace(tzinfo=None), limit=10, now=NOW)
    assert naive["startTime"] == "20260306-20:00:00"
    assert "startTime" not in history_params(265598, Interval.H1, end=NOW + timedelta(hours=1), now=NOW)


@pytest.mark.parametrize("interval", list(Interval))
def test_emulator_serves_every_interval(tmp_path, arun, interval):
    async def main():
        async with fakes.running_gateway(tmp_path) as gw:
            gw.state.pacing = False
            broker = IbkrBroker(gw.base_url, pinned_sha256=gw.fingerprint, session_poll=0.05,
                                pacer=Pacer(global_rate=1000))
            await broker.connect()
            try:
                bars = await broker.fetch_bars("AAPL", interval, limit=20)
                before = await broker.fetch_bars("AAPL", interval, end=bars[-5].start, limit=3)
                asked = [r for r in gw.requests if r.path == "/iserver/marketdata/history"]
                return bars, before, asked
            finally:
                await broker.close()

    bars, before, asked = arun(main(), timeout=60)
    assert len(bars) == 20 and all(b.interval is interval for b in bars)
    steps = {b.start - a.start for a, b in zip(bars, bars[1:])}
    assert min(steps) >= interval.duration  # one bar per interval (sessions and weekends leave gaps)
    assert [b.start for b in before] == [b.start for b in bars[-8:-5]]  # the 3 bars before end
    assert asked[-1].query.get("startTime") == bars[-5].start.strftime("%Y%m%d-%H:%M:%S")
