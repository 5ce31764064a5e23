"""Portfolio analytics as pure functions over domain models.

The second half is the Connect Trade cookbook's five figures (total unrealized P&L,
fills today, execution VWAP per symbol, concentration, n-day momentum), computed for
every connection of the desk from its positions, fills and daily bars."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from .base import DomainModel

from .fill import Fill
from .market import Bar
from .position import Position


def total_unrealized_pnl(positions: Iterable[Position]) -> Decimal:
    """Sum of ``unrealized_pnl`` over positions that have one (unmarked ones count 0)."""
    return sum((p.unrealized_pnl for p in positions if p.unrealized_pnl is not None), Decimal(0))


def position_weights(positions: Iterable[Position]) -> dict[str, Decimal]:
    """Concentration: each symbol's share of gross market value, as a fraction 0..1.

    Gross = sum of |market_value| over marked positions. Returns {} when nothing is
    marked or all values are zero. Shorts count by absolute value.
    """
    values: dict[str, Decimal] = {}
    for p in positions:
        if p.market_value is None:
            continue
        values[p.symbol] = values.get(p.symbol, Decimal(0)) + abs(p.market_value)
    gross = sum(values.values(), Decimal(0))
    if gross == 0:
        return {}
    return {sym: v / gross for sym, v in values.items()}


def vwap(fills: Iterable[Fill]) -> Decimal | None:
    """Volume-weighted average price of fills: sum(price x amount) / sum(amount).

    None when there are no fills.
    """
    notional = Decimal(0)
    qty = Decimal(0)
    for f in fills:
        notional += f.price * f.amount
        qty += f.amount
    return notional / qty if qty else None


def momentum(bars: Sequence[Bar], n: int) -> Decimal | None:
    """n-bar momentum: close[-1] / close[-1-n] - 1, as a fraction.

    Raises ValueError when ``n`` < 1; None when there are fewer than n+1 bars or the
    base close is zero.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if len(bars) <= n:
        return None
    base = bars[-1 - n].close
    if base == 0:
        return None
    return bars[-1].close / base - 1


# -- the Connect Trade cookbook's five portfolio figures, for every connection ----------
# (seeds/000_22acd433f5b2ef22.txt; specs/connecttrade/NOTES.md section 3.4)

class PnlSummary(DomainModel):
    """Total unrealized P&L: ``overall``, ``by_connection`` (connection_id -> sum),
    ``by_account`` ((connection_id, account_id) -> sum); ``counted`` positions had an
    unrealized P&L, ``skipped`` had none (null / unmarked: left out, not counted 0);
    ``other_currencies``: currency -> positions left out because their P&L is in a
    currency other than the one summed (a USDJPY position's is in JPY)."""

    overall: Decimal = Decimal(0)
    by_connection: dict[str, Decimal] = {}
    by_account: dict[tuple[str, str], Decimal] = {}
    counted: int = 0
    skipped: int = 0
    other_currencies: dict[str, int] = {}


def unrealized_summary(positions: Iterable[Position], currency: str | None = None) -> PnlSummary:
    """The cookbook's "total unrealized P&L" (sum of ``unrealized_pl``, skipping null)
    per account, per connection and overall. Accounts and connections whose positions
    all lack a P&L do not appear. ``currency``: sum only positions whose instrument is
    priced in it (Position money is in the instrument's currency); the others are
    counted in ``other_currencies``, never added as if they were the same money."""
    overall, counted, skipped = Decimal(0), 0, 0
    by_conn: dict[str, Decimal] = {}
    by_account: dict[tuple[str, str], Decimal] = {}
    others: dict[str, int] = {}
    for p in positions:
        if p.unrealized_pnl is None:
            skipped += 1
            continue
        if currency is not None and p.instrument.currency != currency:
            others[p.instrument.currency] = others.get(p.instrument.currency, 0) + 1
            continue
        counted += 1
        overall += p.unrealized_pnl
        by_conn[p.connection_id] = by_conn.get(p.connection_id, Decimal(0)) + p.unrealized_pnl
        key = (p.connection_id, p.account_id)
        by_account[key] = by_account.get(key, Decimal(0)) + p.unrealized_pnl
    return PnlSummary(overall=overall, by_connection=by_conn, by_account=by_account, counted=counted, skipped=skipped,
                      other_currencies=dict(sorted(others.items())))


