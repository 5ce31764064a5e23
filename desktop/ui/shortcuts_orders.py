"""What the Order menu's shortcuts do to orders and positions: cancel the selected
orders, cancel every working order (after a confirmation naming how many and where;
of every connection, one connection or one symbol), flatten the selected position.

Orders are cancelled one by one through ``cancel(order)`` (the window's
:class:`~desktop.ui.order_actions.OrderActions`, which sends each to its own
connection); nothing here talks to a broker. Flattening only fills the ticket (through
``close_position(position)``, the positions table's double-click): the order is sent by
the ticket's Submit and its confirmation, never from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.desk import Desk
from desktop.domain import Order

from .tables.panels import can_cancel


def _orders(n: int) -> str:
    return f"{n} working order{'s' if n != 1 else ''}"


@dataclass
class WorkingOrders:
    """Working orders selected for a cancel-all: ``cancellable`` (their connection is
    live) and ``unreachable`` (their connection is down: they cannot be cancelled now)."""

    cancellable: list[Order] = field(default_factory=list)
    unreachable: list[Order] = field(default_factory=list)


class OrderShortcuts:
    """Cancel and flatten from the keyboard and the Order menu.

    ``desk``: the orders (``desk.state.orders``) and which connections are live;
    ``orders`` / ``positions``: the blotter panels whose selection the actions use
    (``selected_rows()``); ``cancel(order)``: cancel one order at its connection;
    ``close_position(position)``: fill the ticket to close it; ``show_ticket()``: raise
    the ticket and focus its Submit; ``name_of(connection_id)``: a connection's name;
    ``say(text)``: a status-bar message; ``parent``: the confirmation's parent.
    """

    def __init__(self, desk: Desk, *, orders, positions, cancel: Callable[[Order], None],
                 close_position: Callable[[object], None], show_ticket: Callable[[], None],
                 name_of: Callable[[str], str], say: Callable[[str], None], parent: QWidget) -> None:
        self.desk, self.orders, self.positions = desk, orders, positions
        self._cancel, self._close, self._show_ticket = cancel, close_position, show_ticket
        self._name_of, self._say, self._parent = name_of, say, parent
        self.confirmation: QMessageBox | None = None

    # -- reading the desk -----------------------------------------------------------
    def _live(self, connection_id: str) -> bool:
        conn = self.desk.connections.get(connection_id)
        return conn is not None and conn.is_live and connection_id not in self.desk.state.stale

    def working(self, connection_id: str | None = None, symbol: str | None = None) -> WorkingOrders:
        """The working orders of ``connection_id`` (None: every connection) in
        ``symbol`` (None: every symbol). An advisor's per-client child orders are left
        out when their group order is there (cancelling it cancels them)."""
        every = [o for o in self.desk.state.orders.values() if can_cancel(o)
                 and (connection_id is None or o.connection_id == connection_id)
                 and (symbol is None or o.symbol == symbol)]
        groups = {(o.connection_id, o.client_order_id) for o in every
                  if o.allocation_group and o.account_id == o.allocation_group}
        every = [o for o in every if not (o.allocation_group and o.account_id != o.allocation_group
                                          and (o.connection_id, o.client_order_id) in groups)]
        every.sort(key=lambda o: (o.connection_id, o.symbol, o.created_at))
        found = WorkingOrders()
        for order in every:
            (found.cancellable if self._live(order.connection_id) else found.unreachable).append(order)
        return found

    def connections_with_working(self) -> list[tuple[str, int]]:
        """(connection id, number of working orders) of every connection that has some."""
        counts: dict[str, int] = {}
        for order in self.working().cancellable:
            counts[order.connection_id] = counts.get(order.connection_id, 0) + 1
        return list(counts.items())

    def symbols_with_working(self) -> list[tuple[str, int]]:
        """(symbol, number of working orders), sorted by symbol."""
        counts: dict[str, int] = {}
        for order in self.working().cancellable:
            counts[order.symbol] = counts.get(order.symbol, 0) + 1
        return sorted(counts.items())

    # -- cancel ------------------------------------------------------------------------
    def cancel_selected(self) -> int:
        """Cancel the working orders selected in Orders (each at its own connection);
        says why when there is nothing to cancel. Returns how many were asked."""
        selected = self.orders.selected_rows()
        ready = [o for o in selected if can_cancel(o) and self._live(o.connection_id)]
        if not selected:
            self._say("Select a working order in Orders to cancel it")
        elif not ready:
            down = sorted({self._name_of(o.connection_id) for o in selected if can_cancel(o)})
            self._say(f"{', '.join(down)} disconnected: the order cannot be cancelled now" if down
                      else "The selected order is no longer working")
        for order in ready:
            self._cancel(order)
        if ready:
            self._say(f"Cancelling {len(ready)} order{'s' if len(ready) != 1 else ''}…")
        return len(ready)

    def confirm_cancel_all(self, connection_id: str | None = None, symbol: str | None = None) -> QMessageBox | None:
        """Ask before cancelling every working order (of ``connection_id`` / in
        ``symbol`` when given): the question says how many, at which connections and in
        which symbols, and which cannot be cancelled (connection down). "Keep orders"
        is the default button (Escape too). Returns the open box, or None when there is
        nothing to cancel (said in the status bar)."""
        found = self.working(connection_id, symbol)
        scope = " ".join(part for part in (
            f"at {self._name_of(connection_id)}" if connection_id else "",
            f"in {symbol}" if symbol else "") if part)
        return self.confirm_orders(found.cancellable, scope, unreachable=found.unreachable)

    def confirm_orders(self, orders: list[Order], scope: str = "", *, unreachable: list[Order] = ()) -> QMessageBox | None:
        """Ask before cancelling ``orders`` (e.g. the orders table's "Cancel all AAPL
        orders"); ``scope`` words where they are ("in AAPL"), ``unreachable`` the
        working orders left out because their connection is down. See
        :meth:`confirm_cancel_all`."""
        found = WorkingOrders([o for o in orders if can_cancel(o) and self._live(o.connection_id)],
                              list(unreachable) + [o for o in orders if can_cancel(o) and not self._live(o.connection_id)])
        if not found.cancellable:
            down = self._by_connection(found.unreachable)
            self._say(" ".join(("No working orders", scope, "to cancel")).replace("  ", " ")
                      + (f" ({down} at a disconnected connection)" if down else ""))
            return None
        count = len(found.cancellable)
        lines = [f"Cancel {_orders(count)}{' ' + scope if scope else ''}?", ""]
        lines += [f"{self._name_of(cid)}: {_orders(len(group))} ({', '.join(sorted({o.symbol for o in group}))})"
                  for cid, group in self._group(found.cancellable).items()]
        if found.unreachable:
            lines += ["", f"Not cancelled, their connection is down: {self._by_connection(found.unreachable)}."]
        box = QMessageBox(QMessageBox.Icon.Warning, "Cancel working orders", "\n".join(lines),
                          QMessageBox.StandardButton.NoButton, self._parent)
        box.setObjectName("cancelAllDialog")
        confirm = box.addButton(f"Cancel {count} order{'s' if count != 1 else ''}", QMessageBox.ButtonRole.AcceptRole)
        confirm.setObjectName("cancelAllConfirmButton")
        keep = box.addButton("Keep orders", QMessageBox.ButtonRole.RejectRole)
        keep.setObjectName("cancelAllKeepButton")
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        orders = list(found.cancellable)

        def finished(_result: int) -> None:
            if box.clickedButton() is confirm:
                for order in orders:
                    self._cancel(order)
                self._say(f"Cancelling {_orders(len(orders))}…")
            self.confirmation = None

        box.finished.connect(finished)
        self.confirmation = box
        box.open()
        return box

    def _group(self, orders: list[Order]) -> dict[str, list[Order]]:
        grouped: dict[str, list[Order]] = {}
        for order in orders:
            grouped.setdefault(order.connection_id, []).append(order)
        return grouped

    def _by_connection(self, orders: list[Order]) -> str:
        return ", ".join(f"{self._name_of(cid)}: {len(group)} order{'s' if len(group) != 1 else ''}"
                         for cid, group in self._group(orders).items())

    # -- flatten -----------------------------------------------------------------------
    def flatten_selected(self) -> bool:
        """Fill the ticket to close the position selected in Positions: the opposite
        side, its full quantity, at its own account and connection (nothing is sent:
        the ticket's Submit gets the focus). Says why when it cannot. Returns whether
        the ticket was filled."""
        rows = self.positions.selected_rows()
        if len(rows) != 1:
            self._say("Select one position in Positions to flatten it" if not rows
                      else "Select only one position to flatten")
            return False
        position = rows[0]
        if not position.connection_id:
            self._say(f"{position.symbol}: this row adds up several accounts; turn Consolidated off "
                      "and select one account's position")
            return False
        if not position.quantity:
            self._say(f"{position.symbol}: nothing to flatten (quantity 0)")
            return False
        self._close(position)
        self._show_ticket()
        return True
