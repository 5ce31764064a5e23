"""Reading the paper store's rows back: total, and suspicious of what it reads.

Every function takes a row's key columns and its ``data`` text and returns the model
(or plain dict), or None after logging one warning naming the table, the key, why,
and the start of the raw text. They never raise: a row that is not JSON, does not
validate, overflows Decimal arithmetic, nests too deep, disagrees with its own key
columns, or holds numbers no order could have (NaN, infinity, beyond
:data:`~desktop.domain.order.MAX_MAGNITUDE`, a tick or lot size outside
:data:`STEP_RANGE`) is skipped, so that one bad row never stops the rest loading
nor the replay afterwards.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

from desktop.domain import Fill, Instrument, Order
from desktop.domain.order import MAX_MAGNITUDE, check_order_fields

log = logging.getLogger(__name__)

RAW_SHOWN = 200
"""How many characters of a skipped row's raw text the warning shows."""
STEP_RANGE = (Decimal("1e-8"), Decimal("1e6"))
"""Tick sizes, lot sizes and multipliers outside this range are refused."""


def skip(table: str, key: Any, why: object, data: Any) -> None:
    """Log (warning) that the row ``key`` of ``table`` is skipped, and why."""
    log.warning("skipping corrupt %s row %s: %s; raw: %.*s", table, key, why, RAW_SHOWN, str(data))


def _finite(name: str, value: Decimal | None, *, positive: bool = False) -> None:
    if value is None:
        return
    if not value.is_finite() or abs(value) >= MAX_MAGNITUDE:
        raise ValueError(f"{name} {value} is not a usable number")
    if positive and value < 0:
        raise ValueError(f"{name} {value} is negative")


def _check_instrument(inst: Instrument) -> None:
    low, high = STEP_RANGE
    for name in ("tick_size", "lot_size", "multiplier"):
        value = getattr(inst, name)
        if not (value.is_finite() and low <= value <= high):
            raise ValueError(f"instrument {name} {value} is outside {low}..{high}")
    if inst.option is not None:
        _finite("strike", inst.option.strike, positive=True)


def check_order(order: Order) -> None:
    """Raise ValueError when ``order`` holds a number no paper order can have."""
    _check_instrument(order.instrument)
    try:
        check_order_fields(order.instrument, order.type, order.amount, order.limit_price, order.stop_price)
    except ArithmeticError as exc:
        raise ValueError(f"unusable order fields: {exc!r}") from None
    for name in ("filled", "remaining", "average", "commission"):
        _finite(name, getattr(order, name), positive=True)


def check_fill(fill: Fill) -> None:
    """Raise ValueError when ``fill`` holds a number no paper fill can have."""
    _check_instrument(fill.instrument)
    for name in ("amount", "price", "commission"):
        _finite(name, getattr(fill, name), positive=True)


def parse_order(order_id: str, account_id: str, data: Any) -> Order | None:
    """The orders row (``order_id``, ``account_id``, ``data``) as an Order, or None."""
    return _parse_keyed(Order, "orders", check_order, order_id, account_id, data)


def parse_fill(fill_id: str, account_id: str, data: Any) -> Fill | None:
    """The fills row (``fill_id``, ``account_id``, ``data``) as a Fill, or None."""
    return _parse_keyed(Fill, "fills", check_fill, fill_id, account_id, data)


def _parse_keyed(model: Any, table: str, check: Any, key: str, account_id: str, data: Any) -> Any:
    """Row ``data`` of ``table`` as ``model``, agreeing with its key columns and passing ``check``; or None."""
    try:
        item = model.model_validate_json(data)
        ident = item.order_id if table == "orders" else item.fill_id
        if (ident, item.account_id) != (key, account_id):
            raise ValueError(f"its data is {table[:-1]} {ident} of {item.account_id}")
        check(item)
    except Exception as exc:  # noqa: BLE001 - any unreadable row is skipped, never raised
        skip(table, key, _why(exc), data)
        return None
    return item


def parse_model(model: type, table: str, key: str, data: Any) -> Any:
    """Row ``key`` of ``table`` validated as ``model`` (e.g. Account), or None."""
    try:
        return model.model_validate_json(data)
    except Exception as exc:  # noqa: BLE001
        skip(table, key, _why(exc), data)
        return None


def parse_dict(table: str, key: str, data: Any) -> dict[str, Any] | None:
    """Row ``key`` of ``table`` as a JSON object (engine, ledger, clock state), or None."""
    try:
        value = json.loads(data)
    except Exception as exc:  # noqa: BLE001 - also RecursionError on deep nesting, TypeError on bytes
        skip(table, key, _why(exc), data)
        return None
    if not isinstance(value, dict):
        skip(table, key, "not an object", data)
        return None
    return value


def _why(exc: BaseException) -> str:
    text = str(exc).splitlines()[:3]
    return f"{type(exc).__name__}: {' '.join(text)}"[:300]
