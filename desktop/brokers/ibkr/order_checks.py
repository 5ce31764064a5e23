"""Order numbers IBKR can take, checked before anything is sent: field errors in a
trader's words, never an arithmetic exception.

The CPAPI order body carries ``quantity``, ``price`` and ``auxPrice`` as JSON numbers
(``singleOrderSubmissionRequest``, NOTES.md section 4): a NaN or an infinity cannot
be written at all, and a number with more than 15 significant digits does not
survive the trip through a JSON (double) number. So every order method (create,
preview, modify) checks its numbers here first: finite, above zero (negative zero
is not above zero), below the domain's :data:`~desktop.domain.order.MAX_MAGNITUDE`,
at most :data:`MAX_DIGITS` significant digits; then the domain's
:func:`~desktop.domain.order.check_order_fields` (prices the order type needs, tick
and lot increments) on the order as it would be.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic_core import PydanticCustomError

from desktop.brokers.errors import InvalidRequestError
from desktop.domain import Instrument, OrderType
from desktop.domain.order import MAX_MAGNITUDE, check_order_fields

MAX_DIGITS = 15
"""Most significant digits a CPAPI order number may have (a JSON double keeps 15)."""

LABELS = {"amount": "Quantity", "limit_price": "Limit price", "stop_price": "Stop price"}


def check_numbers(**values: Any) -> None:
    """Raise InvalidRequestError(field=<name>) for the first of ``values`` (None: not
    given) that IBKR cannot take: not a number, NaN or infinity, zero or below (also
    negative zero), at or above MAX_MAGNITUDE, more than :data:`MAX_DIGITS`
    significant digits."""
    for name, value in values.items():
        if value is None:
            continue
        label = LABELS.get(name, name)
        if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise InvalidRequestError(f"{label} must be a number", field=name)
        number = Decimal(value)
        if not number.is_finite():
            raise InvalidRequestError(f"{label} must be a number, not {number}", field=name)
        if number.is_signed() or number == 0:
            raise InvalidRequestError(f"{label} must be greater than 0", field=name)
        if number >= MAX_MAGNITUDE:
            raise InvalidRequestError(f"{label} {number:,} is too large", field=name)
        if len(number.normalize().as_tuple().digits) > MAX_DIGITS:
            raise InvalidRequestError(f"{label} {number} has more than {MAX_DIGITS} significant digits; "
                                      "IBKR cannot take it exactly", field=name)


def check_order(instrument: Instrument, order_type: OrderType, amount: Decimal, limit_price: Decimal | None,
                stop_price: Decimal | None) -> None:
    """:func:`check_numbers`, then the domain's order rules for the order as it
    would be; every failure is an InvalidRequestError naming its field."""
    check_numbers(amount=amount, limit_price=limit_price, stop_price=stop_price)
    try:
        check_order_fields(instrument, order_type, amount, limit_price, stop_price)
    except PydanticCustomError as exc:
        field = (exc.context or {}).get("field")
        message = exc.message()
        label = LABELS.get(field or "", "")
        if label and message.startswith(field):
            message = label + message[len(field):]
        raise InvalidRequestError(message, field=field) from None