def session_date(moment: datetime, timezone_name: str | None) -> date:
    """The trading date of ``moment`` (aware) in the exchange's zone (IANA name; None:
    UTC, as the cookbook's ``datetime.now(timezone.utc)`` midnight)."""
    zone = ZoneInfo(timezone_name) if timezone_name else timezone.utc
    return moment.astimezone(zone).date()


def fills_on(fills: Iterable[Fill], day: date, timezone_name: str | None) -> list[Fill]:
    """The cookbook's "fills today": fills whose time falls on ``day`` in the exchange's
    zone (:func:`session_date`), newest first (its ``sort=last_exec_time:desc``)."""
    out = [f for f in fills if session_date(f.timestamp, timezone_name) == day]
    return sorted(out, key=lambda f: (f.timestamp, f.fill_id), reverse=True)


class SymbolVwap(DomainModel):
    """Execution VWAP of one symbol's fills: ``vwap`` = sum(qty x price) / sum(qty) over
    ``quantity`` shares in ``fills`` executions."""

    symbol: str
    vwap: Decimal
    quantity: Decimal
    fills: int


def vwap_by_symbol(fills: Iterable[Fill]) -> list[SymbolVwap]:
    """The cookbook's execution VWAP per symbol (both sides together, as its sample
    sums every fill of the symbol); a symbol whose total quantity is 0 is left out.
    Ordered by symbol."""
    sums: dict[str, list] = {}
    for f in fills:
        entry = sums.setdefault(f.symbol, [Decimal(0), Decimal(0), 0])
        entry[0] += f.amount * f.price
        entry[1] += f.amount
        entry[2] += 1
    return [SymbolVwap(symbol=s, vwap=cost / qty, quantity=qty, fills=n)
            for s, (cost, qty, n) in sorted(sums.items()) if qty > 0]


class Concentration(DomainModel):
    """One symbol's share of the portfolio: ``market_value`` (last x quantity x
    multiplier, summed over the accounts holding it) and ``share`` in percent of the
    total (0 when the total is 0)."""

    symbol: str
    market_value: Decimal
    share: Decimal


def concentration(positions: Iterable[Position], currency: str | None = None) -> list[Concentration]:
    """The cookbook's portfolio concentration, largest first: market value =
    last_price x quantity for positions that have both (a zero quantity or a missing
    last price is skipped), share = value / total x 100, 0 when the total is 0. The
    desk sums a symbol held in several accounts into one row; shorts count by
    absolute value (gross exposure; the cookbook's sample has none). ``currency``:
    only positions priced in it (others' values are another money: left out)."""
    values: dict[str, Decimal] = {}
    for p in positions:
        if not p.last_price or not p.quantity or (currency is not None and p.instrument.currency != currency):
            continue
        values[p.symbol] = values.get(p.symbol, Decimal(0)) + abs(p.last_price * p.quantity * p.instrument.multiplier)
    total = sum(values.values(), Decimal(0))
    rows = [Concentration(symbol=s, market_value=v, share=(v / total * 100) if total else Decimal(0))
            for s, v in values.items()]
    return sorted(rows, key=lambda r: (-r.market_value, r.symbol))


def closes_momentum(bars: Sequence[Bar], n: int = 20) -> Decimal | None:
    """The cookbook's n-day momentum: over the last ``n`` daily closes, last / first - 1
    (a fraction). None with fewer than ``n`` bars or a first close of 0. Raises
    ValueError when ``n`` < 2."""
    if n < 2:
        raise ValueError("n must be at least 2")
    if len(bars) < n:
        return None
    first = bars[-n].close
    if first == 0:
        return None
    return bars[-1].close / first - 1
