"""The option chain: calls on the left, strikes in the middle, puts on the right.

:class:`OptionChainModel` is a QAbstractTableModel over one expiry of an
:class:`~desktop.domain.OptionChain`: a row per strike; call columns mirrored around the
strike column so bid and ask sit next to it. The at-the-money strike is highlighted and
in-the-money cells are shaded. Refreshing with the same strikes emits one dataChanged for
the whole table; a new set of strikes resets the model.

:class:`OptionChainPanel` adds the underlying field, the expiry tabs (with days to
expiry) and a periodic refresh (every second while visible) that awaits an injected
``fetch_chain(underlying, expiry)`` coroutine function (the BrokerService's).
Clicking a bid cell asks to sell that contract, any other call/put cell to buy it:
``tradeRequested(OptionQuote, OrderSide)``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView, QCompleter, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QTabBar, QTableView, QVBoxLayout,
    QWidget,
)

from desktop.brokers import BrokerError
from desktop.domain import OptionChain, OptionQuote, OptionRight, OrderSide

from ..services.tasks import spawn
from .common import (
    as_date, atm_background, atm_text, days_to_expiry, fmt_clock, fmt_dte, fmt_strike, itm_background, muted,
    strike_background,
)

log = logging.getLogger(__name__)

FetchChain = Callable[[str, "date | None"], Awaitable[OptionChain]]
"""``await fetch_chain(underlying, expiry)`` -> OptionChain (expiry None: the broker's default)."""

QuoteRole = int(Qt.ItemDataRole.UserRole) + 20
"""The OptionQuote behind a call/put cell (None for the strike column)."""
FieldRole = int(Qt.ItemDataRole.UserRole) + 21
"""The quote field a column shows ("bid", "ask", ..., "strike")."""
StrikeRole = int(Qt.ItemDataRole.UserRole) + 22

REFRESH_MS = 1000
"""The chain reloads this often while it is visible (the paper replay moves a minute a second)."""
_PAD = 11  # px around a cell's text


@dataclass(frozen=True)
class ChainColumn:
    field: str
    header: str
    tip: str


_FIELDS = [
    ChainColumn("bid", "Bid", "Bid: click to sell"),
    ChainColumn("ask", "Ask", "Ask: click to buy"),
    ChainColumn("last", "Last", "Last traded price"),
    ChainColumn("volume", "Vol", "Volume: contracts traded today"),
    ChainColumn("open_interest", "OI", "Open interest: contracts outstanding"),
    ChainColumn("iv", "IV", "Implied volatility, annualised, in %"),
    ChainColumn("delta", "Delta", "Delta: option price change per 1.00 move of the underlying"),
]
CALL_COLUMNS = list(reversed(_FIELDS))  # ... last, ask, bid | strike
PUT_COLUMNS = list(_FIELDS)  # strike | bid, ask, last ...
STRIKE_COLUMN = len(CALL_COLUMNS)
COLUMN_COUNT = len(CALL_COLUMNS) + 1 + len(PUT_COLUMNS)


def column_spec(column: int) -> tuple[OptionRight | None, str]:
    """(right, field) of a column: (CALL, "bid"), (None, "strike"), (PUT, "delta")..."""
    if column < STRIKE_COLUMN:
        return OptionRight.CALL, CALL_COLUMNS[column].field
    if column == STRIKE_COLUMN:
        return None, "strike"
    return OptionRight.PUT, PUT_COLUMNS[column - STRIKE_COLUMN - 1].field


def column_of(right: OptionRight, field: str) -> int:
    """The column showing ``field`` of ``right``'s quotes."""
    if right is OptionRight.CALL:
        return next(i for i, c in enumerate(CALL_COLUMNS) if c.field == field)
    return STRIKE_COLUMN + 1 + next(i for i, c in enumerate(PUT_COLUMNS) if c.field == field)


def fmt_cell(field: str, value: Any) -> str:
    """Chain cell text: prices 2 decimals, counts with separators, IV in %, delta 2 decimals."""
    if value is None:
        return "–" if field in ("bid", "ask", "last") else ""
    if field in ("bid", "ask", "last"):
        return f"{value:,.2f}"
    if field in ("volume", "open_interest"):
        return f"{int(value):,}"
    if field == "iv":
        return f"{value * 100:.1f}"
    if field == "delta":
        text = f"{value:.2f}"
        return "0.00" if text == "-0.00" else text
    return str(value)


@dataclass(frozen=True)
class ChainRow:
    strike: Decimal
    call: OptionQuote | None
    put: OptionQuote | None


class OptionChainModel(QAbstractTableModel):
    """One expiry of an option chain as a table (see module docs)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[ChainRow] = []
        self._underlying = ""
        self._price: Decimal | None = None
        self._expiry: date | None = None
        self._atm: Decimal | None = None
        self._bold = QFont()
        self._bold.setBold(True)

    # ---------------------------------------------------------------- updates
    def set_chain(self, chain: OptionChain | None, expiry: date | None) -> None:
        """Show ``chain``'s quotes of ``expiry`` (None: its first expiry)."""
        if chain is None:
            self.beginResetModel()
            self._rows, self._underlying, self._price, self._expiry, self._atm = [], "", None, None, None
            self.endResetModel()
            return
        quotes = chain.quotes
        if expiry is None:
            expiries = sorted({q.contract.expiry for q in quotes}) or list(chain.expiries)
            expiry = expiries[0] if expiries else None
        by_strike: dict[Decimal, dict[OptionRight, OptionQuote]] = {}
        for quote in quotes:
            if quote.contract.expiry == expiry:
                by_strike.setdefault(quote.contract.strike, {})[quote.contract.right] = quote
        rows = [ChainRow(s, q.get(OptionRight.CALL), q.get(OptionRight.PUT)) for s, q in sorted(by_strike.items())]
        price = chain.underlying_price or next((q.underlying_price for q in quotes if q.underlying_price is not None), None)
        strikes = [r.strike for r in rows]
        same_shape = (strikes == [r.strike for r in self._rows] and chain.underlying == self._underlying
                      and expiry == self._expiry)
        self._underlying, self._price, self._expiry = chain.underlying, price, expiry
        self._atm = min(strikes, key=lambda s: (abs(s - price), s)) if strikes and price is not None else None
        if same_shape:
            self._rows = rows
            if rows:  # one signal for the whole table, however many quotes moved
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, COLUMN_COUNT - 1))
        else:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()

    # ------------------------------------------------------------------- info
    @property
    def underlying(self) -> str:
        return self._underlying

    @property
    def underlying_price(self) -> Decimal | None:
        return self._price

    @property
    def expiry(self) -> date | None:
        return self._expiry

    @property
    def atm_strike(self) -> Decimal | None:
        """The strike nearest the underlying price (None when unknown)."""
        return self._atm

    def strikes(self) -> list[Decimal]:
        return [r.strike for r in self._rows]

    def row_of(self, strike: Decimal) -> int:
        """Row of ``strike`` (-1 when absent)."""
        return next((i for i, r in enumerate(self._rows) if r.strike == strike), -1)

    def quote_at(self, row: int, column: int) -> OptionQuote | None:
        if not 0 <= row < len(self._rows):
            return None
        right, _field = column_spec(column)
        r = self._rows[row]
        return r.call if right is OptionRight.CALL else r.put if right is OptionRight.PUT else None

    def quote_for(self, symbol: str) -> OptionQuote | None:
        """The quote of the contract whose OCC symbol is ``symbol`` (None when not shown)."""
        for r in self._rows:
            for q in (r.call, r.put):
                if q is not None and q.contract.occ_symbol == symbol:
                    return q
        return None

    def in_the_money(self, right: OptionRight, strike: Decimal) -> bool:
        """Calls below and puts above the underlying price are in the money."""
        if self._price is None:
            return False
        return strike < self._price if right is OptionRight.CALL else strike > self._price

    # -------------------------------------------------------------- Qt model
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else COLUMN_COUNT

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        role = int(role)
        row = self._rows[index.row()]
        right, field = column_spec(index.column())
        atm = row.strike == self._atm
        if right is None:  # the strike column
            if role == Qt.ItemDataRole.DisplayRole:
                return fmt_strike(row.strike)
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return Qt.AlignmentFlag.AlignCenter
            if role == Qt.ItemDataRole.BackgroundRole:
                return atm_background() if atm else strike_background()
            if role == Qt.ItemDataRole.ForegroundRole:
                return atm_text() if atm else None
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
            if role == Qt.ItemDataRole.ToolTipRole:
                price = f" (underlying {self._price:,.2f})" if self._price is not None else ""
                return f"Strike {fmt_strike(row.strike)}{' · at the money' if atm else ''}{price}"
            if role == FieldRole:
                return "strike"
            if role == StrikeRole:
                return row.strike
            return None
        quote = row.call if right is OptionRight.CALL else row.put
        if role == Qt.ItemDataRole.DisplayRole:
            return fmt_cell(field, getattr(quote, field)) if quote is not None else ""
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.BackgroundRole:
            return itm_background() if self.in_the_money(right, row.strike) else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if field in ("volume", "open_interest", "iv", "delta"):
                return muted()
            return None
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if atm and field in ("bid", "ask") else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if quote is None:
                return None
            c = quote.contract
            kind = "call" if right is OptionRight.CALL else "put"
            itm = "in the money" if self.in_the_money(right, row.strike) else "out of the money"
            action = {"bid": "Click to sell at the bid", "ask": "Click to buy at the ask"}.get(field, "Click to buy")
            return f"{c.describe()} ({kind}, {itm})\n{c.occ_symbol}\n{action}"
        if role == QuoteRole:
            return quote
        if role == FieldRole:
            return field
        if role == StrikeRole:
            return row.strike
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < COLUMN_COUNT:
            return None
        role = int(role)
        right, field = column_spec(section)
        spec = None
        if right is OptionRight.CALL:
            spec = CALL_COLUMNS[section]
        elif right is OptionRight.PUT:
            spec = PUT_COLUMNS[section - STRIKE_COLUMN - 1]
        if role == Qt.ItemDataRole.DisplayRole:
            return "Strike" if spec is None else spec.header
        if role == Qt.ItemDataRole.ToolTipRole:
            if spec is None:
                return "Strike price; the at-the-money strike is highlighted"
            return f"{'Calls' if right is OptionRight.CALL else 'Puts'}: {spec.tip}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignCenter if spec is None else Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class OptionChainPanel(QWidget):
    """Underlying, expiry tabs and the chain table (objectName "optionChainPanel").

    Children: "chainUnderlyingEdit", "underlyingPriceLabel", "expiryTabs" (a QTabBar,
    one tab per listed expiry: "15 Mar 13 · 11d"), "chainView", "chainStatus".
    ``set_fetcher(fetch_chain)`` enables loading; ``refresh()`` loads now (one request
    at a time); the timer refreshes every ``REFRESH_MS`` (1 s) while the panel is visible.
    Signals: ``chainLoaded(OptionChain)``, ``underlyingSelected(str)``,
    ``expirySelected(date)``, ``tradeRequested(OptionQuote, OrderSide)``.
    """

    chainLoaded = Signal(object)
    underlyingSelected = Signal(str)
    expirySelected = Signal(object)
    tradeRequested = Signal(object, object)

    def __init__(self, parent: QWidget | None = None, *, fetch_chain: FetchChain | None = None,
                 refresh_ms: int = REFRESH_MS) -> None:
        super().__init__(parent)
        self.setObjectName("optionChainPanel")
        self._fetch = fetch_chain
        self._enabled: Callable[[], bool] = lambda: True
        self._task: asyncio.Task | None = None
        self._chain: OptionChain | None = None
        self._expiry: date | None = None
        self._expiries: tuple[date, ...] = ()
        self._today: date | None = None
        self._generation = 0
        self._centered = False
        self._current = ""
        self.refreshes = 0

        self.underlying_edit = QLineEdit(self, objectName="chainUnderlyingEdit", placeholderText="Underlying")
        self.underlying_edit.setMaxLength(6)
        self.underlying_edit.setMaximumWidth(110)
        self.completer_model = QStringListModel(self)
        completer = QCompleter(self.completer_model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.underlying_edit.setCompleter(completer)
        self.underlying_edit.editingFinished.connect(self._underlying_typed)
        completer.activated.connect(lambda _t: self._underlying_typed())
        self.price_label = QLabel(self, objectName="underlyingPriceLabel")
        self.price_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label = QLabel(self, objectName="chainStatus")
        self.status_label.setStyleSheet("color: palette(placeholder-text);")

        self.tabs = QTabBar(self, objectName="expiryTabs")
        self.tabs.setExpanding(False)
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setDrawBase(False)
        self.tabs.setElideMode(Qt.TextElideMode.ElideNone)
        self.tabs.currentChanged.connect(self._tab_changed)

        self.model = OptionChainModel(self)
        self.view = QTableView(self, objectName="chainView")
        self.view.setModel(self.model)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setCornerButtonEnabled(False)
        self.view.setMouseTracking(True)
        font = self.view.font()
        if font.pointSizeF() > 8:
            font.setPointSizeF(font.pointSizeF() - 0.5)  # a chain is dense: 15 columns
            self.view.setFont(font)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # the panel shares the width out
        header.setMinimumSectionSize(20)
        header.setStretchLastSection(False)
        self.view.clicked.connect(self._cell_clicked)
        self._natural: list[int] = []
        self._size_columns()
        self.view.viewport().installEventFilter(self)

        self.calls_label = QLabel("CALLS", self, objectName="callsLabel")
        self.puts_label = QLabel("PUTS", self, objectName="putsLabel")
        for lab in (self.calls_label, self.puts_label):
            lab.setStyleSheet("font-weight: bold; letter-spacing: 1px; color: palette(placeholder-text);")
        self.puts_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(6)
        top.addWidget(self.underlying_edit)
        top.addWidget(self.price_label)
        top.addStretch(1)
        top.addWidget(self.status_label)
        sides = QHBoxLayout()
        sides.setContentsMargins(2, 0, 2, 0)
        sides.addWidget(self.calls_label)
        sides.addStretch(1)
        sides.addWidget(self.puts_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(3)
        layout.addLayout(top)
        layout.addWidget(self.tabs)
        layout.addLayout(sides)
        layout.addWidget(self.view, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(refresh_ms)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    # --------------------------------------------------------------- public API
    def set_fetcher(self, fetch_chain: FetchChain | None, enabled: Callable[[], bool] | None = None) -> None:
        """Set the coroutine function that loads a chain, and a predicate that says
        whether loading makes sense now (e.g. "the broker is connected")."""
        self._fetch = fetch_chain
        if enabled is not None:
            self._enabled = enabled

    def set_symbols(self, symbols) -> None:
        """Underlyings offered by the completer."""
        self.completer_model.setStringList(sorted({str(s).upper() for s in symbols if str(s).isalnum()}))

    def underlying(self) -> str:
        return self.underlying_edit.text().strip().upper()

    def expiry(self) -> date | None:
        """The selected expiry (None until the chain has told which are listed)."""
        return self._expiry

    def expiries(self) -> tuple[date, ...]:
        return self._expiries

    def chain(self) -> OptionChain | None:
        """The last chain loaded."""
        return self._chain

    def set_underlying(self, symbol: str) -> None:
        """Show ``symbol``'s chain (loads it now)."""
        symbol = symbol.strip().upper()
        if not symbol or symbol == self._current:
            return
        self.underlying_edit.setText(symbol)
        self._switch_underlying(symbol)

    def set_expiry(self, expiry: date) -> None:
        """Select the tab of ``expiry`` (when listed) and load it."""
        if expiry == self._expiry:
            return
        if self._expiries and expiry not in self._expiries:
            return
        self._expiry = expiry
        self._sync_tabs()
        self._show()
        self.refresh()

    def quote_for(self, symbol: str) -> OptionQuote | None:
        """Latest quote of the contract with OCC symbol ``symbol``, if the chain shows it."""
        return self.model.quote_for(symbol)

    def index_of(self, right: OptionRight, strike: Decimal, field: str) -> QModelIndex:
        """The view index of ``field`` of the ``right`` at ``strike`` (for tests and keyboard)."""
        row = self.model.row_of(strike)
        return self.model.index(row, column_of(right, field)) if row >= 0 else QModelIndex()

    def refresh(self) -> asyncio.Task | None:
        """Load the chain now unless a load is already running; returns the task."""
        underlying = self.underlying()
        if self._fetch is None or not underlying or not self._enabled():
            return None
        if self._task is not None and not self._task.done():
            return None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return None  # no event loop yet (the app is starting)
        self._task = spawn(self._load(underlying, self._expiry, self._generation), name=f"option-chain:{underlying}",
                           on_error=self._failed)
        return self._task

    # ------------------------------------------------------------------ private
    def _tick(self) -> None:
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        QTimer.singleShot(0, self.refresh)
        if not self._centered:
            QTimer.singleShot(0, self._scroll_to_atm)

    async def _load(self, underlying: str, expiry: date | None, generation: int) -> None:
        try:
            chain = await self._fetch(underlying, expiry)
        except BrokerError as exc:
            if generation == self._generation:
                self._show_status(f"{underlying}: {exc.message}")
                if self._chain is not None and self._chain.underlying != underlying:
                    self._chain = None
                    self.model.set_chain(None, None)
            return
        if generation != self._generation:
            return  # the user moved on to another underlying meanwhile
        self.refreshes += 1
        self._apply(chain, expiry)

    def _failed(self, exc: BaseException) -> None:
        self._show_status(f"Chain failed: {type(exc).__name__}: {exc}")

    def _apply(self, chain: OptionChain, requested: date | None = None) -> None:
        self._chain = chain
        self._today = as_date(chain.timestamp)
        expiries = tuple(sorted(chain.expiries or {q.contract.expiry for q in chain.quotes}))
        if self._expiry is None or (expiries and self._expiry not in expiries):
            quoted = sorted({q.contract.expiry for q in chain.quotes})
            self._expiry = quoted[0] if quoted else (expiries[0] if expiries else None)
            if self._expiry is not None:
                self.expirySelected.emit(self._expiry)
        if expiries != self._expiries:
            self._expiries = expiries
        self._sync_tabs()
        self._show()
        self._show_status(f"as of {fmt_clock(chain.timestamp)}" if chain.quotes else f"{chain.underlying}: no quotes")
        self.chainLoaded.emit(chain)
        if self._expiry is not None and requested != self._expiry:
            self.refresh_soon()  # loaded another expiry than the one now selected

    def refresh_soon(self) -> None:
        """Load again as soon as the running load is done (e.g. after an expiry change)."""
        QTimer.singleShot(50, self.refresh)

    def _show(self) -> None:
        chain = self._chain
        if chain is None or chain.underlying != self.underlying():
            return
        had_rows = self.model.rowCount() > 0
        shape = (self.model.underlying, self.model.expiry)
        self.model.set_chain(chain, self._expiry)
        price = self.model.underlying_price
        self.price_label.setText(f"Last <b>{price:,.2f}</b>" if price is not None else "")
        self.price_label.setToolTip(f"{chain.underlying} last price; calls below and puts above it are in the money (shaded)")
        self._fit_columns()
        if not had_rows or shape != (self.model.underlying, self.model.expiry):
            self._centered = False
            QTimer.singleShot(0, self._scroll_to_atm)

    def _scroll_to_atm(self) -> None:
        """Centre the at-the-money strike (once per underlying/expiry, after layout)."""
        atm = self.model.atm_strike
        if atm is None or not self.view.isVisible() or self.view.viewport().height() < 2:
            return
        row = self.model.row_of(atm)
        self.view.scrollTo(self.model.index(row, STRIKE_COLUMN), QAbstractItemView.ScrollHint.PositionAtCenter)
        self._centered = True

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if not self._centered:
            QTimer.singleShot(0, self._scroll_to_atm)

    def _sync_tabs(self) -> None:
        tabs = self.tabs
        wanted = [(e, f"{e:%d %b %y} · {fmt_dte(days_to_expiry(e, self._today))}".rstrip(" ·")) for e in self._expiries]
        current = [(tabs.tabData(i), tabs.tabText(i)) for i in range(tabs.count())]
        tabs.blockSignals(True)
        try:
            if [d for d, _ in current] != [e for e, _ in wanted]:
                while tabs.count():
                    tabs.removeTab(0)
                for e, text in wanted:
                    i = tabs.addTab(text)
                    tabs.setTabData(i, e)
                    tabs.setTabToolTip(i, f"Expires {e:%A %d %B %Y}")
            else:
                for i, (_e, text) in enumerate(wanted):
                    if tabs.tabText(i) != text:
                        tabs.setTabText(i, text)
            index = next((i for i, (e, _t) in enumerate(wanted) if e == self._expiry), -1)
            if index >= 0:
                tabs.setCurrentIndex(index)
        finally:
            tabs.blockSignals(False)

    def _tab_changed(self, index: int) -> None:
        expiry = self.tabs.tabData(index)
        if expiry is None or expiry == self._expiry:
            return
        self._expiry = expiry
        self._show()
        self.expirySelected.emit(expiry)
        self.refresh_soon()

    def _underlying_typed(self) -> None:
        symbol = self.underlying()
        if symbol and symbol != self._current:
            self._switch_underlying(symbol)
            self.underlyingSelected.emit(symbol)

    def _switch_underlying(self, symbol: str) -> None:
        self._current = symbol
        self._generation += 1
        self._expiry = None
        self._expiries = ()
        self._chain = None
        self._sync_tabs()
        self.model.set_chain(None, None)
        self.price_label.setText(f"<b>{symbol}</b>")
        self._show_status("loading…")
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        if self.isVisible():  # else showEvent loads it
            self.refresh()

    def _show_status(self, text: str) -> None:
        self.status_label.setText(text)

    def _cell_clicked(self, index: QModelIndex) -> None:
        quote = index.data(QuoteRole)
        if quote is None:
            return
        field = index.data(FieldRole)
        side = OrderSide.SELL if field == "bid" else OrderSide.BUY
        self.tradeRequested.emit(quote, side)

    _SAMPLES = {"bid": "999.99", "ask": "999.99", "last": "999.99", "volume": "9,999", "open_interest": "99,999",
                "iv": "99.9", "delta": "-0.00", "strike": "9999.5"}

    def _size_columns(self) -> None:
        """Natural width of every column: its widest value (or a typical one) and its header."""
        metrics = self.view.fontMetrics()
        head_metrics = self.view.horizontalHeader().fontMetrics()
        self._natural = []
        for column in range(COLUMN_COUNT):
            _right, field = column_spec(column)
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            # a header section pads its text (app style sheet: 6 px each side plus a border)
            self._natural.append(max(metrics.horizontalAdvance(self._SAMPLES[field]),
                                     head_metrics.horizontalAdvance(title) + 16 - _PAD))
        self._layout_columns()

    def _fit_columns(self) -> None:
        """Grow (never shrink) a column's natural width to its widest value: numbers are never elided."""
        bold = QFont(self.view.font())
        bold.setBold(True)
        metrics = QFontMetrics(bold)
        model = self.model
        grown = False
        for column in range(COLUMN_COUNT):
            widest = 0
            for row in range(model.rowCount()):
                text = model.data(model.index(row, column))
                if text:
                    widest = max(widest, metrics.horizontalAdvance(text))
            if widest > self._natural[column]:
                self._natural[column] = widest
                grown = True
        if grown:
            self._layout_columns()

    def _layout_columns(self) -> None:
        """Share the view's width between the columns: natural width plus padding, the
        padding shrinking (down to 4 px) before a horizontal scroll bar appears, any
        extra width spread evenly so the table fills the panel."""
        header = self.view.horizontalHeader()
        avail = self.view.viewport().width()
        preferred = [n + _PAD for n in self._natural]
        least = [n + 6 for n in self._natural]
        if avail >= sum(preferred):
            extra = avail - sum(preferred)
            widths = [p + extra // COLUMN_COUNT for p in preferred]
            widths[STRIKE_COLUMN] += extra - (extra // COLUMN_COUNT) * COLUMN_COUNT
        elif avail > sum(least):
            ratio = (avail - sum(least)) / (sum(preferred) - sum(least))
            widths = [m + int((p - m) * ratio) for m, p in zip(least, preferred)]
            widths[STRIKE_COLUMN] += avail - sum(widths)
        else:
            widths = least
        for column, width in enumerate(widths):
            if header.sectionSize(column) != width:
                header.resizeSection(column, width)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self._layout_columns()
        return super().eventFilter(watched, event)

    def minimum_table_width(self) -> int:
        """Width of the table that shows every column with some air (no horizontal scroll bar)."""
        return sum(n + _PAD for n in self._natural) + self.view.verticalScrollBar().sizeHint().width() + 4

