"""Every 5xx (500, 502, 503, 504) and a dropped connection after an order POST or a
modify POST end with exactly one order and the right outcome: the order found by its
cOID (the change read back) is returned; not found after the reconcile attempts, the
outcome is OrderStateUnknownError worded "Sent, state unknown", never a rejection.
The POST is never sent twice.

Two sources: a loopback HTTPS server this test scripts (tests.unit.test_transport_loopback,
pinned like the real gateway), and the gateway emulator's fault switch
(``gw.faults``: the order is placed, then the answer is replaced by the error).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop.brokers.errors import OrderRejectedError
from desktop.brokers.ibkr import IbkrBroker
from desktop.brokers.transport import OrderStateUnknownError, Pacer, fingerprint
from desktop.domain import Instrument, OrderRequest, OrderSide, OrderStatus, OrderType
from tests.unit.test_transport_loopback import Drop, Reply, ScriptedServer

from .test_ibkr_client import pinned_server

fakes = pytest.importorskip("tests.fakes.ibkr")
from tests.fakes.ibkr.faults import MODIFY_POST, ORDER_PLACED  # noqa: E402

OUTCOMES = [500, 502, 503, 504, "drop"]
ORDERS = "/v1/api/iserver/account/DU100001/orders"
LIVE = "/v1/api/iserver/account/orders"
MODIFY = "/v1/api/iserver/account/DU100001/order/1234567001"


def _request(cid: str = "tradedesk-cid-1") -> OrderRequest:
    return OrderRequest(connection_id="ibkr", account_id="DU100001",
                        instrument=Instrument.equity("AAPL", broker_id="265598"), side=OrderSide.BUY,
                        type=OrderType.LIMIT, amount=Decimal(100), limit_price=Decimal("190.00"), client_order_id=cid)


def _live(cid: str, quantity: str = "100.0") -> dict:
    return {"acct": "DU100001", "orderId": 1234567001, "conid": 265598, "ticker": "AAPL", "side": "BUY",
            "origOrderType": "LIMIT", "totalSize": quantity, "filledQuantity": "0.0", "remainingQuantity": quantity,
            "price": "190.00", "status": "Submitted", "order_ref": cid, "timeInForce": "DAY"}


def _failure(outcome):
    return Drop() if outcome == "drop" else Reply(outcome, {"error": "Service error", "statusCode": outcome})


def _broker(server, client) -> IbkrBroker:
    broker = IbkrBroker(server.base_url + "/v1/api", pinned_sha256=client.pinned_sha256, pacer=Pacer(None),
                        reconcile_delay=0.0)
    broker.client = client  # the opened, pinned client of the scripted server
    broker.orders._client = client
    broker.orders.trades._client = client
    broker.contracts._client = client
    return broker


def _check_unknown(error: BaseException) -> None:
    assert isinstance(error, OrderStateUnknownError) and not isinstance(error, OrderRejectedError)
    assert error.message.startswith("Sent, state unknown") and "reject" not in error.message.lower()
    assert error.maybe_sent is True


@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("placed", [True, False], ids=["placed", "not-placed"])
def test_order_post_failure_ends_with_one_order_and_the_right_outcome(arun, outcome, placed):
    cid = f"cid-{outcome}-{placed}"

    async def main():
        async with pinned_server() as (server, client):
            server.on("POST", ORDERS, _failure(outcome))
            # the first look-up does not show it yet (IBKR's lists lag); the second does, if it was placed
            later = {"orders": [_live(cid)], "snapshot": True} if placed else {"orders": [], "snapshot": True}
            server.on("GET", LIVE, Reply(200, {"orders": [], "snapshot": True}), Reply(200, later))
            broker = _broker(server, client)
            try:
                order = await broker.create_order(_request(cid))
            except Exception as exc:  # noqa: BLE001 - the outcome is what is checked
                order = exc
            return order, server.count("POST", ORDERS), server.count("GET", LIVE)

    result, posts, lookups = arun(main(), timeout=30)
    assert posts == 1  # never sent again
    if placed:
        assert result.order_id == "1234567001" and result.client_order_id == cid
        assert result.status is OrderStatus.ACCEPTED and lookups == 2
    else:
        _check_unknown(result)
        assert lookups == 3  # reconcile_tries


@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not-applied"])
def test_modify_post_failure_ends_with_the_change_read_back_or_unknown(arun, outcome, applied):
    cid = f"mod-{outcome}-{applied}"

    async def main():
        async with pinned_server() as (server, client):
            before = Reply(200, {"orders": [_live(cid)], "snapshot": True})
            after = Reply(200, {"orders": [_live(cid, "150.0" if applied else "100.0")], "snapshot": True})
            server.on("GET", LIVE, before, after)
            server.on("POST", MODIFY, _failure(outcome))
            broker = _broker(server, client)
            try:
                order = await broker.modify_order("DU100001", "1234567001", amount=Decimal(150))
            except Exception as exc:  # noqa: BLE001
                order = exc
            return order, server.count("POST", MODIFY)

    result, posts = arun(main(), timeout=30)
    assert posts == 1
    if applied:
        assert result.order_id == "1234567001" and result.amount == 150
    else:
        _check_unknown(result)


def test_a_4xx_refusal_stays_a_rejection(arun):
    """The other side of the rule: an answer that says IBKR refused (4xx, or an
    ``{"error"}`` body) is a rejection, looked up nowhere."""
    async def main():
        async with pinned_server() as (server, client):
            server.on("POST", ORDERS, Reply(400, {"error": "Order rejected: outside trading hours"}))
            broker = _broker(server, client)
            with pytest.raises(OrderRejectedError, match="outside trading hours"):
                await broker.create_order(_request("cid-400"))
            return server.count("POST", ORDERS), server.count("GET", LIVE)

    assert arun(main()) == (1, 0)


# -- against the gateway emulator's fault switch -----------------------------------------------
async def _connected(gw) -> IbkrBroker:
    gw.state.pacing = False
    broker = IbkrBroker(gw.base_url, pinned_sha256=gw.fingerprint, poll_interval=0.05, session_poll=0.05,
                        pacer=Pacer(global_rate=1000), reconcile_delay=0.01)
    await broker.connect()
    await broker.suppress_questions(["o163", "o354", "p6"])
    return broker


def _emulator_request(cid: str, price: Decimal) -> OrderRequest:
    return OrderRequest(connection_id="ibkr", account_id="DU100001", instrument=Instrument.equity("AAPL"),
                        side=OrderSide.BUY, type=OrderType.LIMIT, amount=Decimal(10), limit_price=price,
                        client_order_id=cid)


def _order_posts(gw) -> int:
    return sum(1 for r in gw.requests if r.method == "POST" and r.path == "/iserver/account/DU100001/orders")


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_emulator_order_placed_then_failed_answer_is_found_once(tmp_path, arun, outcome):
    async def main():
        async with fakes.running_gateway(tmp_path) as gw:
            broker = await _connected(gw)
            try:
                if outcome == "drop":
                    gw.faults.drop(ORDER_PLACED)
                else:
                    gw.faults.fail(ORDER_PLACED, outcome)
                order = await broker.create_order(_emulator_request(f"emu-{outcome}", Decimal("1.00")))
                mine = [o for o in await gw.paper.fetch_orders("DU100001") if o.client_order_id == f"emu-{outcome}"]
                if outcome == "drop":  # and a modify answered the same way, applied
                    gw.faults.drop(MODIFY_POST)
                else:
                    gw.faults.fail(MODIFY_POST, outcome)
                changed = await broker.modify_order("DU100001", order.order_id, amount=Decimal(20))
                modifies = sum(1 for r in gw.requests if r.method == "POST" and r.path.startswith(
                    "/iserver/account/DU100001/order/"))
                return order, len(mine), _order_posts(gw), gw.faults.fired, changed, modifies
            finally:
                await broker.close()

    order, copies, posts, fired, changed, modifies = arun(main(), timeout=60)
    assert len(fired) == 2 and copies == 1 and posts == 1 and modifies == 1  # one order, one POST each
    assert order.client_order_id == f"emu-{outcome}" and order.status.is_working
    assert changed.order_id == order.order_id and changed.amount == 20
