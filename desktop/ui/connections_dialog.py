"""File → Connections…: the saved broker connections with each one's live state, and
add / edit / remove / connect / disconnect.

Several connections can be live at once: Connect and Disconnect act on the selected
connection only and never touch the others (through
:class:`~desktop.ui.session_ui.SessionUi`, so certificate and login prompts name the
connection). The Status column follows the desk's events. Remove forgets a
disconnected connection: its rows leave the blotters (``Desk.remove``) and its saved
secrets are deleted. The add / edit form is generated from the broker's declaration
(:mod:`desktop.ui.connection_form`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
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
    QWidget,
)

from desktop.connections import BrokerSpec, Connection, ConnectionStore, broker_specs
from desktop.desk import Desk
from desktop.desk.tasks import spawn
from desktop.security.redaction import redact
from desktop.security.secrets import SecretStore

from .connection_form import ConnectionEditDialog, warning_sheet
from .status_words import GREY, connection_words

if TYPE_CHECKING:
    from .session_ui import SessionUi

LIVE = ("connected", "connecting")


def state_text(status: str, session=None, failing: tuple[str, ...] = ()) -> str:
    """What the Status column says: "Connected", "Log in required", "Error: why",
    "Order updates failing: see the log"…"""
    words = connection_words(status, session, failing=failing)[0]
    return words[:1].upper() + words[1:]


def combinable_text(specs: Sequence[BrokerSpec]) -> str:
    """Which brokers can be connected together, from ``BrokerSpec.combinable``."""
    together = [s.display_name for s in specs if s.combinable]
    alone = [s.display_name for s in specs if not s.combinable]
    parts = []
    if together:
        parts.append(f"{_join(together)} connections can be live together, several of each (e.g. two paper "
                     "accounts).")
    if alone:
        parts.append(f"{_join(alone)} must be the only live connection.")
    return " ".join(parts)


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class ConnectionsDialog(QDialog):
    """Lists saved connections (``connectionsList``: Name, Broker, Status), then any
    connection opened without being saved, with ``addButton``, ``editButton``,
    ``removeButton``, ``connectButton``, ``disconnectButton``; ``messageLabel`` says
    what happened; ``keyringStatus`` / ``keyringWarning`` say where secrets go."""

    def __init__(self, parent: QWidget | None, desk: Desk, session_ui: "SessionUi", store: ConnectionStore,
                 secrets: SecretStore) -> None:
        super().__init__(parent)
        self.desk, self.session_ui, self.store, self.secrets = desk, session_ui, store, secrets
        self.edit_dialog: ConnectionEditDialog | None = None
        self._tasks: dict[str, asyncio.Task] = {}
        self.setObjectName("connectionsDialog")
        self.setWindowTitle("Connections")
        self.setStyleSheet(warning_sheet())
        self.resize(760, 380)

        layout = QVBoxLayout(self)
        intro = QLabel("Several connections can be live at once: Connect and Disconnect act on the selected one "
                       "only, the others stay as they are. " + combinable_text(broker_specs())
                       + " The paper connection is built in and always available.", self, wordWrap=True)
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
        self.disconnect_button = self._button("&Disconnect", "disconnectButton", side, self.disconnect_selected)
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
        session_ui.bridge.connectionEvent.connect(self._on_event)  # dropped by Qt when the dialog goes
        self.refresh()

    def _button(self, text: str, name: str, layout: QVBoxLayout, slot) -> QPushButton:
        button = QPushButton(text, self, objectName=name)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        layout.addWidget(button)
        return button

    # -- display ----------------------------------------------------------------------
    def row_ids(self) -> list[str]:
        """The connection ids listed, in order: saved ones, then unsaved live ones."""
        saved = [c.id for c in self.store.all()]
        return saved + [cid for cid in self.desk.connections if cid not in self.store]

    def refresh(self) -> None:
        """Rebuild the list (keeps the selection) and the keyring notice."""
        selected = self.selected_id()
        self.list.clear()
        for cid in self.row_ids():
            item = QTreeWidgetItem([self._name(cid), self._broker_name(cid), self.state_of(cid)])
            item.setData(0, Qt.ItemDataRole.UserRole, cid)
            if cid in self.store and self.store.get(cid).builtin:
                item.setToolTip(0, "Built in: always available, cannot be removed")
            elif cid not in self.store:
                item.setToolTip(0, "Opened without being saved (it is not reconnected at the next start)")
            item.setForeground(2, QBrush(QColor(self._colour(cid))))
            item.setToolTip(2, item.text(2))  # the full state when the column elides it
            self.list.addTopLevelItem(item)
            if cid == selected:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.topLevelItemCount():
            self.list.setCurrentItem(self.list.topLevelItem(0))
        self._update_keyring_label()
        self._update_buttons()

    def _name(self, cid: str) -> str:
        return self.store.get(cid).name if cid in self.store else self.desk.connections[cid].name

    def _broker_name(self, cid: str) -> str:
        if cid not in self.store:
            return self.desk.connections[cid].broker.display_name
        conn = self.store.get(cid)
        try:
            return conn.spec.display_name
        except KeyError:
            return f"{conn.broker} (not available in this version)"

    def _colour(self, cid: str) -> str:
        live = self.desk.connections.get(cid)
        return connection_words(live.status, live.session, failing=live.failing)[1] if live is not None else GREY

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

    def status_of(self, cid: str) -> str:
        """The desk's status of ``cid`` ("disconnected" when not opened this session)."""
        live = self.desk.connections.get(cid)
        return live.status if live is not None else "disconnected"

    def state_of(self, cid: str) -> str:
        """What the Status column says for ``cid`` ("Not connected" when it was not
        opened this session, "Disconnected" after it was)."""
        live = self.desk.connections.get(cid)
        if live is None:
            return "Not connected"
        return redact(state_text(live.status, live.session, tuple(live.failing)))

    def selected_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def selected(self) -> Connection | None:
        """The selected saved connection (None for an unsaved one)."""
        cid = self.selected_id()
        return self.store.get(cid) if cid and cid in self.store else None

    def select(self, connection_id: str) -> None:
        """Select the row of ``connection_id``."""
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == connection_id:
                self.list.setCurrentItem(item)
                return

    def busy(self, cid: str | None) -> bool:
        """Whether a connect / disconnect / remove of ``cid`` is under way here."""
        task = self._tasks.get(cid) if cid else None
        return task is not None and not task.done()

    def _update_buttons(self) -> None:
        cid = self.selected_id()
        conn = self.selected()
        busy = self.busy(cid)
        live = cid is not None and self.status_of(cid) in LIVE
        self.edit_button.setEnabled(conn is not None and not busy)
        builtin = conn is not None and conn.builtin
        self.remove_button.setEnabled(cid is not None and not builtin and not live and not busy)
        if builtin:
            self.remove_button.setToolTip("The built-in paper connection cannot be removed")
        elif live:
            self.remove_button.setToolTip("Disconnect it first")
        else:
            self.remove_button.setToolTip("Forget this connection, its rows and its saved secrets")
        self.connect_button.setEnabled(cid is not None and not busy and not live)
        self.disconnect_button.setEnabled(cid is not None and live)

    def _on_event(self, _event) -> None:
        self.refresh()

    # -- actions ------------------------------------------------------------------------
    def add(self) -> None:
        """Open the generated form for a new connection."""
        self._open_editor(None)

    def edit(self) -> None:
        """Open the generated form for the selected connection."""
        conn = self.selected()
        if conn is None:
            return
        note = (f"{conn.name} is connected: reconnect it to use the changes."
                if self.status_of(conn.id) in LIVE else "")
        self._open_editor(conn, note=note)

    def _open_editor(self, conn: Connection | None, note: str = "", connect_after: bool = False) -> ConnectionEditDialog:
        dialog = ConnectionEditDialog(self.store, self.secrets, conn, self, note=note)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda saved: self._saved(saved, connect_after))
        dialog.finished.connect(lambda _r: setattr(self, "edit_dialog", None))
        self.edit_dialog = dialog
        dialog.open()
        return dialog

    def _saved(self, conn: Connection, connect_after: bool) -> None:
        self.desk.refresh_names()  # a renamed live connection shows its new name at once
        self.refresh()
        self.select(conn.id)
        where = "" if not _has_secret_fields(conn) else (
            " Secrets are in the system keyring." if self.secrets.available else " Secrets are kept for this session only.")
        again = " Reconnect it to use the changes." if self.status_of(conn.id) in LIVE else ""
        self.message.setText(f"Saved {conn.name}.{where}{again}")
        if connect_after:
            self.connect_selected()

    def remove(self) -> None:
        """Ask, then forget the selected (disconnected, not built-in) connection: its
        rows leave the blotters and its saved secrets are deleted."""
        cid = self.selected_id()
        conn = self.selected()
        if cid is None or (conn is not None and conn.builtin) or self.status_of(cid) in LIVE:
            return
        name = self._name(cid)
        box = QMessageBox(QMessageBox.Icon.Question, "Remove connection",
                          f"Remove the connection “{name}”? Its rows leave the blotters"
                          + (" and its saved passwords and keys are deleted." if conn is not None else "."),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("removeConnectionDialog")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda result: result == QMessageBox.StandardButton.Yes and self._run(cid, self._remove(cid)))
        box.open()

    async def _remove(self, cid: str) -> None:
        name = self._name(cid)
        if cid in self.desk.connections:
            await self.desk.remove(cid)
        if cid in self.store:
            conn = self.store.get(cid)
            for field in list(conn.secrets):
                self.secrets.delete(cid, field)
            self.store.remove(cid)
        if shiboken6.isValid(self):
            self.message.setText(f"Removed {name}.")

    def connect_selected(self) -> None:
        """Connect the selected connection beside the others (asking for missing
        secrets first)."""
        cid = self.selected_id()
        if cid is None or self.busy(cid):
            return
        conn = self.selected()
        if conn is not None:
            fields = [f.name for f in conn.spec.secret_fields]
            found, _missing = self.secrets.secrets_for(conn.id, fields) if fields else ({}, [])
            missing = conn.missing_secrets(found)
            if missing:
                labels = ", ".join(conn.spec.field(name).label for name in missing)
                self._open_editor(conn, note=f"Enter {labels} to connect {conn.name}.", connect_after=True)
                return
        name = self._name(cid)
        self.message.setText(f"Connecting {name}…")
        self._run(cid, self._connect(cid, name))

    async def _connect(self, cid: str, name: str) -> None:
        failure = await (self.session_ui.connect(cid) if cid in self.store else self.session_ui.reconnect(cid))
        if not shiboken6.isValid(self):
            return
        if failure is None:
            self.message.setText(f"Connected {name}.")
        else:
            text = getattr(failure, "message", None) or str(failure)
            self.message.setText(redact(f"Could not connect {name}: {text}"))

    def disconnect_selected(self) -> None:
        """Disconnect the selected connection; the others stay connected."""
        cid = self.selected_id()
        if cid is None:
            return
        name = self._name(cid)
        self.message.setText(f"Disconnecting {name}…")
        self._run(cid, self._disconnect(cid, name))

    async def _disconnect(self, cid: str, name: str) -> None:
        await self.session_ui.disconnect(cid)
        if shiboken6.isValid(self):
            self.message.setText(f"Disconnected {name}.")

    def _run(self, cid: str, coro) -> None:
        def failed(exc: BaseException) -> None:
            if shiboken6.isValid(self):
                self.message.setText(redact(f"Failed: {exc}"))

        def finished(_task: asyncio.Task) -> None:
            if shiboken6.isValid(self):
                self.refresh()

        task = spawn(coro, name=f"connections:{cid}", on_error=failed)
        task.add_done_callback(finished)
        self._tasks[cid] = task
        self._update_buttons()


def _has_secret_fields(conn: Connection) -> bool:
    try:
        return bool(conn.spec.secret_fields)
    except KeyError:
        return False


def open_connections_dialog(parent: QWidget | None, desk: Desk, session_ui: "SessionUi", store: ConnectionStore,
                            secrets: SecretStore) -> ConnectionsDialog:
    """Show the connections manager (one at a time, not blocking the event loop)."""
    existing = getattr(session_ui, "connections_dialog", None)
    if existing is not None and shiboken6.isValid(existing) and existing.isVisible():
        existing.raise_()
        existing.activateWindow()
        return existing
    dialog = ConnectionsDialog(parent, desk, session_ui, store, secrets)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    session_ui.connections_dialog = dialog
    dialog.open()
    return dialog
