"""The blotter panels used by the main window: watchlist, accounts, positions, orders, fills.

Each is a :class:`~desktop.ui.tables.panel.TablePanel` with ``.model``, ``.proxy``,
``.view`` and ``stage(rows)``. The orders panel adds a Working/All toggle and emits
:attr:`OrdersPanel.cancelRequested` / :attr:`OrdersPanel.modifyRequested`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QMenu, QToolButton, QWidget

from desktop.domain import Account, Balance, Order, OrderStatus, Position, Quote

from desktop.domain.consolidation import consolidate_positions

from .definitions import AccountRow, accounts_model, fills_model, orders_model, positions_model, watchlist_model
from .panel import TablePanel
from .proxy import OrdersProxy, TableProxy

_DESC = Qt.SortOrder.DescendingOrder


class WatchlistPanel(TablePanel):
    """Quotes by symbol in the user's order (click a header to sort; a third click restores)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(watchlist_model(), TableProxy(("symbol",)), name="watchlist", filter_placeholder=None, parent=parent)

    def set_symbols(self, symbols: Iterable[str]) -> None:
        """Show exactly ``symbols``: add empty rows for new ones, remove the others."""
        wanted = list(dict.fromkeys(s.strip().upper() for s in symbols if s.strip()))
        known = set(self.model.keys())
        self.model.remove_many(k for k in known if k not in wanted)
        self.model.stage(Quote(symbol=s) for s in wanted if s not in known)

    def symbols(self) -> list[str]:
        """Symbols shown, in the model's order."""
        return [str(k) for k in self.model.keys()]


class AccountsPanel(TablePanel):
    """Accounts joined with their balances, one row per (broker, account, currency).

    ``stage`` accepts :class:`Account`, :class:`Balance` and :class:`AccountRow`
    objects in any order: an account without a balance shows as a row with empty
    figures until its first balance arrives.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(accounts_model(), TableProxy(("account", "name")), name="accounts", filter_placeholder=None, parent=parent)
        self._accounts: dict[tuple[str, str], Account] = {}
        self._balances: dict[tuple[str, str], dict[str, Balance]] = {}
        self._placeholders: dict[tuple[str, str], tuple[str, str, str]] = {}

    def stage(self, rows: Iterable[Any]) -> None:
        out: dict[Hashable, AccountRow] = {}
        for item in rows:
            if isinstance(item, Account):
                new = self._on_account(item, out)
            elif isinstance(item, Balance):
                new = [self._on_balance(item, out)]
            elif isinstance(item, AccountRow):
                new = [item]
            else:
                raise TypeError(f"AccountsPanel cannot show {type(item).__name__}")
            out.update((r.key, r) for r in new)
        self.model.stage(out.values())

    def _drop(self, key: Hashable, out: dict[Hashable, AccountRow]) -> None:
        out.pop(key, None)
        self.model.remove_many([key])

    def _on_account(self, account: Account, out: dict[Hashable, AccountRow]) -> list[AccountRow]:
        ident = (account.broker, account.account_id)
        self._accounts[ident] = account
        balances = self._balances.get(ident)
        if balances:
            return [AccountRow.of_balance(b, account) for b in balances.values()]
        row = AccountRow.of_account(account)
        old = self._placeholders.get(ident)
        if old is not None and old != row.key:
            self._drop(old, out)
        self._placeholders[ident] = row.key
        return [row]

    def _on_balance(self, balance: Balance, out: dict[Hashable, AccountRow]) -> AccountRow:
        ident = (balance.broker, balance.account_id)
        self._balances.setdefault(ident, {})[balance.currency] = balance
        row = AccountRow.of_balance(balance, self._accounts.get(ident))
        placeholder = self._placeholders.pop(ident, None)
        if placeholder is not None and placeholder != row.key:
            self._drop(placeholder, out)
        return row

    def remove_account(self, broker: str, account_id: str) -> None:
        """Drop an account and all its balance rows."""
        ident = (broker, account_id)
        self._accounts.pop(ident, None)
        keys: list[Hashable] = [(broker, account_id, c) for c in self._balances.pop(ident, {})]
        placeholder = self._placeholders.pop(ident, None)
        if placeholder is not None:
            keys.append(placeholder)
        self.model.remove_many(keys)


class PositionsPanel(TablePanel):
    """Positions keyed by (broker, account, symbol); P&L in green/red.

    A "Consolidated" toggle (``positionsConsolidatedButton``, shown once
    :meth:`set_consolidation_available` is called with True, e.g. for an advisor)
    switches the view to one row per instrument summed over the accounts (see
    :func:`~desktop.ui.services.consolidation.consolidate_positions`): quantity,
    weighted average cost, market value and P&L; its Account column says
    "All clients". ``model`` always holds the per-account rows (stage there);
    ``consolidated_model`` is derived from it after each batch. Accounts in
    :meth:`set_consolidation_excluded` (an advisor's master) are left out of the sum.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            positions_model(),
            TableProxy(("symbol", "account")),
            name="positions",
            filter_placeholder="Filter symbol or account",
            parent=parent,
        )
        self.consolidated_model = positions_model(parent=self)
        self._excluded: frozenset[str] = frozenset()
        self.consolidated_button = QToolButton(self)
        self.consolidated_button.setObjectName("positionsConsolidatedButton")
        self.consolidated_button.setText("Consolidated")
        self.consolidated_button.setToolTip("Sum the client accounts' positions per instrument "
                                            "(off: one row per account)")
        self.consolidated_button.setCheckable(True)
        self.consolidated_button.setAutoRaise(True)
        self.consolidated_button.toggled.connect(self.set_consolidated)
        self.consolidated_button.hide()
        self.toolbar.insertWidget(1, self.consolidated_button)
        self.model.flushed.connect(self._refresh_consolidated)

    @property
    def consolidated(self) -> bool:
        """Whether the summed view is shown."""
        return self.proxy.sourceModel() is self.consolidated_model

    def set_consolidation_available(self, on: bool) -> None:
        """Show the toggle (True) or hide it and go back to per-account rows (False)."""
        self.consolidated_button.setVisible(on)
        if not on:
            self.set_consolidated(False)

    def set_consolidation_excluded(self, account_ids: Iterable[str]) -> None:
        """Accounts whose positions the consolidated view leaves out (e.g. the master)."""
        self._excluded = frozenset(account_ids)
        self._refresh_consolidated()

    def set_consolidated(self, on: bool) -> None:
        """Show positions summed per instrument (True) or per account (False)."""
        on = bool(on)
        if self.consolidated_button.isChecked() != on:
            self.consolidated_button.setChecked(on)  # re-enters through toggled
            return
        if on == self.consolidated:
            return
        state = self.header_state()  # swapping the source resets the header; keep the user's columns
        fitting = self.view.fit_state()  # ... and which of them still fit their texts
        if on:
            self.model.flush()
            self._refresh_consolidated(force=True)
            self.consolidated_model.flush()
        self.proxy.setSourceModel(self.consolidated_model if on else self.model)
        self.restore_header_state(state)
        self.view.set_fit_state(fitting)
        self.view.request_fit()  # e.g. "All clients" in the Account column

    def consolidated_rows(self) -> list[Position]:
        """The summed positions, computed from the per-account rows now."""
        return consolidate_positions(p for p in self.model.rows() if p.account_id not in self._excluded)

    def _refresh_consolidated(self, force: bool = False) -> None:
        if not (force or self.consolidated):
            return
        rows = self.consolidated_rows()
        fresh = {self.consolidated_model.key_of(r) for r in rows}
        self.consolidated_model.remove_many(k for k in self.consolidated_model.keys() if k not in fresh)
        self.consolidated_model.stage(rows)


