"""Each connection's display clock, from its capabilities: times in its exchange's
zone (``capabilities.exchange_timezone``), and for a replaying paper connection its
replay clock as "now" (so an order placed at 10:30 replayed New York time shows as
10:30, and "today" is the replayed day). See :mod:`desktop.ui.display_clock`."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from desktop.brokers.replay_control import replay_control
from desktop.desk import Desk, LiveConnection

from .display_clock import DISPLAY_CLOCK


def _replay_now(control, conn: LiveConnection, last: list):
    """A paper connection's replayed "now"; after it disconnected, the last one read
    (its clock is closed with it)."""
    if conn.is_live:
        last[0] = control.replay_now
    return last[0]


def configure_clocks(desk: Desk) -> bool:
    """Configure the clock of every live connection of ``desk`` (a stale one keeps its
    clock: its rows stay in their replayed time). Returns whether any live connection
    replays (the window then ticks its replay status)."""
    replaying = False
    for conn in desk.live():
        caps = conn.capabilities or conn.broker.capabilities
        zone = ZoneInfo(caps.exchange_timezone) if caps.exchange_timezone else None
        control = replay_control(conn.broker)
        if control is None:
            DISPLAY_CLOCK.configure_connection(conn.id, zone, None)
            continue
        replaying = True
        last = [control.replay_now]
        DISPLAY_CLOCK.configure_connection(conn.id, zone, lambda c=control, conn=conn, last=last: _replay_now(c, conn, last))
    return replaying
