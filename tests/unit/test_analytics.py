"""Portfolio analytics: exact Decimal results on hand-computed examples."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.domain import Bar, Fill, Instrument, Interval, OrderSide, Position, momentum, position_weights, total_unrealized_pnl, vwap


def pos(symbol, qty, avg, last=None):
    p = Position(broker="paper", account_id="A", instrument=Instrument.equity(symbol), quantity=D(qty), average_price=D(avg))
    return p.marked(D(last)) if last is not None else p


def fill(qty, price, i=0):
    return Fill(broker="paper", account_id="A", fill_id=str(i), order_id="1", instrument=Instrument.equity("AAPL"), side=OrderSide.BUY, amount=D(qty), price=D(price))


def test_total_unrealized_pnl_skips_unmarked():
    positions = [pos("AAPL", 10, "100", "110"), pos("MSFT", -5, "30", "32"), pos("IBM", 3, "200")]
    assert total_unrealized_pnl(positions) == D(100) - D(10)
    assert total_unrealized_pnl([]) == 0


def test_position_weights_by_gross_value():
    weights = position_weights([pos("AAPL", 10, "100", "150"), pos("MSFT", -10, "50", "50"), pos("IBM", 1, "1")])
    assert weights == {"AAPL": D("0.75"), "MSFT": D("0.25")}
    assert position_weights([pos("IBM", 1, "1")]) == {}


def test_vwap_of_fills():
    assert vwap([fill(100, "10.00"), fill(300, "10.40", 1)]) == D("10.30")
    assert vwap([]) is None


@given(st.lists(st.tuples(st.integers(1, 10_000), st.decimals(min_value=D("0.01"), max_value=D("9999"), places=2)), min_size=1, max_size=20))
def test_vwap_lies_between_min_and_max_price(rows):
    fills = [fill(q, p, i) for i, (q, p) in enumerate(rows)]
    v = vwap(fills)
    assert min(p for _, p in rows) <= v <= max(p for _, p in rows)


def test_momentum():
    t0 = datetime(2012, 1, 3, tzinfo=timezone.utc)
    closes = ["100", "101", "99", "110"]
    bars = [Bar(symbol="A", interval=Interval.D1, start=t0 + timedelta(days=i), open=D(c), high=D(c), low=D(c), close=D(c)) for i, c in enumerate(closes)]
    assert momentum(bars, 3) == D("0.1")
    assert momentum(bars, 1) == D(110) / D(99) - 1
    assert momentum(bars, 4) is None
    with pytest.raises(ValueError, match="n must be at least 1"):
        momentum(bars, 0)
