"""Display clocks per connection: a paper connection shows New York time and its
replayed "today"; another broker its exchange's zone on the real clock; rows of no
connection the default clock. Qt-free."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from desktop.ui.display_clock import DISPLAY_CLOCK, DisplayClock, fmt_timestamp_for
from desktop.ui.tables.formatting import fmt_time


def fmt_time_for(value, connection_id="", today=None):
    return fmt_time(value, today, connection_id)

NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
REPLAYED = datetime(2008, 3, 17, 14, 30, tzinfo=timezone.utc)  # 10:30 in New York (EDT)


@pytest.fixture
def clock():
    DISPLAY_CLOCK.reset()
    yield DISPLAY_CLOCK
    DISPLAY_CLOCK.reset()


def test_each_connection_formats_in_its_own_clock(clock):
    clock.configure_connection("paper", NEW_YORK, lambda: REPLAYED)
    clock.configure_connection("ibkr", TOKYO)
    placed = REPLAYED - timedelta(minutes=5)  # 14:25 UTC
    assert fmt_time_for(placed, "paper") == "10:25:00"  # the replayed day: time only
    assert fmt_time_for(placed, "ibkr") == "2008-03-17 23:25:00"  # Tokyo, and not today on the real clock
    assert clock.today("paper") == date(2008, 3, 17)
    assert clock.today("ibkr") == datetime.now(TOKYO).date()
    assert fmt_timestamp_for(placed, "paper") == "2008-03-17 10:25:00"
    assert fmt_timestamp_for(placed, "ibkr") == "2008-03-17 23:25:00"

    now = datetime.now(timezone.utc)
    assert fmt_time_for(now, "ibkr") == now.astimezone(TOKYO).strftime("%H:%M:%S")
    assert fmt_time_for(now, "paper") == now.astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M:%S")  # not the replayed day


def test_unknown_connections_and_rows_of_none_use_the_default_clock(clock):
    clock.configure_connection("paper", NEW_YORK, lambda: REPLAYED)
    placed = REPLAYED.replace(tzinfo=None)  # naive: UTC by the domain rule
    local = REPLAYED.astimezone()
    assert clock.localize(placed) == local and clock.localize(placed, "other") == local
    assert clock.localize(placed, "paper").tzinfo == NEW_YORK
    clock.configure(timezone.utc, lambda: REPLAYED)  # the default clock (e.g. tests, embedding)
    assert fmt_time_for(placed) == "14:30:00" and fmt_time_for(placed, "consolidated-row") == "14:30:00"
    assert fmt_time_for(placed, "paper") == "10:30:00"
    assert fmt_time_for(placed, "", today=date(2008, 3, 18)) == "Mar 17 14:30:00"  # another day of the year
    assert fmt_time_for(None, "paper") == "" and fmt_timestamp_for(None) == ""


def test_forget_and_reset(clock):
    clock.configure_connection("paper", NEW_YORK, lambda: REPLAYED)
    clock.configure_connection("b", TOKYO)
    clock.forget("paper")
    assert clock.today("paper") == datetime.now().astimezone().date()
    assert clock.localize(REPLAYED, "b").tzinfo == TOKYO
    clock.configure(timezone.utc, lambda: REPLAYED)
    clock.reset()
    assert clock.localize(REPLAYED, "b").utcoffset() == REPLAYED.astimezone().utcoffset()
    assert clock.today() == datetime.now().astimezone().date()


def test_clocks_are_independent_objects():
    one, two = DisplayClock(), DisplayClock()
    one.configure_connection("x", TOKYO)
    assert two.localize(REPLAYED, "x").tzinfo != TOKYO