def can_cancel(order: Order) -> bool:
    """Whether a cancel request makes sense: the order is working and not being cancelled."""
    return order.status.is_working and order.status is not OrderStatus.PENDING_CANCEL


def can_modify(order: Order) -> bool:
    """Whether a modify request makes sense (same rule as :func:`can_cancel`)."""
    return can_cancel(order)


class OrdersPanel(TablePanel):
    """Orders, newest first, with a Working/All toggle and cancel/modify requests.

    ``cancelRequested(Order)`` is emitted from the context menu for each targeted
    cancellable order; ``modifyRequested(Order)`` from the menu or a double-click on
    a working order. The panel never talks to a broker itself.
    """

    cancelRequested = Signal(object)
    modifyRequested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            orders_model(),
            OrdersProxy(),
            name="orders",
            default_sort=("time", _DESC),
            filter_placeholder="Filter symbol or account",
            parent=parent,
        )
        self.proxy: OrdersProxy
        self.working_button = self._toggle("Working", "ordersWorkingButton", "Show only working orders")
        self.all_button = self._toggle("All", "ordersAllButton", "Show all orders")
        self._mode = QButtonGroup(self)
        self._mode.setExclusive(True)
        self._mode.addButton(self.working_button)
        self._mode.addButton(self.all_button)
        self.all_button.setChecked(True)
        self.working_button.toggled.connect(self.proxy.set_working_only)
        self.toolbar.insertWidget(1, self.working_button)
        self.toolbar.insertWidget(2, self.all_button)

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

    def add_row_actions(self, menu: QMenu, rows: list[Any]) -> None:
        cancellable = [o for o in rows if can_cancel(o)]
        label = "Cancel order" if len(cancellable) <= 1 else f"Cancel {len(cancellable)} orders"
        cancel = menu.addAction(label, lambda: self._request_cancel(cancellable))
        cancel.setObjectName("cancelOrderAction")
        cancel.setEnabled(bool(cancellable))
        target = rows[0] if len(rows) == 1 else None
        modify = menu.addAction("Modify order…", lambda: self._request_modify(target))
        modify.setObjectName("modifyOrderAction")
        modify.setEnabled(target is not None and can_modify(target))

    def _latest(self, order: Order) -> Order:
        """The newest version of ``order`` the table holds (it may have changed meanwhile)."""
        return self.model.get(self.model.key_of(order), order)

    def _request_cancel(self, orders: list[Order]) -> None:
        for order in map(self._latest, orders):
            if can_cancel(order):
                self.cancelRequested.emit(order)

    def _request_modify(self, order: Order | None) -> None:
        if order is not None and can_modify(order := self._latest(order)):
            self.modifyRequested.emit(order)

    def on_row_double_clicked(self, row: Any) -> None:
        if can_modify(row):
            self.modifyRequested.emit(row)


class FillsPanel(TablePanel):
    """Executions, newest first (the oldest are dropped beyond FILLS_MAX_ROWS)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            fills_model(),
            TableProxy(("symbol", "account", "group")),
            name="fills",
            default_sort=("time", _DESC),
            filter_placeholder="Filter symbol or account",
            parent=parent,
        )
