"""Where paper orders meet prices: the bar path for shares, the quoted touch for options.

Pure functions used by :class:`~.matching.MatchingEngine`:

* Equities fill along the assumed path of each 1-minute bar (:func:`bar_path`,
  :func:`first_touch`, :func:`match_on_path`).
* Options fill against the option's quote, not the underlying's bars: a buy at the
  ask, a sell at the bid, when the order is a MARKET order or its limit allows it
  (:func:`touch_price`). The engine asks an :data:`OptionPricer` for the quote
  (:func:`option_quote`) on submit and on every replayed minute. No volume
  participation cap applies to options: a marketable option order fills in full
  (cash permitting).
* :func:`option_effect_reason` holds the position-effect rules of the cash account.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from desktop.brokers.errors import NotFoundError
from desktop.domain import Instrument, Order, OrderSide, OrderType, PositionEffect, TimeInForce

from .ledger import ZERO, Ledger

OptionPricer = Callable[[Instrument], tuple[Decimal | None, Decimal | None]]
"""``pricer(instrument) -> (bid, ask)`` per share of an option now (None or 0 = no bid
/ no ask). Raises :class:`desktop.brokers.errors.NotFoundError` for a contract that is
not listed (unknown, off the strike grid, expired)."""

WRITING_REFUSED = "writing options (SELL_TO_OPEN) needs a margin account; the paper account is a cash account"


def option_quote(pricer: OptionPricer | None, instrument: Instrument) -> tuple[Decimal | None, Decimal | None, str]:
    """(bid, ask, "") of an option from ``pricer``, or (None, None, why not)."""
    if pricer is None:
        return None, None, f"options are not available here ({instrument.symbol})"
    try:
        return *pricer(instrument), ""
    except NotFoundError as exc:
        return None, None, exc.message


def bar_path(bar) -> list[Decimal]:
    """The assumed price path of ``bar``: open, nearer extreme, other extreme, close."""
    if bar.high - bar.open <= bar.open - bar.low:
        return [bar.open, bar.high, bar.low, bar.close]
    return [bar.open, bar.low, bar.high, bar.close]


def first_touch(path: list[Decimal], i: int, price: Decimal, level: Decimal, up: bool) -> tuple[int, Decimal] | None:
    """Where the path, now at ``price`` heading to ``path[i]``, first reaches ``level``.

    ``up``: reaching >= level, else <= level. Returns (segment index, price there):
    ``price`` itself when already there (a gap), ``level`` when crossed on the way.
    """
    if (price >= level) if up else (price <= level):
        return i, price
    for j in range(i, len(path)):
        if (path[j] >= level) if up else (path[j] <= level):
            return j, level
    return None


def match_on_path(order: Order, triggered: bool, path: list[Decimal]) -> tuple[Decimal | None, Decimal | None]:
    """(trigger price or None, fill price or None) of ``order`` along ``path``."""
    buy, kind, at = order.side is OrderSide.BUY, order.type, (1, path[0])
    if kind is OrderType.MARKET or (kind is OrderType.STOP and triggered):
        return None, path[0]
    trig = None
    if kind.needs_stop_price and not triggered:
        hit = first_touch(path, *at, order.stop_price, up=buy)
        if hit is None:
            return None, None
        at, trig = hit, hit[1]
        if kind is OrderType.STOP:
            return trig, trig
    hit = first_touch(path, *at, order.limit_price, up=not buy)
    return trig, None if hit is None else hit[1]


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    """``value`` rounded down to a multiple of ``step``, at least 0."""
    return max(ZERO, (value // step) * step)


def marketable_price(order: Order, last: Decimal) -> Decimal | None:
    """``last`` when a MARKET order, or a limit at or through it, trades there; else None."""
    lim, buy = order.limit_price, order.side is OrderSide.BUY
    return last if lim is None or (last <= lim if buy else last >= lim) else None


def ref_price(order: Order, last: Decimal | None) -> Decimal:
    """The price a MARKET / STOP buy reserves cash at (before the buffer): last, or
    max(stop, last) for a STOP; 0 without a price."""
    if last is None:
        return ZERO
    return max(order.stop_price, last) if order.type is OrderType.STOP else last


def unfilled_reason(order: Order, price: Decimal | None, bar, possible: Decimal, short_cash: bool,
                    last: Decimal | None) -> str:
    """Why an IOC / FOK order (or a buy short of cash) was canceled on submit."""
    tif = "fill or kill" if order.time_in_force is TimeInForce.FOK else "immediate or cancel"
    option = order.instrument.is_option
    if short_cash:
        return f"canceled: not enough cash to buy the rest at {price}"
    if price is None or (bar is None and not option):
        at = ("ask" if order.side is OrderSide.BUY else "bid") if option else "last price"
        why = f"not marketable at the {at} {last}" if price is None else f"no trading in {order.symbol} now"
        return f"{tif}: {why}"
    if order.time_in_force is TimeInForce.FOK:
        return f"fill or kill: only {possible} of {order.amount} could fill immediately"
    return f"immediate or cancel: {order.remaining} unfilled canceled"


def touch_price(order: Order, bid: Decimal | None, ask: Decimal | None) -> Decimal | None:
    """Fill price of an option order against (``bid``, ``ask``) now, or None.

    Buys take the ask, sells hit the bid, if there is one (> 0) and the order is a
    MARKET order or its limit is at or through it.
    """
    touch = ask if order.side is OrderSide.BUY else bid
    if touch is None or touch <= 0:
        return None
    lim = order.limit_price
    if lim is None or (touch <= lim if order.side is OrderSide.BUY else touch >= lim):
        return touch
    return None


def reference_price(side: OrderSide, bid: Decimal | None, ask: Decimal | None) -> Decimal | None:
    """The option price an order is checked against: the touch it would trade at
    (ask for buys, bid for sells), else the other side; None with no quote at all."""
    first, second = (ask, bid) if side is OrderSide.BUY else (bid, ask)
    return first if first else (second or None)


def option_effect(order: Order, ledger: Ledger) -> PositionEffect:
    """The order's position effect; inferred when not stated: a sell closes a long
    position (else opens), a buy closes a short one (else opens)."""
    if order.position_effect is not None:
        return order.position_effect
    held = ledger.quantity(order.symbol)
    closing = held > 0 if order.side is OrderSide.SELL else held < 0
    return PositionEffect.CLOSE if closing else PositionEffect.OPEN


def option_effect_reason(order: Order, ledger: Ledger, working: list[Order], exclude: str | None = None) -> str:
    """Why the cash account refuses ``order`` (an option order), or "".

    SELL_TO_OPEN is refused (writing needs margin). SELL_TO_CLOSE needs a long
    position not already held back by working sells; BUY_TO_CLOSE needs a short
    position not already being bought back by ``working`` orders. BUY_TO_OPEN is
    checked for buying power by the engine like any buy.
    """
    effect, name = option_effect(order, ledger), order.instrument.display_name
    held = ledger.quantity(order.symbol)
    if order.side is OrderSide.SELL:
        if effect is PositionEffect.OPEN:
            return WRITING_REFUSED
        free = ledger.available_to_sell(order.symbol, exclude)
        if held <= 0:
            return f"SELL_TO_CLOSE needs a long position in {name}; you hold none"
        if order.remaining > free:
            return (f"SELL_TO_CLOSE of {order.remaining} exceeds the {free} {name} contracts you can close "
                    f"(position {held}, {held - free} held by working sell orders)")
        return ""
    if effect is PositionEffect.CLOSE:
        closing = sum((o.remaining for o in working if o.symbol == order.symbol and o.side is OrderSide.BUY
                       and o.order_id != exclude and o.position_effect is PositionEffect.CLOSE), ZERO)
        short = max(ZERO, -held - closing)
        if short <= 0:
            return f"BUY_TO_CLOSE needs a short position in {name}; you hold {max(held, ZERO)} long and none short"
        if order.remaining > short:
            return f"BUY_TO_CLOSE of {order.remaining} exceeds the {short} {name} contracts short"
    return ""
