"""What the paper broker's order methods accept: field errors, never arithmetic ones.

Every public order method (create, preview, modify, and the advisor demo's group
variants) passes its numbers through here before any arithmetic, so that NaN,
infinity, negative zero, numbers at or beyond
:data:`~desktop.domain.order.MAX_MAGNITUDE` and values that are not numbers at all
become :class:`~desktop.brokers.errors.InvalidRequestError` naming the field, in
words ("amount must be a number, not NaN", "limit_price must be greater than 0"),
and never ``decimal.InvalidOperation`` or another ``ArithmeticError``. Limits of the
account (buying power, the price band, no short selling) stay the engine's
OrderRejectedError with its reason.

A request reaching the broker was validated when it was made, unless it was built
without validation (``model_construct``, ``model_copy(update=...)``): so requests are
validated again (:func:`checked_request`); the domain's
:func:`~desktop.domain.order.check_order_fields` is the rule for both.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from desktop.domain import Instrument, OrderRequest, OrderType
from desktop.domain.base import field_errors
from desktop.domain.order import MAX_MAGNITUDE, check_order_fields

from ..errors import InvalidRequestError


def checked_request(request: OrderRequest) -> OrderRequest:
    """``request`` validated again as an OrderRequest (numbers coerced to Decimal).
    Raises InvalidRequestError naming the first field that fails."""
    try:
        return OrderRequest.model_validate(dict(request))
    except ValidationError as exc:
        field, message = next(iter(field_errors(exc).items()), ("", str(exc)))
        raise InvalidRequestError(message, field=field or None) from None
    except (ArithmeticError, TypeError, AttributeError) as exc:
        raise InvalidRequestError(f"the order's numbers cannot be used: {exc!r}") from None


def number_arg(name: str, value: Any) -> Decimal | None:
    """A modify argument as a Decimal (None stays None). Raises InvalidRequestError
    (``field`` = ``name``) when it is not a Decimal or an integer (floats and text
    are refused: a price must be exact)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise InvalidRequestError(f"{name} must be a number, not {value!r}", field=name)
    return Decimal(value)


def check_fields(instrument: Instrument, order_type: OrderType, amount: Decimal, limit_price: Decimal | None,
                 stop_price: Decimal | None) -> None:
    """The domain's order rules for the order as it would be; any failure is an
    InvalidRequestError naming its field."""
    try:
        check_order_fields(instrument, order_type, amount, limit_price, stop_price)
    except PydanticCustomError as exc:
        raise InvalidRequestError(exc.message(), field=(exc.context or {}).get("field")) from None
    except ArithmeticError as exc:
        raise InvalidRequestError(f"the order's numbers cannot be used: {exc!r}") from None


def usable_price(value: Any) -> bool:
    """True for a finite Decimal (or int) above zero and below the domain's limit."""
    try:
        number = number_arg("price", value)
        return number is not None and number.is_finite() and 0 < number < MAX_MAGNITUDE
    except InvalidRequestError:
        return False
