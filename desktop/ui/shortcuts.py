"""Application-wide trading shortcuts: the Order and Chart menus.

Every shortcut is a QAction in a menu, so the menus show its keys and Help → Keyboard
Shortcuts (:mod:`.keyboard_help`) lists it from the same actions. They work anywhere in
the main window (not in its dialogs); a text field keeps the keys it edits with.

========================  =============  ================================================
Action                    Keys           What it does
========================  =============  ================================================
Buy / Sell                Ctrl+B/Ctrl+S  the ticket's side (as the ticket's own keys do);
                                         from outside the ticket, also focus its quantity
Focus ticket quantity     Ctrl+T         raise the ticket, select its quantity
Flatten position          Ctrl+Shift+F   fill the ticket to close the selected position
Cancel selected order     Ctrl+Shift+X   cancel the orders selected in Orders
Cancel all working        Ctrl+Shift+A   after a confirmation (submenus: per connection,
                                         per symbol)
Next / previous symbol    Ctrl+PgDn/PgUp of the watchlist, in its shown order (Ctrl+Up/Down
                                         move a row inside the watchlist)
Chart interval            Ctrl+1 … 5     1m, 5m, 15m, 1h, 1D
========================  =============  ================================================
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu, QMenuBar, QWidget

from desktop.domain import Interval, OrderSide

from .shortcuts_orders import OrderShortcuts

KEYS: dict[str, str] = {
    "buy": "Ctrl+B", "sell": "Ctrl+S", "focusQuantity": "Ctrl+T", "flatten": "Ctrl+Shift+F",
    "cancelSelected": "Ctrl+Shift+X", "cancelAll": "Ctrl+Shift+A",
    "nextSymbol": "Ctrl+PgDown", "previousSymbol": "Ctrl+PgUp",
    "interval1m": "Ctrl+1", "interval5m": "Ctrl+2", "interval15m": "Ctrl+3", "interval1h": "Ctrl+4", "interval1d": "Ctrl+5",
}
"""Action key (objectName without "Action") -> its shortcut, in portable text."""

INTERVAL_NAMES = {Interval.M1: "1 Minute", Interval.M5: "5 Minutes", Interval.M15: "15 Minutes",
                  Interval.H1: "1 Hour", Interval.D1: "1 Day"}


class TradingActions:
    """The Order and Chart menus, inserted in ``bar`` before ``before`` (a menu's
    action, e.g. View's).

    ``ticket``: the order ticket (``choose_side``, ``quantity_edit``, ``submit_button``);
    ``show_ticket()``: show and raise its dock; ``orders_shortcuts``: the cancel and
    flatten flows (:class:`~.shortcuts_orders.OrderShortcuts`); ``watchlist``: the
    panel whose shown order next/previous follow; ``chart``: its symbol and interval
    (``symbol()``, ``set_interval``, ``intervalChanged``); ``show_symbol(symbol)``:
    chart a symbol and point the ticket at it; ``say(text)``: a status-bar message.
    """

    def __init__(self, bar: QMenuBar, before: QAction, *, ticket, show_ticket: Callable[[], None],
                 order_shortcuts: OrderShortcuts, watchlist, chart, show_symbol: Callable[[str], None],
                 say: Callable[[str], None]) -> None:
        self.ticket, self._show_ticket, self.flows = ticket, show_ticket, order_shortcuts
        self.watchlist, self.chart, self._show_symbol, self._say = watchlist, chart, show_symbol, say
        self.window = bar.window()
        self.actions: dict[str, QAction] = {}
        self.order_menu = QMenu("&Order", bar, objectName="orderMenu")
        self.chart_menu = QMenu("&Chart", bar, objectName="chartMenu")
        bar.insertMenu(before, self.order_menu)
        bar.insertMenu(before, self.chart_menu)
        self._build_order_menu()
        self._build_chart_menu()
        # The window-wide Ctrl+B / Ctrl+S do what the ticket's own did, everywhere:
        # the ticket's would make the keys ambiguous while the focus is in it.
        for own in (getattr(ticket, "buy_shortcut", None), getattr(ticket, "sell_shortcut", None)):
            if own is not None and own.key() in (QKeySequence(KEYS["buy"]), QKeySequence(KEYS["sell"])):
                own.setEnabled(False)

    def _action(self, key: str, text: str, slot: Callable[[], object], menu: QMenu, tip: str = "") -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(f"{key}Action")
        if key in KEYS:
            action.setShortcut(QKeySequence(KEYS[key]))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self.window.addAction(action)  # window-wide, also while the menu bar is hidden
        self.actions[key] = action
        return action

    # -- Order ---------------------------------------------------------------------------
    def _build_order_menu(self) -> None:
        m = self.order_menu
        m.setToolTipsVisible(True)
        self._action("buy", "&Buy", lambda: self.choose_side(OrderSide.BUY), m, "Set the ticket to Buy")
        self._action("sell", "&Sell", lambda: self.choose_side(OrderSide.SELL), m, "Set the ticket to Sell")
        self._action("focusQuantity", "Go to Ticket &Quantity", self.focus_quantity, m,
                     "Go to the ticket's quantity, selected for typing")
        m.addSeparator()
        self._action("flatten", "&Flatten Selected Position", self.flows.flatten_selected, m,
                     "Fill the ticket to close the position selected in Positions: opposite side, full quantity, "
                     "its own account. Nothing is sent until you submit.")
        m.addSeparator()
        self._action("cancelSelected", "&Cancel Selected Orders", self.flows.cancel_selected, m,
                     "Cancel the working orders selected in Orders, each at its own connection")
        self._action("cancelAll", "Cancel &All Working Orders…", self.flows.confirm_cancel_all, m,
                     "Cancel every working order at every connection (asks first)")
        self.cancel_at_menu = m.addMenu("Cancel All Working Orders at Co&nnection")
        self.cancel_at_menu.setObjectName("cancelAllAtMenu")
        self.cancel_in_menu = m.addMenu("Cancel All Working Orders in S&ymbol")
        self.cancel_in_menu.setObjectName("cancelAllInMenu")
        m.aboutToShow.connect(self.sync_cancel_menus)
        self.sync_cancel_menus()

    def sync_cancel_menus(self) -> None:
        """List the connections and symbols that have working orders (with how many) in
        the per-connection and per-symbol cancel submenus."""
        self.cancel_at_menu.clear()
        self.cancel_in_menu.clear()
        for cid, count in self.flows.connections_with_working():
            action = self.cancel_at_menu.addAction(f"{self.flows._name_of(cid).replace('&', '&&')} ({count})…")
            action.setObjectName(f"cancelAllAt:{cid}")
            action.triggered.connect(lambda _c=False, cid=cid: self.flows.confirm_cancel_all(connection_id=cid))
        for symbol, count in self.flows.symbols_with_working():
            action = self.cancel_in_menu.addAction(f"{symbol.replace('&', '&&')} ({count})…")
            action.setObjectName(f"cancelAllIn:{symbol}")
            action.triggered.connect(lambda _c=False, s=symbol: self.flows.confirm_cancel_all(symbol=s))
        self.cancel_at_menu.setEnabled(not self.cancel_at_menu.isEmpty())
        self.cancel_in_menu.setEnabled(not self.cancel_in_menu.isEmpty())

    def _focus_in_ticket(self) -> bool:
        focus = QApplication.focusWidget()
        return focus is not None and (focus is self.ticket or self.ticket.isAncestorOf(focus))

    def choose_side(self, side: OrderSide) -> None:
        """The ticket's side (its option action keeps open/close); from outside the
        ticket also raise it and select its quantity, ready to type."""
        self.ticket.choose_side(side)
        if not self._focus_in_ticket():
            self.focus_quantity()

    def focus_quantity(self) -> None:
        """Show and raise the ticket; its quantity gets the focus, selected."""
        self._show_ticket()
        self.ticket.quantity_edit.setFocus()
        self.ticket.quantity_edit.selectAll()

    # -- Chart ---------------------------------------------------------------------------
    def _build_chart_menu(self) -> None:
        m = self.chart_menu
        self._action("nextSymbol", "&Next Symbol", lambda: self.step_symbol(1), m,
                     "Chart the next symbol of the watchlist (the ticket follows)")
        self._action("previousSymbol", "&Previous Symbol", lambda: self.step_symbol(-1), m,
                     "Chart the previous symbol of the watchlist (the ticket follows)")
        m.addSeparator()
        self._intervals = QActionGroup(self.window)
        self._intervals.setExclusive(True)
        for interval, name in INTERVAL_NAMES.items():
            action = self._action(f"interval{interval.value}", name, lambda iv=interval: self.chart.set_interval(iv), m)
            action.setCheckable(True)
            self._intervals.addAction(action)
        self.chart.intervalChanged.connect(self.sync_interval)
        self.sync_interval(self.chart.interval())

    def sync_interval(self, interval: str) -> None:
        """Tick the chart's interval in the Chart menu."""
        action = self.actions.get(f"interval{Interval(interval).value}")
        if action is not None:
            action.setChecked(True)

    def watchlist_symbols(self) -> list[str]:
        """The watchlist's symbols in the order shown (the user's sort)."""
        proxy = self.watchlist.proxy
        return [self.watchlist.row_for(proxy.index(r, 0)).symbol for r in range(proxy.rowCount())]

    def step_symbol(self, step: int) -> str | None:
        """Chart the watchlist's symbol ``step`` rows after (before, when negative) the
        chart's, wrapping around; select its row. Returns it (None: empty watchlist)."""
        symbols = self.watchlist_symbols()
        if not symbols:
            self._say("The watchlist is empty")
            return None
        current = self.chart.symbol()
        here = symbols.index(current) if current in symbols else (-1 if step > 0 else 0)
        row = (here + step) % len(symbols)
        view, index = self.watchlist.view, self.watchlist.proxy.index(row, 0)
        selection = view.selectionModel()  # not selectRow: it would read the held Ctrl as "toggle"
        selection.setCurrentIndex(index, selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows)
        view.scrollTo(index)
        self._show_symbol(symbols[row])
        return symbols[row]


def shortcut_conflicts(widget: QWidget) -> dict[str, list[str]]:
    """Key sequences that would be ambiguous in ``widget``'s window (Qt then fires
    none of them): bound to two enabled window-wide actions or shortcuts, to a
    window-wide one and one bound to a single widget, or twice to the same widget.
    Returns keys (portable text) -> the names bound; {} when nothing conflicts."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QShortcut

    window = widget.window()
    bound: dict[str, list[tuple[object, str]]] = {}  # keys -> (scope: None = window-wide, else the widget; name)

    def add(sequences, context, owner, name) -> None:
        scope = owner if context == Qt.ShortcutContext.WidgetShortcut else None
        for seq in sequences:
            if not seq.isEmpty():
                bound.setdefault(seq.toString(), []).append((scope, name))

    for action in window.findChildren(QAction):
        if action.isEnabled():
            add(action.shortcuts(), action.shortcutContext(), action.parent(), action.objectName() or action.text())
    for shortcut in window.findChildren(QShortcut):
        if shortcut.isEnabled():
            add(shortcut.keys(), shortcut.context(), shortcut.parent(), shortcut.objectName() or shortcut.whatsThis())
    conflicts = {}
    for keys, items in bound.items():
        wide = [name for scope, name in items if scope is None]
        scopes = [id(scope) for scope, _ in items if scope is not None]
        if len(wide) > 1 or (wide and scopes) or len(scopes) != len(set(scopes)):
            conflicts[keys] = [name for _, name in items]
    return conflicts
