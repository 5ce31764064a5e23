"""The paper market's replay clock (desktop.brokers.paper.replay)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.brokers.paper.history import History
from desktop.brokers.paper.replay import SPEEDS, ReplayClock
from desktop.paths import resources_dir

CALENDAR = History.open(resources_dir() / "stocks.csv.gz").calendar()
SMALL = (date(2012, 3, 1), date(2012, 3, 2), date(2012, 3, 5))


def test_default_start():
    clock = ReplayClock(CALENDAR)
    assert clock.current_date == date(2012, 3, 1)
    assert clock.minute == 0 and clock.speed == 1 and not clock.paused
    assert clock.now == datetime(2012, 3, 1, 14, 30, tzinfo=timezone.utc)  # 09:30 EST
    assert not clock.session_closed and not clock.finished
    assert CALENDAR.index(clock.current_date) == clock.day_index
    # about a year of history before it and a year of replay after it
    assert 240 < clock.day_index - CALENDAR.index(date(2011, 3, 1)) < 260
    assert 240 < len(CALENDAR) - clock.day_index < 260


def test_step_and_rollover():
    clock = ReplayClock(SMALL, start=date(2012, 3, 1))
    assert clock.step() and clock.minute == 1
    assert clock.now == datetime(2012, 3, 1, 14, 31, tzinfo=timezone.utc)
    for _ in range(389):
        clock.step()
    assert clock.minute == 390 and clock.session_closed
    assert clock.now == datetime(2012, 3, 1, 21, 0, tzinfo=timezone.utc)  # 16:00 EST
    assert clock.step()
    assert (clock.current_date, clock.minute, clock.session_closed) == (date(2012, 3, 2), 0, False)
    assert clock.now == datetime(2012, 3, 2, 14, 30, tzinfo=timezone.utc)
    clock.seek(date(2012, 3, 2), 390)
    clock.step()  # over the weekend
    assert clock.current_date == date(2012, 3, 5)


def test_dst_in_now():
    clock = ReplayClock(CALENDAR, start=date(2012, 3, 9))
    assert clock.now.hour == 14  # EST
    clock.seek(date(2012, 3, 10))  # Saturday -> Monday, after spring-forward
    assert clock.current_date == date(2012, 3, 12) and clock.now.hour == 13


def test_start_on_a_non_trading_day_uses_the_next_one():
    assert ReplayClock(CALENDAR, start=date(2012, 3, 3)).current_date == date(2012, 3, 5)
    assert ReplayClock(CALENDAR, start=date(1990, 1, 1)).current_date == CALENDAR[0]


def test_finishes_at_the_end_of_data():
    clock = ReplayClock(SMALL, start=date(2012, 3, 5), speed=60)
    clock.seek(date(2012, 3, 5), 389)
    assert not clock.finished
    assert clock.step()
    assert clock.finished and clock.session_closed and clock.paused
    assert clock.step() is False
    assert (clock.current_date, clock.minute) == (date(2012, 3, 5), 390)
    assert clock.advance(100.0) == 0
    clock.resume()
    assert clock.paused
    clock.seek(date(2013, 1, 1))  # beyond the data
    assert clock.finished
    clock.seek(date(2012, 3, 1))  # going back un-finishes it
    assert not clock.finished
    clock.resume()
    assert clock.speed == 60


def test_speed_and_advance():
    clock = ReplayClock(SMALL)
    assert clock.advance(0.4) == 0
    assert clock.advance(0.4) == 0
    assert clock.advance(0.4) == 1  # 1.2 minutes: one whole, 0.2 carried
    assert clock.advance(0.8) == 1
    clock.speed = 600
    assert clock.advance(0.1) == 60
    assert clock.advance(1 / 60) == 10
    clock.pause()
    assert clock.paused and clock.advance(10.0) == 0
    clock.resume()
    assert clock.speed == 600
    assert clock.minute == 0  # advance never moves the clock itself
    for bad in (3, -1, 1.5, True, 1000):
        with pytest.raises(ValueError):
            clock.speed = bad
    with pytest.raises(ValueError):
        clock.advance(-1.0)
    assert SPEEDS == (0, 1, 2, 5, 10, 30, 60, 120, 300, 600)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(SPEEDS), min_size=1, max_size=10), st.lists(st.floats(0, 3), min_size=1, max_size=20))
def test_advance_accumulates_exactly(speeds, waits):
    clock = ReplayClock(CALENDAR)
    for speed in speeds:
        clock.speed = speed
        total = sum(clock.advance(w) for w in waits)
        assert abs(total - speed * sum(waits)) < 1 + 1e-6


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2000))
def test_steps_keep_time_monotonic(n):
    clock = ReplayClock(CALENDAR, start=date(2012, 12, 28))
    last = clock.now
    for _ in range(n):
        clock.step()
        assert 0 <= clock.minute <= 390
        assert clock.now > last or clock.finished
        last = clock.now
    assert clock.minute + 391 * (clock.day_index - CALENDAR.index(date(2012, 12, 28))) == min(
        n, 391 * (len(CALENDAR) - CALENDAR.index(date(2012, 12, 28))) - 1
    )


def test_state_round_trip_through_json():
    clock = ReplayClock(CALENDAR, start=date(2012, 6, 1), speed=30)
    for _ in range(123):
        clock.step()
    clock.advance(0.01)  # 0.3 minutes carried
    clock.pause()
    state = json.loads(json.dumps(clock.to_state()))
    assert state["date"] == "2012-06-01" and state["minute"] == 123 and state["speed"] == 0
    back = ReplayClock.from_state(state, CALENDAR)
    assert (back.current_date, back.minute, back.speed) == (date(2012, 6, 1), 123, 0)
    back.resume()
    assert back.speed == 30
    running = ReplayClock(CALENDAR, start=date(2012, 6, 1), speed=30)
    running.advance(0.01)
    again = ReplayClock.from_state(running.to_state(), CALENDAR)
    assert again.to_state() == running.to_state()
    assert again.advance(0.0235) == running.advance(0.0235) == 1


def test_state_with_unknown_date_or_garbage():
    clock = ReplayClock.from_state({"date": "2012-03-03", "minute": 200, "speed": 1}, CALENDAR)
    assert (clock.current_date, clock.minute) == (date(2012, 3, 5), 0)
    done = ReplayClock.from_state({"date": "2020-01-01", "minute": 5, "speed": 10}, CALENDAR)
    assert done.finished and done.paused
    for bad in (
        {},
        {"date": "nope", "minute": 1},
        {"date": "2012-03-01", "minute": 999},
        {"date": "2012-03-01", "minute": 1, "speed": 7},
    ):
        with pytest.raises(ValueError):
            ReplayClock.from_state(bad, CALENDAR)


def test_empty_calendar_and_bad_seek():
    with pytest.raises(ValueError):
        ReplayClock([])
    clock = ReplayClock(SMALL)
    with pytest.raises(ValueError):
        clock.seek(date(2012, 3, 1), 391)
    assert clock.now - ReplayClock(SMALL).now == timedelta(0)
