"""What the Portfolio panel shows, computed from the desk's state (Qt-free): the
cookbook's five figures for every connection (desktop.domain.analytics)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

from desktop.desk import Desk
from desktop.domain import Fill, Position
from desktop.domain.analytics import (Concentration, PnlSummary, SymbolVwap, concentration, fills_on, session_date,
                                      unrealized_summary, vwap_by_symbol)


@dataclass
class Figures:
    """One computation: ``pnl``; ``today`` (connection_id -> its session date and zone
    name); ``fills`` today (every connection, newest first); ``vwaps``;
    ``concentration``; ``positions`` / ``fills_seen`` counted for the "computed from" line;
    ``currency`` the money P&L and concentration are summed in (positions priced in
    another are left out and said: ``pnl.other_currencies``)."""

    pnl: PnlSummary
    today: dict[str, tuple[date, str]] = field(default_factory=dict)
    fills: list[Fill] = field(default_factory=list)
    vwaps: list[SymbolVwap] = field(default_factory=list)
    concentration: list[Concentration] = field(default_factory=list)
    positions: int = 0
    fills_seen: int = 0
    currency: str = "USD"


def market_now(desk: Desk, connection_id: str) -> datetime:
    """The connection's market clock: a replaying broker's replay time, else the newest
    time it reported (quotes, fills), else the wall clock (UTC)."""
    conn = desk.connections.get(connection_id)
    caps = (conn.capabilities or conn.broker.capabilities) if conn is not None else None
    if caps is not None and caps.replay:
        try:
            replay_now = conn.broker.replay_now  # the paper broker's property
            return replay_now() if callable(replay_now) else replay_now
        except Exception:  # noqa: BLE001 - not connected (yet): fall back
            pass
    state = desk.state
    stamps = [q.timestamp for q in state.quotes.values() if q.connection_id == connection_id]
    stamps += [f.timestamp for f in state.fills.values() if f.connection_id == connection_id]
    return max(stamps) if stamps else datetime.now(timezone.utc)


def compute(desk: Desk) -> Figures:
    """The five figures over every live connection's positions and fills. "Today" is
    each connection's own session date in its exchange's zone
    (``capabilities.exchange_timezone``; UTC when it names none) at its market clock
    (:func:`market_now`)."""
    positions: list[Position] = list(desk.state.positions.values())
    fills = list(desk.state.fills.values())
    today: dict[str, tuple[date, str]] = {}
    for cid, conn in desk.connections.items():
        caps = conn.capabilities or conn.broker.capabilities
        zone = caps.exchange_timezone
        today[cid] = (session_date(market_now(desk, cid), zone), zone or "UTC")
    todays: list[Fill] = []
    for cid, (day, zone) in today.items():
        todays += fills_on([f for f in fills if f.connection_id == cid], day, None if zone == "UTC" else zone)
    todays.sort(key=lambda f: (f.timestamp, f.fill_id), reverse=True)
    currency = base_currency(desk)
    return Figures(pnl=unrealized_summary(positions, currency), today=today, fills=todays, vwaps=vwap_by_symbol(todays),
                   concentration=concentration(positions, currency), positions=len(positions), fills_seen=len(fills),
                   currency=currency)


def base_currency(desk: Desk) -> str:
    """The currency the panel sums in: the one most of the desk's accounts keep (USD
    when there are none; ties: alphabetical)."""
    counts: dict[str, int] = {}
    for account in desk.state.accounts.values():
        counts[account.currency] = counts.get(account.currency, 0) + 1
    return min(counts, key=lambda c: (-counts[c], c)) if counts else "USD"


def money(value: Decimal | None) -> str:
    """"1,234.50" / "-20.00"; "—" for None."""
    return "—" if value is None else f"{value:,.2f}"
