"""What the confirmation warns about before an order is sent, in words. No Qt here.

:func:`order_warnings` looks at an order and its estimate: a buy above the account's
buying power (both figures, and the broker's own figure when it holds back more for a
market order), a limit or stop price far from the market (how far, in %), a value
above the warning level set in Settings, a market order outside the exchange's regular
hours. :func:`quote_age` words how old a quote is ("3 min old"). A currency pair is
bought on margin (paper: against the account's currency balances), so its cost is not
compared with buying power.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desktop.domain import AssetClass, Balance, MarketSession, OrderRequest, OrderSide, OrderType, Quote

from .estimate import Estimate
from .values import fmt_money, fmt_price

FAR_FROM_MARKET = Decimal("0.05")
"""A limit or stop price more than this fraction away from the market gets a warning."""

REGULAR_HOURS = {"USD": ("America/New_York", "New York", time(9, 30), time(16, 0))}
"""Currency -> (exchange zone, its name, open, close) of the regular session, Monday
to Friday (US stocks and listed options; exchange holidays are not known here)."""


@dataclass(frozen=True)
class OrderWarning:
    """One warning: ``kind`` ("buyingPower", "price", "notional", "hours") and its ``text``."""

    kind: str
    text: str


def order_warnings(request: OrderRequest, estimate: Estimate | None, quote: Quote | None, *,
                   balance: Balance | None = None, broker: str = "the broker", notional_limit: Decimal | None = None,
                   now: datetime | None = None, exchange_timezone: str | None = None,
                   session: MarketSession | None = None) -> list[OrderWarning]:
    """The warnings for ``request`` (see the module docstring), in the order shown.

    ``balance``: the account's balance in the order's currency (None: unknown, e.g. an
    allocation group); ``broker``: the connection's name; ``notional_limit``: the
    Settings level (None or 0: off); ``now``: the connection's clock (the paper
    replay's for paper); ``exchange_timezone``: the zone the connection's exchange
    keeps (else the currency's, :data:`REGULAR_HOURS`); ``session``: the broker's own
    word on the instrument's market (TradeLocker's session status): when given it
    replaces the regular-hours rule ("session" warning when closed, for every order type).
    """
    out: list[OrderWarning] = []
    if estimate is not None and balance is not None and request.side is OrderSide.BUY \
            and request.instrument.asset_class is not AssetClass.FOREX:  # a pair is bought on margin, not with its cost
        out += _buying_power(estimate, balance, broker)
    out += _far_from_market(request, quote)
    if estimate is not None and notional_limit and estimate.notional > notional_limit:
        out.append(OrderWarning("notional", f"This order is worth {fmt_money(estimate.notional, estimate.currency)}, "
                                            f"above your warning level of {fmt_money(notional_limit, estimate.currency)} "
                                            "(Settings → Orders)"))
    if session is not None:
        if not session.is_open:
            from .market_session import closed_text

            out.append(OrderWarning("session", closed_text(session)))
    elif request.type is OrderType.MARKET and now is not None:
        text = outside_hours(now, request.instrument.currency, exchange_timezone)
        if text:
            out.append(OrderWarning("hours", f"Market order outside regular hours: {text}"))
    return out


def _buying_power(estimate: Estimate, balance: Balance, broker: str) -> list[OrderWarning]:
    have = balance.buying_power
    money = lambda v: fmt_money(v, estimate.currency)  # noqa: E731
    if estimate.total > have:
        text = (f"Estimated cost {money(estimate.total)} is more than the buying power of {balance.account_id}, "
                f"{money(have)}")
        if estimate.held is not None:
            text += f"; {estimate.held_text(broker)}"
        return [OrderWarning("buyingPower", text)]
    if estimate.held is not None and estimate.held > have:
        return [OrderWarning("buyingPower", f"{estimate.held_text(broker)}, more than the buying power of "
                                            f"{balance.account_id}, {money(have)}: it will refuse this order")]
    return []


def market_price(quote: Quote | None) -> tuple[Decimal | None, str]:
    """The market a price is compared with: the last trade, else the bid/ask midpoint."""
    if quote is None:
        return None, ""
    if quote.last:
        return quote.last, "the last price"
    if quote.bid and quote.ask:
        return (quote.bid + quote.ask) / 2, "the midpoint"
    return None, ""


def _far_from_market(request: OrderRequest, quote: Quote | None) -> list[OrderWarning]:
    market, name = market_price(quote)
    if not market:
        return []
    out = []
    for label, price in (("Limit", request.limit_price), ("Stop", request.stop_price)):
        if price is None:
            continue
        away = (price - market) / market
        if abs(away) > FAR_FROM_MARKET:
            where = "above" if away > 0 else "below"
            out.append(OrderWarning("price", f"{label} price {fmt_price(price)} is {abs(away) * 100:.1f}% {where} "
                                             f"{name} {fmt_price(market)}"))
    return out


def outside_hours(now: datetime, currency: str, exchange_timezone: str | None = None) -> str:
    """Words for ``now`` outside the regular session of ``currency``'s exchange ("it is
    18:05 on Saturday in New York; regular hours are 09:30–16:00, Monday to Friday");
    "" inside it, or when the session is not known."""
    session = REGULAR_HOURS.get(currency)
    if session is None:
        return ""
    zone_name, place, opens, closes = session
    try:
        zone = ZoneInfo(exchange_timezone or zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        return ""
    local = now.astimezone(zone)
    if local.weekday() < 5 and opens <= local.time() < closes:
        return ""
    return (f"it is {local:%H:%M} on {local:%A} in {place}; regular hours are "
            f"{opens:%H:%M}–{closes:%H:%M}, Monday to Friday")


def quote_age(quote: Quote, now: datetime) -> str:
    """How old ``quote`` is at ``now``: "12 s old", "3 min old", "2 h old", "5 days old"."""
    seconds = max(0.0, (now - quote.timestamp).total_seconds()) if quote.timestamp.tzinfo else 0.0
    if seconds < 60:
        return f"{int(seconds)} s old"
    if seconds < 3600:
        return f"{int(seconds // 60)} min old"
    if seconds < timedelta(days=2).total_seconds():
        return f"{int(seconds // 3600)} h old"
    return f"{int(seconds // 86400)} days old"
