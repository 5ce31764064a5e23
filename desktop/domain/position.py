"""Positions held in an account."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from .base import BrokerModel, utc_now
from .instrument import Instrument


class Position(BrokerModel):
    """A holding: signed ``quantity`` (negative = short) at ``average_price``.

    ``last_price`` is the latest mark; ``market_value`` = quantity x last x multiplier;
    ``unrealized_pnl`` = (last - average) x quantity x multiplier; ``realized_pnl`` is
    closed profit so far. Money fields are in the instrument currency. Brokers that
    report their own figures fill them in; :meth:`marked` recomputes them from a price.
    ``broker`` is the broker kind, ``connection_id`` the connection that reported it.

    ``position_id``: the broker's id of this position where positions are objects of
    their own (hedging brokers such as TradeLocker: two positions of one instrument can
    coexist, each closed by its id); "" at netting brokers (one position per
    instrument). ``stop_loss`` / ``take_profit``: the protection attached to it (prices),
    None when none. ``as_of``: when the broker's data for this position was fetched from
    the brokerage, where the broker says so (an aggregator such as SnapTrade: some
    brokerages' holdings are hours old); None when the position is as of now.
    """

    broker: str
    connection_id: str = ""
    account_id: str
    instrument: Instrument
    quantity: Decimal
    average_price: Decimal
    last_price: Decimal | None = None
    market_value: Decimal | None = None
    unrealized_pnl: Decimal | None = None
    realized_pnl: Decimal = Decimal(0)
    position_id: str = ""
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    average_price_known: bool = True
    timestamp: datetime = Field(default_factory=utc_now)
    as_of: datetime | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """``(connection_id, account_id, instrument key)``; with a ``position_id``
        ``(connection_id, account_id, "#" + position_id)``, so hedged positions of
        one instrument are separate rows."""
        if self.position_id:
            return (self.connection_id, self.account_id, "#" + self.position_id)
        return (self.connection_id, self.account_id, self.instrument.key)

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    @property
    def average(self) -> Decimal | None:
        """The average price, or None when the broker sent none (``average_price_known``)."""
        return self.average_price if self.average_price_known else None

    @property
    def cost_basis(self) -> Decimal:
        return self.quantity * self.average_price * self.instrument.multiplier

    def marked(self, last_price: Decimal) -> "Position":
        """A copy marked to ``last_price`` with market value and unrealized P&L (the
        P&L stays None when the average price is not known)."""
        mult = self.instrument.multiplier
        upl = (last_price - self.average_price) * self.quantity * mult if self.average_price_known else None
        return self.model_copy(
            update={
                "last_price": last_price,
                "market_value": self.quantity * last_price * mult,
                "unrealized_pnl": upl,
            }
        )
