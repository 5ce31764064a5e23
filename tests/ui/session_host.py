"""A bare host for the session widgets without the main window: a desk over a saved
ConnectionStore, its Qt bridge, the status bar in a QMainWindow and a SessionUi, as
MainWindow assembles them (``SessionUi(desk, bridge, status_bar, store, secrets,
window)``). Used by the session, status bar and connections dialog tests."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtWidgets import QMainWindow, QWidget

from desktop.connections import ConnectionStore
from desktop.desk import Desk
from desktop.security.secrets import SecretStore
from desktop.ui.services.desk_bridge import DeskBridge
from desktop.ui.session_ui import SessionUi
from desktop.ui.status_bar import TradingStatusBar


@dataclass
class Host:
    """What the window would hold: ``window`` (with ``status`` as its status bar)."""

    window: QMainWindow
    desk: Desk
    bridge: DeskBridge
    status: TradingStatusBar
    session_ui: SessionUi
    store: ConnectionStore
    secrets: SecretStore

    def texts(self) -> list[str]:
        """The status bar's "Name: state" items."""
        return self.status.item_texts()

    def text_of(self, connection_id: str) -> str:
        item = self.status.item(connection_id)
        return item.full_text if item is not None else ""

    async def close(self) -> None:
        await self.desk.shutdown()
        self.bridge.close()


def make_host(store: ConnectionStore, secrets: SecretStore | None = None, *, width: int = 1200,
              poll_s: float = 0.5, start_budget_s: float = 1.0) -> Host:
    """A shown host window over ``store`` (no connection connected yet)."""
    secrets = secrets if secrets is not None else SecretStore()
    desk = Desk(store, secrets, poll_s=poll_s, start_budget_s=start_budget_s)
    window = QMainWindow()
    window.setCentralWidget(QWidget(window))
    window.resize(width, 300)
    bridge = DeskBridge(desk, parent=window)
    status = TradingStatusBar(window)
    window.setStatusBar(status)
    session_ui = SessionUi(desk, bridge, status, store, secrets, window)
    window.show()
    return Host(window, desk, bridge, status, session_ui, store, secrets)


class UrlCatcher(QObject):
    """Receives QDesktopServices.openUrl calls for https (no browser in tests)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())
