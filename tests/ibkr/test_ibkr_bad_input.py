"""Bad numbers in IBKR's public order methods (create, preview, modify) are field
errors in a trader's words, never InvalidOperation / ArithmeticError, and nothing
is sent: NaN, infinity, negative zero, zero, negatives, values at or above the
domain's limit, more significant digits than a CPAPI JSON number carries, prices
off the tick. Requests are built with ``model_copy`` (no validation), as a caller
that skipped the ticket's checks would."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop.brokers.errors import InvalidRequestError
from desktop.brokers.ibkr import IbkrBroker
from desktop.brokers.transport import Pacer
from desktop.domain import Instrument, OrderRequest, OrderSide, OrderType
from tests.unit.test_transport_loopback import Reply

from .test_ibkr_client import pinned_server

LIVE = "/v1/api/iserver/account/orders"
BAD = [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("-0"), Decimal("0"),
       Decimal("-5"), Decimal("1e15"), Decimal("1e999999"), Decimal("123456.7890123456789")]
IDS = ["nan", "snan", "inf", "-inf", "-0", "0", "negative", "1e15", "1e999999", "17-digits"]


def _request(**changes) -> OrderRequest:
    base = OrderRequest(connection_id="ibkr", account_id="DU100001",
                        instrument=Instrument.equity("AAPL", broker_id="265598"), side=OrderSide.BUY,
                        type=OrderType.STOP_LIMIT, amount=Decimal(100), limit_price=Decimal("190.00"),
                        stop_price=Decimal("189.00"))
    return base.model_copy(update=changes)


def _live_order() -> dict:
    return {"acct": "DU100001", "orderId": 1234567001, "conid": 265598, "ticker": "AAPL", "side": "BUY",
            "origOrderType": "STOP_LIMIT", "totalSize": "100.0", "filledQuantity": "0.0", "price": "190.00",
            "auxPrice": "189.00", "status": "Submitted", "order_ref": "c1", "timeInForce": "DAY"}


def _broker(server, client) -> IbkrBroker:
    broker = IbkrBroker(server.base_url + "/v1/api", pinned_sha256=client.pinned_sha256, pacer=Pacer(None))
    broker.client = broker.orders._client = broker.contracts._client = client
    return broker


@pytest.mark.parametrize("value", BAD, ids=IDS)
@pytest.mark.parametrize("field", ["amount", "limit_price", "stop_price"])
@pytest.mark.parametrize("method", ["create", "preview", "modify"])
def test_bad_numbers_are_field_errors_and_nothing_is_sent(arun, method, field, value):
    async def main():
        async with pinned_server() as (server, client):
            server.on("GET", LIVE, Reply(200, {"orders": [_live_order()], "snapshot": True}))
            broker = _broker(server, client)
            with pytest.raises(InvalidRequestError) as info:
                if method == "create":
                    await broker.create_order(_request(**{field: value}))
                elif method == "preview":
                    await broker.preview_order(_request(**{field: value}))
                else:
                    await broker.modify_order("DU100001", "1234567001", **{field: value})
            return info.value, [r for r in server.requests if r.method == "POST"]

    error, posts = arun(main())
    assert error.field == field and posts == []
    label = {"amount": "Quantity", "limit_price": "Limit price", "stop_price": "Stop price"}[field]
    assert error.message.startswith(label)
    assert not isinstance(error.__context__, ArithmeticError)


def test_modify_checks_the_order_as_it_would_be(arun):
    """Numbers IBKR can take but the order's rules refuse (off the tick size, a stop
    price on a limit order) are field errors too, before the modify is POSTed."""
    async def main():
        async with pinned_server() as (server, client):
            server.on("GET", LIVE, Reply(200, {"orders": [_live_order()], "snapshot": True}))
            broker = _broker(server, client)
            with pytest.raises(InvalidRequestError) as tick:
                await broker.modify_order("DU100001", "1234567001", limit_price=Decimal("190.001"))
            with pytest.raises(InvalidRequestError) as filled:
                await broker.modify_order("DU100001", "1234567001", amount=Decimal("0.5"))
            return tick.value, filled.value, [r for r in server.requests if r.method == "POST"]

    tick, fractional, posts = arun(main())
    assert tick.field == "limit_price" and "tick size" in tick.message and tick.message.startswith("Limit price")
    assert fractional.field == "amount" and "lot size" in fractional.message
    assert posts == []
