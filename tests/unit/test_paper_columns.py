"""The paper history's compact columns (issue 15, idle memory): trading dates as
ordinals (:class:`DateColumn`), adjustment factors computed from the Adj Close kept as
integers (:class:`FactorColumn`), and the row-by-row :class:`SeriesBuilder`."""

from __future__ import annotations

import bisect
import gzip
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from desktop.brokers.paper.daily_series import SeriesBuilder
from desktop.brokers.paper.date_column import DateColumn
from desktop.brokers.paper.factor_column import FACTOR_CONTEXT, FactorColumn, adj_parts
from desktop.brokers.paper.fx_history import fix_columns
from desktop.brokers.paper.price_column import PriceColumn

DAYS = [date(2020, 1, 2) + timedelta(days=3 * i) for i in range(50)]


def _dates(days) -> DateColumn:
    return DateColumn(np.array([d.toordinal() for d in days], dtype=np.int32))


def test_date_column_indexes_and_searches_like_the_sorted_tuple():
    column, plain = _dates(DAYS), tuple(DAYS)
    assert column == plain and len(column) == len(plain) and list(column) == list(plain)
    assert column[0] == plain[0] and column[-1] == plain[-1] and column[3:6] == list(plain[3:6])
    for probe in (date(2019, 12, 31), DAYS[0], DAYS[7] + timedelta(days=1), DAYS[-1], date(2030, 1, 1)):
        assert column.bisect_left(probe) == bisect.bisect_left(plain, probe)
        assert column.bisect_right(probe) == bisect.bisect_right(plain, probe)
        assert (probe in column) == (probe in plain)
    with pytest.raises(IndexError):
        column[len(plain)]
    assert column != _dates(DAYS[1:]) and "2020-01-02" in repr(column)


def test_factors_are_adj_close_over_close_and_a_day_without_takes_the_next_then_the_previous():
    closes = [Decimal("10.00"), Decimal("12.50"), Decimal("13.00"), Decimal("14.00"), Decimal("15.00")]
    adj = [None, Decimal("6.25"), None, Decimal("13.3"), None]
    close = PriceColumn(np.array([int(c * 10_000) for c in closes], dtype=np.int64), np.full(5, -2, dtype=np.int8), 4)
    parts = [adj_parts(a) if a is not None else (0, 0) for a in adj]
    factors = FactorColumn.build(np.array([a is not None for a in adj]), np.array([p[0] for p in parts]),
                                 np.array([p[1] for p in parts]), close)
    half, ninety_five = Decimal("0.5"), FACTOR_CONTEXT.divide(Decimal("13.3"), Decimal("14.00"))
    assert factors == (half, half, ninety_five, ninety_five, ninety_five)
    assert list(FactorColumn.none(3)) == [Decimal(1)] * 3
    assert FactorColumn.build(np.zeros(2, dtype=bool), np.zeros(2), np.zeros(2), close) == (Decimal(1),) * 2


def test_an_adj_close_too_long_for_integers_is_kept_exactly():
    assert adj_parts(Decimal("4.186662803811")) == (4186662803811, -12)
    long = Decimal("1.2345678901234567890123")  # 23 digits: not an int64 coefficient
    assert adj_parts(long) is None
    builder = SeriesBuilder("XYZ")
    builder.add(date(2020, 1, 3), (Decimal("2"),) * 4, 10, long)
    builder.add(date(2020, 1, 2), (Decimal("1"),) * 4, 10, Decimal("0.5"))  # out of order: sorted
    series = builder.build()
    assert series.dates == (date(2020, 1, 2), date(2020, 1, 3))
    assert series.factor == (Decimal("0.5"), FACTOR_CONTEXT.divide(long, Decimal(2)))
    assert series.close == (Decimal("1"), Decimal("2")) and series.close_f.tolist() == [1.0, 2.0]


def test_an_absurd_ecb_rate_skips_that_pair_for_that_day_only(tmp_path, caplog):
    path = tmp_path / "fx.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("Date,USD,JPY,GBP,CHF,AUD\n2001-01-02,0.9423,107.3,0.6319,1.5225,1.6868\n"
                 "2001-01-03,0.9530,1e999999,0.6320,1.5235,1.7006\n")
    columns = fix_columns(path)
    assert len(columns["EURUSD"][0]) == 2 and len(columns["USDJPY"][0]) == 1  # JPY unusable on the 3rd
    assert list(columns["EURUSD"][1]) == [94230, 95300]
    assert any("USDJPY" in r.getMessage() for r in caplog.records)
