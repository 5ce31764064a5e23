"""The time zone and "today" each connection's times are shown in.

Every connection has its own display clock: a paper connection shows New York time
and its replayed "now" (an order placed at 10:30 replayed time shows as 10:30, and
"today" is the replayed day, matching the chart and the status bar); another broker's
times show in its exchange's zone (``capabilities.exchange_timezone``) on the real
clock. The main window configures them (:meth:`DisplayClock.configure_connection`);
a row formats its times with its own ``connection_id`` (desktop.ui.tables.formatting.fmt_time).

Times of no connection (``connection_id`` "", e.g. consolidated rows, the option
chain) and of a connection not configured use the *default* clock: machine-local
time and the wall clock unless :meth:`DisplayClock.configure` changed it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo

Now = Callable[[], datetime]
"""A clock: returns the current (possibly replayed) time, timezone-aware."""


@dataclass(frozen=True, slots=True)
class Clock:
    """One display clock: ``tz`` (None = machine local) and ``now`` (None = the wall
    clock)."""

    tz: tzinfo | None = None
    now: Now | None = None

    def localize(self, value: datetime) -> datetime:
        """``value`` in this zone; naive datetimes are taken as UTC (domain rule)."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(self.tz) if self.tz is not None else value.astimezone()

    def current(self) -> datetime:
        """Now in this zone (the replayed time for a replay clock)."""
        return self.localize(self.now() if self.now is not None else datetime.now(timezone.utc))


class DisplayClock:
    """The default clock and one clock per connection id (see the module docstring)."""

    def __init__(self) -> None:
        self._default = Clock()
        self._clocks: dict[str, Clock] = {}

    # -- configuration ----------------------------------------------------------------
    def configure(self, tz: tzinfo | None, now: Now | None = None) -> None:
        """The default clock: show times in ``tz`` (None: machine local); ``now``
        tells the current time (None: the wall clock)."""
        self._default = Clock(tz, now)

    def configure_connection(self, connection_id: str, tz: tzinfo | None, now: Now | None = None) -> None:
        """Show ``connection_id``'s times in ``tz`` (its exchange's zone; None: machine
        local); ``now`` is its replay clock (None: the wall clock). Configuring again
        replaces the previous clock."""
        self._clocks[connection_id] = Clock(tz, now)

    def forget(self, connection_id: str) -> None:
        """``connection_id``'s times use the default clock again (it was removed)."""
        self._clocks.pop(connection_id, None)

    def reset(self) -> None:
        """Forget every connection's clock; the default is machine local on the wall clock."""
        self._default = Clock()
        self._clocks.clear()

    # -- answers --------------------------------------------------------------------------
    def clock(self, connection_id: str = "") -> Clock:
        """``connection_id``'s clock, else the default one."""
        return self._clocks.get(connection_id, self._default) if connection_id else self._default

    def localize(self, value: datetime, connection_id: str = "") -> datetime:
        """``value`` in ``connection_id``'s display zone; naive datetimes are UTC."""
        return self.clock(connection_id).localize(value)

    def now(self, connection_id: str = "") -> datetime:
        """The current time of ``connection_id`` in its zone (replayed for a replay)."""
        return self.clock(connection_id).current()

    def today(self, connection_id: str = "") -> date:
        """The current date of ``connection_id`` in its zone (the replayed date during
        a replay)."""
        return self.now(connection_id).date()


DISPLAY_CLOCK = DisplayClock()
"""The app's display clocks (configured by the main window for each connection)."""


def fmt_timestamp_for(value: datetime | None, connection_id: str = "") -> str:
    """Full date and time in ``connection_id``'s zone, for tooltips and exports:
    "2026-05-09 14:03:07"; "" for None."""
    return "" if value is None else DISPLAY_CLOCK.localize(value, connection_id).strftime("%Y-%m-%d %H:%M:%S")
