"""Accounts and their balances."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from .base import BrokerModel, utc_now


class Account(BrokerModel):
    """A brokerage account as the broker names it.

    ``broker`` is the broker kind ("paper", "ibkr", ...), ``connection_id`` the connection
    (one configured login of that broker: two paper accounts are two connections) that
    reported it, ``account_id`` the broker's id,
    ``name`` a display name, ``kind`` e.g. "cash" / "margin", ``is_paper`` whether it is
    simulated. Financial Advisor logins: ``is_master`` marks the advisor's own (master)
    account, ``parent_id`` is the master's id on each client account (None otherwise).
    Source for IBKR: ``/portfolio/accounts`` ``parent.isMParent`` / ``parent.accountId``.
    """

    broker: str
    connection_id: str = ""
    account_id: str = Field(min_length=1)
    name: str = ""
    currency: str = "USD"
    kind: str = "cash"
    is_paper: bool = False
    is_master: bool = False
    parent_id: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """``(connection_id, account_id)``: unique across every connection of the desk."""
        return (self.connection_id, self.account_id)


class Balance(BrokerModel):
    """Money in one currency of one account, in that currency.

    ``cash`` settled cash; ``buying_power`` what can be spent on new orders;
    ``net_liquidation`` cash plus the market value of positions; ``free`` / ``used`` /
    ``total`` as CCXT uses them (available, reserved by open orders, their sum) where
    the broker reports them. ``connection_id`` as for :class:`Account`.
    ``unconverted``: currencies of the account whose money is *not* in this row's
    ``net_liquidation`` and P&L because no exchange rate was available (a paper
    account holding currencies, issue 14); empty when everything is counted.
    """

    broker: str
    connection_id: str = ""
    account_id: str
    currency: str = "USD"
    cash: Decimal
    buying_power: Decimal
    net_liquidation: Decimal | None = None
    free: Decimal | None = None
    used: Decimal | None = None
    total: Decimal | None = None
    realized_pnl: Decimal | None = None
    unrealized_pnl: Decimal | None = None
    unconverted: tuple[str, ...] = ()
    timestamp: datetime = Field(default_factory=utc_now)

    @property
    def key(self) -> tuple[str, str, str]:
        """``(connection_id, account_id, currency)``."""
        return (self.connection_id, self.account_id, self.currency)
