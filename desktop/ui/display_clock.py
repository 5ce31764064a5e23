"""The time zone and "today" used to show times in tables and dialogs.

Machine-local by default. A broker with a replay clock (the paper broker) sets the
exchange zone and its replayed "now", so an order placed at 10:30 replayed New York
time shows as 10:30, and "today" is the replayed day, matching the chart and the
status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone, tzinfo


class DisplayClock:
    """``tz`` (None = machine local) and a ``now`` callable returning aware datetimes."""

    def __init__(self) -> None:
        self.tz: tzinfo | None = None
        self._now: Callable[[], datetime] | None = None

    def configure(self, tz: tzinfo | None, now: Callable[[], datetime] | None = None) -> None:
        """Show times in ``tz``; ``now`` tells the current (possibly replayed) time."""
        self.tz, self._now = tz, now

    def reset(self) -> None:
        """Back to machine-local time and the wall clock."""
        self.configure(None, None)

    def localize(self, value: datetime) -> datetime:
        """``value`` in the display zone; naive datetimes are taken as UTC (domain rule)."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(self.tz) if self.tz is not None else value.astimezone()

    def today(self) -> date:
        """The current date in the display zone (the replayed date during a replay)."""
        now = self._now() if self._now is not None else datetime.now(timezone.utc)
        return self.localize(now).date()


DISPLAY_CLOCK = DisplayClock()
"""The app's one display clock (configured by the main window for its broker)."""
