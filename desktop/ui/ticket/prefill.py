"""Filling in the order ticket from elsewhere: watchlist, positions, chart, option chain.

:class:`PrefillMixin` is part of :class:`~desktop.ui.ticket.ticket.OrderTicket` (it
uses the ticket's fields, quotes and ``_revalidate``); kept apart so ticket.py stays
small. It owns the rule every path that points the ticket at an instrument follows:
a new instrument never inherits what the trader chose for the old one. Its quantity
starts at the default for its kind (shares or contracts, Settings; a currency pair
traded in units 10,000 of its base currency), its limit price at
its own market (the ask to buy, the bid to sell, filled from the first quote that
arrives for it; a limit price given by the caller, e.g. the chain's, wins), its stop
price empty. The same instrument again (a second click on its row) keeps the fields.
"""

from __future__ import annotations

from decimal import Decimal

from desktop.domain import AssetClass, OptionAction, OptionContract, OrderSide, OrderType, Quote
from desktop.domain.occ import parse_occ

from .fx_units import quantity_kind
from .values import is_occ


class PrefillMixin:
    """``prefill`` / ``prefill_option`` and the clickable bid/ask of the order ticket."""

    _auto_limit: tuple[str, str] | None = None
    """(symbol, "ask"/"bid") while the limit field holds that touch, filled by the ticket."""
    _limit_waiting: str = ""
    """The symbol whose first quote fills the empty limit field (one quote only)."""

    def prefill(self, symbol: str | None = None, side: OrderSide | str | None = None,
                amount: Decimal | int | str | None = None, order_type: OrderType | str | None = None,
                limit_price: Decimal | str | None = None, stop_price: Decimal | str | None = None, *,
                action: OptionAction | str | None = None) -> None:
        """Fill in the given fields (e.g. from a watchlist, position or chart click).

        A ``symbol`` other than the ticket's starts a new instrument (see the module
        docstring): fields not given are reset for it. A limit price without an order
        type turns a MARKET ticket into LIMIT (STOP into STOP_LIMIT). Order types the
        broker does not offer are ignored. ``action``: an option's buy/sell to
        open/close. Any result message of the previous order goes.
        """
        new = symbol is not None and canonical(str(symbol)) != canonical(self.symbol())
        if symbol is not None:
            self.symbol_edit.setText(str(symbol).strip().upper())
            self._touched.add("symbol")
        if action is not None:
            self.select_action(action if isinstance(action, OptionAction) else OptionAction(str(action).upper()))
        if side is not None:  # in option mode: the action of that side, keeping open/close
            self.choose_side(side if isinstance(side, OrderSide) else OrderSide(str(side).upper()))
        if order_type is not None:
            value = order_type.value if isinstance(order_type, OrderType) else str(order_type).upper()
            self.select(self.type_combo, OrderType(value))
        if new:
            self._new_instrument(amount is None, limit_price is None, stop_price is None)
        if amount is not None:
            self.quantity_edit.setText(_plain(amount))
            self._touched.add("quantity")
        if limit_price is not None:
            self._auto_limit, self._limit_waiting = None, ""
            self._apply_limit(limit_price, switch_type=order_type is None)
        if stop_price is not None:
            self.stop_edit.setText(_plain(stop_price))
        self._clear_result()
        self._revalidate()
        self._announce_symbol()

    def prefill_option(self, contract: OptionContract, action: OptionAction | str = OptionAction.BUY_TO_OPEN,
                       amount: Decimal | int | str | None = None, limit_price: Decimal | str | None = None,
                       order_type: OrderType | str | None = None) -> None:
        """Point the ticket at ``contract`` (its OCC symbol) with ``action``, ``amount``
        contracts (None: the default for options) and, when given, a limit price (a
        MARKET ticket becomes LIMIT)."""
        self.prefill(symbol=contract.occ_symbol, action=action, amount=amount, limit_price=limit_price,
                     order_type=order_type)

    # ------------------------------------------------------------------ private
    def _new_instrument(self, quantity: bool, limit: bool, stop: bool) -> None:
        """Reset what belonged to the previous instrument (the fields flagged True)."""
        if quantity:
            if self._instrument is not None:
                kind = quantity_kind(self._instrument)
            else:
                kind = AssetClass.OPTION if is_occ(self.symbol()) else AssetClass.EQUITY
            self._quantity_kind = kind
            self._quantity_default = _plain(self.default_quantity(kind, self._instrument))
            self.quantity_edit.setText(self._quantity_default)
            self._touched.add("quantity")
        if stop:
            self.stop_edit.clear()
        if limit:
            self.limit_edit.clear()
            self._auto_limit = None
            self._limit_waiting = self.symbol() if self.order_type().needs_limit_price else ""

    _quantity_kind: AssetClass = AssetClass.EQUITY
    """The kind whose default the quantity field started with (see :meth:`_follow_quantity_kind`)."""
    _quantity_default: str = ""
    """The default text the quantity field started with ("" : the kind's plain default)."""

    def _follow_quantity_kind(self, instrument) -> None:
        """A typed symbol resolved to an instrument of another kind or default (a share,
        then a pair traded in units, or an instrument counted in lots): a quantity still
        at the old default becomes the new one (100 shares → 10,000 EUR → 0.01 lots and
        back); one the trader typed stays."""
        if instrument is None:
            return
        kind = quantity_kind(instrument)
        was = self._quantity_default or _plain(self.default_quantity(self._quantity_kind))
        new = _plain(self.default_quantity(kind, instrument))
        self._quantity_kind = kind
        if new == was:
            return
        self._quantity_default = new
        if self.quantity_edit.text().strip() == was:
            self.quantity_edit.setText(new)

    def _quote_arrived(self, quote: Quote) -> None:
        """The first quote of a new instrument fills its empty limit field with the touch."""
        symbol, self._limit_waiting = self._limit_waiting, ""
        if symbol != quote.symbol.upper() or self.limit_edit.text().strip() or not self.order_type().needs_limit_price:
            return
        touch = _touch_name(self.side())
        price = getattr(quote, touch)
        if price is not None:
            self.limit_edit.setText(_plain(price))
            self._auto_limit = (symbol, touch)

    def _side_changed(self, *_args: object) -> None:
        """Another side: a limit the ticket took from the market moves to that side's touch."""
        held = self._auto_limit
        touch = _touch_name(self.side())
        quote = self.current_quote()
        if held is not None and held[0] == self.symbol() and held[1] != touch and quote is not None:
            was, now = getattr(quote, held[1]), getattr(quote, touch)
            if was is not None and now is not None and self.limit_edit.text() == _plain(was):
                self._auto_limit = (held[0], touch)
                self.limit_edit.setText(_plain(now))
        self._revalidate()

    def _limit_typed(self, _text: str) -> None:
        self._auto_limit, self._limit_waiting = None, ""  # the trader's own price from now on

    def _use_quote_price(self, which: str) -> None:
        quote = self.current_quote()
        price = getattr(quote, which, None) if quote and which in ("bid", "ask", "last") else None
        if price is not None:
            self._auto_limit, self._limit_waiting = None, ""
            self._apply_limit(price)
            self.limit_edit.setFocus()

    def _apply_limit(self, price: object, switch_type: bool = True) -> None:
        """Put ``price`` in the limit field; a MARKET/STOP ticket becomes LIMIT/STOP_LIMIT."""
        current = self.order_type()
        if switch_type and not current.needs_limit_price:
            self.select(self.type_combo, OrderType.STOP_LIMIT if current is OrderType.STOP else OrderType.LIMIT)
        self.limit_edit.setText(_plain(price))


def canonical(symbol: str) -> str:
    """A symbol as one instrument is known: upper case, OCC symbols padded."""
    text = symbol.strip().upper()
    try:
        return parse_occ(text).occ_symbol
    except ValueError:
        return text


def _touch_name(side: OrderSide) -> str:
    return "ask" if side is OrderSide.BUY else "bid"


def _plain(value: object) -> str:
    """A number as a user would type it: no exponent, no thousands separators."""
    try:
        return format(Decimal(str(value)), "f")
    except ArithmeticError:
        return str(value)
