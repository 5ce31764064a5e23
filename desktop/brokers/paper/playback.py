"""Playing replayed minutes of the paper market against the matching engine.

:func:`play_minutes` advances the market minute by minute: working orders are matched
on each minute's bars and option quotes; at a session's close DAY orders expire and
options expiring that day are settled. It returns what the broker then publishes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import NamedTuple

from desktop.domain import Bar, Interval

from .market import MarketSimulator
from .matching import Event, MatchingEngine

Settle = Callable[[MatchingEngine, date, datetime], list[Event]]
"""``settle(engine, day, now)``: the events of settling ``day``'s option expiries."""


class Played(NamedTuple):
    """What some replayed minutes did: engine ``events`` (oldest first), the latest state
    of each watched forming bar (by start), the symbols that traded."""

    events: list[Event]
    bars: list[Bar]
    touched: set[str]


def play_minutes(market: MarketSimulator, engine: MatchingEngine | Sequence[MatchingEngine], minutes: int,
                 watched_bars: Iterable[tuple[str, Interval]], settle: Settle) -> Played:
    """Play up to ``minutes`` minutes (fewer when the replay ends); ``watched_bars``: the
    (symbol, interval) bars someone streams. ``engine``: one engine or several (the
    advisor demo's client accounts), each matched in turn every minute."""
    engines = [engine] if isinstance(engine, MatchingEngine) else list(engine)
    watched = list(watched_bars)
    events: list[Event] = []
    touched: set[str] = set()
    bar_updates: dict[tuple, Bar] = {}
    for _ in range(minutes):
        if market.clock.finished:
            break
        played = market.advance_one_minute()
        now = market.clock.now
        for symbol, bar in played:
            touched.add(symbol)
            for eng in engines:
                events += eng.on_bar(symbol, bar, now)
        for eng in engines:
            if played:
                events += eng.on_option_quotes(now)
            if market.clock.session_closed:
                events += eng.end_of_day(now)
                events += settle(eng, market.clock.current_date, now)
        for (symbol, interval) in watched:
            if any(s == symbol for s, _ in played):
                current = market.current_bar(symbol, interval)
                if current is not None:
                    bar_updates[(symbol, interval, current.start)] = current
    bars = [bar_updates[key] for key in sorted(bar_updates, key=lambda k: k[2])]
    return Played(events, bars, touched)
