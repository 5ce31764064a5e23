"""Instrument.price_decimals: a price's display decimals come from the tick size."""

from decimal import Decimal

import pytest

from desktop.domain import AssetClass, Instrument


@pytest.mark.parametrize("tick,expected", [("0.01", 2), ("0.00001", 5), ("0.001", 3), ("0.25", 2),
                                           ("1", 0), ("0.0001", 4), ("0.010", 2)])
def test_price_decimals_follow_tick_size(tick, expected):
    inst = Instrument(symbol="X", asset_class=AssetClass.FOREX, currency="USD", tick_size=Decimal(tick))
    assert inst.price_decimals == expected
