"""The paper market simulator (desktop.brokers.paper.market)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from desktop.brokers.errors import InvalidRequestError, NotFoundError
from desktop.brokers.paper.history import History
from desktop.brokers.paper.market import DEFAULT_SESSIONS, MarketSimulator
from desktop.brokers.paper.replay import ReplayClock
from desktop.domain import Bar, Interval
from desktop.paths import resources_dir

HISTORY = History.open(resources_dir() / "stocks.csv.gz")
UTC = timezone.utc


def sim_at(day: date, minute: int = 0) -> MarketSimulator:
    clock = ReplayClock(HISTORY.calendar(), start=day)
    clock.seek(day, minute)
    return MarketSimulator(HISTORY, clock)


def test_from_resources_defaults():
    sim = MarketSimulator.from_resources()
    assert sim.clock.current_date == date(2012, 3, 1) and sim.clock.minute == 0
    assert sim.symbols == ("AAPL", "FB", "GOOG", "IBM", "MSFT")
    state = {"date": "2012-06-01", "minute": 10, "speed": 5}
    assert MarketSimulator.from_resources(state).clock.now == datetime(2012, 6, 1, 13, 40, tzinfo=UTC)


def test_a_replayed_day_reproduces_the_real_day():
    sim = sim_at(date(2012, 5, 18))  # FB's first day
    assert sim.minute_bar("AAPL") is None and sim.current_bar("AAPL", Interval.D1) is None
    played: dict[str, list[Bar]] = {}
    for _ in range(390):
        for sym, bar in sim.advance_one_minute():
            played.setdefault(sym, []).append(bar)
    assert sim.clock.session_closed
    assert set(played) == {"AAPL", "FB", "GOOG", "IBM", "MSFT"}
    for sym, bars in played.items():
        real = HISTORY.daily_bar(sym, date(2012, 5, 18))
        assert len(bars) == 390
        assert bars[0].open == real.open and bars[-1].close == real.close
        assert max(b.high for b in bars) == real.high and min(b.low for b in bars) == real.low
        assert sum(b.volume for b in bars) == real.volume
        assert [b.start for b in bars] == [bars[0].start + timedelta(minutes=i) for i in range(390)]
        assert sim.current_bar(sym, Interval.D1) == real
        assert sim.fetch_bars(sym, Interval.D1, limit=1) == [real]
        assert sim.last_price(sym) == real.close
        assert sim.quote(sym).volume == real.volume
    # the next step rolls to the next day's open; nothing is played on that step
    assert sim.advance_one_minute() == []
    assert (sim.clock.current_date, sim.clock.minute) == (date(2012, 5, 21), 0)
    assert sim.last_price("FB") == HISTORY.daily_bar("FB", date(2012, 5, 18)).close


def test_symbols_without_a_session_do_not_trade():
    sim = sim_at(date(2012, 3, 1))
    played = sim.advance_one_minute()
    assert [sym for sym, _ in played] == ["AAPL", "GOOG", "IBM", "MSFT"]
    assert sim.minute_bar("FB") is None and sim.last_price("FB") is None
    assert sim.fetch_bars("FB", Interval.M1) == [] and sim.fetch_bars("FB", Interval.D1) == []
    quote = sim.quote("FB")
    assert quote.last is None and quote.bid is None and quote.volume is None


def test_minute_bar_last_price_and_quote():
    sim = sim_at(date(2012, 3, 1))
    prev = HISTORY.daily_bar("AAPL", date(2012, 2, 29)).close
    assert sim.last_price("AAPL") == prev  # before the first minute
    for _ in range(30):
        sim.advance_one_minute()
    bar = sim.minute_bar("AAPL")
    assert bar.start == sim.clock.now - timedelta(minutes=1) and bar.synthetic
    q = sim.quote("aapl")
    assert q.symbol == "AAPL" and q.last == bar.close == sim.last_price("AAPL")
    assert q.bid <= q.last <= q.ask and q.bid < q.ask
    assert Decimal("0.01") <= q.ask - q.bid <= Decimal("0.03")
    assert q.bid_size > 0 and q.bid_size % 100 == 0 and q.ask_size % 100 == 0
    assert q.prev_close == prev and q.timestamp == sim.clock.now
    today = sim.fetch_bars("AAPL", Interval.M1, start=sim.clock.now - timedelta(minutes=30))
    assert q.volume == sum(b.volume for b in today)
    assert sim_at(date(2012, 3, 1), 30).quote("AAPL") == q  # deterministic


def test_fetch_bars_default_windows():
    sim = sim_at(date(2012, 3, 1))
    for interval, per_day in [(Interval.M1, 390), (Interval.M5, 78), (Interval.M15, 26), (Interval.H1, 7)]:
        bars = sim.fetch_bars("IBM", interval)
        assert len(bars) == DEFAULT_SESSIONS[interval] * per_day
        assert bars[-1].start < sim.clock.now
        assert all(a.start < b.start for a, b in zip(bars, bars[1:]))
    daily = sim.fetch_bars("IBM", Interval.D1)
    assert daily == HISTORY.daily_bars("IBM", end=date(2012, 3, 1))
    # after 7 minutes today's session counts as one of the sessions
    for _ in range(7):
        sim.advance_one_minute()
    m1 = sim.fetch_bars("IBM", Interval.M1)
    assert len(m1) == 4 * 390 + 7 and m1[-1] == sim.minute_bar("IBM")
    m5 = sim.fetch_bars("IBM", Interval.M5)
    assert m5[-1] == sim.current_bar("IBM", Interval.M5)
    assert m5[-1].start == sim.clock.now - timedelta(minutes=2) and m5[-1].volume == sum(b.volume for b in m1[-2:])
    daily = sim.fetch_bars("IBM", Interval.D1)
    assert daily[-1].synthetic and daily[-1].start == datetime(2012, 3, 1, tzinfo=UTC)
    assert daily[-1].open == HISTORY.daily_bar("IBM", date(2012, 3, 1)).open
    assert daily[-1].volume == sum(b.volume for b in m1[-7:])


def test_fetch_bars_limit_start_end():
    sim = sim_at(date(2012, 3, 1), 100)
    now = sim.clock.now
    last3 = sim.fetch_bars("MSFT", Interval.M1, limit=3)
    assert [b.start for b in last3] == [now - timedelta(minutes=k) for k in (3, 2, 1)]
    assert len(sim.fetch_bars("MSFT", Interval.M1, limit=1000)) == 1000
    assert sim.fetch_bars("MSFT", Interval.M1, limit=0) == []
    assert len(sim.fetch_bars("MSFT", Interval.D1, limit=10)) == 10
    assert len(sim.fetch_bars("GOOG", Interval.D1, limit=100_000)) == HISTORY.index_of("GOOG", date(2012, 3, 1)) + 1
    # start/end: start <= bar.start < end, never beyond now
    start = datetime(2012, 2, 29, 15, 0, tzinfo=UTC)
    end = datetime(2012, 2, 29, 16, 0, tzinfo=UTC)
    bars = sim.fetch_bars("MSFT", Interval.M5, start=start, end=end)
    assert [b.start for b in bars] == [start + timedelta(minutes=5 * k) for k in range(12)]
    later = sim.fetch_bars("MSFT", Interval.M15, start=start, end=now + timedelta(days=30))
    assert later[0].start == start and later[-1].start < now
    feb29 = HISTORY.daily_bar("MSFT", date(2012, 2, 29))
    assert sum(b.volume for b in later if b.start.date() == date(2012, 2, 29)) < feb29.volume
    assert sim.fetch_bars("MSFT", Interval.M1, start=now) == []
    assert sim.fetch_bars("MSFT", Interval.M1, start=start, limit=2)[-1].start == now - timedelta(minutes=1)
    local = datetime(2012, 2, 29, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert sim.fetch_bars("MSFT", Interval.H1, start=local, end=local + timedelta(hours=1))[0].start == local
    days = sim.fetch_bars(
        "MSFT", Interval.D1, start=datetime(2012, 2, 27, tzinfo=UTC), end=datetime(2012, 3, 1, tzinfo=UTC)
    )
    assert [b.start.date() for b in days] == [date(2012, 2, 27), date(2012, 2, 28), date(2012, 2, 29)]
    assert not any(b.synthetic for b in days)
    days = sim.fetch_bars("MSFT", Interval.D1, start=datetime(2012, 2, 28, 12, tzinfo=UTC))
    assert [b.start.date() for b in days] == [date(2012, 2, 29), date(2012, 3, 1)]


def test_intervals_agree_with_minutes_on_a_past_day():
    sim = sim_at(date(2012, 3, 2))
    start = datetime(2012, 3, 1, 14, 30, tzinfo=UTC)
    end = start + timedelta(hours=7)
    minutes = sim.fetch_bars("GOOG", Interval.M1, start=start, end=end)
    assert len(minutes) == 390
    hours = sim.fetch_bars("GOOG", Interval.H1, start=start, end=end)
    assert [h.start for h in hours] == [start + timedelta(hours=k) for k in range(7)]
    assert hours[-1].volume == sum(m.volume for m in minutes[360:])  # short 15:30-16:00 bucket
    for k, h in enumerate(hours):
        chunk = minutes[60 * k : 60 * (k + 1)]
        assert (h.open, h.close) == (chunk[0].open, chunk[-1].close)
        assert h.high == max(m.high for m in chunk) and h.low == min(m.low for m in chunk)
    fifteen = sim.fetch_bars("GOOG", Interval.M15, start=start, end=end)
    assert len(fifteen) == 26 and sum(b.volume for b in fifteen) == HISTORY.daily_bar("GOOG", date(2012, 3, 1)).volume


def test_bad_requests():
    sim = sim_at(date(2012, 3, 1), 10)
    with pytest.raises(NotFoundError) as err:
        sim.fetch_bars("TSLA", Interval.M1)
    assert "TSLA" in err.value.message and "AAPL" in err.value.message
    for call in (sim.quote, sim.last_price, sim.minute_bar, sim.instrument):
        with pytest.raises(NotFoundError, match="XYZ"):
            call("XYZ")
    with pytest.raises(InvalidRequestError) as bad_interval:
        sim.fetch_bars("AAPL", "2m")  # type: ignore[arg-type]
    assert bad_interval.value.field == "interval"
    assert sim.fetch_bars("AAPL", "5m")[-1].interval is Interval.M5  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError) as naive:
        sim.fetch_bars("AAPL", Interval.M1, start=datetime(2012, 3, 1))
    assert naive.value.field == "start"
    for limit in (-1, 2.5, True):
        with pytest.raises(InvalidRequestError):
            sim.fetch_bars("AAPL", Interval.M1, limit=limit)  # type: ignore[arg-type]


def test_instruments_and_search():
    sim = sim_at(date(2012, 3, 1))
    aapl = sim.instrument("aapl")
    assert aapl.symbol == "AAPL" and aapl.description == "Apple Inc." and aapl.exchange == "NASDAQ"
    assert sim.instrument("IBM").description == "International Business Machines Corporation"
    assert [i.symbol for i in sim.search("apple")] == ["AAPL"]
    assert [i.symbol for i in sim.search("MS")][0] == "MSFT"
    assert [i.symbol for i in sim.search("i")][0] == "IBM"
    assert [i.symbol for i in sim.search("goo")] == ["GOOG"]
    assert [i.symbol for i in sim.search("machines")] == ["IBM"]
    assert sim.search("zzz") == []
    assert len(sim.search("")) == 5


def test_end_of_data():
    sim = sim_at(date(2013, 3, 1), 388)
    assert len(sim.advance_one_minute()) == 5
    assert len(sim.advance_one_minute()) == 5
    assert sim.clock.finished and sim.clock.paused
    assert sim.advance_one_minute() == []
    assert sim.fetch_bars("FB", Interval.D1)[-1] == HISTORY.daily_bar("FB", date(2013, 3, 1))
