"""The option chain panel: underlying, expiry tabs and the chain table.

:class:`OptionChainPanel` adds the underlying field, the expiry tabs (with days to
expiry) and a periodic refresh (every second while visible) that awaits an injected
``fetch_chain(underlying, expiry)`` coroutine function (the BrokerService's) to the
table (:class:`~.chain_model.OptionChainModel` in a :class:`~.chain_view.ChainView`).
Clicking a bid cell asks to sell that contract, any other call/put cell to buy it:
``tradeRequested(OptionQuote, OrderSide)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal

from PySide6.QtCore import QModelIndex, QStringListModel, Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QCompleter, QHBoxLayout, QLabel, QLineEdit, QTabBar, QVBoxLayout, QWidget

from desktop.brokers import BrokerError
from desktop.domain import OptionChain, OptionQuote, OptionRight, OrderSide

from desktop.desk.tasks import spawn
from .chain_model import STRIKE_COLUMN, FieldRole, OptionChainModel, QuoteRole, column_of
from .chain_view import ChainView
from .common import as_date, days_to_expiry, fmt_clock, fmt_dte

# STRIKE_COLUMN, column_of and OptionChainModel are also imported from here (tests)
__all__ = ["REFRESH_MS", "STRIKE_COLUMN", "FetchChain", "OptionChainModel", "OptionChainPanel", "column_of"]


FetchChain = Callable[[str, "date | None"], Awaitable[OptionChain]]
"""``await fetch_chain(underlying, expiry)`` -> OptionChain (expiry None: the broker's default)."""

REFRESH_MS = 1000
"""The chain reloads this often while it is visible (the paper replay moves a minute a second)."""


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
        self.view = ChainView(self.model, self)
        self.view.clicked.connect(self._cell_clicked)

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
        """The underlying typed (upper case)."""
        return self.underlying_edit.text().strip().upper()

    def expiry(self) -> date | None:
        """The selected expiry (None until the chain has told which are listed)."""
        return self._expiry

    def expiries(self) -> tuple[date, ...]:
        """The listed expiries of the last chain, ascending (empty until loaded)."""
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
        QTimer.singleShot(0, self, self.refresh)  # context: dropped if self is deleted first
        if not self._centered:
            QTimer.singleShot(0, self, self._scroll_to_atm)

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
        QTimer.singleShot(50, self, self.refresh)

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
        self.view.fit_columns()
        if not had_rows or shape != (self.model.underlying, self.model.expiry):
            self._centered = False
            QTimer.singleShot(0, self, self._scroll_to_atm)

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
            QTimer.singleShot(0, self, self._scroll_to_atm)

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
