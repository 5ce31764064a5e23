"""A bare host for the session widgets without the main window: a desk over a saved
ConnectionStore, its Qt bridge, the status bar in a QMainWindow and a SessionUi, as
MainWindow assembles them (``SessionUi(desk, bridge, status_bar, store, secrets,
window)``). Used by the session, status bar and connections dialog tests."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
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


class HostFactory:
    """Opens hosts for one test (shown, exposed) and closes them all at its end:
    ``open(store, secrets=None, **kw)`` → Host; ``close_all()`` in the fixture's teardown."""

    def __init__(self, qtbot, qloop) -> None:
        self.qtbot, self.qloop = qtbot, qloop
        self.hosts: list[Host] = []

    def open(self, store: ConnectionStore, secrets: SecretStore | None = None, **kw) -> Host:
        host = make_host(store, secrets, **kw)
        self.qtbot.waitExposed(host.window)
        self.hosts.append(host)
        return host

    def close_all(self) -> None:
        from qt_helpers import run

        for host in self.hosts:
            run(self.qtbot, self.qloop, host.close(), timeout=15_000)
            host.window.close()
            host.window.deleteLater()
        self.hosts.clear()


def rows(manager) -> list[list[str]]:
    """The connections dialog's rows: [name, broker, status]."""
    lst = manager.list
    return [[lst.topLevelItem(i).text(c) for c in range(3)] for i in range(lst.topLevelItemCount())]


def select_row(qtbot, manager, name: str) -> None:
    """Click the connections dialog's row called ``name``."""
    lst = manager.list
    item = next(lst.topLevelItem(i) for i in range(lst.topLevelItemCount()) if lst.topLevelItem(i).text(0) == name)
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=lst.visualItemRect(item).center())
    assert manager.selected_id() == item.data(0, Qt.ItemDataRole.UserRole)
