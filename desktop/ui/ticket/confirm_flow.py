"""From Submit to the confirmation: the order's estimate, its warnings and the dialog.

:class:`ConfirmFlow` is part of :class:`~desktop.ui.ticket.ticket.OrderTicket` (a
mixin: it uses the ticket's connection, quotes, ``extras`` and ``_send``). The ticket's
estimate line, the confirmation and the explanation of a broker's refusal use one
:func:`~desktop.ui.ticket.estimate.estimate_order` (same price, commission and, where
the broker holds back more for a market buy, that figure too). While the confirmation
is open it follows the quotes, so its figures stay the ticket's.
"""

from __future__ import annotations

from decimal import Decimal

from desktop.domain import OrderRequest

from ..display_clock import DISPLAY_CLOCK
from .confirm import ConfirmOrderDialog
from .estimate import Estimate, estimate_order
from .order_warnings import OrderWarning, order_warnings


class ConfirmFlow:
    """The confirmation part of :class:`OrderTicket` (see the module docstring)."""

    confirm_dialog: ConfirmOrderDialog | None = None
    _notional_limit: Decimal | None = None
    _enter_confirms = False

    # --------------------------------------------------------------- public API
    def set_notional_warning(self, amount: Decimal | int | None) -> None:
        """Warn in the confirmation when an order is worth more than ``amount`` (in
        the order's currency; None or 0: never)."""
        self._notional_limit = Decimal(amount) if amount else None

    def set_enter_confirms(self, enabled: bool) -> None:
        """Whether Enter confirms in the confirmation dialog (off: it takes Space on
        Confirm, a click or Alt+C; see :class:`ConfirmOrderDialog`)."""
        self._enter_confirms = bool(enabled)

    def estimate(self, request: OrderRequest | None = None) -> Estimate | None:
        """The estimate of ``request`` (default: the ticket's order) at the ticket's
        quote and connection: the figure the ticket, its confirmation and a refusal's
        explanation share (None without a price or an order)."""
        request = request or self._request
        if request is None:
            return None
        conn = self.current_connection()
        group = self.extras.current_group() is not None
        reserve = conn.market_reserve if conn is not None and not group else Decimal(0)
        commission = self.extras.commission_for(self._commission())
        return estimate_order(request, self._quotes.get(request.symbol), commission, reserve)

    def warnings(self, request: OrderRequest | None = None) -> list[OrderWarning]:
        """What the confirmation warns about for ``request`` (default: the ticket's)."""
        request = request or self._request
        if request is None:
            return []
        conn = self.current_connection()
        account = self.current_account()
        balance = conn.balance(account.account_id, request.instrument.currency) if conn and account else None
        session = self.market_session() if request.symbol == self.symbol() else None
        return order_warnings(
            request, self.estimate(request), self._quotes.get(request.symbol), balance=balance,
            broker=conn.name if conn is not None else "the broker", notional_limit=self._notional_limit,
            now=DISPLAY_CLOCK.now(conn.connection_id) if conn is not None else None,
            exchange_timezone=conn.capabilities.exchange_timezone if conn is not None else None, session=session)

    # ------------------------------------------------------------------ private
    def _open_confirmation(self, request: OrderRequest) -> None:
        conn = self.current_connection()
        dialog = ConfirmOrderDialog(request, self.extras.mode_account(), self.estimate(request), self,
                                    target_text=self.extras.target_text(), connection=conn.name if conn else "",
                                    paper=bool(conn and conn.capabilities.paper), warnings=self.warnings(request),
                                    enter_confirms=self._enter_confirms)
        dialog.accepted.connect(lambda: self._send(request))
        dialog.finished.connect(self._dialog_closed)
        self.confirm_dialog = dialog
        self.submit_shortcut.setEnabled(False)  # Enter belongs to the dialog while it is open
        dialog.open()

    def _update_confirmation(self) -> None:
        """The quote moved: the open confirmation shows the same figures as the ticket."""
        dialog = self.confirm_dialog
        if dialog is not None and dialog.request.symbol == self.symbol():
            dialog.show_estimate(self.estimate(dialog.request), self.warnings(dialog.request))

    def _dialog_closed(self) -> None:
        if self.confirm_dialog is not None:
            self.confirm_dialog.deleteLater()
        self.confirm_dialog = None
        self.submit_shortcut.setEnabled(True)
