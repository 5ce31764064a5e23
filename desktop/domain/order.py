"""Order requests and orders.

Field names follow CCXT's unified Order structure (amount, filled, remaining,
average, client order id); enums follow NautilusTrader.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field, model_validator

from .base import BrokerModel, DomainModel, field_error, utc_now
from .enums import OrderSide, OrderStatus, OrderType, ProtectionType, TimeInForce
from .instrument import Instrument
from .options import OptionAction, PositionEffect


def new_client_order_id() -> str:
    """A fresh, unique client order id (32 hex characters)."""
    return uuid.uuid4().hex


MAX_MAGNITUDE = Decimal("1e15")
"""Largest accepted quantity or price; beyond it Decimal arithmetic on increments fails."""


def _check_increment(value: Decimal, step: Decimal, field: str, what: str) -> None:
    if abs(value) >= MAX_MAGNITUDE:
        raise field_error(field, f"{field} {value} is too large")
    try:
        off_step = step > 0 and value % step != 0
    except ArithmeticError:  # a step so small that the remainder cannot be computed
        raise field_error(field, f"{field} {value} cannot be checked against the {what} {step}") from None
    if off_step:
        raise field_error(field, f"{field} {value} is not a multiple of the {what} {step}")


def check_order_fields(
    instrument: Instrument,
    order_type: OrderType,
    amount: Decimal | None,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
) -> None:
    """Validate the price/quantity rules shared by OrderRequest and Order
    (``amount`` None: a dollar-amount order's, whose quantity is not known yet).

    Raises a pydantic custom error naming the field and the rule, e.g.
    "limit_price is required for LIMIT orders"; NaN and infinity are refused as such
    ("amount must be a number, not NaN"), never as an arithmetic exception.
    """
    for name, value in (("amount", amount), ("limit_price", limit_price), ("stop_price", stop_price)):
        if value is not None and not value.is_finite():
            raise field_error(name, f"{name} must be a number, not {value}")
    if amount is not None:
        if amount <= 0:
            raise field_error("amount", "amount must be greater than 0")
        _check_increment(amount, instrument.lot_size, "amount", "lot size")
    name = order_type.value
    if order_type.needs_limit_price:
        if limit_price is None:
            raise field_error("limit_price", f"limit_price is required for {name} orders")
        if limit_price <= 0:
            raise field_error("limit_price", "limit_price must be greater than 0")
        _check_increment(limit_price, instrument.tick_size, "limit_price", "tick size")
    elif limit_price is not None:
        raise field_error("limit_price", f"limit_price is not allowed for {name} orders")
    if order_type.needs_stop_price:
        if stop_price is None:
            raise field_error("stop_price", f"stop_price is required for {name} orders")
        if stop_price <= 0:
            raise field_error("stop_price", "stop_price must be greater than 0")
        _check_increment(stop_price, instrument.tick_size, "stop_price", "tick size")
    elif stop_price is not None:
        raise field_error("stop_price", f"stop_price is not allowed for {name} orders")


def check_protection(
    instrument: Instrument,
    side: OrderSide,
    entry: Decimal | None,
    stop_loss: Decimal | None,
    stop_loss_type: ProtectionType,
    take_profit: Decimal | None,
    take_profit_type: ProtectionType,
) -> None:
    """Validate an attached stop-loss / take-profit (shared by OrderRequest and Order).

    ``stop_loss`` / ``take_profit``: a price (ABSOLUTE) or a distance from the entry
    (OFFSET, TRAILING_OFFSET; price units), each greater than 0 and a multiple of the
    tick size; a take-profit cannot trail. With a known ``entry`` price (limit or stop
    orders) an absolute stop-loss must be on the losing side of it (below for a buy,
    above for a sell) and a take-profit on the winning side. Raises a pydantic custom
    error naming the field, e.g. "stop_loss 120 must be below the entry price 110 of a
    buy".
    """
    if take_profit_type is ProtectionType.TRAILING_OFFSET:
        raise field_error("take_profit_type", "take_profit_type cannot be a trailing offset (only a stop-loss trails)")
    buy = side is OrderSide.BUY
    for name, value, kind, losing in (("stop_loss", stop_loss, stop_loss_type, True),
                                      ("take_profit", take_profit, take_profit_type, False)):
        if value is None:
            continue
        if not value.is_finite():
            raise field_error(name, f"{name} must be a number, not {value}")
        if value <= 0:
            what = "price" if kind is ProtectionType.ABSOLUTE else "distance"
            raise field_error(name, f"{name} {what} must be greater than 0")
        _check_increment(value, instrument.tick_size, name, "tick size")
        if kind is ProtectionType.ABSOLUTE and entry is not None:
            below = buy == losing
            if below and value >= entry:
                raise field_error(name, f"{name} {value} must be below the entry price {entry} of a "
                                        f"{'buy' if buy else 'sell'}")
            if not below and value <= entry:
                raise field_error(name, f"{name} {value} must be above the entry price {entry} of a "
                                        f"{'buy' if buy else 'sell'}")


class OrderRequest(DomainModel):
    """What the user asks a broker to do: a new order.

    ``connection_id`` names the connection (one configured broker login) the order is
    for: it goes to that connection's adapter and nowhere else. ``account_id`` is an
    account of that connection (or an allocation group of an advisor login).
    ``amount`` is in shares (contracts for options), prices in the instrument's
    currency. ``notional``: a dollar-amount order instead (Decimal, in the account's
    currency; shares only, where the account's capabilities say ``notional``):
    exactly one of ``amount`` and ``notional`` is given. ``client_order_id`` is generated when not given and is the key used to
    reconcile an order whose submission timed out.
    ``stop_loss`` / ``take_profit``: an attached stop-loss and take-profit (brokers
    whose capabilities say ``protection``), given as ``stop_loss_type`` /
    ``take_profit_type`` (:class:`ProtectionType`: a price, or a distance from the
    entry; a stop-loss may trail); see :func:`check_protection`.
    Raises pydantic.ValidationError naming the field and rule on bad input.
    """

    connection_id: str = Field(min_length=1)
    account_id: str = Field(min_length=1)
    instrument: Instrument
    side: OrderSide
    type: OrderType
    amount: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    client_order_id: str = Field(default_factory=new_client_order_id, min_length=1, max_length=64)
    notional: Decimal | None = None
    position_effect: PositionEffect | None = None
    stop_loss: Decimal | None = None
    stop_loss_type: ProtectionType = ProtectionType.ABSOLUTE
    take_profit: Decimal | None = None
    take_profit_type: ProtectionType = ProtectionType.ABSOLUTE

    @model_validator(mode="after")
    def _rules(self) -> "OrderRequest":
        if self.amount is None and self.notional is None:
            raise field_error("amount", "amount is required (a quantity, or a dollar amount as notional)")
        if self.amount is not None and self.notional is not None:
            raise field_error("notional", "give a quantity (amount) or a dollar amount (notional), not both")
        if self.notional is not None:
            if not self.notional.is_finite():
                raise field_error("notional", f"notional must be a number, not {self.notional}")
            if self.notional <= 0:
                raise field_error("notional", "notional must be greater than 0")
            if self.notional >= MAX_MAGNITUDE:
                raise field_error("notional", f"notional {self.notional} is too large")
            if self.instrument.is_option:
                raise field_error("notional", "a dollar amount (notional) is for shares, not options")
            if self.has_protection:
                raise field_error("notional", "a dollar-amount (notional) order cannot carry a stop-loss or "
                                              "take-profit")
        check_order_fields(self.instrument, self.type, self.amount, self.limit_price, self.stop_price)
        entry = self.limit_price if self.type.needs_limit_price else self.stop_price
        check_protection(self.instrument, self.side, entry, self.stop_loss, self.stop_loss_type, self.take_profit,
                         self.take_profit_type)
        if self.position_effect is not None and not self.instrument.is_option:
            raise field_error("position_effect", "position_effect is only for option orders")
        return self

    @property
    def option_action(self) -> OptionAction | None:
        """BUY_TO_OPEN etc. for option orders that state their position effect."""
        if self.position_effect is None:
            return None
        return OptionAction.of(self.side, self.position_effect)

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    def describe(self) -> str:
        """The order in words, e.g. "Buy 100 AAPL at limit 512.30, good for the day";
        a dollar amount: "Buy $500.00 of AAPL at market, good for the day"."""
        if self.notional is not None:
            text = describe_order(self.side, Decimal(1), self.instrument, self.type, self.limit_price,
                                  self.stop_price, self.time_in_force)
            verb, _one, rest = text.split(" ", 2)
            return f"{verb} ${self.notional:,.2f} of {rest}" + describe_protection(self)
        return describe_order(self.side, self.amount, self.instrument, self.type, self.limit_price, self.stop_price,
                              self.time_in_force) + describe_protection(self)

    @property
    def has_protection(self) -> bool:
        """Whether a stop-loss or take-profit is attached."""
        return self.stop_loss is not None or self.take_profit is not None


class Order(BrokerModel):
    """An order as the broker knows it.

    ``order_id`` is the broker's id, ``client_order_id`` ours. ``amount`` ordered,
    ``filled`` executed so far, ``remaining`` = amount - filled, ``average`` the
    average fill price (None before any fill). ``message`` carries the broker's
    reject or status text.

    ``allocation_group`` is the FA allocation group the order was placed to ("" for
    an ordinary order). A group order itself has ``account_id`` == the group name; the
    per-client child orders a broker may show (paper advisor demo) have the client's
    ``account_id``, the group in ``allocation_group`` and the group order's
    ``client_order_id``. ``broker`` is the broker kind, ``connection_id`` the
    connection that reported it.

    ``stop_loss`` / ``take_profit`` (with their types) are the protection attached to
    the order (see :class:`OrderRequest`); ``position_id`` is the position the order
    opened or closes at a broker whose positions have ids (hedging), "" otherwise.
    """

    broker: str
    connection_id: str = ""
    account_id: str
    order_id: str
    client_order_id: str = ""
    instrument: Instrument
    side: OrderSide
    type: OrderType
    time_in_force: TimeInForce = TimeInForce.DAY
    amount: Decimal
    filled: Decimal = Decimal(0)
    remaining: Decimal | None = None
    average: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    status: OrderStatus
    message: str = ""
    commission: Decimal = Decimal(0)
    position_effect: PositionEffect | None = None
    allocation_group: str = ""
    stop_loss: Decimal | None = None
    stop_loss_type: ProtectionType = ProtectionType.ABSOLUTE
    take_profit: Decimal | None = None
    take_profit_type: ProtectionType = ProtectionType.ABSOLUTE
    position_id: str = ""
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)

    @model_validator(mode="before")
    @classmethod
    def _derive_remaining(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("remaining") is None and "amount" in data:
            data = dict(data)
            data["remaining"] = Decimal(str(data["amount"])) - Decimal(str(data.get("filled") or 0))
        return data

    @model_validator(mode="after")
    def _consistent(self) -> "Order":
        if self.filled < 0:
            raise field_error("filled", "filled must not be negative")
        if self.filled > self.amount:
            raise field_error("filled", f"filled {self.filled} exceeds amount {self.amount}")
        if self.remaining is not None and self.remaining != self.amount - self.filled:
            raise field_error("remaining", "remaining must equal amount - filled")
        return self

    @property
    def key(self) -> tuple[str, str, str]:
        """``(connection_id, account_id, order_id)``."""
        return (self.connection_id, self.account_id, self.order_id)

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    @property
    def is_inflight(self) -> bool:
        return self.status.is_inflight

    @property
    def is_closed(self) -> bool:
        return self.status.is_closed

    @property
    def is_working(self) -> bool:
        return self.status.is_working

    def describe(self) -> str:
        return describe_order(self.side, self.amount, self.instrument, self.type, self.limit_price, self.stop_price,
                              self.time_in_force) + describe_protection(self)


_PROTECTION_WORDS = {ProtectionType.ABSOLUTE: "at", ProtectionType.OFFSET: "at an offset of",
                     ProtectionType.TRAILING_OFFSET: "trailing by"}


def describe_protection(item: "OrderRequest | Order") -> str:
    """", stop-loss at 1.08 and take-profit at 1.10" for an order with protection, ""
    without."""
    parts = []
    if item.stop_loss is not None:
        parts.append(f"stop-loss {_PROTECTION_WORDS[item.stop_loss_type]} {item.stop_loss:,}")
    if item.take_profit is not None:
        parts.append(f"take-profit {_PROTECTION_WORDS[item.take_profit_type]} {item.take_profit:,}")
    return (", " + " and ".join(parts)) if parts else ""


_TIF_WORDS = {
    TimeInForce.DAY: "good for the day",
    TimeInForce.GTC: "good till cancelled",
    TimeInForce.IOC: "immediate or cancel",
    TimeInForce.FOK: "fill or kill",
}


def describe_order(
    side: OrderSide,
    amount: Decimal,
    instrument: Instrument,
    order_type: OrderType,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
    tif: TimeInForce,
) -> str:
    """Plain-English description of an order, for confirmations and logs."""
    verb = "Buy" if side is OrderSide.BUY else "Sell"
    qty = f"{amount:,f}".rstrip("0").rstrip(".") if "." in f"{amount}" else f"{amount:,}"
    unit = " lot" + ("" if amount == 1 else "s") + " of" if instrument.unit.value == "LOTS" else ""
    head = f"{verb} {qty}{unit} {instrument.symbol}"
    if order_type is OrderType.MARKET:
        price = "at market"
    elif order_type is OrderType.LIMIT:
        price = f"at limit {limit_price:,}"
    elif order_type is OrderType.STOP:
        price = f"with a stop at {stop_price:,} (then at market)"
    else:
        price = f"with a stop at {stop_price:,}, then at limit {limit_price:,}"
    return f"{head} {price}, {_TIF_WORDS[tif]}"


def order_from_request(
    request: OrderRequest,
    broker: str,
    order_id: str,
    status: OrderStatus,
    message: str = "",
    now: datetime | None = None,
) -> Order:
    """Build the Order a broker acknowledges for ``request`` (its ``connection_id``
    is the request's)."""
    ts = now or utc_now()
    return Order(
        broker=broker,
        connection_id=request.connection_id,
        account_id=request.account_id,
        order_id=order_id,
        client_order_id=request.client_order_id,
        instrument=request.instrument,
        side=request.side,
        type=request.type,
        time_in_force=request.time_in_force,
        amount=request.amount,
        limit_price=request.limit_price,
        stop_price=request.stop_price,
        position_effect=request.position_effect,
        stop_loss=request.stop_loss,
        stop_loss_type=request.stop_loss_type,
        take_profit=request.take_profit,
        take_profit_type=request.take_profit_type,
        status=status,
        message=message,
        created_at=ts,
        updated_at=ts,
    )
