"""Order validation rules name the field and the rule; statuses fall into the right sets."""

from decimal import Decimal as D

import pytest
from pydantic import ValidationError

from desktop.domain import (
    Instrument,
    Order,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    field_errors,
    order_from_request,
)

AAPL = Instrument.equity("AAPL")


def request(**kw):
    base = dict(connection_id="paper", account_id="PAPER-1", instrument=AAPL, side=OrderSide.BUY, type=OrderType.MARKET, amount=D(100))
    base.update(kw)
    return OrderRequest(**base)


def errors_of(**kw) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        request(**kw)
    return field_errors(info.value)


@pytest.mark.parametrize(
    "kw, field, message",
    [
        (dict(type=OrderType.LIMIT), "limit_price", "limit_price is required for LIMIT orders"),
        (dict(type=OrderType.STOP_LIMIT, stop_price=D(10)), "limit_price", "limit_price is required for STOP_LIMIT orders"),
        (dict(type=OrderType.STOP), "stop_price", "stop_price is required for STOP orders"),
        (dict(type=OrderType.STOP_LIMIT, limit_price=D(10)), "stop_price", "stop_price is required for STOP_LIMIT orders"),
        (dict(limit_price=D(10)), "limit_price", "limit_price is not allowed for MARKET orders"),
        (dict(type=OrderType.LIMIT, stop_price=D(9), limit_price=D(10)), "stop_price", "stop_price is not allowed for LIMIT orders"),
        (dict(amount=D(0)), "amount", "amount must be greater than 0"),
        (dict(amount=D(-5)), "amount", "amount must be greater than 0"),
        (dict(amount=D("1.5")), "amount", "amount 1.5 is not a multiple of the lot size 1"),
        (dict(type=OrderType.LIMIT, limit_price=D("10.001")), "limit_price", "limit_price 10.001 is not a multiple of the tick size 0.01"),
        (dict(type=OrderType.LIMIT, limit_price=D("-1")), "limit_price", "limit_price must be greater than 0"),
    ],
)
def test_rule_violations_name_field_and_rule(kw, field, message):
    assert errors_of(**kw) == {field: message}


def test_type_errors_name_the_field():
    errs = errors_of(amount="lots")
    assert list(errs) == ["amount"]
    assert errs["amount"].startswith("amount:")


def test_requests_are_frozen_and_get_unique_client_ids():
    a, b = request(), request()
    assert a.client_order_id != b.client_order_id and len(a.client_order_id) == 32
    with pytest.raises(ValidationError):
        a.amount = D(1)  # type: ignore[misc]


def test_valid_stop_limit_describes_itself():
    r = request(type=OrderType.STOP_LIMIT, side=OrderSide.SELL, amount=D(1500), stop_price=D("99.5"), limit_price=D("99.25"), time_in_force=TimeInForce.GTC)
    assert r.describe() == "Sell 1,500 AAPL with a stop at 99.5, then at limit 99.25, good till cancelled"


def test_order_remaining_is_derived_and_checked():
    order = order_from_request(request(), "paper", "1", OrderStatus.ACCEPTED)
    assert order.remaining == D(100) and order.filled == 0 and order.average is None
    part = order.model_copy(update={"filled": D(40), "remaining": D(60), "status": OrderStatus.PARTIALLY_FILLED})
    assert part.is_open and not part.is_closed
    with pytest.raises(ValidationError) as info:
        Order(**{**order.model_dump(), "filled": D(120), "remaining": None})
    assert field_errors(info.value) == {"filled": "filled 120 exceeds amount 100"}


def test_raw_payload_kept_but_not_compared():
    order = order_from_request(request(), "paper", "1", OrderStatus.ACCEPTED)
    with_raw = order.model_copy(update={"raw": {"conid": 265598}})
    assert with_raw.raw == {"conid": 265598}
    assert with_raw == order
    assert "raw" not in with_raw.model_dump()


@pytest.mark.parametrize(
    "status, is_open, is_inflight, is_closed",
    [
        (OrderStatus.SUBMITTED, False, True, False),
        (OrderStatus.ACCEPTED, True, False, False),
        (OrderStatus.PARTIALLY_FILLED, True, False, False),
        (OrderStatus.PENDING_CANCEL, True, True, False),
        (OrderStatus.PENDING_UPDATE, True, True, False),
        (OrderStatus.TRIGGERED, True, False, False),
        (OrderStatus.FILLED, False, False, True),
        (OrderStatus.CANCELED, False, False, True),
        (OrderStatus.REJECTED, False, False, True),
        (OrderStatus.EXPIRED, False, False, True),
        (OrderStatus.DENIED, False, False, True),
        (OrderStatus.INITIALIZED, False, False, False),
    ],
)
def test_status_sets(status, is_open, is_inflight, is_closed):
    assert (status.is_open, status.is_inflight, status.is_closed) == (is_open, is_inflight, is_closed)


def test_instrument_normalises_symbol_and_rejects_bad_increments():
    assert Instrument.equity(" msft ").symbol == "MSFT"
    with pytest.raises(ValidationError) as info:
        Instrument.equity("X", tick_size=D(0))
    assert "tick_size" in field_errors(info.value)


def test_broker_models_hash_without_raw():
    order = order_from_request(request(), "paper", "1", OrderStatus.ACCEPTED)
    with_raw = order.model_copy(update={"raw": {"unhashable": ["list"]}})
    assert {order, with_raw} == {order}
    assert order != order.model_copy(update={"order_id": "2"})


def test_huge_values_are_a_validation_error_not_a_crash():
    assert errors_of(amount=D("1e30")) == {"amount": "amount 1E+30 is too large"}
    assert "limit_price" in errors_of(type=OrderType.LIMIT, limit_price=D("1e27"))


@pytest.mark.parametrize("field", ["amount", "limit_price"])
@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity", "-0"])
def test_non_finite_and_negative_zero_values_are_field_errors(field, value):
    from pydantic import ValidationError

    from desktop.domain import field_errors

    with pytest.raises(ValidationError) as refused:
        request(**{"type": OrderType.LIMIT, "limit_price": D("10"), field: D(value)})
    message = field_errors(refused.value)[field]
    assert message.startswith(field) and any(w in message for w in ("finite number", "must be a number", "greater than 0"))


def test_modify_rules_refuse_nan_as_a_field_error():
    from pydantic_core import PydanticCustomError

    from desktop.domain.order import check_order_fields

    with pytest.raises(PydanticCustomError) as refused:
        check_order_fields(AAPL, OrderType.LIMIT, D("NaN"), D(10), None)
    assert refused.value.context["field"] == "amount" and "must be a number" in refused.value.message()


def test_absurd_instrument_steps_are_refused_and_order_checks_never_raise_arithmetic_errors():
    from pydantic import ValidationError
    from pydantic_core import PydanticCustomError

    from desktop.domain.order import check_order_fields

    with pytest.raises(ValidationError, match="tick_size"):
        Instrument.equity("AAPL", tick_size=D("1e-40"))
    tiny = Instrument.model_construct(**{**AAPL.__dict__, "tick_size": D("1e-40")})  # one built without validation
    with pytest.raises(PydanticCustomError) as refused:
        check_order_fields(tiny, OrderType.LIMIT, D(1), D("1e14"), None)
    assert refused.value.context["field"] == "limit_price"
