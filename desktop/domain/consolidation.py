"""Consolidated positions: one row per instrument summed over many accounts.

An advisor sees each client's positions, a trader the positions of every account at
every broker; the consolidated view adds them up per instrument so the book as a
whole is visible, whichever connection or account holds each part. Pure functions
over domain objects (no Qt), used by the desk and the positions panel.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from .position import Position

CONSOLIDATED_ACCOUNT = "All accounts"
"""The ``account_id`` a consolidated position carries (it belongs to no one account)."""


class ConsolidatedPosition(Position):
    """A :class:`Position` summed over several accounts; ``sources`` are the
    per-account positions it adds up (in the order they were given)."""

    sources: tuple[Position, ...] = ()


def consolidate_positions(positions: Iterable[Position], *, label: str = CONSOLIDATED_ACCOUNT) -> list[ConsolidatedPosition]:
    """Sum ``positions`` by (instrument, currency) across accounts and connections.

    Per instrument (its ``key``: the ticker, or the OCC symbol of an option) and
    currency: ``quantity`` the signed sum; ``average_price`` the quantity-weighted
    average of the accounts' average prices (cost basis / quantity; 0 when long and
    short holdings cancel out; unknown when any account's is, ``average_price_known``); ``market_value``, ``unrealized_pnl`` and
    ``realized_pnl`` the sums (None when any account's value is unknown);
    ``last_price`` the latest mark seen. The result's ``account_id`` is ``label``,
    ``connection_id`` "" (it spans connections) and ``broker`` the common broker kind
    ("" when they differ). Instruments whose summed quantity and realized P&L are 0
    are left out. Order: first appearance in ``positions``. Money in the instrument
    currency.
    """
    groups: dict[tuple[str, str], list[Position]] = {}
    for pos in positions:
        groups.setdefault((pos.instrument.key, pos.instrument.currency), []).append(pos)
    out: list[ConsolidatedPosition] = []
    for members in groups.values():
        first = members[0]
        quantity = sum((p.quantity for p in members), Decimal(0))
        realized = sum((p.realized_pnl for p in members), Decimal(0))
        if quantity == 0 and realized == 0:
            continue
        cost = sum((p.quantity * p.average_price for p in members), Decimal(0))
        average = cost / quantity if quantity != 0 else Decimal(0)
        latest = max(members, key=lambda p: p.timestamp)
        kinds = {p.broker for p in members}
        out.append(
            ConsolidatedPosition(
                broker=first.broker if len(kinds) == 1 else "",
                account_id=label,
                instrument=first.instrument,
                quantity=quantity,
                average_price=average,
                average_price_known=all(p.average_price_known for p in members),
                last_price=latest.last_price if latest.last_price is not None else first.last_price,
                market_value=_sum_or_none(p.market_value for p in members),
                unrealized_pnl=_sum_or_none(p.unrealized_pnl for p in members),
                realized_pnl=realized,
                timestamp=latest.timestamp,
                sources=tuple(members),
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
