"""Status bar: broker connection state, replay clock and speed, data notice."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

NEW_YORK = ZoneInfo("America/New_York")

_STATE_COLOURS = {"connected": "#3fb950", "connecting": "#d29922", "disconnected": "#8b949e"}


class TradingStatusBar(QStatusBar):
    """Permanent widgets: connection (coloured dot + broker + state) and replay clock."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.connection_label = QLabel()
        self.connection_label.setObjectName("connectionLabel")
        self.replay_label = QLabel()
        self.replay_label.setObjectName("replayLabel")
        self.addPermanentWidget(self.replay_label)
        self.addPermanentWidget(self.connection_label)

    def set_connection(self, broker_name: str, state: str) -> None:
        """Show ``state`` ("connected", "connecting", "error: ...") of ``broker_name``."""
        colour = _STATE_COLOURS.get(state, "#f85149")
        self.connection_label.setText(f"<span style='color:{colour}'>●</span> {broker_name}: {state}")

    def set_replay(self, now: datetime | None, speed: int, finished: bool = False) -> None:
        """Show the replayed New York time and speed ("paused" at speed 0)."""
        if now is None:
            self.replay_label.clear()
            return
        local = now.astimezone(NEW_YORK)
        pace = "finished" if finished else ("paused" if speed == 0 else f"x{speed}")
        self.replay_label.setText(f"Replay {local:%a %d %b %Y %H:%M} ET · {pace}")
