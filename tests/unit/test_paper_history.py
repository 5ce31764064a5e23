"""Real daily history of the paper market (desktop.brokers.paper.history)."""

from __future__ import annotations

import gzip
import logging
from datetime import date, datetime, timezone
from decimal import Decimal

import numpy as np
import pytest

from desktop.brokers.errors import NotFoundError, UnavailableError
from desktop.brokers.paper.history import History, load_series
from desktop.domain import Interval
from desktop.paths import resources_dir

HEADER = "Ticker,Date,Open,High,Low,Close,Volume,Adj Close\n"


@pytest.fixture(scope="module")
def history() -> History:
    return History.open(resources_dir() / "stocks.csv.gz")


def _write(path, lines: list[str]):
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(HEADER + "".join(line + "\n" for line in lines))
    return path


def test_symbols_and_ranges(history):
    assert history.symbols == ("AAPL", "FB", "GOOG", "IBM", "MSFT")
    for sym, rows, first in [
        ("AAPL", 3270, date(2000, 3, 1)),
        ("MSFT", 3270, date(2000, 3, 1)),
        ("IBM", 3270, date(2000, 3, 1)),
        ("GOOG", 2148, date(2004, 8, 19)),
        ("FB", 196, date(2012, 5, 18)),
    ]:
        dates = history.trading_dates(sym)
        assert len(dates) == rows
        assert dates[0] == first
        assert dates[-1] == date(2013, 3, 1)
        assert list(dates) == sorted(set(dates))


def test_daily_bar_is_exactly_the_file_row(history):
    bar = history.daily_bar("AAPL", date(2000, 3, 1))
    # AAPL,2000-03-01,118.56,132.06,118.5,130.31,9616100 (first row of the file)
    assert (bar.open, bar.high, bar.low, bar.close) == (
        Decimal("118.56"),
        Decimal("132.06"),
        Decimal("118.5"),
        Decimal("130.31"),
    )
    assert bar.volume == 9616100
    assert bar.interval is Interval.D1
    assert bar.start == datetime(2000, 3, 1, tzinfo=timezone.utc)
    assert bar.synthetic is False
    # four-decimal prices are kept exactly
    assert history.daily_bar("AAPL", date(2003, 4, 2)).low == Decimal("14.2675")
    assert str(history.series("AAPL").low[history.index_of("AAPL", date(2003, 4, 2))]) == "14.2675"


def test_numeric_arrays_match_decimals(history):
    s = history.series("GOOG")
    assert s.close_f.dtype == np.float64 and s.volume.dtype == np.int64 and s.units.dtype == np.int64
    for i in (0, 100, len(s) - 1):
        assert s.close_f[i] == float(s.close[i])
        assert list(s.units[i]) == [int(p * 10_000) for p in (s.open[i], s.high[i], s.low[i], s.close[i])]
    o, h, l, c = s.units.T
    assert np.all(l <= np.minimum(o, c)) and np.all(h >= np.maximum(o, c))


def test_lookups(history):
    assert history.index_of("aapl", date(2000, 3, 2)) == 1  # case-insensitive
    assert history.index_of("AAPL", date(2000, 3, 4)) is None  # a Saturday
    assert history.daily_bar("FB", date(2012, 5, 17)) is None  # before the IPO
    assert history.prev_close("AAPL", date(2000, 3, 2)) == Decimal("130.31")
    assert history.prev_close("AAPL", date(2000, 3, 4)) == history.daily_bar("AAPL", date(2000, 3, 3)).close
    assert history.prev_close("AAPL", date(2000, 3, 1)) is None
    assert "msft" in history and "XYZ" not in history


def test_daily_bars_range_is_start_inclusive_end_exclusive(history):
    bars = history.daily_bars("IBM", date(2012, 3, 1), date(2012, 3, 8))
    assert [b.start.date() for b in bars] == [date(2012, 3, d) for d in (1, 2, 5, 6, 7)]
    assert all(b.symbol == "IBM" and b.interval is Interval.D1 for b in bars)
    assert len(history.daily_bars("FB")) == 196
    assert history.daily_bars("FB", end=date(2012, 5, 18)) == []
    assert len(history.daily_bars("GOOG", start=date(2013, 2, 28))) == 2


def test_calendar_is_the_union(history):
    cal = history.calendar()
    assert len(cal) == 3270 and cal == tuple(sorted(cal))
    assert set(history.trading_dates("GOOG")) <= set(cal)
    assert history.calendar(["FB"]) == history.trading_dates("FB")


def test_unknown_symbol_names_it_and_the_known_ones(history):
    with pytest.raises(NotFoundError) as err:
        history.series("XYZ")
    assert "XYZ" in err.value.message
    assert "AAPL" in err.value.message and "MSFT" in err.value.message
    for call in (history.trading_dates, history.daily_bars):
        with pytest.raises(NotFoundError, match="TSLA"):
            call("TSLA")


def test_open_shares_one_lazy_instance_per_path(tmp_path):
    missing = tmp_path / "nope.csv.gz"
    h = History.open(missing)  # nothing read yet
    assert History.open(str(missing)) is h
    assert History.open(tmp_path / "other.csv.gz") is not h
    with pytest.raises(UnavailableError, match="nope.csv.gz"):
        h.symbols


def test_malformed_rows_are_logged_and_skipped(tmp_path, caplog):
    path = _write(
        tmp_path / "bad.csv.gz",
        [
            "AAA,2010-01-04,10.00,11.00,9.50,10.50,1000,1",
            "AAA,2010-01-05,10.50,11.00,9.90,10.10,2000,1",
            "AAA,2010-01-06,abc,11.00,9.90,10.10,2000,1",  # not a number
            "AAA,2010-13-07,10.50,11.00,9.90,10.10,2000,1",  # bad date
            "AAA,2010-01-08,10.50,10.00,9.90,10.10,2000,1",  # high below open
            "AAA,2010-01-11,10.50,11.00,9.90,10.10,-5,1",  # negative volume
            "AAA,2010-01-12,10.12345,11.00,9.90,10.10,5,1",  # too many decimals
            "AAA,2010-01-14,1e30,1e30,1e30,1e30,5,1",  # too large for the integer price columns
            "AAA,2010-01-13,10.50,11.00",  # short row
            "AAA,2010-01-05,1,1,1,1,1,1",  # duplicate date
            "BBB,2010-01-05,1.5,2,1,1.75,7,1",
            "AAA,2010-01-01,9.00,9.50,8.75,9.25,500,1",  # out of order: sorted
        ],
    )
    with caplog.at_level(logging.WARNING, logger="desktop.brokers.paper.history"):
        data = load_series(path)
    assert list(data) == ["AAA", "BBB"]
    assert data["AAA"].dates == (date(2010, 1, 1), date(2010, 1, 4), date(2010, 1, 5))
    assert data["AAA"].close == (Decimal("9.25"), Decimal("10.50"), Decimal("10.10"))
    assert data["BBB"].volume.tolist() == [7]
    assert len([r for r in caplog.records if "skipped" in r.getMessage()]) == 8
    assert any("too large" in r.getMessage() for r in caplog.records)


def test_unreadable_file_is_unavailable(tmp_path):
    path = tmp_path / "broken.csv.gz"
    path.write_bytes(b"this is not gzip")
    with pytest.raises(UnavailableError):
        History(path).symbols
