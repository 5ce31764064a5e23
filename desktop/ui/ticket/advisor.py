"""The ticket's advisor and what-if parts, kept out of ticket.py: the allocation
estimate, the per-account fills of a placed group order and the what-if panel, at the
chosen target's connection. :class:`TicketExtras` is owned by :class:`OrderTicket` and reads its
fields; it holds no broker reference (the ticket only emits and is told).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from desktop.domain import (
    Account, AccountValues, AllocationGroup, AllocationMethod, Fill, Order, OrderPreview, OrderRequest, OrderSide,
    OrderType,
)

from .allocation_preview import AllocationPreview
from .allocation_values import AllocationEstimate, FillTally, estimate_allocation, group_text, members_text
from .outcomes import comparable
from .targets import GROUP, TicketConnection
from .values import CommissionEstimator, fmt_qty, parse_decimal
from .whatif_panel import WhatIfPanel

if TYPE_CHECKING:
    from .ticket import OrderTicket

_FILL_BUFFER = 500  # group fills kept for an order whose acceptance arrives after its fills


class TicketExtras(QObject):
    """Advisor mode and what-if for one :class:`OrderTicket`, at the chosen connection.

    Advisor mode is on when the chosen target's connection has allocation groups
    (``capabilities.allocation_groups`` or groups given): while a group is chosen
    :class:`AllocationPreview` shows the expected split, live, from that connection's
    accounts and values. After a group order is accepted the preview shows the actual
    fills by account (fed through :meth:`fills_added`, only those of the order's own
    connection) until any order field changes. An S/C quantity that does not match the
    group is an error on the quantity field (Submit disabled) with a link to set it.
    The what-if panel is shown when that connection declares ``preview_orders``.
    """

    def __init__(self, ticket: OrderTicket) -> None:
        super().__init__(ticket)
        self.ticket = ticket
        self.selector = ticket.selector
        self.preview = AllocationPreview(ticket)
        self.preview.setVisible(False)
        self.whatif = WhatIfPanel(ticket)
        self.whatif.setVisible(False)
        layout = ticket.layout()
        at = layout.indexOf(ticket.estimate_label) + 1
        layout.insertWidget(at, self.preview)
        layout.insertWidget(at + 1, self.whatif)
        for first, second in ((ticket.tif_combo, self.whatif.button), (self.whatif.button, ticket.submit_button)):
            QWidget.setTabOrder(first, second)
        self.advisor = False
        self._conn: TicketConnection | None = None
        self._values: dict[str, AccountValues] = {}
        self._estimate: AllocationEstimate | None = None
        self._placed: tuple[AllocationEstimate, FillTally, tuple] | None = None
        self._group_fills: dict[tuple, Fill] = {}
        self._previewed: dict | None = None
        self.preview.quantityRequested.connect(self._set_quantity)

    # ---------------------------------------------------------------- set-up
    def set_connection(self, conn: TicketConnection | None, moved: bool) -> None:
        """The chosen target is at ``conn`` (None: no target); ``moved``: at another
        connection than before (a what-if result of the old one is dropped)."""
        self._conn = conn
        self._values = {v.account_id: v for v in conn.values} if conn is not None else {}
        self.advisor = conn is not None and conn.has_groups
        caps = conn.capabilities if conn is not None else None
        self.whatif.setVisible(bool(caps and caps.preview_orders))
        if moved:
            self.whatif.clear()
            self._previewed = None
        if not self.advisor:
            self._placed = None
            self.preview.setVisible(False)
        self._show_members()

    # ------------------------------------------------------------- selection
    def current_group(self) -> AllocationGroup | None:
        """The chosen allocation group (None when an account, or nothing, is chosen)."""
        key = self.ticket.current_target()
        if key is None or key.kind != GROUP or self._conn is None:
            return None
        return self._conn.group(key.id)

    def target_text(self) -> str:
        """For the confirmation dialog: "Group ByNetLiq · N · Net liquidation · 4 accounts"."""
        group = self.current_group()
        return f"Group {group_text(group)}" if group is not None else ""

    def mode_account(self) -> Account | None:
        """An account whose paper/live mode the chosen group shares (its first member)."""
        group = self.current_group()
        if group is None:
            return self.ticket.current_account()
        return next((a for a in self._conn.accounts if a.account_id in group.account_ids), None)

    def _show_members(self) -> None:
        group = self.current_group()
        if group is None:
            self.selector.show_members("")
            return
        accounts = {a.account_id: a for a in self._conn.accounts}
        self.selector.show_members(members_text(group, accounts), members_text(group, accounts, full=True))

    # ---------------------------------------------------------- validation
    def check(self, request: OrderRequest | None, errors: dict[str, str]) -> OrderRequest | None:
        """Add allocation problems to ``errors``; returns the request, or None when the
        group cannot take the order as it stands. Also refreshes the preview panels."""
        self._refresh_whatif(request)
        group = self.current_group()
        if group is None:
            self._estimate = None
            self.preview.setVisible(False)
            return request
        estimate = self._compute(group)
        self._estimate = estimate
        if estimate.blocking:
            errors.setdefault("quantity", estimate.error)
            request = None
        if self._placed is not None and self._placed[2] != self._input_key():
            self._placed = None  # a new order was started
        self._show()
        return request

    def refresh(self) -> None:
        """Quotes moved: recompute notionals (market orders) without touching errors."""
        group = self.current_group()
        if group is not None and self._placed is None:
            self._estimate = self._compute(group)
            self._show()

    def _compute(self, group: AllocationGroup) -> AllocationEstimate:
        t = self.ticket
        try:
            quantity = parse_decimal(t.quantity_edit.text(), "amount")
        except ValueError:
            quantity = None
        if quantity is not None and quantity <= 0:
            quantity = None
        instrument = t.current_instrument()
        multiplier = instrument.multiplier if instrument is not None else Decimal(1)
        return estimate_allocation(group, self._values, {a.account_id: a for a in self._conn.accounts}, quantity,
                                   self._price(), multiplier=multiplier, fractional=self._conn.capabilities.fractional)

    def _price(self) -> Decimal | None:
        """Limit price, else stop price, else last (ask/bid) — as the cost estimate assumes."""
        t = self.ticket
        order_type = t.order_type()
        for needed, edit in ((order_type.needs_limit_price, t.limit_edit), (order_type is OrderType.STOP, t.stop_edit)):
            if needed:
                try:
                    price = parse_decimal(edit.text(), "price")
                except ValueError:
                    return None
                return price if price is not None and price > 0 else None
        quote = t.current_quote()
        if quote is None:
            return None
        return quote.last or (quote.ask if t.side() is OrderSide.BUY else quote.bid)

    def _input_key(self) -> tuple:
        t = self.ticket
        return (t.current_target(), t.symbol(), t.side(), t.quantity_edit.text().strip(), t.order_type(),
                t.limit_edit.text().strip(), t.stop_edit.text().strip(), t.time_in_force())

    def _show(self) -> None:
        self.preview.setVisible(True)
        if self._placed is not None:
            estimate, tally, _key = self._placed
            total = estimate.total_shares
            done = sum(tally.filled.values(), Decimal(0))
            status = f"{fmt_qty(done)} of {fmt_qty(total)} filled" if total is not None else f"{fmt_qty(done)} filled"
            self.preview.show_placed(estimate, tally, status)
        elif self._estimate is not None:
            self.preview.show_estimate(self._estimate)

    def target_changed(self) -> None:
        """The user chose another target: a Shares group with no quantity yet fills in
        the sum of its shares."""
        group = self.current_group()
        if group is not None and group.method is AllocationMethod.SHARES and not self.ticket.quantity_edit.text().strip():
            self._set_quantity(sum((m.amount or Decimal(0) for m in group.members), Decimal(0)))

    def _set_quantity(self, quantity: Decimal) -> None:
        self.ticket.prefill(amount=quantity)

    def commission_for(self, base: CommissionEstimator | None) -> CommissionEstimator | None:
        """For a group: ``base`` summed over the estimated per-account child orders (each
        client pays its own commission); otherwise ``base`` itself."""
        estimate = self._estimate if self.current_group() is not None else None
        if base is None or estimate is None or estimate.blocking or any(r.shares is None for r in estimate.rows):
            return base

        def per_account(request: OrderRequest, price: Decimal) -> Decimal | None:
            total = Decimal(0)
            for row in estimate.rows:
                if row.shares:
                    fee = base(request.model_copy(update={"account_id": row.account_id, "amount": row.shares}), price)
                    if fee is None:
                        return None
                    total += fee
            return total

        return per_account

    # --------------------------------------------------------------- orders
    def order_accepted(self, order: Order) -> None:
        """Track a group order's fills by account; an ordinary order ends tracking."""
        conn = self._conn
        at_conn = conn is not None and order.connection_id == conn.connection_id
        group = order.allocation_group or (order.account_id if at_conn and conn.group(order.account_id) else "")
        estimate = self._estimate
        if not at_conn or not group or estimate is None or estimate.group.name != group:
            self._placed = None
            return
        tally = FillTally(group, order.client_order_id, order.connection_id)
        tally.add(self._group_fills.values())
        self._placed = (estimate, tally, self._input_key())
        self._show()

    def fills_added(self, fills: Iterable[Fill]) -> None:
        """New fills of any connection and account; those of the tracked order (at its
        own connection) update the table."""
        fresh = [f for f in fills if f.allocation_group]
        for fill in fresh:
            self._group_fills[fill.key] = fill
        while len(self._group_fills) > _FILL_BUFFER:
            self._group_fills.pop(next(iter(self._group_fills)))
        if self._placed is not None and self._placed[1].add(fresh):
            self._show()

    def placed_fills(self) -> dict[str, Decimal]:
        """Filled quantity by account of the tracked group order ({} when none)."""
        return dict(self._placed[1].filled) if self._placed is not None else {}

    # -------------------------------------------------------------- what-if
    def preview_started(self, request: OrderRequest) -> None:
        self._previewed = comparable(request)
        self.whatif.set_running()

    def _refresh_whatif(self, request: OrderRequest | None) -> None:
        self.whatif.set_ready(request is not None and not self.ticket.is_busy())
        if self._previewed is not None and (request is None or comparable(request) != self._previewed):
            self.whatif.mark_stale()


class AdvisorTicketAPI:
    """The advisor and what-if part of :class:`OrderTicket`'s public API (a mixin: it
    uses the ticket's ``extras``, ``_revalidate``, ``_request`` and ``previewRequested``)."""

    def fills_added(self, fills: Iterable[Fill]) -> None:
        """New fills (any connection, any account); a placed group order's show per
        account in the preview."""
        self.extras.fills_added(fills)

    def show_preview(self, preview: OrderPreview) -> None:
        """Show the what-if result of the last ``previewRequested``."""
        self.extras.whatif.show_preview(preview)

    def preview_failed(self, message: str) -> None:
        """The what-if could not be made; say why (the order can still be sent)."""
        self.extras.whatif.show_failure(message)

    def _request_preview(self) -> None:
        self._revalidate()
        if self._request is not None:
            self.extras.preview_started(self._request)
            self.previewRequested.emit(self._request)
