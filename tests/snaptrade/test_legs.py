"""Multi-leg orders: AccountOrderRecords sharing ``brokerage_group_order_id`` are one
order (legs in raw, status from the legs), against the fake over loopback and on
records directly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop.brokers.errors import InvalidRequestError
from desktop.brokers.snaptrade.legs import group_legs, group_status
from desktop.brokers.snaptrade.parse import parse_order
from desktop.domain import Instrument, OrderRequest, OrderSide, OrderStatus, OrderType
from desktop.domain.options import PositionEffect


from .helpers import linked_broker, tick


def _record(order_id, status, *, group="G1", symbol="AAPL", total="10", filled="0", price=None, role=None,
            action="BUY"):
    return {"brokerage_order_id": order_id, "brokerage_group_order_id": group, "order_role": role,
            "status": status, "universal_symbol": {"id": "u-" + symbol, "symbol": symbol}, "option_symbol": None,
            "action": action, "total_quantity": total, "filled_quantity": filled, "execution_price": price,
            "order_type": "Limit", "limit_price": "10", "time_in_force": "Day",
            "time_placed": "2026-12-01T15:00:00.000Z", "time_updated": "2026-12-01T15:01:00.000Z"}


def _orders(*records):
    return [parse_order(r, "acc", "snap-1") for r in records]


def test_legs_of_one_instrument_are_summed_into_one_order():
    orders = group_legs(_orders(_record("a", "EXECUTED", total="4", filled="4", price="10"),
                                _record("b", "PARTIAL", total="6", filled="2", price="11"),
                                _record("c", "ACCEPTED", group=None)))
    assert [o.order_id for o in orders] == ["G1", "c"]
    group = orders[0]
    assert group.amount == 10 and group.filled == 6 and group.remaining == 4
    assert group.average == (4 * Decimal(10) + 2 * Decimal(11)) / 6
    assert group.status is OrderStatus.PARTIALLY_FILLED
    assert [leg["brokerage_order_id"] for leg in group.raw["legs"]] == ["a", "b"]
    assert group.raw["leg_orders"][1] == {"brokerage_order_id": "b", "symbol": "AAPL", "action": "BUY",
                                          "status": "PARTIAL", "total": "6", "filled": "2", "remaining": "4"}


def test_a_spread_counts_in_spread_units_and_keeps_each_leg():
    group = group_legs(_orders(_record("a", "EXECUTED", total="2", filled="2", price="5"),
                               _record("b", "PARTIAL", symbol="MSFT", total="2", filled="1", price="3",
                                       action="SELL")))[0]
    assert group.amount == 2 and group.filled == 1 and group.status is OrderStatus.PARTIALLY_FILLED
    assert "2-leg order" in group.message and "SELL 2 MSFT" in group.message
    assert [(leg["symbol"], leg["filled"]) for leg in group.raw["leg_orders"]] == [("AAPL", "2"), ("MSFT", "1")]


@pytest.mark.parametrize("statuses, expected", [
    (("EXECUTED", "EXECUTED"), OrderStatus.FILLED),
    (("ACCEPTED", "PENDING"), OrderStatus.SUBMITTED),
    (("ACCEPTED", "CANCEL_PENDING"), OrderStatus.PENDING_CANCEL),
    (("ACCEPTED", "ACCEPTED"), OrderStatus.ACCEPTED),
    (("CANCELED", "CANCELED"), OrderStatus.CANCELED),
    (("EXECUTED", "CANCELED"), OrderStatus.CANCELED),
    (("REJECTED", "FAILED"), OrderStatus.REJECTED),
    (("EXPIRED", "EXPIRED"), OrderStatus.EXPIRED),
    (("EXPIRED", "CANCELED"), OrderStatus.CANCELED),
])
def test_the_status_of_a_multi_leg_order_comes_from_its_legs(statuses, expected):
    filled = {"EXECUTED": "10"}
    legs = _orders(*(_record(str(i), s, symbol=f"S{i}", filled=filled.get(s, "0"), price="1")
                     for i, s in enumerate(statuses)))
    assert group_status(legs) is expected


def test_an_oco_group_with_one_leg_filled_is_filled():
    legs = _orders(_record("tp", "EXECUTED", filled="10", price="12", role="PEER", action="SELL"),
                   _record("sl", "CANCELED", role="PEER", action="SELL"))
    group = group_legs(legs)[0]
    assert group.status is OrderStatus.FILLED and group.filled == group.amount == 10


def test_a_single_record_with_a_group_id_stays_itself():
    [order] = group_legs(_orders(_record("a", "ACCEPTED")))
    assert order.order_id == "a" and "leg of multi-leg order G1" in order.message


async def _strangle(fake, account, *, marketable: bool):
    """A long strangle (buy a call and a put of one expiry: a cash account cannot
    write options) placed as one multi-leg order at the fake."""
    chain = await fake.paper.fetch_option_chain("AAPL")
    expiry = chain.quotes[0].contract.expiry
    quoted = [q for q in chain.quotes if q.ask and q.bid and q.bid > 0 and q.contract.expiry == expiry]
    call = next(q for q in quoted if q.contract.right.value.startswith("C"))
    put = next(q for q in quoted if q.contract.right.value.startswith("P"))
    legs = [OrderRequest(connection_id="x", account_id="x", instrument=Instrument.for_option(q.contract),
                         side=OrderSide.BUY, type=OrderType.LIMIT, amount=Decimal(1),
                         limit_price=tick(q.ask * Decimal("1.5")) if marketable else tick(q.bid * Decimal("0.3")),
                         position_effect=PositionEffect.OPEN) for q in (call, put)]
    return await fake.place_legs(fake.account_for(account), legs)


def test_a_resting_strangle_is_one_order_and_cancel_cancels_every_leg(tmp_path, arun):
    async def scenario():
        async with linked_broker(tmp_path) as (fake, broker):
            account = fake.account_for("SCHWAB").id
            group, legs = await _strangle(fake, "SCHWAB", marketable=False)
            listed = await broker.fetch_orders(account)
            with pytest.raises(InvalidRequestError) as refused:
                await broker.modify_order(account, group, limit_price=Decimal("1"))
            canceled = await broker.cancel_order(account, group)
            cancels = [r.body["brokerage_order_id"] for r in fake.requests if r.path.endswith("/trading/cancel")]
            paper = {o.order_id: o.status for o in await fake.paper.fetch_orders(fake.account_for("SCHWAB")
                                                                                  .brokerage.client)}
            return group, legs, listed, refused.value, canceled, cancels, paper

    group, legs, listed, refused, canceled, cancels, paper = arun(scenario(), timeout=60)
    assert [o.order_id for o in listed] == [group]
    spread = listed[0]
    assert spread.status is OrderStatus.ACCEPTED and spread.amount == 1 and spread.instrument.is_option
    assert [leg["brokerage_order_id"] for leg in spread.raw["legs"]] == [leg.order_id for leg in legs]
    assert "multi-leg" in refused.message
    assert sorted(cancels) == sorted(leg.order_id for leg in legs)
    assert canceled.status is OrderStatus.CANCELED
    assert all(paper[leg.order_id] is OrderStatus.CANCELED for leg in legs)


def test_a_filled_strangle_is_filled_with_a_fill_per_leg(tmp_path, arun):
    async def scenario():
        async with linked_broker(tmp_path) as (fake, broker):
            account = fake.account_for("SCHWAB").id
            group, legs = await _strangle(fake, "SCHWAB", marketable=True)
            for _ in range(30):
                orders = await broker._order_rows(account, fresh=True)
                if orders and orders[0].status is OrderStatus.FILLED:
                    break
                fake.paper.advance_minutes(1)
            fills = await broker.fetch_fills(account)
            return group, legs, orders, fills

    group, legs, orders, fills = arun(scenario(), timeout=60)
    assert [o.order_id for o in orders] == [group] and orders[0].status is OrderStatus.FILLED
    assert orders[0].filled == 1
    assert sorted(f.fill_id for f in fills) == sorted(leg.order_id for leg in legs)
    assert {f.order_id for f in fills} == {group}
    assert {f.instrument.symbol for f in fills} == {leg.instrument.symbol for leg in legs}


def test_a_multi_leg_order_placed_through_the_api_is_one_order(tmp_path, arun):
    async def scenario():
        async with linked_broker(tmp_path) as (fake, broker):
            account = fake.account_for("SCHWAB").id
            chain = await fake.paper.fetch_option_chain("AAPL")
            expiry = chain.quotes[0].contract.expiry
            legs = [{"instrument": {"symbol": Instrument.for_option(q.contract).symbol, "instrument_type": "OPTION"},
                     "action": "BUY_TO_OPEN", "units": 2}
                    for q in [next(q for q in chain.quotes if q.ask and q.contract.expiry == expiry
                                   and q.contract.right.value.startswith(r)) for r in ("C", "P")]]
            answer = await broker.client.call("POST", f"/accounts/{account}/trading/options",
                                              json={"order_type": "MARKET", "time_in_force": "Day", "legs": legs},
                                              idempotent=False)
            for _ in range(30):
                orders = await broker._order_rows(account, fresh=True)
                if orders and orders[0].status is OrderStatus.FILLED:
                    break
                fake.paper.advance_minutes(1)
            return answer, orders

    answer, orders = arun(scenario(), timeout=60)
    assert [o.order_id for o in orders] == [answer["brokerage_order_id"]]
    assert orders[0].status is OrderStatus.FILLED and orders[0].amount == 2 and len(orders[0].raw["legs"]) == 2
