"""The paper replays, linked to the window: their clocks in the status bar, the
preferred speed for every paper connection, a new replayed day repainting the tables.

:class:`ReplayLink` is given the desk, the status bar, the menus (whose Replay menu
shows the speed), the blotter panels and the current preferences; it knows nothing
of the window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QTimer

from desktop.brokers.replay_control import replay_control
from desktop.desk import Desk

from .connection_clocks import configure_clocks
from .status_bar import NEW_YORK


class ReplayLink(QObject):
    """``status``: the TradingStatusBar (``set_replays``); ``sync_menu()``: the Replay
    menu shows the controlled speed again; ``panels()``: the blotter panels (repainted
    when a replay starts a new day: yesterday's times then show their date);
    ``preferred_speed()``: the Settings speed (None / 0: leave each replay as it is)."""

    def __init__(self, desk: Desk, status, *, sync_menu: Callable[[], None], panels: Callable[[], Iterable],
                 preferred_speed: Callable[[], int | None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk, self.status = desk, status
        self._sync_menu, self._panels, self._preferred = sync_menu, panels, preferred_speed
        self._days: dict = {}
        self.timer = QTimer(self)
        self.timer.setInterval(250)
        self.timer.timeout.connect(self.update_status)

    def connections_changed(self) -> None:
        """Connections came, went or changed state: run the status clock while a
        connection has a replay (the display clocks follow each one's zone)."""
        (self.timer.start if configure_clocks(self.desk) else self.timer.stop)()

    def connected(self, conn) -> None:
        """``conn`` changed state: a paper connection connected later gets the
        preferred speed; the status shows every replay."""
        control = replay_control(conn.broker) if conn.is_live else None
        speed = self._preferred()
        if control is not None and speed:
            control.set_replay_speed(speed)
            self._sync_menu()
        self.update_status()

    def apply_preference(self) -> None:
        """Give every live paper connection the preferred speed (at start)."""
        from .settings_dialog import paper_replays

        speed = self._preferred()
        if not speed:
            return
        for control in paper_replays(self.desk):
            control.set_replay_speed(speed)
        self._sync_menu()

    def update_status(self) -> None:
        """Every replay's clock in the status bar; repaint the tables on a new replayed day."""
        replays = [(c, control) for c in self.desk.live() if (control := replay_control(c.broker)) is not None]
        self.status.set_replays([(c.name, control) for c, control in replays])
        days = {c.id: control.replay_now.astimezone(NEW_YORK).date() for c, control in replays}
        if any(self._days.get(cid, day) != day for cid, day in days.items()):
            for panel in self._panels():  # a new replayed day: times of the day before now show their date
                panel.view.viewport().update()
        self._days.update(days)

    def stop(self) -> None:
        """Stop the status clock (shutting down)."""
        self.timer.stop()
