"""Fills (executions): CCXT's Trade structure under the equities name."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field, field_validator

from .base import BrokerModel, utc_now
from .enums import OrderSide
from .instrument import Instrument


class Fill(BrokerModel):
    """One execution of (part of) an order.

    ``amount`` in shares/contracts (> 0), ``price`` per share in the instrument's
    currency, ``commission`` in the account currency (>= 0).
    """

    broker: str
    account_id: str
    fill_id: str
    order_id: str
    client_order_id: str = ""
    instrument: Instrument
    side: OrderSide
    amount: Decimal
    price: Decimal
    commission: Decimal = Decimal(0)
    timestamp: datetime = Field(default_factory=utc_now)

    @field_validator("amount", "price")
    @classmethod
    def _positive(cls, v: Decimal) -> Decimal:
        if v <= 0:
            raise ValueError("must be greater than 0")
        return v

    @field_validator("commission")
    @classmethod
    def _non_negative(cls, v: Decimal) -> Decimal:
        if v < 0:
            raise ValueError("must not be negative")
        return v

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.broker, self.account_id, self.fill_id)

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    @property
    def cost(self) -> Decimal:
        """Gross value: amount x price x multiplier (before commission)."""
        return self.amount * self.price * self.instrument.multiplier
