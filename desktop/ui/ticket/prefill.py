"""Filling in the order ticket from elsewhere: watchlist, positions, chart, option chain.

:class:`PrefillMixin` is part of :class:`~desktop.ui.ticket.ticket.OrderTicket` (it
uses the ticket's fields and ``_revalidate``); kept apart so ticket.py stays small.
"""

from __future__ import annotations

from decimal import Decimal

from desktop.domain import OptionAction, OptionContract, OrderSide, OrderType


class PrefillMixin:
    """``prefill`` / ``prefill_option`` and the clickable bid/ask of the order ticket."""

    def prefill(self, symbol: str | None = None, side: OrderSide | str | None = None,
                amount: Decimal | int | str | None = None, order_type: OrderType | str | None = None,
                limit_price: Decimal | str | None = None, stop_price: Decimal | str | None = None) -> None:
        """Fill in the given fields (e.g. from a watchlist, position or chart click).

        A limit price without an order type turns a MARKET ticket into LIMIT (STOP into
        STOP_LIMIT). Order types the broker does not offer are ignored.
        """
        if symbol is not None:
            self.symbol_edit.setText(str(symbol).strip().upper())
            self._touched.add("symbol")
        if side is not None:  # in option mode: the action of that side, keeping open/close
            self.choose_side(side if isinstance(side, OrderSide) else OrderSide(str(side).upper()))
        if amount is not None:
            self.quantity_edit.setText(_plain(amount))
            self._touched.add("quantity")
        if order_type is not None:
            value = order_type.value if isinstance(order_type, OrderType) else str(order_type).upper()
            self.select(self.type_combo, OrderType(value))
        if limit_price is not None:
            self._apply_limit(limit_price, switch_type=order_type is None)
        if stop_price is not None:
            self.stop_edit.setText(_plain(stop_price))
        self.show_rejection(None)
        self.show_status("")
        self._revalidate()
        self._announce_symbol()

    def prefill_option(self, contract: OptionContract, action: OptionAction | str = OptionAction.BUY_TO_OPEN,
                       amount: Decimal | int | str | None = 1, limit_price: Decimal | str | None = None,
                       order_type: OrderType | str | None = None) -> None:
        """Point the ticket at ``contract`` (its OCC symbol) with ``action``, ``amount``
        contracts and, when given, a limit price (a MARKET ticket becomes LIMIT)."""
        self.symbol_edit.setText(contract.occ_symbol)
        self._touched.add("symbol")
        self.select_action(action if isinstance(action, OptionAction) else OptionAction(str(action).upper()))
        self.prefill(amount=amount, limit_price=limit_price, order_type=order_type)

    def _use_quote_price(self, which: str) -> None:
        quote = self._quotes.get(self.symbol())
        price = getattr(quote, which, None) if quote and which in ("bid", "ask", "last") else None
        if price is not None:
            self._apply_limit(price)
            self.limit_edit.setFocus()

    def _apply_limit(self, price: object, switch_type: bool = True) -> None:
        """Put ``price`` in the limit field; a MARKET/STOP ticket becomes LIMIT/STOP_LIMIT."""
        current = self.order_type()
        if switch_type and not current.needs_limit_price:
            self.select(self.type_combo, OrderType.STOP_LIMIT if current is OrderType.STOP else OrderType.LIMIT)
        self.limit_edit.setText(_plain(price))


def _plain(value: object) -> str:
    """A number as a user would type it: no exponent, no thousands separators."""
    try:
        return format(Decimal(str(value)), "f")
    except ArithmeticError:
        return str(value)
