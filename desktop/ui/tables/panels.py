"""The blotter panels used by the main window: accounts, orders, fills (and the
watchlist and positions, from :mod:`.watchlist_panel` and :mod:`.positions_panel`).

Each is a :class:`~desktop.ui.tables.panel.TablePanel` with ``.model``, ``.proxy``,
``.view`` and ``stage(rows)``, built for the window's shared
:class:`~.connection_labels.ConnectionLabels` (``Panel(labels, parent)``): rows show
their connection, rows of stale connections are greyed, accounts, positions, orders
and fills have a connection filter. The orders panel adds a Working/All toggle and
emits :attr:`OrdersPanel.cancelRequested`, :attr:`OrdersPanel.modifyRequested` and
:attr:`OrdersPanel.cancelAllRequested`; the fills panel :attr:`FillsPanel.chartRequested`.
A row's menu names what a double-click on it does ("Modify order… (double-click)").
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QMenu, QToolButton, QWidget

from desktop.domain import Order, OrderStatus

from .account_rows import AccountJoin
from .connection_columns import names_of
from .connection_labels import ConnectionLabels
from .definitions import (
    ACCOUNT_COLUMNS_ISSUE_11,
    HIDDEN_BY_DEFAULT,
    ORDER_COLUMNS_BEFORE_ISSUE_11,
    accounts_model,
    fills_model,
    orders_model,
)
from .header_state import Legacy
from .panel import TablePanel
from .positions_panel import PositionsPanel, chart_symbol
from .protection_columns import ORDER_AFTER, ORDER_IDS, reveal_when_used
from .proxy import OrdersProxy, TableProxy
from .watchlist_panel import WatchlistPanel

__all__ = ["AccountsPanel", "FillsPanel", "OrdersPanel", "PositionsPanel", "WatchlistPanel", "can_cancel", "can_modify"]

_DESC = Qt.SortOrder.DescendingOrder


class AccountsPanel(TablePanel):
    """Accounts joined with their balances, one row per (connection, account, currency).

    ``stage`` accepts :class:`Account`, :class:`Balance` and :class:`AccountRow`
    objects in any order: an account without a balance shows as a row with empty
    figures until its first balance arrives.
    """

    def __init__(self, labels: ConnectionLabels | None = None, parent: QWidget | None = None) -> None:
        super().__init__(accounts_model(names_of(labels)), TableProxy(("account", "name")), name="accounts",
                         filter_placeholder=None, labels=labels, connection_filter=True,
                         connection_column="connection", legacy_columns=[Legacy(ACCOUNT_COLUMNS_ISSUE_11)],
                         parent=parent)
        self._join = AccountJoin()

    def stage(self, rows: Iterable[Any]) -> None:
        """Show ``rows`` (Accounts, Balances, AccountRows) at the next flush."""
        new, gone = self._join.take(rows)
        if gone:
            self.model.remove_many(gone)
        self.model.stage(new)

    def remove_account(self, connection_id: str, account_id: str) -> None:
        """Drop an account of a connection and all its balance rows."""
        keys: list[Hashable] = self._join.forget(connection_id, account_id)
        self.model.remove_many(keys)

    def remove_accounts(self, keys: Iterable[tuple[str, str]]) -> None:
        """Drop the accounts ``(connection_id, account_id)`` a connection no longer
        lists (an aggregator's unlinked brokerage), with their balance rows."""
        for connection_id, account_id in keys:
            self.remove_account(connection_id, account_id)

    def drop_connections(self, connection_ids: Iterable[str]) -> None:
        ids = frozenset(connection_ids)
        self._join.forget_connections(ids)
        super().drop_connections(ids)


def can_cancel(order: Order) -> bool:
    """Whether a cancel request makes sense: the order is working and not being cancelled."""
    return order.status.is_working and order.status is not OrderStatus.PENDING_CANCEL


def can_modify(order: Order) -> bool:
    """Whether a modify request makes sense (same rule as :func:`can_cancel`)."""
    return can_cancel(order)


class OrdersPanel(TablePanel):
    """Orders of every connection, newest first, with a Working/All toggle, a
    connection filter and cancel/modify requests.

    ``cancelRequested(Order)`` is emitted from the context menu for each targeted
    cancellable order; ``modifyRequested(Order)`` from the menu or a double-click on
    a working order; ``cancelAllRequested(symbol, orders)`` from "Cancel all … orders"
    with every cancellable working order of that symbol the connection filter covers
    (the window asks before cancelling them); ``protectRequested(Order)`` from
    "Stop-loss / take-profit…" on a working order of a connection that attaches them
    (``offers_protection(connection_id)``, given by the window). The order is the row's own (its
    ``connection_id`` says where it lives); orders of a stale (disconnected)
    connection cannot be cancelled or modified until it is back. Rejected, cancelled
    and expired orders are greyed (their Status red or grey). The panel never talks
    to a broker itself.
    """

    cancelRequested = Signal(object)
    modifyRequested = Signal(object)
    protectRequested = Signal(object)
    cancelAllRequested = Signal(str, list)

    def __init__(self, labels: ConnectionLabels | None = None, parent: QWidget | None = None) -> None:
        super().__init__(
            orders_model(names_of(labels)),
            OrdersProxy(),
            name="orders",
            default_sort=("time", _DESC),
            filter_placeholder="Filter symbol or account",
            labels=labels,
            connection_filter=True, connection_column="connection",
            hidden=HIDDEN_BY_DEFAULT["orders"],
            legacy_columns=[Legacy(ORDER_COLUMNS_BEFORE_ISSUE_11, frozenset({"occ"}))],
            parent=parent,
        )
        reveal_when_used(self, ORDER_IDS, after=ORDER_AFTER)  # SL / TP beside the prices, once an order has them
        self.offers_protection: Callable[[str], bool] | None = None
        self.proxy: OrdersProxy
        self.working_button = self._toggle("Working", "ordersWorkingButton", "Show only working orders")
        self.all_button = self._toggle("All", "ordersAllButton", "Show all orders")
        self._mode = QButtonGroup(self)
        self._mode.setExclusive(True)
        self._mode.addButton(self.working_button)
        self._mode.addButton(self.all_button)
        self.all_button.setChecked(True)
        self.working_button.toggled.connect(self.proxy.set_working_only)
        self.add_tool(self.working_button)
        self.add_tool(self.all_button)
        self._groups_shown = False
        self.model.set_header("account", "Account")  # "Account/Group" once a group order shows

    def stage(self, rows: Iterable[Any]) -> None:
        """Show ``rows`` (Orders) at the next flush; the Account column says
        "Account/Group" from the first allocation-group order on."""
        if self._groups_shown:
            self.model.stage(rows)
            return
        rows = list(rows)
        if any(o.allocation_group for o in rows):
            self._groups_shown = True
            self.model.set_header("account", None)
        self.model.stage(rows)

    def _toggle(self, text: str, name: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setCheckable(True)
        button.setAutoRaise(True)
        return button

    @property
    def working_only(self) -> bool:
        """Whether only working orders are shown."""
        return self.proxy.working_only

    def set_working_only(self, on: bool) -> None:
        """Switch between Working (True) and All (False); keeps the toggle in sync."""
        (self.working_button if on else self.all_button).setChecked(True)

    def needed_width(self, through: str | None = "status") -> int:
        """Width (px) the panel needs to show its columns up to Status (``through``)
        without scrolling: what the window gives the orders dock (see
        :meth:`TablePanel.needed_width`)."""
        return super().needed_width(through)

    def _disconnected(self, order: Order) -> bool:
        return self.labels is not None and self.labels.is_stale(order.connection_id)

    def _can_cancel(self, order: Order) -> bool:
        return can_cancel(order) and not self._disconnected(order)

    def _can_modify(self, order: Order) -> bool:
        return can_modify(order) and not self._disconnected(order)

    def add_row_actions(self, menu: QMenu, rows: list[Any]) -> None:
        cancellable = [o for o in rows if self._can_cancel(o)]
        label = "Cancel order" if len(cancellable) <= 1 else f"Cancel {len(cancellable)} orders"
        offline = sorted({self.labels.name(o.connection_id) for o in rows
                          if can_cancel(o) and self._disconnected(o)}) if self.labels is not None else []
        if offline and not cancellable:
            label += f" ({', '.join(offline)} disconnected)"
        cancel = menu.addAction(label, lambda: self._request_cancel(cancellable))
        cancel.setObjectName("cancelOrderAction")
        cancel.setEnabled(bool(cancellable))
        target = rows[0] if len(rows) == 1 else None
        modify = menu.addAction("Modify order… (double-click)", lambda: self._request_modify(target))
        modify.setObjectName("modifyOrderAction")
        modify.setEnabled(target is not None and self._can_modify(target))
        if target is not None and self.offers_protection is not None and self.offers_protection(target.connection_id):
            protect = menu.addAction("Stop-loss / take-profit…", lambda: self.protectRequested.emit(target))
            protect.setObjectName("protectOrderAction")
            protect.setEnabled(self._can_cancel(target))  # a working order of a live connection
        self._add_cancel_symbol(menu, rows)

    def _add_cancel_symbol(self, menu: QMenu, rows: list[Any]) -> None:
        """"Cancel all 3 working AAPL orders": every cancellable order of the one
        symbol the targeted rows are about, within the connection filter."""
        symbols = {o.symbol for o in rows}
        if len(symbols) != 1:
            action = menu.addAction("Cancel all orders for this symbol")
            action.setEnabled(False)
            action.setToolTip("Select the orders of one symbol")
        else:
            symbol = symbols.pop()
            orders = self.working_orders_of(symbol)
            name = rows[0].instrument.display_name
            text = (f"Cancel all {len(orders)} working {name} orders" if len(orders) > 1
                    else f"Cancel all working {name} orders")
            action = menu.addAction(text, lambda: self._request_cancel_all(symbol))
            action.setEnabled(bool(orders))
        action.setObjectName("cancelSymbolOrdersAction")

    def working_orders_of(self, symbol: str) -> list[Order]:
        """The cancellable working orders of ``symbol`` (the instrument's symbol: the
        OCC symbol of an option) at the connections the filter shows, newest first."""
        connection = self.proxy.connection
        orders = [o for o in self.model.rows() if o.symbol == symbol and self._can_cancel(o)
                  and (connection is None or o.connection_id == connection)]
        return sorted(orders, key=lambda o: o.created_at, reverse=True)

    def _latest(self, order: Order) -> Order:
        """The newest version of ``order`` the table holds (it may have changed meanwhile)."""
        return self.model.get(self.model.key_of(order), order)

    def _request_cancel(self, orders: list[Order]) -> None:
        for order in map(self._latest, orders):
            if self._can_cancel(order):
                self.cancelRequested.emit(order)

    def _request_cancel_all(self, symbol: str) -> None:
        orders = self.working_orders_of(symbol)  # as they are now, not when the menu opened
        if orders:
            self.cancelAllRequested.emit(symbol, orders)

    def _request_modify(self, order: Order | None) -> None:
        if order is not None and self._can_modify(order := self._latest(order)):
            self.modifyRequested.emit(order)

    def on_row_double_clicked(self, row: Any) -> None:
        if self._can_modify(row):
            self.modifyRequested.emit(row)


class FillsPanel(TablePanel):
    """Executions of every connection, newest first (the oldest are dropped beyond
    FILLS_MAX_ROWS), with a connection filter. A double-click (or "Chart … (double-click)"
    in the row's menu) emits ``chartRequested(symbol)`` (an option's underlying)."""

    chartRequested = Signal(str)

    def __init__(self, labels: ConnectionLabels | None = None, parent: QWidget | None = None) -> None:
        super().__init__(
            fills_model(names_of(labels)),
            TableProxy(("symbol", "account", "group")),
            name="fills",
            default_sort=("time", _DESC),
            filter_placeholder="Filter symbol or account",
            labels=labels,
            connection_filter=True, connection_column="connection",
            hidden=HIDDEN_BY_DEFAULT["fills"],
            parent=parent,
        )

    def add_row_actions(self, menu: QMenu, rows: list[Any]) -> None:
        target = rows[0] if len(rows) == 1 else None
        symbol = chart_symbol(target) if target is not None else ""
        chart = menu.addAction(f"Chart {symbol} (double-click)" if symbol else "Chart (double-click)",
                               lambda: self.double_click(target))
        chart.setObjectName("chartAction")
        chart.setEnabled(target is not None)

    def on_row_double_clicked(self, row: Any) -> None:
        self.chartRequested.emit(chart_symbol(row))
