"""What an order is expected to cost: one figure for the ticket, its confirmation and
the explanation of a broker's refusal. No Qt here.

The price assumed (:func:`assumed_price`) is the order's limit price, else its stop
price, else the touch a market order takes (the ask to buy, the bid to sell), else the
last trade; the estimate says which ("100 × ask 512.32 + $1.00 commission"). Some
brokers check a market or stop buy against buying power at more than that: the paper
broker holds back 5% above the last price (``reserve``); :attr:`Estimate.held` is that
figure, so the ticket can say why a refusal names a larger amount than its estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from desktop.domain import OrderRequest, OrderSide, OrderType, Quote

from .values import CommissionEstimator, fmt_money, fmt_price, fmt_qty

BASIS_WORDS = {"limit": "limit", "stop": "stop", "ask": "ask", "bid": "bid", "last": "last"}
"""How :func:`assumed_price`'s basis reads in the estimate ("100 × ask 512.32")."""


def assumed_price(order_type: OrderType, side: OrderSide, limit: Decimal | None, stop: Decimal | None,
                  quote: Quote | None) -> tuple[Decimal | None, str]:
    """``(price, basis)`` an order is estimated at; basis "limit", "stop", "ask",
    "bid" or "last" (``(None, "")`` when no price is known). The touch comes before the
    last trade because a market order takes it."""
    if order_type.needs_limit_price and limit:
        return limit, "limit"
    if order_type.needs_stop_price and stop:
        return stop, "stop"
    if quote is None:
        return None, ""
    touch, name = (quote.ask, "ask") if side is OrderSide.BUY else (quote.bid, "bid")
    if touch:
        return touch, name
    return (quote.last, "last") if quote.last else (None, "")


@dataclass(frozen=True)
class Estimate:
    """What an order is expected to cost (buy) or bring in (sell).

    ``price`` the assumed fill price and ``basis`` what it is (see
    :func:`assumed_price`); ``amount`` and ``multiplier`` of the order; ``notional``
    amount x price x multiplier; ``commission`` the estimate (None when unknown);
    ``total`` notional plus commission for buys, minus it for sells. ``held``: the
    buying power the broker checks a market or stop buy against when that is more
    than ``total`` (``reserve`` above the last price), else None.
    """

    side: OrderSide
    currency: str
    price: Decimal
    notional: Decimal
    commission: Decimal | None
    total: Decimal
    basis: str = ""
    amount: Decimal = Decimal(1)
    multiplier: Decimal = Decimal(1)
    held: Decimal | None = None
    reserve: Decimal = Decimal(0)

    @property
    def label(self) -> str:
        return "Estimated cost" if self.side is OrderSide.BUY else "Estimated proceeds"

    def how(self) -> str:
        """"100 × ask 512.32 + $1.00 commission" (options: "1 × ask 3.50 × 100")."""
        price = f"{BASIS_WORDS.get(self.basis, '')} {fmt_price(self.price)}".strip()
        out = f"{fmt_qty(self.amount)} × {price}"
        if self.multiplier != 1:
            out += f" × {fmt_qty(self.multiplier)}"
        if self.commission:
            out += f" {'+' if self.side is OrderSide.BUY else '−'} {fmt_money(self.commission, self.currency)} commission"
        return out

    def text(self, sep: str = " ") -> str:
        """E.g. "Estimated cost: $51,233.00 (100 × ask 512.32 + $1.00 commission)";
        ``sep`` goes before the parenthesis."""
        return f"{self.label}: {fmt_money(self.total, self.currency)}{sep}({self.how()})"

    def held_text(self, broker: str) -> str:
        """Why the broker needs more buying power than the estimate ("" when it does not):
        "Paper holds back 5% above the last price for a market buy: $571,131.50"."""
        if self.held is None:
            return ""
        return (f"{broker} holds back {_percent(self.reserve)}% above the last price for a market or stop buy: "
                f"{fmt_money(self.held, self.currency)}")


def _percent(fraction: Decimal) -> str:
    """0.05 -> "5", 0.025 -> "2.5"."""
    return f"{(fraction * 100).normalize():f}"


def estimate_order(request: OrderRequest, quote: Quote | None, commission_for: CommissionEstimator | None = None,
                   reserve: Decimal = Decimal(0)) -> Estimate | None:
    """Estimate ``request``'s cost or proceeds at :func:`assumed_price`; None when no
    price is known. A failing ``commission_for`` counts as unknown. ``reserve``: the
    fraction above the last price (a stop buy: the higher of stop and last) at which
    the broker checks a market or stop buy against buying power (0: it checks the
    estimate). A dollar-amount request (``notional``) costs its amount; its quantity
    is estimated at the price."""
    price, basis = assumed_price(request.type, request.side, request.limit_price, request.stop_price, quote)
    if price is None:
        return None
    multiplier = request.instrument.multiplier
    if request.notional is not None:  # a dollar amount: the shares it buys at that price, roughly
        amount = (request.notional / (price * multiplier)).quantize(Decimal("0.0001")) if price > 0 else Decimal(0)
        notional = request.notional
    else:
        amount = request.amount
        notional = amount * price * multiplier
    commission = None
    if commission_for is not None:
        try:
            commission = commission_for(request, price)
        except Exception:
            commission = None
    fee = commission or Decimal(0)
    buy = request.side is OrderSide.BUY
    total = notional + fee if buy else notional - fee
    held = None
    last = quote.last if quote is not None else None
    if buy and reserve > 0 and not request.type.needs_limit_price and last:
        ref = max(request.stop_price, last) if request.stop_price else last
        held_at = ref * (1 + reserve)
        held_fee = fee
        if commission_for is not None:
            try:
                held_fee = commission_for(request, held_at) or fee
            except Exception:
                held_fee = fee
        needed = (request.notional if request.notional is not None else amount * held_at * multiplier) + held_fee
        held = needed if needed > total else None
    return Estimate(request.side, request.instrument.currency, price, notional, commission, total, basis,
                    amount, multiplier, held, reserve)
