"""Pre-trade checks of the paper matching engine, the cash a working buy reserves and
how much of a buy the cash pays for.

Pure functions over an order, the account's :class:`Ledger` and the engine's settings.
Rejects: other account / currency, unknown symbol, no price, duplicate client order
id, IOC / FOK on stops, stop orders on options, limit or stop more than
``max_deviation`` (50%) from last (shares), the position-effect rules of options
(:func:`.fillmodel.option_effect_reason`), sells above the position not held by
working sells (no shorting), buys above buying power. A buy reserves remaining x
price x multiplier + remaining commission at its limit, or for MARKET / STOP at last
(max(stop, last)) plus ``market_buffer`` (5%).

Currency pairs (:func:`.fx_rates.is_pair`, issue 14) trade on the account's currency
balances, which may go below zero: a pair order is not held to the cash-account
rules (no buying-power or no-shorting check, nothing reserved, fills not limited by
cash) and may be quoted in a currency other than the account's. No leverage limit
is enforced on them (a simplification of the paper broker).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from decimal import Decimal

from desktop.domain import Order, OrderRequest, OrderSide, TimeInForce

from .commission import CommissionModel
from .fillmodel import floor_to, option_effect_reason
from .fx_rates import is_pair
from .ledger import ZERO, Ledger


@dataclass
class Book:
    """Engine-side state of a working order (time priority = insertion order)."""

    triggered: bool = False
    notional: Decimal = ZERO  # sum of fill amount x price (no multiplier)
    ref_price: Decimal = ZERO  # price a MARKET / STOP buy is reserved at (before buffer)


def entry_reason(req: OrderRequest, last: Decimal | None, *, ledger: Ledger, symbols: Container[str] | None,
                 client_ids: Container[str]) -> str:
    """Why ``req`` cannot be entered at all ("" when it can): account, currency, symbol,
    price, duplicate client order id, time in force. ``symbols`` None: any symbol."""
    sym = req.symbol
    if req.account_id != ledger.account_id:
        return f"unknown account {req.account_id}"
    if req.instrument.currency != ledger.currency and not is_pair(req.instrument):
        return f"{sym} trades in {req.instrument.currency}; this account only trades {ledger.currency}"
    if req.instrument.is_option and req.type.needs_stop_price:
        return "stop orders are not available for options on the paper broker; use MARKET or LIMIT"
    if symbols is not None and sym not in symbols and not req.instrument.is_option:
        return f"unknown symbol {sym}"
    if last is None or last <= 0:
        return f"no market price for {sym}: unknown symbol or no market data yet"
    if req.client_order_id in client_ids:
        return f"duplicate client order id {req.client_order_id}"
    if req.type.needs_stop_price and req.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
        return f"{req.time_in_force.value} is only available for MARKET and LIMIT orders"
    return ""


def reserve_cash(order: Order, book: Book, *, market_buffer: Decimal, fees: CommissionModel) -> Decimal:
    """Cash a buy may still spend: remaining value at its reserve price + commission
    (0 for sells and for pairs)."""
    if order.side is OrderSide.SELL or not order.remaining or is_pair(order.instrument):
        return ZERO
    price = order.limit_price if order.type.needs_limit_price else book.ref_price * (1 + market_buffer)
    mult = order.instrument.multiplier
    rest = order.remaining * price * mult
    fee = max(ZERO, fees.order_total(order.amount, book.notional * mult + rest) - order.commission)
    return rest + fee


def risk_reason(order: Order, book: Book, last: Decimal | None, exclude: str | None, *, ledger: Ledger,
                working: list[Order], max_deviation: Decimal, market_buffer: Decimal, fees: CommissionModel) -> str:
    """Why ``order`` (new or modified; ``exclude``: its own id) may not work ("" when it
    may): no price, option position effect, price band, no shorting, buying power.
    ``working``: the working orders of its symbol."""
    if last is None:
        return f"no market price for {order.symbol}"
    option = order.instrument.is_option
    if option and (why := option_effect_reason(order, ledger, working, exclude)):
        return why
    for name, price in (("limit", order.limit_price), ("stop", order.stop_price)):
        if price is not None and not option and abs(price - last) > max_deviation * last:
            return f"{name} price {price} is more than {max_deviation:.0%} away from the last price {last}"
    if is_pair(order.instrument):
        return ""
    if order.side is OrderSide.SELL:
        free = ledger.available_to_sell(order.symbol, exclude)
        if order.remaining > free:
            held = ledger.quantity(order.symbol)
            return (f"short selling is not available on this cash account: you can sell at most {free} "
                    f"{order.symbol} (position {held}, {max(ZERO, held) - free} held by working sell orders)")
        return ""
    need, have = reserve_cash(order, book, market_buffer=market_buffer, fees=fees), ledger.buying_power(exclude)
    if need > have:
        return f"insufficient buying power: this order needs ${need:,.2f}, available ${have:,.2f}"
    return ""


def fill_fee(order: Order, book: Book, qty: Decimal, price: Decimal, fees: CommissionModel) -> Decimal:
    """Commission of filling ``qty`` more of ``order`` at ``price`` (charged incrementally per fill)."""
    mult = order.instrument.multiplier
    return fees.for_fill(order.filled, book.notional * mult, qty, price, mult)


def fill_quantity(order: Order, book: Book, capacity: Decimal, price: Decimal, *, cash: Decimal,
                  fees: CommissionModel) -> tuple[Decimal, bool]:
    """(quantity to fill now, True when ``cash`` rather than liquidity limited it): at most
    ``capacity`` in whole lots; a buy only as many lots as ``cash`` pays for, fees included."""
    lot = order.instrument.lot_size
    qty = min(order.remaining, floor_to(capacity, lot))

    def cost(amount: Decimal) -> Decimal:
        return amount * price * order.instrument.multiplier + fill_fee(order, book, amount, price, fees)

    if order.side is OrderSide.SELL or qty == 0 or is_pair(order.instrument) or cost(qty) <= cash:
        return qty, False
    lo, hi = 0, int(qty / lot)
    while lo < hi:  # the largest number of lots that cash pays for
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if cost(mid * lot) <= cash else (lo, mid - 1)
    return lo * lot, True
