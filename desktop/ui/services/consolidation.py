"""Consolidated positions: one row per instrument summed over several accounts.

An advisor sees each client's positions; the consolidated view adds them up per
instrument so the book as a whole is visible. Pure functions over domain objects
(no Qt), used by :class:`~desktop.ui.services.broker_service.BrokerService` and the
positions panel.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from desktop.domain import Position

CONSOLIDATED_ACCOUNT = "All clients"
"""The ``account_id`` a consolidated position carries (it belongs to no one account)."""


def consolidate_positions(positions: Iterable[Position], *, label: str = CONSOLIDATED_ACCOUNT) -> list[Position]:
    """Sum ``positions`` by (broker, instrument) across accounts.

    Per instrument: ``quantity`` the signed sum; ``average_price`` the quantity-weighted
    average of the accounts' average prices (cost basis / quantity; when long and short
    holdings cancel out to zero it is 0); ``market_value``, ``unrealized_pnl`` and
    ``realized_pnl`` the sums (None when any account's value is unknown);
    ``last_price`` the latest mark seen. The result's ``account_id`` is ``label``;
    instruments whose summed quantity is 0 and whose realized P&L is 0 are left out.
    Order: first appearance in ``positions``. Money is in the instrument currency.
    """
    groups: dict[tuple[str, str], list[Position]] = {}
    for pos in positions:
        groups.setdefault((pos.broker, pos.instrument.key), []).append(pos)
    out: list[Position] = []
    for members in groups.values():
        first = members[0]
        quantity = sum((p.quantity for p in members), Decimal(0))
        realized = sum((p.realized_pnl for p in members), Decimal(0))
        if quantity == 0 and realized == 0:
            continue
        cost = sum((p.quantity * p.average_price for p in members), Decimal(0))
        average = cost / quantity if quantity != 0 else Decimal(0)
        latest = max(members, key=lambda p: p.timestamp)
        out.append(
            Position(
                broker=first.broker,
                account_id=label,
                instrument=first.instrument,
                quantity=quantity,
                average_price=average,
                last_price=latest.last_price if latest.last_price is not None else first.last_price,
                market_value=_sum_or_none(p.market_value for p in members),
                unrealized_pnl=_sum_or_none(p.unrealized_pnl for p in members),
                realized_pnl=realized,
                timestamp=latest.timestamp,
            )
        )
    return out


def _sum_or_none(values: Iterable[Decimal | None]) -> Decimal | None:
    total = Decimal(0)
    for value in values:
        if value is None:
            return None
        total += value
    return total
