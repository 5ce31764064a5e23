"""Bars, quotes and positions: invariants and derived figures."""

from datetime import datetime, timezone
from decimal import Decimal as D

import pytest
from pydantic import ValidationError

from desktop.domain import Bar, Instrument, Interval, Position, Quote, field_errors

T0 = datetime(2012, 3, 1, 14, 30, tzinfo=timezone.utc)


def test_bar_rejects_inconsistent_ohlc_naming_field():
    with pytest.raises(ValidationError) as info:
        Bar(symbol="AAPL", interval=Interval.M1, start=T0, open=D(10), high=D(9), low=D(8), close=D(9))
    assert field_errors(info.value) == {"high": "high must be >= open, close and low"}
    with pytest.raises(ValidationError) as info:
        Bar(symbol="AAPL", interval=Interval.M1, start=T0, open=D(10), high=D(12), low=D(11), close=D(11))
    assert field_errors(info.value) == {"low": "low must be <= open and close"}


def test_bar_start_must_be_aware_and_is_normalised_to_utc():
    with pytest.raises(ValidationError) as info:
        Bar(symbol="A", interval=Interval.D1, start=datetime(2012, 3, 1), open=D(1), high=D(1), low=D(1), close=D(1))
    assert "start" in field_errors(info.value)
    from zoneinfo import ZoneInfo

    ny = datetime(2012, 3, 1, 9, 30, tzinfo=ZoneInfo("America/New_York"))
    bar = Bar(symbol="A", interval=Interval.M5, start=ny, open=D(1), high=D(1), low=D(1), close=D(1))
    assert bar.start == T0 and bar.start.tzinfo == timezone.utc
    assert bar.end == datetime(2012, 3, 1, 14, 35, tzinfo=timezone.utc)


def test_interval_durations():
    assert [i.minutes for i in Interval] == [1, 5, 15, 60, 1440]
    assert Interval("15m") is Interval.M15 and not Interval.D1.is_intraday


def test_quote_change():
    q = Quote(symbol="AAPL", last=D("105"), prev_close=D("100"))
    assert q.change == D(5) and q.change_pct == D(5)
    assert Quote(symbol="AAPL").change is None


def test_position_marked_uses_multiplier():
    from datetime import date

    from desktop.domain import OptionContract

    opt = Instrument(symbol="AAPL  250221C00200000", asset_class="OPTION", multiplier=D(100),
                     option=OptionContract(underlying="AAPL", expiry=date(2025, 2, 21), right="CALL", strike=D(200)))
    pos = Position(broker="paper", account_id="A", instrument=opt, quantity=D(2), average_price=D("3.10"))
    marked = pos.marked(D("4.00"))
    assert marked.market_value == D("800.00")
    assert marked.unrealized_pnl == D("180.00")
    short = Position(broker="paper", account_id="A", instrument=Instrument.equity("X"), quantity=D(-10), average_price=D(50)).marked(D(45))
    assert short.unrealized_pnl == D(50) and short.market_value == D(-450)
