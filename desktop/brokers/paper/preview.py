"""What-if previews of paper orders (the paper side of ``Broker.preview_order``).

Modelled on IBKR's ``POST /iserver/account/{accountId}/orders/whatif``: the order's
amount, commission and total, and the account's equity before and after. Pure: the
broker passes the engine(s), marks and prices. Money is USD (Decimal).

* price: the limit price, else the stop price (STOP), else the last price;
* amount = quantity x price x multiplier; commission = the engine's commission model
  for the whole quantity at that price; total = amount + commission;
* equity before = net liquidation at the marks; after = before - commission (a
  trade at the mark only swaps cash for shares);
* ``error``: the reason the engine would reject the order now (same checks and text:
  :func:`.risk.entry_reason` and :func:`.risk.risk_reason`), "" if it would accept;
* ``warning``: a buy that would use more than 90% of the buying power left.

A group order previews every child (quantity from the allocation) and sums them;
``error`` / ``warning`` name the account ("DU100004: insufficient buying power ...").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from desktop.domain import OrderPreview, OrderRequest, OrderSide, OrderStatus, OrderType
from desktop.domain.order import order_from_request

from .fillmodel import ref_price
from .fx_rates import is_pair
from .ledger import ZERO
from .matching import MatchingEngine
from .risk import Book, entry_reason, reserve_cash, risk_reason

WARN_SHARE = Decimal("0.9")
"""A buy needing more than this share of the buying power left gets a warning."""


@dataclass(frozen=True)
class Impact:
    """One account's side of a preview (USD)."""

    account_id: str
    quantity: Decimal
    amount: Decimal
    commission: Decimal
    equity_before: Decimal
    warning: str
    error: str


def preview_price(request: OrderRequest, last: Decimal | None) -> Decimal | None:
    """The price a preview values ``request`` at: limit, else stop (STOP), else ``last``."""
    if request.limit_price is not None:
        return request.limit_price
    if request.type is OrderType.STOP and request.stop_price is not None:
        return request.stop_price
    return last


def account_impact(engine: MatchingEngine, marks: Mapping[str, Decimal], request: OrderRequest,
                   last: Decimal | None, price: Decimal) -> Impact:
    """Preview ``request`` (for ``request.account_id`` = the engine's account) at ``price``."""
    ledger, inst, qty = engine.ledger, request.instrument, request.amount
    amount = qty * price * inst.multiplier
    commission = engine.fees(inst)(qty, price, inst.multiplier)
    probe = request.model_copy(update={"client_order_id": "preview"})
    error = entry_reason(probe, last, ledger=ledger, symbols=engine.symbols, client_ids=())
    warning = ""
    if not error:
        order = order_from_request(probe, "paper", "preview", OrderStatus.ACCEPTED)
        book = Book(ref_price=ref_price(order, last))
        error = risk_reason(order, book, last, None, ledger=ledger, working=engine.working_orders(request.symbol),
                            max_deviation=engine.max_deviation, market_buffer=engine.market_buffer, fees=engine.fees(inst))
        if not error and request.side is OrderSide.BUY:
            need = reserve_cash(order, book, market_buffer=engine.market_buffer, fees=engine.fees(inst))
            have = ledger.buying_power()
            if have > 0 and need > have * WARN_SHARE:
                warning = f"this order uses {need / have:.0%} of the buying power left (${have:,.2f})"
    return Impact(request.account_id, qty, amount, commission, ledger.net_liquidation(marks), warning, error)


def build_preview(impacts: Sequence[Impact], request: OrderRequest, price: Decimal, *, named: bool = False) -> OrderPreview:
    """Sum ``impacts`` into an OrderPreview; ``named``: prefix messages and add one
    line per account (group orders)."""
    amount = sum((i.amount for i in impacts), ZERO)
    commission = sum((i.commission for i in impacts), ZERO)
    before = sum((i.equity_before for i in impacts), ZERO)

    def joined(attr: str) -> str:
        texts = [(f"{i.account_id}: " if named else "") + getattr(i, attr) for i in impacts if getattr(i, attr)]
        return "; ".join(texts)

    qty = sum((i.quantity for i in impacts), ZERO)
    inst = request.instrument
    unit = "Contracts" if inst.is_option else f"{inst.symbol[:3]}" if is_pair(inst) else "Shares"
    ccy = inst.currency  # a pair's amount is in its quote currency (USDJPY: JPY); equity is the account's USD
    lines = [("Amount", f"{amount:,.2f} {ccy} ({qty:,} {unit} at {price:,})"), ("Commission", f"{commission:,.2f} {ccy}"),
             ("Total", f"{amount + commission:,.2f} {ccy}"), ("Equity before", f"{before:,.2f} USD"),
             ("Equity after", f"{before - commission:,.2f} USD")]
    if named:
        lines += [(i.account_id, f"{i.quantity:,} {unit}") for i in impacts]
    return OrderPreview(currency="USD", amount=amount, commission=commission, total=amount + commission,
                        equity_before=before, equity_after=before - commission, warning=joined("warning"),
                        error=joined("error"), lines=tuple(lines))
