"""Option expiry of the paper account: exercise, assignment, cash settlement, worthless.

:func:`settle_expiries` runs when the replay closes a session (the broker calls it
after the day's last minute). For every option whose expiry is on or before that
day (earlier ones only if a settlement was missed, e.g. data from an older build):

1. Working orders on it are canceled ("canceled: ... expired on ...").
2. Each open position is settled against the underlying's real daily close on the
   expiry day. In the money means by at least $0.01 (the OCC auto-exercise rule):

   * long call ITM: exercised, buying ``multiplier`` shares per contract at the strike,
     as far as buying power pays for them; contracts cash cannot pay for are closed at
     their intrinsic value instead (a cash settlement, as a broker would sell them);
   * long put ITM: exercised, selling shares at the strike, as far as the account holds
     shares not held back by working sell orders (a cash account cannot go short);
     the rest is closed at its intrinsic value;
   * short call / put ITM (not possible on the cash account, settled for
     completeness): assigned, delivering / receiving shares at the strike;
   * out of the money (or ITM by less than $0.01): expires worthless.

Every effect is a :class:`~desktop.domain.Fill` booked on the ledger, free of
commission, stamped with the close time and with an empty ``order_id``:

==========  =============================================  ===============================
fill_id     option fill                                    share fill
==========  =============================================  ===============================
``EX...``   closes the long option at 0, note "exercised"  shares at the strike, note
                                                           "exercise of <contract>"
``AS...``   closes the short option at 0, note "assigned"  shares at the strike, note
                                                           "assignment of <contract>"
``CS...``   closes at the intrinsic value, note            -
            "cash-settled at intrinsic value: ..."
``EXP...``  closes at 0, note "expired worthless"          -
==========  =============================================  ===============================
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from desktop.domain import Fill, Instrument, OptionRight, OrderSide

from .ledger import ZERO
from .matching import Event, MatchingEngine

log = logging.getLogger(__name__)

ITM_THRESHOLD = Decimal("0.01")
"""How far in the money an option must finish to be exercised / assigned."""

CloseOf = Callable[[str, date], Decimal | None]
"""``close_of(underlying, day)``: the underlying's real close on ``day`` (None if unknown)."""


def intrinsic_value(right: OptionRight, strike: Decimal, close: Decimal) -> Decimal:
    """Per-share value at expiry: max(close - strike, 0) for calls, max(strike - close, 0) for puts."""
    return max(close - strike, ZERO) if right is OptionRight.CALL else max(strike - close, ZERO)


def settle_expiries(engine: MatchingEngine, day: date, now: datetime, close_of: CloseOf,
                    share_instrument: Callable[[str], Instrument]) -> list[Event]:
    """Settle every option expiring on or before ``day`` (see the module doc).

    ``close_of`` gives the underlying's close on the expiry day, ``share_instrument``
    the underlying's equity Instrument. Returns the events (canceled orders, fills),
    already applied to ``engine``. Positions whose underlying close is unknown are left
    for a later call.
    """
    events: list[Event] = []
    for order in engine.working_orders():
        contract = order.instrument.option
        if contract is not None and contract.expiry <= day:
            reason = f"canceled: {order.instrument.display_name} expired on {contract.expiry.isoformat()}"
            events.append(engine.cancel(order.order_id, now, reason=reason))
    for symbol, holding in list(engine.ledger.holdings.items()):
        contract = holding.instrument.option
        if contract is None or holding.quantity == 0 or contract.expiry > day:
            continue
        close = close_of(contract.underlying, contract.expiry)
        if close is None:
            continue
        try:
            events += _settle(engine, holding.instrument, holding.quantity, close, now, share_instrument(contract.underlying))
        except Exception:  # noqa: BLE001 - one position that cannot be settled must not stop the others (nothing booked)
            log.exception("paper account %s: %s could not be settled; it stays open", engine.ledger.account_id, symbol)
    return events


def _settle(engine: MatchingEngine, inst: Instrument, quantity: Decimal, close: Decimal, now: datetime,
            shares: Instrument) -> list[Fill]:
    def fill(prefix: str, instrument: Instrument, side: OrderSide, amount: Decimal, price: Decimal, note: str) -> Fill:
        return Fill(broker=engine.ledger.broker, account_id=engine.ledger.account_id, fill_id=engine.next_fill_id(prefix),
                    order_id="", instrument=instrument, side=side, amount=amount, price=price, commission=ZERO,
                    timestamp=now, note=note)

    return [engine.book_fill(f) for f in _settlement_fills(engine, inst, quantity, close, shares, fill)]


def _settlement_fills(engine: MatchingEngine, inst: Instrument, quantity: Decimal, close: Decimal, shares: Instrument,
                      fill: Callable[..., Fill]) -> list[Fill]:
    """The fills settling ``quantity`` of option ``inst`` at the underlying's ``close``,
    made (not yet booked) by ``fill(prefix, instrument, side, amount, price, note)``."""
    contract = inst.option
    assert contract is not None
    value = intrinsic_value(contract.right, contract.strike, close)
    long, count, mult = quantity > 0, abs(quantity), contract.multiplier
    closing_side = OrderSide.SELL if long else OrderSide.BUY
    if value < ITM_THRESHOLD:
        return [fill("EXP", inst, closing_side, count, ZERO, "expired worthless")]
    call = contract.right is OptionRight.CALL
    name = inst.display_name
    if not long:  # assignment: the writer delivers (call) or takes (put) the shares
        return [fill("AS", inst, OrderSide.BUY, count, ZERO, "assigned"),
                fill("AS", shares, OrderSide.SELL if call else OrderSide.BUY, count * mult, contract.strike,
                     f"assignment of {name}")]
    if call:
        can = max(ZERO, min(count, engine.ledger.buying_power() // (contract.strike * mult)))
        why = "not enough cash to exercise"
    else:
        can = max(ZERO, min(count, engine.ledger.available_to_sell(contract.underlying) // mult))
        why = f"no {contract.underlying} shares to deliver"
    out: list[Fill] = []
    if can > 0:
        out += [fill("EX", inst, OrderSide.SELL, can, ZERO, "exercised"),
                fill("EX", shares, OrderSide.BUY if call else OrderSide.SELL, can * mult, contract.strike,
                     f"exercise of {name}")]
    if count - can > 0:
        out.append(fill("CS", inst, OrderSide.SELL, count - can, value, f"cash-settled at intrinsic value: {why}"))
    return out


def expired_positions(engine: MatchingEngine, day: date, session_closed: bool) -> bool:
    """True when the account holds an option that should already have been settled:
    expiry before ``day``, or on ``day`` once the session has closed."""
    for holding in engine.ledger.holdings.values():
        c = holding.instrument.option
        if c is not None and holding.quantity and (c.expiry < day or (c.expiry == day and session_closed)):
            return True
    return False

