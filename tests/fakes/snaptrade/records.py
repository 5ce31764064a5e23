"""Paper broker objects written as SnapTrade JSON (specs/snaptrade/api.yaml):
AccountOrderRecord, AccountPosition, Balance, quotes. Quantities and order prices are
decimal strings (S1), balances and quotes numbers, as the spec types them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from desktop.domain import Order, OrderSide, OrderStatus, OrderType, Position, TimeInForce
from desktop.domain.options import PositionEffect

from .catalog import USD, uid, universal_symbol
from .state import iso

STATUS = {
    OrderStatus.INITIALIZED: "PENDING", OrderStatus.SUBMITTED: "PENDING", OrderStatus.ACCEPTED: "ACCEPTED",
    OrderStatus.TRIGGERED: "TRIGGERED", OrderStatus.PARTIALLY_FILLED: "PARTIAL",
    OrderStatus.PENDING_CANCEL: "CANCEL_PENDING", OrderStatus.PENDING_UPDATE: "REPLACE_PENDING",
    OrderStatus.FILLED: "EXECUTED", OrderStatus.CANCELED: "CANCELED", OrderStatus.EXPIRED: "EXPIRED",
    OrderStatus.REJECTED: "REJECTED", OrderStatus.DENIED: "FAILED",
}
ORDER_TYPE = {OrderType.MARKET: "Market", OrderType.LIMIT: "Limit", OrderType.STOP: "Stop",
              OrderType.STOP_LIMIT: "StopLimit"}
TIF = {TimeInForce.DAY: "Day", TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK"}


def dec(value: Decimal | None) -> str | None:
    """A Decimal as the spec's decimal string ("12.5"), None as null."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


def num(value: Decimal | None) -> float | int | None:
    """A Decimal as a JSON number (int when whole)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def record_status(order: Order, override: str | None = None) -> str:
    """The AccountOrderRecord status of a paper order (a test's ``override`` wins)."""
    if override:
        return override
    if order.status is OrderStatus.CANCELED and order.filled > 0:
        return "PARTIAL_CANCELED"
    return STATUS[order.status]


def option_action(order: Order) -> str:
    side = "BUY" if order.side is OrderSide.BUY else "SELL"
    if order.instrument.is_option:
        effect = "CLOSE" if order.position_effect is PositionEffect.CLOSE else "OPEN"
        return f"{side}_{effect}"
    return side


def option_symbol(order_or_position: Any) -> dict[str, Any]:
    """The ``OptionsSymbol`` of an option instrument."""
    instrument = order_or_position.instrument
    contract = instrument.option
    return {"id": uid("option", instrument.symbol), "ticker": instrument.symbol,
            "option_type": "CALL" if contract.right.value.startswith("C") else "PUT",
            "strike_price": num(contract.strike), "expiration_date": contract.expiry.isoformat(),
            "is_mini_option": False, "underlying_symbol": universal_symbol(contract.underlying)}


def order_record(order: Order, override: str | None = None) -> dict[str, Any]:
    """The ``AccountOrderRecord`` of a paper ``order``."""
    canceled = order.amount - order.filled if order.status in (OrderStatus.CANCELED, OrderStatus.EXPIRED,
                                                               OrderStatus.REJECTED, OrderStatus.DENIED) else Decimal(0)
    open_quantity = order.amount - order.filled - canceled
    is_option = order.instrument.is_option
    executed = order.filled > 0 and order.status in (OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED,
                                                     OrderStatus.CANCELED)
    return {
        "brokerage_order_id": order.order_id,
        "brokerage_group_order_id": None,
        "order_role": None,
        "status": record_status(order, override),
        "universal_symbol": None if is_option else universal_symbol(order.instrument.symbol,
                                                                    order.instrument.description),
        "option_symbol": option_symbol(order) if is_option else None,
        "quote_universal_symbol": None,
        "quote_currency": USD,
        "action": option_action(order),
        "total_quantity": dec(order.amount),
        "open_quantity": dec(open_quantity),
        "canceled_quantity": dec(canceled),
        "filled_quantity": dec(order.filled),
        "execution_price": dec(order.average),
        "limit_price": dec(order.limit_price),
        "stop_price": dec(order.stop_price),
        "trailing_stop": None,
        "order_type": ORDER_TYPE[order.type],
        "time_in_force": TIF[order.time_in_force],
        "time_placed": iso(order.created_at),
        "time_updated": iso(order.updated_at),
        "time_executed": iso(order.updated_at) if executed else None,
        "expiry_date": None,
        "symbol": uid("brokerage-symbol", order.account_id, order.instrument.symbol),
        "child_brokerage_order_ids": None,
    }


def position_json(position: Position) -> dict[str, Any]:
    """The ``AccountPosition`` of a paper position (stock, or option by OCC symbol)."""
    instrument = position.instrument
    if instrument.is_option:
        contract = instrument.option
        underlying = {"kind": "stock", "id": uid("symbol", contract.underlying), "symbol": contract.underlying,
                      "raw_symbol": contract.underlying, "description": contract.underlying, "currency": "USD",
                      "exchange": "XNAS", "figi_instrument": None}
        shape = {"kind": "option", "id": uid("option", instrument.symbol), "symbol": instrument.symbol,
                 "option_type": "CALL" if contract.right.value.startswith("C") else "PUT",
                 "strike_price": dec(contract.strike), "expiration_date": contract.expiry.isoformat(),
                 "multiplier": dec(contract.multiplier), "description": instrument.description,
                 "underlying": underlying}
    else:
        shape = {"kind": "stock", "id": uid("symbol", instrument.symbol), "symbol": instrument.symbol,
                 "raw_symbol": instrument.symbol, "description": instrument.description or instrument.symbol,
                 "currency": "USD", "exchange": "XNAS", "figi_instrument": None}
    return {"instrument": shape, "units": dec(position.quantity), "price": dec(position.last_price),
            "cost_basis": dec(position.average_price), "currency": "USD", "cash_equivalent": False, "tax_lots": []}
