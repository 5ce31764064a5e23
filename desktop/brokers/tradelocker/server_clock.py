"""The server's "now", read from the ``Date`` header of its answers.

History requests need ``from``/``to`` in epoch milliseconds (specs/tradelocker/NOTES.md
section 5) and default windows ("the last five sessions") are relative to the
server's now, not the machine's: a machine clock that is off (or a replaying test
server) would ask for the wrong range. :class:`ServerClock` keeps the offset of the
last ``Date`` header seen; without one it is the machine's clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime


class ServerClock:
    """``now()``: the machine's UTC time plus the offset last observed."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self.offset = 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        """Take the ``Date`` header of an answer (ignored when absent or unreadable)."""
        text = headers.get("date") or headers.get("Date")
        if not text:
            return
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        self.offset = when.timestamp() - self._clock()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock() + self.offset, timezone.utc) + timedelta(0)
