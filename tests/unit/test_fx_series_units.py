"""The ECB pairs' series built on integers (:func:`pair_series`) equal the series
built the Decimal way (each day's bar from consecutive fixes, scaled for the engine):
same units, floats, volumes and the same Decimal text of every price."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from desktop.brokers.paper.fx_history import PAIRS, daily_rows, decimals, load_fixes
from desktop.brokers.paper.fx_market import _volume, pair_series, scale_of
from desktop.brokers.paper.daily_series import SeriesBuilder


@pytest.fixture(scope="module")
def fixes():
    return load_fixes()


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_integer_built_series_equals_the_decimal_one(fixes, pair):
    k = scale_of(pair)
    builder = SeriesBuilder(pair, adjusted=False)
    for day, ohlc in daily_rows(fixes[pair]):
        builder.add(day, tuple(p.scaleb(k) for p in ohlc), _volume(pair, day))
    decimal_way = builder.build()
    new = pair_series(pair, [f.day.toordinal() for f in fixes[pair]],
                      [int(f.price.scaleb(decimals(pair))) for f in fixes[pair]])
    assert len(new) == len(decimal_way) > 5000
    assert new.dates == decimal_way.dates
    assert np.array_equal(new.units, decimal_way.units) and np.array_equal(new.volume, decimal_way.volume)
    assert np.array_equal(new.close_f, decimal_way.close_f)
    for i in (0, 1, len(new) // 2, len(new) - 1):
        for column in ("open", "high", "low", "close"):
            assert str(getattr(new, column)[i]) == str(getattr(decimal_way, column)[i])
    assert new.factor_on(new.dates[-1]) == Decimal(1)
    assert new.index_of(new.dates[3]) == 3 and new.index_of(new.dates[3].replace(year=1990)) is None
