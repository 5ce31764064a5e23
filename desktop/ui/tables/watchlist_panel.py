"""WatchlistPanel: the user's watchlists, one shown at a time, with a quote per symbol.

The user adds a symbol in the "Add symbol…" box (:class:`~.symbol_search.SymbolSearch`,
backed by the ``search`` the window gives: the market-data connection's
``search_instruments``), removes it (Delete, or Remove in the row's menu), drags rows
into another order (or Ctrl+Up / Ctrl+Down), and keeps several named lists
(:class:`~.watchlist_lists.ListSwitcher`). With ``settings`` the lists are saved after
every change (:mod:`.watchlists`); the panel emits ``symbolsChanged(list[str])``
whenever the shown symbols change, for the window to stream them.

A row's menu: Buy / Sell (``tradeRequested(symbol, OrderSide)``), Chart
(double-click: ``activated(Quote)`` and ``chartRequested(symbol)``), Option chain
(``optionChainRequested(symbol)``), Move up / down, Remove. The panel never talks to a
broker except through ``search``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import QLabel, QMenu, QSizePolicy, QVBoxLayout, QWidget

from desktop.domain import Instrument, OrderSide, Quote

from .columns import loss_color
from .connection_columns import names_of
from ..price_places import remember
from .connection_labels import ConnectionLabels
from .definitions import watchlist_model
from .momentum_column import MomentumValues
from .panel import TablePanel
from .proxy import TableProxy
from .symbol_search import Search, SymbolSearch
from .watchlist_lists import ListSwitcher
from .watchlist_view import WatchlistModel, WatchlistView
from .watchlists import MAX_SYMBOLS, Watchlists, load_watchlists, save_watchlists


class WatchlistPanel(TablePanel):
    """Quotes by symbol in the user's order (click a header to sort; a third click
    restores). Each row shows the quote of one connection, its market-data source
    (Source column); a quote of a stale connection is greyed, its age in the tooltip.

    ``search``: ``search(query) -> awaitable list[Instrument]`` checking and completing
    added symbols (None: symbols are taken as typed); ``settings``: where the lists
    are kept (None: in memory only, starting with the default list).
    """

    symbolsChanged = Signal(list)
    """The shown symbols, in order, after any change (add, remove, move, another list)."""
    tradeRequested = Signal(str, object)
    """``(symbol, OrderSide)`` from the row menu's Buy / Sell."""
    chartRequested = Signal(str)
    """A symbol to chart (the row menu's Chart, or a double-click)."""
    optionChainRequested = Signal(str)
    """An underlying whose option chain to show."""
    view_type = WatchlistView

    def __init__(self, labels: ConnectionLabels | None = None, parent: QWidget | None = None, *,
                 search: Search | None = None, settings: QSettings | None = None) -> None:
        self._listed: frozenset[str] = frozenset()
        # Quotes of listed symbols only (a source also streams the ticket's symbol and held ones).
        self.momentum = MomentumValues()
        """The n-day momentum its column shows (filled by the Portfolio panel)."""
        model = watchlist_model(names_of(labels), WatchlistModel, admit=lambda symbol: symbol in self._listed,
                                momentum=self.momentum)
        model.momentum = self.momentum
        super().__init__(model, TableProxy(("symbol",)),
                         name="watchlist", filter_placeholder=None, labels=labels, connection_column="source",
                         parent=parent)
        self.view: WatchlistView
        self.view.reorder = self.move_symbols
        self._settings = settings
        self.lists: Watchlists = load_watchlists(settings) if settings is not None else Watchlists()
        self.switcher = ListSwitcher(self.lists, self)
        self.switcher.changed.connect(self._lists_changed)
        self.add_tool(self.switcher)
        self.search_edit = SymbolSearch(search, self)
        self.search_edit.setObjectName("watchlistAddEdit")
        # the placeholder whole, no more: a wider minimum made the panel wider than a 1024-px window's
        # watchlist dock, which then scrolled the whole panel (a second scroll bar under the table's)
        self.search_edit.setMinimumWidth(self.search_edit.fontMetrics().horizontalAdvance("Add symbol…") + 20)
        self.search_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.search_edit.chosen.connect(self._instrument_chosen)
        self.search_edit.problem.connect(self.say)
        self.search_edit.textEdited.connect(lambda _text: self.say(""))
        self.add_tool(self.search_edit)
        self.message = QLabel(self)
        self.message.setObjectName("watchlistMessage")
        self.message.setWordWrap(True)
        self.message.setContentsMargins(6, 0, 6, 0)
        self.message.hide()
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(1, self.message)
        self._shortcut("Remove", (QKeySequence.StandardKey.Delete, QKeySequence(Qt.Key.Key_Backspace)),
                       self.remove_selected)
        self._shortcut("Move up", (QKeySequence("Ctrl+Up"),), lambda: self.move_selected(-1))
        self._shortcut("Move down", (QKeySequence("Ctrl+Down"),), lambda: self.move_selected(1))
        self._show(self.lists.symbols())

    def _shortcut(self, text: str, keys: Iterable[QKeySequence | QKeySequence.StandardKey], slot: Any) -> None:
        action = QAction(text, self.view)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        self.view.addAction(action)

    def set_search(self, search: Search | None) -> None:
        """Check and complete added symbols with ``search`` from now on."""
        self.search_edit.set_search(search)

    # ------------------------------------------------------------------ the list
    def symbols(self) -> list[str]:
        """Symbols shown, in the user's order."""
        return self.lists.symbols()

    def set_symbols(self, symbols: Iterable[str]) -> None:
        """Make the shown list exactly ``symbols`` (saved; ``symbolsChanged`` when it
        changed)."""
        wanted = self.lists.set_symbols(list(symbols)[:MAX_SYMBOLS])
        self._changed(wanted)

    def _show(self, wanted: list[str]) -> bool:
        """Rows for exactly ``wanted``, in that order; whether anything changed."""
        self._listed = frozenset(wanted)
        self.model.flush()
        known = self.model.keys()
        present, had = set(wanted), set(known)
        self.model.remove_many(k for k in known if k not in present)
        self.model.stage(Quote(symbol=s) for s in wanted if s not in had)
        self.model.flush()
        reordered = self.model.set_order(wanted)
        return reordered or known != wanted

    def _changed(self, wanted: list[str]) -> None:
        """The shown list is ``wanted`` now: rows, settings, the signal."""
        changed = self._show(wanted)
        self._save()
        if changed:
            self.symbolsChanged.emit(list(wanted))

    def _lists_changed(self) -> None:
        self.say("")
        self._changed(self.lists.symbols())

    def _save(self) -> None:
        if self._settings is not None:
            save_watchlists(self._settings, self.lists)
            self._settings.sync()

    def say(self, text: str) -> None:
        """Show ``text`` under the toolbar, in the warning colour ("" hides it)."""
        palette = self.message.palette()
        palette.setColor(QPalette.ColorRole.WindowText, loss_color())  # the theme's, at the moment it is said
        self.message.setPalette(palette)
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # ------------------------------------------------------------ add / remove
    def _instrument_chosen(self, instrument: Instrument) -> None:
        remember(instrument)  # its prices are shown with its decimals (EURUSD 5)
        if self.add_symbol(instrument.symbol):
            self.search_edit.clear()

    def add_symbol(self, symbol: str) -> bool:
        """Append ``symbol`` to the shown list (saved); False with a message when it is
        there already or the list is full."""
        symbol = symbol.strip().upper()
        current = self.lists.symbols()
        if symbol in current:
            self.say(f"{symbol} is already in {self.lists.current}")
            self._select([symbol])
            return False
        if len(current) >= MAX_SYMBOLS:
            self.say(f"{self.lists.current} is full ({MAX_SYMBOLS} symbols): remove some first")
            return False
        self.say("")
        self._changed(self.lists.set_symbols(current + [symbol]))
        self._select([symbol])
        return True

    def remove_symbols(self, symbols: Iterable[str]) -> None:
        """Take ``symbols`` off the shown list (saved)."""
        gone = {s.upper() for s in symbols}
        if gone:
            self._changed(self.lists.set_symbols([s for s in self.lists.symbols() if s not in gone]))

    def remove_selected(self) -> None:
        """Delete key / Remove: the selected rows' symbols."""
        self.remove_symbols(q.symbol for q in self.selected_rows())

    # ------------------------------------------------------------------- order
    @property
    def sorted_by_column(self) -> bool:
        """Whether a column sorts the rows (then they cannot be moved)."""
        return self.view.horizontalHeader().sortIndicatorSection() >= 0

    def move_symbols(self, symbols: list[str], before: str | None) -> None:
        """Move ``symbols`` (in their list order) to just before ``before`` (None: the
        end); saved. Ignored while a column sorts the rows."""
        if self.sorted_by_column:
            return
        moving = {s.upper() for s in symbols}
        current = self.lists.symbols()
        rest = [s for s in current if s not in moving]
        block = [s for s in current if s in moving]
        if before is not None and before in moving:  # dropped onto the block itself: stays put
            return
        at = rest.index(before) if before is not None and before in rest else len(rest)
        self._changed(self.lists.set_symbols(rest[:at] + block + rest[at:]))
        self._select(block)

    def move_selected(self, step: int) -> None:
        """Ctrl+Up (-1) / Ctrl+Down (+1): move the selected rows one place."""
        current = self.lists.symbols()
        chosen = [s for s in current if s in {q.symbol for q in self.selected_rows()}]
        if not chosen or self.sorted_by_column:
            return
        first, last = current.index(chosen[0]), current.index(chosen[-1])
        rest = [s for s in current if s not in set(chosen)]
        if step < 0 and first > 0:
            self.move_symbols(chosen, current[first - 1] if current[first - 1] in rest else None)
        elif step > 0 and last < len(current) - 1:
            after = rest.index(current[last + 1]) + 1
            self.move_symbols(chosen, rest[after] if after < len(rest) else None)

    def _select(self, symbols: list[str]) -> None:
        selection = self.view.selectionModel()
        selection.clearSelection()
        for symbol in symbols:
            pos = self.model.position(symbol)
            if pos is not None:
                index = self.proxy.mapFromSource(self.model.index(pos, 0))
                selection.select(index, selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
                self.view.scrollTo(index)

    # --------------------------------------------------------------- row menu
    def add_row_actions(self, menu: QMenu, rows: list[Any]) -> None:
        target = rows[0].symbol if len(rows) == 1 else None
        one = target is not None
        for text, name, slot in (
            (f"Buy {target}" if one else "Buy", "buyAction", lambda: self.tradeRequested.emit(target, OrderSide.BUY)),
            (f"Sell {target}" if one else "Sell", "sellAction", lambda: self.tradeRequested.emit(target, OrderSide.SELL)),
            (f"Chart {target} (double-click)" if one else "Chart (double-click)", "chartAction",
             lambda: self.double_click(rows[0])),
            (f"Option chain for {target}" if one else "Option chain", "optionChainAction",
             lambda: self.optionChainRequested.emit(target)),
        ):
            action = menu.addAction(text, slot)
            action.setObjectName(name)
            action.setEnabled(one)
        menu.addSeparator()
        movable = bool(rows) and not self.sorted_by_column
        for text, name, step in (("Move up\tCtrl+Up", "moveUpAction", -1), ("Move down\tCtrl+Down", "moveDownAction", 1)):
            action = menu.addAction(text, lambda step=step: self.move_selected(step))
            action.setObjectName(name)
            action.setEnabled(movable)
        label = f"Remove {target}" if one else f"Remove {len(rows)} symbols" if rows else "Remove"
        remove = menu.addAction(f"{label}\tDel", self.remove_selected)
        remove.setObjectName("removeSymbolAction")
        remove.setEnabled(bool(rows))
        menu.addAction("Add symbol…", self.search_edit.setFocus).setObjectName("addSymbolAction")

    def on_row_double_clicked(self, row: Any) -> None:
        self.chartRequested.emit(row.symbol)

    def drop_connections(self, connection_ids: Iterable[str]) -> None:
        """Quotes of removed connections are gone: their symbols' rows go empty (the
        window stages the new source's quote when it has one)."""
        ids = frozenset(connection_ids)
        pending = self.model.staged_rows()
        blank = [q.symbol for q in self.model.rows() if q.connection_id in ids and q.symbol not in pending]
        blank += [q.symbol for q in pending.values() if q.connection_id in ids]
        if blank:
            self.model.stage(Quote(symbol=s) for s in blank)
