"""File → Connections…: the saved broker connections, their state, and add / edit /
remove / connect / disconnect.

The main window shows one connection at a time: connecting another one disconnects
the current one first. The add / edit form is generated from the broker's declaration
(:mod:`desktop.ui.connection_form`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from desktop.security.redaction import redact
from desktop.brokers import BrokerError
from desktop.connections import Connection

from .connection_form import ConnectionEditDialog, warning_sheet

if TYPE_CHECKING:
    from .main_window import MainWindow

STATE_LABELS = {"connected": "Connected", "connecting": "Connecting…", "disconnected": "Disconnected"}
STATE_COLOURS = {"connected": "#3fb950", "connecting": "#d29922"}


def state_text(state: str) -> str:
    """"connected" -> "Connected", "error: why" -> "Error: why"."""
    if state.startswith("error:"):
        return "Error:" + state[len("error:"):]
    return STATE_LABELS.get(state, state.capitalize())


class ConnectionsDialog(QDialog):
    """Lists saved connections (``connectionsList``: Name, Broker, Status) with the
    buttons ``addButton``, ``editButton``, ``removeButton``, ``connectButton``,
    ``disconnectButton``. ``keyringStatus`` / ``keyringWarning`` say where secrets go."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window_ = window
        self.store = window.connection_store
        self.secrets = window.secrets
        self.edit_dialog: ConnectionEditDialog | None = None
        self._task: asyncio.Task | None = None
        self.setObjectName("connectionsDialog")
        self.setWindowTitle("Connections")
        self.setStyleSheet(warning_sheet())
        self.resize(640, 360)

        layout = QVBoxLayout(self)
        intro = QLabel("Tradedesk shows one connection at a time: connecting one disconnects the other. "
                       "The paper connection is built in and always available.", self, wordWrap=True)
        intro.setObjectName("introLabel")
        layout.addWidget(intro)
        self.keyring_label = QLabel(self, wordWrap=True)
        layout.addWidget(self.keyring_label)

        body = QHBoxLayout()
        self.list = QTreeWidget(self, objectName="connectionsList")
        self.list.setColumnCount(3)
        self.list.setHeaderLabels(["Name", "Broker", "Status"])
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.header().setStretchLastSection(True)
        self.list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.list.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        body.addWidget(self.list, 1)
        side = QVBoxLayout()
        self.add_button = self._button("&Add…", "addButton", side, self.add)
        self.edit_button = self._button("&Edit…", "editButton", side, self.edit)
        self.remove_button = self._button("&Remove", "removeButton", side, self.remove)
        side.addSpacing(12)
        self.connect_button = self._button("&Connect", "connectButton", side, self.connect_selected)
        self.disconnect_button = self._button("&Disconnect", "disconnectButton", side, self.disconnect_current)
        side.addStretch(1)
        body.addLayout(side)
        layout.addLayout(body, 1)

        self.message = QLabel(self, objectName="messageLabel", wordWrap=True)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setObjectName("closeButton")
        layout.addWidget(buttons)

        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.list.itemDoubleClicked.connect(lambda _item, _col: self.edit())
        window.service.stateChanged.connect(self._state_changed)
        self.refresh()

    def _button(self, text: str, name: str, layout: QVBoxLayout, slot) -> QPushButton:
        button = QPushButton(text, self, objectName=name)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        layout.addWidget(button)
        return button

    # -- display ----------------------------------------------------------------------
    def refresh(self) -> None:
        """Rebuild the list (keeps the selection) and the keyring notice."""
        selected = self.selected_id()
        self.list.clear()
        for conn in self.store.all():
            item = QTreeWidgetItem([conn.name, _broker_name(conn), self.state_of(conn)])
            item.setData(0, Qt.ItemDataRole.UserRole, conn.id)
            if conn.builtin:
                item.setToolTip(0, "Built in: always available, cannot be removed")
            colour = STATE_COLOURS.get(self._raw_state(conn))
            if colour:
                item.setForeground(2, _brush(colour))
            elif self._raw_state(conn).startswith("error"):
                item.setForeground(2, _brush("#f85149"))
            self.list.addTopLevelItem(item)
            if conn.id == (selected or self.window_.connection_id):
                item.setSelected(True)
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.topLevelItemCount():
            self.list.setCurrentItem(self.list.topLevelItem(0))
        if self.window_.connection_id not in self.store and not self.message.text():
            self.message.setText(f"Showing {self.window_.broker.display_name}, started from the command line "
                                 "(not a saved connection). Connecting a saved one replaces it.")
        self._update_keyring_label()
        self._update_buttons()

    def _update_keyring_label(self) -> None:
        needs_secrets = any(_has_secret_fields(c) for c in self.store.all())
        if not needs_secrets:  # nothing secret saved yet: don't wake the keyring for nothing
            self.keyring_label.hide()
            return
        self.keyring_label.setObjectName("keyringStatus" if self.secrets.available else "keyringWarning")
        self.keyring_label.setText(self.secrets.description())
        self.style().unpolish(self.keyring_label)  # re-polish: the style sheet selects by name
        self.style().polish(self.keyring_label)
        self.keyring_label.show()

    def _raw_state(self, conn: Connection) -> str:
        if conn.id == self.window_.connection_id:
            return self.window_.service.state
        return "disconnected"

    def state_of(self, conn: Connection) -> str:
        """What the Status column says for ``conn``."""
        if conn.id != self.window_.connection_id:
            return "Not connected"
        return state_text(self.window_.service.state)

    def selected_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def selected(self) -> Connection | None:
        conn_id = self.selected_id()
        return self.store.get(conn_id) if conn_id and conn_id in self.store else None

    def select(self, connection_id: str) -> None:
        """Select the row of ``connection_id``."""
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == connection_id:
                self.list.setCurrentItem(item)
                return

    def _update_buttons(self) -> None:
        conn = self.selected()
        busy = self._task is not None and not self._task.done()
        active = conn is not None and conn.id == self.window_.connection_id
        state = self.window_.service.state
        self.edit_button.setEnabled(conn is not None and not busy)
        self.remove_button.setEnabled(conn is not None and not conn.builtin and not active and not busy)
        if conn is not None and conn.builtin:
            self.remove_button.setToolTip("The built-in paper connection cannot be removed")
        elif active:
            self.remove_button.setToolTip("Disconnect it first")
        else:
            self.remove_button.setToolTip("Forget this connection and its saved secrets")
        self.connect_button.setEnabled(conn is not None and not busy and not (active and state in ("connected", "connecting")))
        self.disconnect_button.setEnabled(active and not busy and state in ("connected", "connecting"))

    def _state_changed(self, _state: str) -> None:
        self.refresh()

    # -- actions ------------------------------------------------------------------------
    def add(self) -> None:
        """Open the generated form for a new connection."""
        self._open_editor(None)

    def edit(self) -> None:
        """Open the generated form for the selected connection."""
        conn = self.selected()
        if conn is not None:
            self._open_editor(conn)

    def _open_editor(self, conn: Connection | None, note: str = "", connect_after: bool = False) -> ConnectionEditDialog:
        dialog = ConnectionEditDialog(self.store, self.secrets, conn, self, note=note)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda saved: self._saved(saved, connect_after))
        dialog.finished.connect(lambda _r: setattr(self, "edit_dialog", None))
        self.edit_dialog = dialog
        dialog.open()
        return dialog

    def _saved(self, conn: Connection, connect_after: bool) -> None:
        self.refresh()
        self.select(conn.id)
        where = "" if not _has_secret_fields(conn) else (
            " Secrets are in the system keyring." if self.secrets.available else " Secrets are kept for this session only.")
        again = " Disconnect and connect again to use the changes." if conn.id == self.window_.connection_id else ""
        self.message.setText(f"Saved {conn.name}.{where}{again}")
        if connect_after:
            self.connect_selected()

    def remove(self) -> None:
        """Ask, then forget the selected connection and delete its secrets."""
        conn = self.selected()
        if conn is None or conn.builtin or conn.id == self.window_.connection_id:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Remove connection",
                          f"Remove the connection “{conn.name}”? Its saved passwords and keys are deleted too.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("removeConnectionDialog")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda result: result == QMessageBox.StandardButton.Yes and self._remove(conn))
        box.open()

    def _remove(self, conn: Connection) -> None:
        for field in list(conn.secrets):
            self.secrets.delete(conn.id, field)
        self.store.remove(conn.id)
        self.message.setText(f"Removed {conn.name}.")
        self.refresh()

    def connect_selected(self) -> None:
        """Connect the selected connection (asking for missing secrets first)."""
        conn = self.selected()
        if conn is None:
            return
        fields = [f.name for f in conn.spec.secret_fields]
        found, _missing = self.secrets.secrets_for(conn.id, fields) if fields else ({}, [])
        missing = conn.missing_secrets(found)
        if missing:
            labels = ", ".join(conn.spec.field(name).label for name in missing)
            self._open_editor(conn, note=f"Enter {labels} to connect {conn.name}.", connect_after=True)
            return
        try:
            broker = conn.create_broker(found)
        except (ValueError, KeyError) as exc:
            self.message.setText(redact(f"Cannot connect {conn.name}: {exc}"))
            return
        self.message.setText(f"Connecting {conn.name}…")
        self._run(self._connect(conn, broker))

    async def _connect(self, conn: Connection, broker) -> None:
        try:
            await self.window_.connect_broker(broker, connection_id=conn.id)
        except BrokerError as exc:
            self.message.setText(redact(f"Could not connect {conn.name}: {exc.message}"))
            return
        self.store.set_last_connected(conn.id)
        self.message.setText(f"Connected {conn.name}.")

    def disconnect_current(self) -> None:
        """Disconnect the window's connection."""
        name = self._current_name()
        self.message.setText(f"Disconnecting {name}…")
        self._run(self._disconnect(name))

    async def _disconnect(self, name: str) -> None:
        await self.window_.disconnect_broker()
        self.message.setText(f"Disconnected {name}.")

    def _current_name(self) -> str:
        conn_id = self.window_.connection_id
        return self.store.get(conn_id).name if conn_id and conn_id in self.store else self.window_.broker.display_name

    def _run(self, coro) -> None:
        from desktop.desk.tasks import spawn

        def failed(exc: BaseException) -> None:
            if shiboken6.isValid(self):
                self.message.setText(redact(f"Failed: {exc}"))

        def finished(_task: asyncio.Task) -> None:
            if shiboken6.isValid(self):
                self.refresh()

        self._task = spawn(coro, name="connections", on_error=failed)
        self._task.add_done_callback(finished)
        self._update_buttons()

    def done(self, result: int) -> None:
        try:
            self.window_.service.stateChanged.disconnect(self._state_changed)
        except (RuntimeError, TypeError):
            pass
        super().done(result)


def _broker_name(conn: Connection) -> str:
    try:
        return conn.spec.display_name
    except KeyError:
        return f"{conn.broker} (not available in this version)"


def _has_secret_fields(conn: Connection) -> bool:
    try:
        return bool(conn.spec.secret_fields)
    except KeyError:
        return False


def _brush(colour: str):
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(colour))


def open_connections_dialog(window: "MainWindow") -> ConnectionsDialog:
    """Show the connections manager (one at a time, not blocking the event loop)."""
    existing = getattr(window, "connections_dialog", None)
    if existing is not None and existing.isVisible():
        existing.raise_()
        existing.activateWindow()
        return existing
    dialog = ConnectionsDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.finished.connect(lambda _r: setattr(window, "connections_dialog", None))
    window.connections_dialog = dialog
    dialog.open()
    return dialog
