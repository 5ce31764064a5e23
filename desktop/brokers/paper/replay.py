"""The replay clock of the paper market: pure state, no asyncio, no sleeping.

Position = (index of the current day in a calendar of trading dates, ``minute``
0..390): ``minute`` is how many one-minute bars of that day's session have been
played, so the replayed time ``now`` is 09:30 New York + ``minute`` minutes.
``minute == 0`` is the opening moment (nothing played yet); ``minute == 390`` is
16:00, the session closed after its last bar. :meth:`step` from a closed session
rolls straight to the next trading day's 09:30.

Speed is in replayed minutes per wall-clock second; the caller feeds elapsed wall
time to :meth:`advance` and steps the returned number of minutes.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from .intraday import SESSION_MINUTES, session_open_utc

SPEEDS: tuple[int, ...] = (0, 1, 2, 5, 10, 30, 60, 120, 300, 600)
"""Allowed speeds in replayed minutes per wall-clock second; 0 means paused."""
DEFAULT_START = date(2012, 3, 1)
"""Default first replayed day: a year of history before it, a year of replay after."""
STATE_VERSION = 1


class ReplayClock:
    """Replay position and speed over ``calendar`` (sorted, unique trading dates).

    ``start`` picks the first calendar date on or after it (default
    :data:`DEFAULT_START`), at 09:30 with nothing played. Raises ValueError for an
    empty calendar or a speed not in :data:`SPEEDS`. When the last day's session
    closes the clock is ``finished`` and paused.
    """

    def __init__(self, calendar: Sequence[date], start: date | None = None, speed: int = 1) -> None:
        self._calendar = tuple(sorted(set(calendar)))
        if not self._calendar:
            raise ValueError("the replay calendar is empty")
        self._day_index = 0
        self._minute = 0
        self._speed = 0
        self._resume_speed = 1
        self._carry = 0.0
        self.speed = speed
        self.seek(DEFAULT_START if start is None else start)

    # -- position -------------------------------------------------------------
    @property
    def calendar(self) -> tuple[date, ...]:
        return self._calendar

    @property
    def day_index(self) -> int:
        """Index of the current day in :attr:`calendar`."""
        return self._day_index

    @property
    def minute(self) -> int:
        """Minutes of today's session played so far, 0..390."""
        return self._minute

    @property
    def current_date(self) -> date:
        return self._calendar[self._day_index]

    @property
    def now(self) -> datetime:
        """The replayed time: 09:30 New York on the current date + ``minute``, aware UTC."""
        return session_open_utc(self.current_date) + timedelta(minutes=self._minute)

    @property
    def session_closed(self) -> bool:
        """True after the day's last bar (16:00), until the roll to the next day."""
        return self._minute >= SESSION_MINUTES

    @property
    def finished(self) -> bool:
        """True once the last calendar day's session has closed: the data has ended."""
        return self._day_index == len(self._calendar) - 1 and self.session_closed

    def seek(self, day: date, minute: int = 0) -> None:
        """Jump to ``minute`` (0..390) of the first calendar date on or after ``day``.

        A date after the calendar goes to the close of its last day (finished).
        Raises ValueError for a minute out of range.
        """
        if not 0 <= minute <= SESSION_MINUTES:
            raise ValueError(f"minute must be 0..{SESSION_MINUTES}, got {minute}")
        i = bisect.bisect_left(self._calendar, day)
        if i >= len(self._calendar):
            i, minute = len(self._calendar) - 1, SESSION_MINUTES
        self._day_index, self._minute, self._carry = i, minute, 0.0
        if self.finished:
            self._stop()

    def step(self) -> bool:
        """Move one minute: play the next bar, or roll a closed session to the next
        day's 09:30. Returns False (and stays put) when finished."""
        if self.finished:
            self._stop()
            return False
        if self.session_closed:
            self._day_index += 1
            self._minute = 0
        else:
            self._minute += 1
        if self.finished:
            self._stop()
        return True

    # -- speed ----------------------------------------------------------------
    @property
    def speed(self) -> int:
        """Replayed minutes per wall-clock second; 0 = paused."""
        return self._speed

    @speed.setter
    def speed(self, value: int) -> None:
        if value not in SPEEDS or isinstance(value, bool):
            raise ValueError(f"speed must be one of {SPEEDS}, got {value!r}")
        self._speed = int(value)
        if value:
            self._resume_speed = int(value)
        else:
            self._carry = 0.0

    @property
    def paused(self) -> bool:
        return self._speed == 0

    def pause(self) -> None:
        """Stop the clock (speed 0), remembering the speed for :meth:`resume`."""
        self.speed = 0

    def resume(self) -> None:
        """Run again at the last non-zero speed (no effect when finished)."""
        if not self.finished:
            self.speed = self._resume_speed

    def advance(self, wall_seconds: float) -> int:
        """Account for ``wall_seconds`` of real time; return how many whole minutes to
        step now (fractions carry over). 0 when paused or finished; it does not move
        the clock. Raises ValueError for negative time."""
        if wall_seconds < 0:
            raise ValueError("wall_seconds must not be negative")
        if self._speed == 0 or self.finished:
            return 0
        self._carry += wall_seconds * self._speed
        whole = int(self._carry)
        self._carry -= whole
        return whole

    def _stop(self) -> None:
        self._speed = 0
        self._carry = 0.0

    # -- persistence ------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        """A JSON-friendly dict of the clock: date (ISO), minute, speed, resume speed, carry."""
        return {
            "version": STATE_VERSION,
            "date": self.current_date.isoformat(),
            "minute": self._minute,
            "speed": self._speed,
            "resume_speed": self._resume_speed,
            "carry": self._carry,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], calendar: Sequence[date]) -> "ReplayClock":
        """Rebuild a clock from :meth:`to_state` output over ``calendar``.

        A saved date missing from the calendar resumes at the next trading date's
        09:30. Raises ValueError for a malformed state.
        """
        try:
            day = date.fromisoformat(str(state["date"]))
            minute = int(state["minute"])
            speed = int(state.get("speed", 0))
            resume_speed = int(state.get("resume_speed", speed or 1))
            carry = float(state.get("carry", 0.0))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed replay clock state: {state!r}") from exc
        clock = cls(calendar, start=day, speed=speed)
        clock.speed = resume_speed or 1  # validates and records the resume speed
        clock.speed = speed
        in_calendar = clock.current_date == day
        clock.seek(day, minute if in_calendar else 0)
        if not clock.paused and 0.0 <= carry < 1.0:
            clock._carry = carry
        return clock
