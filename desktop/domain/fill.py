"""Fills (executions): CCXT's Trade structure under the equities name."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field, field_validator, model_validator

from .base import BrokerModel, field_error, utc_now
from .enums import OrderSide
from .instrument import Instrument


ZERO_PRICE_NOTES = frozenset({"expired worthless", "exercised", "assigned"})
"""Notes of option fills that close a position at price 0: an option that expired
out of the money, or the option side of an exercise / assignment (the shares then
change hands at the strike in a fill of their own)."""


class Fill(BrokerModel):
    """One execution of (part of) an order.

    ``amount`` in shares/contracts (> 0), ``price`` per share in the instrument's
    currency (> 0; 0 only when ``note`` is one of :data:`ZERO_PRICE_NOTES`),
    ``commission`` in the account currency (>= 0). ``note`` says what made a fill
    that no order traded, e.g. "expired worthless" or "exercised" ("" for trades).
    ``allocation_group`` is the FA allocation group whose order this fill was
    allocated from ("" otherwise); then ``account_id`` is the client account that
    received the shares and ``client_order_id`` the group order's (IBKR
    ``/iserver/account/trades`` ``account_allocation_name`` and ``order_ref``).
    ``broker`` is the broker kind, ``connection_id`` the connection that reported it.
    """

    broker: str
    connection_id: str = ""
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
    note: str = ""
    allocation_group: str = ""

    @field_validator("amount")
    @classmethod
    def _positive(cls, v: Decimal) -> Decimal:
        if v <= 0:
            raise ValueError("must be greater than 0")
        return v

    @model_validator(mode="after")
    def _price_rule(self) -> "Fill":
        if self.price < 0 or (self.price == 0 and (self.note not in ZERO_PRICE_NOTES or not self.instrument.is_option)):
            raise field_error("price", "price must be greater than 0 (0 only for options that expired worthless, "
                                       "were exercised or assigned)")
        return self

    @field_validator("commission")
    @classmethod
    def _non_negative(cls, v: Decimal) -> Decimal:
        if v < 0:
            raise ValueError("must not be negative")
        return v

    @property
    def key(self) -> tuple[str, str, str]:
        """``(connection_id, account_id, fill_id)``."""
        return (self.connection_id, self.account_id, self.fill_id)

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    @property
    def cost(self) -> Decimal:
        """Gross value: amount x price x multiplier (before commission)."""
        return self.amount * self.price * self.instrument.multiplier
