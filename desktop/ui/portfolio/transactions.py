"""The Transactions view: a connection's account activity over a date range, for the
connections whose adapter serves it (Connect Trade's GET /transactions)."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.desk import Desk
from desktop.desk.tasks import spawn

from .figures import market_now, session_date
from .panel import _fill, _table


def serves_transactions(conn) -> bool:
    """Whether the connection's adapter has ``fetch_transactions(account, start, end)``."""
    return callable(getattr(conn.broker, "fetch_transactions", None))


class TransactionsView(QWidget):
    """Connection, From and To dates, Load; the table lists date, account, type, symbol,
    quantity, price, amount and description. The range starts as the 30 days up to the
    connection's session date (it follows that date until the user picks dates). When
    the view is shown, a connection not loaded yet is loaded. ``status`` says what was
    loaded or why not."""

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transactionsView")
        self.desk = desk
        self.connection = QComboBox(objectName="transactionsConnection")
        self.connection.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.start = QDateEdit(objectName="transactionsFrom", calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.end = QDateEdit(objectName="transactionsTo", calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.load_button = QPushButton("Load", objectName="transactionsLoad")
        self.load_button.clicked.connect(self.load)
        self._chosen = False  # the user set the dates: keep them
        for edit in (self.start, self.end):
            edit.dateChanged.connect(self._dates_edited)
        self.connection.currentIndexChanged.connect(self._default_range)
        self.status = QLabel(objectName="transactionsStatus")
        self.table = _table("transactionsTable", ["Date", "Account", "Type", "Symbol", "Quantity", "Price", "Amount",
                                                  "Description"])
        self.table.setMinimumHeight(32)  # tabbed with Accounts: never the bottom row's tallest minimum
        row = QHBoxLayout()
        for label, widget in (("Connection", self.connection), ("From", self.start), ("To", self.end)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addWidget(self.load_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self.rows = []
        self._loaded: tuple | None = None  # (connection id, from, to, its fills) of the last load
        self.refresh_connections()

    def refresh_connections(self) -> None:
        """List the live connections that serve transactions (keeps the choice)."""
        current = self.connection.currentData()
        self.connection.blockSignals(True)
        self.connection.clear()
        for conn in self.desk.live():
            if serves_transactions(conn):
                self.connection.addItem(conn.name, conn.id)
        index = self.connection.findData(current)
        self.connection.blockSignals(False)
        self.connection.setCurrentIndex(index if index >= 0 else 0)
        if index < 0:
            self._default_range()
        enabled = self.connection.count() > 0
        self.load_button.setEnabled(enabled)
        if not enabled:
            self.status.setText("No connected broker serves transactions (Connect Trade does).")
        elif self.status.text().startswith("No connected broker"):
            self.status.setText("Choose the dates and press Load.")
        self.follow_session()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Shown (its tab raised): load, unless the same connection and range are loaded."""
        super().showEvent(event)
        self.follow_session()

    def _key(self, connection_id) -> tuple:
        fills = sum(1 for f in self.desk.state.fills.values() if f.connection_id == connection_id)
        return (connection_id, self.start.date(), self.end.date(), fills)

    def follow_session(self) -> None:
        """While shown: move the default range to the connection's session date (known
        better once its quotes and fills arrive, and moving in a replay) and load when
        the connection, the range or its number of fills (a trade is a transaction)
        differs from the last load. Cheap when nothing
        changed (the window calls it after every desk change)."""
        if not self.connection.count() or not self.isVisible():
            return
        self._default_range()  # the connection's session date may be known better now (its quotes)
        if self._loaded != self._key(self.connection.currentData()):
            self.load()

    def _dates_edited(self) -> None:
        self._chosen = True

    def _default_range(self) -> None:
        """The 30 days up to the connection's session date (unless the user chose dates)."""
        cid = self.connection.currentData()
        if cid is None or self._chosen:
            return
        conn = self.desk.connections.get(cid)
        zone = (conn.capabilities or conn.broker.capabilities).exchange_timezone if conn else None
        today = session_date(market_now(self.desk, cid), zone)
        first = today - timedelta(days=30)
        for edit, day in ((self.end, today), (self.start, first)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    def load(self) -> None:
        """Fetch the chosen connection's transactions for the range (async)."""
        cid = self.connection.currentData()
        conn = self.desk.connections.get(cid) if cid else None
        if conn is None:
            return
        self._default_range()  # the session date may have moved since (a replayed market)
        start, end = self.start.date().toPython(), self.end.date().toPython()
        if end < start:
            self.status.setText("The To date is before the From date: nothing loaded")
            return
        self.status.setText("Loading…")
        self._loaded = self._key(conn.id)
        spawn(self._load(conn, start, end), name="transactions")

    async def _load(self, conn, start, end) -> None:
        try:
            rows = await conn.broker.fetch_transactions(None, start, end)
        except Exception as exc:  # noqa: BLE001 - shown, not raised
            self.status.setText(f"Could not load the transactions: {getattr(exc, 'message', exc)}")
            return
        self.rows = rows

        def n(value) -> str:
            return "" if value is None else f"{value:,f}".rstrip("0").rstrip(".") if "." in f"{value}" else f"{value:,}"
        _fill(self.table, [[t.day.isoformat() if t.day else "", t.account_id, t.transaction_type, t.symbol,
                            n(t.quantity), n(t.price), "" if t.amount is None else f"{t.amount:,.2f}", t.description]
                           for t in rows], numeric=(4, 5, 6))
        self.status.setText(f"{len(rows)} transaction(s) of {conn.name} from {start} to {end} (GET /transactions)")
