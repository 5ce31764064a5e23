"""Qt-free parts of the chart: bar storage, LOD aggregation, time ticks, formatting."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import numpy as np
import pytest

from desktop.domain.enums import Interval
from desktop.domain.market import Bar
from desktop.ui.chart.fmt import change_pct, format_price, format_volume, readout_parts, readout_text
from desktop.ui.chart.lod import LOD_THRESHOLD, aggregate, align, lod_factor
from desktop.ui.chart.series import BarRow, BarSeries
from desktop.ui.chart.timeticks import choose_ticks, tick_label

T0 = 1_741_012_200  # 2025-03-03 14:30 UTC, a Monday


def make_bar(i: int, close: float, symbol: str = "AAPL", interval: Interval = Interval.M1) -> Bar:
    c = Decimal(str(close))
    return Bar(
        symbol=symbol,
        interval=interval,
        start=datetime.fromtimestamp(T0, timezone.utc) + i * interval.duration,
        open=c - 1,
        high=c + 2,
        low=c - 3,
        close=c,
        volume=Decimal(100 + i),
    )


def walk(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 1, n))
    open_ = close + rng.normal(0, 0.5, n)
    high = np.maximum(open_, close) + rng.random(n)
    low = np.minimum(open_, close) - rng.random(n)
    vol = rng.integers(1, 1000, n).astype(float)
    return T0 + 60 * np.arange(n, dtype=np.int64), open_, high, low, close, vol


# -- BarSeries -------------------------------------------------------------------
def test_series_from_domain_bars_sorted_and_typed():
    s = BarSeries()
    s.set_bars([make_bar(2, 12), make_bar(0, 10), make_bar(1, 11)])
    assert len(s) == 3
    assert s.time.dtype == np.int64 and s.close.dtype == np.float64
    assert list(s.close) == [10.0, 11.0, 12.0]
    assert list(s.time) == [T0, T0 + 60, T0 + 120]
    assert s.last() == BarRow(2, T0 + 120, 11.0, 14.0, 9.0, 12.0, 102.0)
    assert s.last().start == datetime.fromtimestamp(T0 + 120, timezone.utc)


def test_series_set_arrays_dedupes_last_wins():
    s = BarSeries()
    s.set_arrays([3, 1, 2, 1], [30, 10, 20, 11], [30, 10, 20, 11], [30, 10, 20, 11], [30, 10, 20, 11])
    assert list(s.time) == [1, 2, 3]
    assert list(s.open) == [11, 20, 30]
    assert list(s.volume) == [0, 0, 0]
    with pytest.raises(ValueError):
        s.set_arrays([1, 2], [1], [1], [1], [1])


def test_series_apply_replaces_appends_and_ignores_older():
    s = BarSeries()
    s.set_bars([make_bar(0, 10), make_bar(1, 11)])
    gen, rev = s.generation, s.revision
    assert s.apply(make_bar(1, 15)) is True  # same start: replace
    assert len(s) == 2 and s.last().close == 15.0 and s.last().high == 17.0
    assert s.apply(make_bar(2, 16)) is True  # newer: append
    assert len(s) == 3 and s.last().close == 16.0
    assert s.apply(make_bar(0, 99)) is False  # older: ignored
    assert s.apply(make_bar(1, 99)) is False  # older than the last one
    assert list(s.close) == [10.0, 15.0, 16.0]
    assert s.generation == gen and s.revision == rev + 2


def test_series_append_grows_amortised_and_keeps_history():
    s = BarSeries()
    for i in range(5000):
        assert s.apply_values(T0 + 60 * i, i, i + 1, i - 1, i + 0.5, 1.0)
    assert len(s) == 5000
    assert np.array_equal(s.open, np.arange(5000, dtype=float))
    assert np.all(np.diff(s.time) == 60)
    assert s._time.shape[0] < 2 * 5000 + 256  # capacity doubles, not per append


def test_series_lookups_and_ranges():
    s = BarSeries()
    s.set_arrays(*walk(50))
    assert s.index_at(-0.6) is None and s.index_at(-0.4) == 0 and s.index_at(3.49) == 3
    assert s.index_at(49.4) == 49 and s.index_at(49.6) is None
    assert s.index_of_time(T0 + 60 * 10 + 5) == 10 and s.index_of_time(T0 - 1) == -1
    lo, hi = s.price_range(5, 15)
    assert lo == s.low[5:15].min() and hi == s.high[5:15].max()
    assert s.price_range(60, 70) is None
    assert s.volume_max(-5, 100) == s.volume.max()
    assert s.row(-1) == s.last()
    with pytest.raises(IndexError):
        s.row(50)
    s.clear()
    assert len(s) == 0 and s.last() is None


# -- LOD -------------------------------------------------------------------------
def loop_aggregate(o, h, l, c, v, start, stop, k):  # noqa: E741
    out = []
    for g in range(start, stop, k):
        e = min(g + k, stop)
        out.append((g, o[g], max(h[g:e]), min(l[g:e]), c[e - 1], sum(v[g:e])))
    return out


@pytest.mark.parametrize("k,start,stop", [(1, 0, 100), (2, 0, 101), (7, 14, 500), (50, 100, 1000), (300, 0, 997)])
def test_aggregate_matches_python_loop(k, start, stop):
    _, o, h, l, c, v = walk(1000, seed=k)  # noqa: E741
    g = aggregate(o, h, l, c, v, start, stop, k)
    expected = loop_aggregate(o, h, l, c, v, start, stop, k)
    assert len(g) == len(expected)
    for j, (s0, eo, eh, el, ec, ev) in enumerate(expected):
        assert g.start[j] == s0
        assert (g.open[j], g.high[j], g.low[j], g.close[j]) == (eo, eh, el, ec)
        assert g.volume[j] == pytest.approx(ev)


def test_aggregate_empty_and_align():
    _, o, h, l, c, v = walk(10)  # noqa: E741
    assert len(aggregate(o, h, l, c, v, 5, 5, 3)) == 0
    assert align(7, 23, 5, 100) == (5, 25)
    assert align(-3, 23, 5, 21) == (0, 21)
    assert align(0, 10, 1, 5) == (0, 5)


@pytest.mark.parametrize("visible", [10, 2999, 3000, 3001, 10_000, 99_999, 100_000, 1_000_000])
def test_lod_bounds_drawn_candles(visible):
    k = lod_factor(visible)
    if visible <= LOD_THRESHOLD:
        assert k == 1
    else:
        assert 600 <= visible / k <= 1500


# -- time ticks ------------------------------------------------------------------
def session_times(days: int, interval_s: int) -> np.ndarray:
    """US regular sessions (14:30-21:00 UTC), weekdays only."""
    out, d = [], 0
    while len(out) < days * (23400 // interval_s):
        day0 = T0 + d * 86400
        if datetime.fromtimestamp(day0, timezone.utc).weekday() < 5:
            out.extend(range(day0, day0 + 23400, interval_s))
        d += 1
    return np.array(out, dtype=np.int64)


def test_ticks_mark_day_changes_and_keep_apart():
    t = session_times(5, 300)  # 5 days of 5m bars, 78 per day
    ticks = choose_ticks(t, 0, 300, max_labels=16, min_gap=10, tz=timezone.utc)
    assert 4 <= len(ticks) <= 16
    idx = [i for i, _ in ticks]
    assert all(b - a >= 10 for a, b in zip(idx, idx[1:]))
    days = [i for i, kind in ticks if kind == "day"]
    assert days == [78, 156, 234, 312]  # first bar of each new session
    assert tick_label(int(t[78]), "day", timezone.utc) == "Mar 4"
    times = [i for i, kind in ticks if kind == "time"]
    assert times and all(t[i] % 1800 == 0 for i in times)  # round times
    assert tick_label(int(t[times[0]]), "time", timezone.utc) == datetime.fromtimestamp(
        int(t[times[0]]), timezone.utc
    ).strftime("%H:%M")


def test_ticks_daily_bars_label_months_and_years():
    t = T0 - T0 % 86400 + 86400 * np.arange(400, dtype=np.int64)
    ticks = choose_ticks(t, 100, 86400, max_labels=20, min_gap=5, tz=timezone.utc)
    kinds = {kind for _, kind in ticks}
    assert "year" in kinds and "time" not in kinds
    year_idx = next(i for i, kind in ticks if kind == "year")
    assert tick_label(int(t[year_idx - 100]), "year") == "2026"
    assert tick_label(int(t[year_idx - 100]), "month") == "Jan"


def test_ticks_tiny_input():
    assert choose_ticks(np.array([T0]), 0, 60, 10, 1) == []


# -- formatting ------------------------------------------------------------------
def test_number_formatting():
    assert format_price(1234.5) == "1,234.50"
    assert format_price(0.012345) == "0.0123"
    assert format_price(12.3456, 3) == "12.346"
    assert format_volume(950) == "950"
    assert format_volume(12_345) == "12.3K"
    assert format_volume(4_560_000) == "4.56M"
    assert format_volume(2.5e9) == "2.50B"


def test_readout_parts():
    row = BarRow(3, T0, 10.0, 12.0, 9.0, 11.0, 1500.0)
    assert change_pct(row, 10.0) == pytest.approx(10.0)
    assert change_pct(row, None) == pytest.approx(10.0)  # first bar: from its open
    text = readout_text(readout_parts(row, 10.0, True, timezone.utc))
    assert text == "Mon 2025-03-03 14:30  O 10.00  H 12.00  L 9.00  C 11.00  +10.00%  V 1.50K"
    daily = readout_text(readout_parts(row, 11.0, False, timezone.utc))
    assert daily.startswith("Mon 2025-03-03  O") and "+0.00%" in daily
