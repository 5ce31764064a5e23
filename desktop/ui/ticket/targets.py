"""What the order ticket knows of each connection it can send to (given by the window).

The ticket lists every connection's accounts (and, for advisor logins, that
connection's allocation groups) grouped by connection; the chosen account or group
decides the connection, and with it the capabilities offered (order types, time in
force, options, what-if, fractional), how a symbol becomes an Instrument and how the
commission is estimated.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.brokers.capabilities import BrokerCapabilities
from desktop.domain import Account, AccountValues, AllocationGroup

from .values import CommissionEstimator, InstrumentLookup


@dataclass(frozen=True)
class TicketConnection:
    """One connection as the ticket sees it.

    ``connection_id`` / ``name``; ``capabilities`` read after it connected;
    ``accounts`` (an advisor's master included, shown disabled); ``groups`` and
    ``values`` (allocation groups and the clients' NetLiquidation/AvailableEquity) of
    an advisor login; ``live``: connected now (a disconnected one is listed but its
    accounts cannot be sent to); ``instrument_for(symbol)`` and
    ``commission_for(request, price)`` of that connection.
    """

    connection_id: str
    name: str
    capabilities: BrokerCapabilities
    accounts: tuple[Account, ...] = ()
    groups: tuple[AllocationGroup, ...] = ()
    values: tuple[AccountValues, ...] = ()
    live: bool = True
    instrument_for: InstrumentLookup | None = None
    commission_for: CommissionEstimator | None = None
