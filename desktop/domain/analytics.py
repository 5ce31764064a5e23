"""Portfolio analytics as pure functions over domain models."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

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
