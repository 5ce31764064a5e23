"""Orders and positions against the fake (NOTES.md section 5): lots with SL/TP,
hedged positions by id, partial close, SL/TP filled when the market crosses them,
modify/cancel, the place-order rules, ids above 2**53 kept exactly, envelope errors
in words, and a 5xx after an order POST reconciled without a second order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop.brokers.errors import InvalidRequestError, OrderRejectedError
from desktop.domain import OrderRequest, OrderSide, OrderStatus, OrderType, ProtectionType, TimeInForce

from .conftest import ACCOUNT, cents, connected, instrument


def market(inst, amount="0.5", side=OrderSide.BUY, **kw) -> OrderRequest:
    return OrderRequest(connection_id="tl-1", account_id=ACCOUNT, instrument=inst, side=side, type=OrderType.MARKET,
                        amount=Decimal(amount), time_in_force=TimeInForce.IOC, **kw)


def test_hedged_positions_with_sl_tp_partial_close_and_take_profit_fill(arun):
    async def scenario():
        async with connected() as (fake, broker, _s):
            inst = await instrument(broker)
            last = fake.market.last_price("AAPL")
            first = await broker.create_order(market(inst, stop_loss=cents(last * Decimal("0.9")),
                                                     take_profit=cents(last * Decimal("1.2"))))
            second = await broker.create_order(market(inst, amount="0.3"))
            two = await broker.fetch_positions(ACCOUNT)
            target = cents(last + Decimal("0.05"))
            await broker.modify_position(ACCOUNT, first.position_id, take_profit=target)
            moved = {p.position_id: p for p in await broker.fetch_positions(ACCOUNT)}
            await broker.close_position(ACCOUNT, second.position_id, Decimal("0.1"))
            partly = {p.position_id: p for p in await broker.fetch_positions(ACCOUNT)}
            minutes = 0
            while first.position_id in {p.position_id for p in await broker.fetch_positions(ACCOUNT)}:
                assert minutes < 390, "the take-profit never filled"
                fake.advance_minutes(1)
                minutes += 1
            left = await broker.fetch_positions(ACCOUNT)
            history = await broker.fetch_orders(ACCOUNT, status=[OrderStatus.FILLED, OrderStatus.CANCELED])
            fills = await broker.fetch_fills(ACCOUNT)
            return first, second, two, target, moved, partly, left, history, fills

    first, second, two, target, moved, partly, left, history, fills = arun(scenario(), 60)
    assert first.status is OrderStatus.FILLED and first.amount == Decimal("0.5") and first.position_id
    assert int(first.order_id) > 2**53 and int(first.position_id) > 2**53
    assert len(two) == 2 and {p.position_id for p in two} == {first.position_id, second.position_id}
    assert len({p.key for p in two}) == 2 and all(p.symbol == "AAPL" for p in two)
    mine = next(p for p in two if p.position_id == first.position_id)
    assert mine.quantity == Decimal("0.5") and mine.stop_loss == first.stop_loss and mine.take_profit == first.take_profit
    assert moved[first.position_id].take_profit == target and moved[first.position_id].stop_loss == first.stop_loss
    assert partly[second.position_id].quantity == Decimal("0.2") and partly[first.position_id].quantity == Decimal("0.5")
    assert [p.position_id for p in left] == [second.position_id]
    tp = [o for o in history if o.position_id == first.position_id and o.type is OrderType.LIMIT]
    assert tp and tp[0].status is OrderStatus.FILLED and tp[0].average >= target
    sl = [o for o in history if o.position_id == first.position_id and o.type is OrderType.STOP]
    assert sl and sl[0].status is OrderStatus.CANCELED  # removed with the position
    assert sum(f.amount for f in fills if f.order_id == tp[0].order_id) == Decimal("0.5")
    assert [f.timestamp for f in fills] == sorted(f.timestamp for f in fills)


def test_protection_of_a_working_order_and_its_cancel(arun):
    async def scenario():
        async with connected() as (fake, broker, _s):
            inst = await instrument(broker)
            price = cents(fake.market.last_price("AAPL") * Decimal("0.8"))
            order = await broker.create_order(OrderRequest(
                connection_id="tl-1", account_id=ACCOUNT, instrument=inst, side=OrderSide.BUY, type=OrderType.LIMIT,
                amount=Decimal("2"), limit_price=price, time_in_force=TimeInForce.GTC,
                stop_loss=Decimal("1.50"), stop_loss_type=ProtectionType.OFFSET))
            changed = await broker.modify_protection(ACCOUNT, order.order_id, take_profit=cents(price * 2))
            repriced = await broker.modify_order(ACCOUNT, order.order_id, limit_price=price - 1)
            cancelled = await broker.cancel_order(ACCOUNT, order.order_id)
            body = [r for r in fake.requests if r.limit_type == "PLACE_ORDER"]
            return order, changed, repriced, cancelled, price, body

    order, changed, repriced, cancelled, price, posts = arun(scenario())
    assert order.is_working and order.stop_loss == Decimal("1.5") and order.stop_loss_type is ProtectionType.OFFSET
    assert changed.take_profit == cents(price * 2) and changed.stop_loss == Decimal("1.5")
    assert repriced.limit_price == price - 1 and repriced.is_working
    assert cancelled.status is OrderStatus.CANCELED and len(posts) == 1


def test_a_5xx_after_the_order_post_is_reconciled_without_a_second_order(arun):
    async def scenario():
        async with connected() as (fake, broker, _s):
            inst = await instrument(broker)
            fake.fail_next("POST", rf"/trade/accounts/{ACCOUNT}/orders", 500, after=True)
            order = await broker.create_order(market(inst, amount="0.7"))
            return fake, order

    fake, order = arun(scenario())
    assert fake.order_posts() == 1
    placed = [o for o in fake.engine.orders.values() if o.role == "entry"]
    assert len(placed) == 1 and str(placed[0].oid) == order.order_id
    assert order.status is OrderStatus.FILLED and order.amount == Decimal("0.7")


def test_a_5xx_before_the_order_took_effect_is_unknown_not_rejected(arun):
    from desktop.brokers.transport import OrderStateUnknownError

    async def scenario():
        async with connected() as (fake, broker, _s):
            inst = await instrument(broker)
            fake.fail_next("POST", rf"/trade/accounts/{ACCOUNT}/orders", 502, after=False)
            with pytest.raises(OrderStateUnknownError) as unknown:
                await broker.create_order(market(inst))
            return fake, unknown.value

    fake, error = arun(scenario())
    assert fake.order_posts() == 1 and not fake.engine.orders
    assert "state is unknown" in error.message


def test_place_order_rules_are_checked_before_sending(arun):
    async def scenario():
        async with connected() as (fake, broker, _s):
            inst = await instrument(broker)
            price = cents(fake.market.last_price("AAPL") * Decimal("0.9"))
            day = OrderRequest(connection_id="tl-1", account_id=ACCOUNT, instrument=inst, side=OrderSide.BUY,
                               type=OrderType.LIMIT, amount=Decimal(1), limit_price=price)
            with pytest.raises(InvalidRequestError) as not_gtc:
                await broker.create_order(day)
            with pytest.raises(InvalidRequestError) as tiny:
                fine = inst.model_copy(update={"lot_size": Decimal("0.001")})  # what a stale instrument might say
                await broker.create_order(market(fine, amount="0.005"))
            with pytest.raises(OrderRejectedError) as too_big:
                await broker.create_order(market(inst, amount="10000000"))
            return fake, not_gtc.value, tiny.value, too_big.value

    fake, not_gtc, tiny, too_big = arun(scenario())
    assert not_gtc.field == "time_in_force" and "GTC" in not_gtc.message
    assert tiny.field == "amount" and "minimum" in tiny.message
    assert "qty 10000000 must be between" in too_big.message  # TradeLocker's errmsg, in words
    assert fake.order_posts() == 1  # only the one the server had to judge


def test_the_order_body_follows_the_place_order_rules(arun):
    async def scenario():
        async with connected() as (fake, broker, _s):
            inst = await instrument(broker)
            listed = broker.catalog.listed("AAPL")
            stop = OrderRequest(connection_id="tl-1", account_id=ACCOUNT, instrument=inst, side=OrderSide.SELL,
                                type=OrderType.STOP, amount=Decimal("0.25"), stop_price=Decimal("100.00"),
                                time_in_force=TimeInForce.GTC, stop_loss=Decimal("0.50"),
                                stop_loss_type=ProtectionType.TRAILING_OFFSET)
            return broker.place_body(stop, listed, "GTC"), broker.place_body(market(inst), listed, "IOC"), listed

    stop, mkt, listed = arun(scenario())
    assert stop["type"] == "stop" and stop["validity"] == "GTC" and stop["stopPrice"] == 100
    assert stop["routeId"] == listed.trade_route != listed.info_route
    assert stop["stopLossType"] == "trailingOffset" and stop["stopLoss"] == 0.5 and stop["takeProfit"] is None
    assert stop["qty"] == "0.25" and stop["tradableInstrumentId"] == listed.tid
    assert len(stop["strategyId"]) <= 31
    assert mkt["validity"] == "IOC" and mkt["price"] == 0 and mkt["stopPrice"] is None


def test_strategy_tags_carry_client_order_ids_both_ways():
    from desktop.brokers.tradelocker.rows import client_id_of, strategy_tag

    ours = "0123456789abcdef0123456789abcdef"
    assert len(strategy_tag(ours)) <= 31 and client_id_of(strategy_tag(ours)) == ours
    assert strategy_tag("bot-1") == "bot-1"
    long = "x" * 50
    assert len(strategy_tag(long)) <= 31 and client_id_of(strategy_tag(long), {strategy_tag(long): long}) == long


def test_accnum_goes_in_the_header_and_the_account_id_in_the_path(arun):
    async def scenario():
        async with connected() as (fake, broker, _s):
            await broker.fetch_orders("1163019")
            return fake

    fake = arun(scenario())
    trade = [r for r in fake.requests if r.path.startswith("/trade/")]
    assert trade and all(r.acc_num in ("1", "2") for r in trade)
    second = [r for r in trade if "/1163019/" in r.path]
    assert second and all(r.acc_num == "2" for r in second)
    assert not [r for r in fake.requests if r.path == "/auth/jwt/all-accounts" and r.acc_num]


def test_cancel_all_and_close_all(arun):
    async def scenario():
        async with connected() as (fake, broker, _s):
            inst = await instrument(broker)
            price = cents(fake.market.last_price("AAPL") * Decimal("0.8"))
            for _ in range(2):
                await broker.create_order(OrderRequest(
                    connection_id="tl-1", account_id=ACCOUNT, instrument=inst, side=OrderSide.BUY,
                    type=OrderType.LIMIT, amount=Decimal(1), limit_price=price, time_in_force=TimeInForce.GTC))
                await broker.create_order(market(inst, amount="0.2"))
            working_before = await broker.fetch_orders(ACCOUNT, status=[OrderStatus.ACCEPTED])
            await broker.cancel_all_orders(ACCOUNT, "AAPL")
            working_after = await broker.fetch_orders(ACCOUNT, status=[OrderStatus.ACCEPTED])
            held = await broker.fetch_positions(ACCOUNT)
            await broker.close_all_positions(ACCOUNT)
            return working_before, working_after, held, await broker.fetch_positions(ACCOUNT), fake

    before, after, held, left, fake = arun(scenario())
    assert len(before) == 2 and after == []
    assert len(held) == 2 and left == []
    cancel_all = [r for r in fake.requests if r.method == "DELETE" and r.path == f"/trade/accounts/{ACCOUNT}/orders"]
    assert cancel_all and cancel_all[0].query["tradableInstrumentId"] == "200"


def test_forex_in_lots_with_pips_sl_tp_and_pnl_in_the_account_currency(arun):
    async def scenario():
        async with connected() as (fake, broker, _s):
            eurusd, usdjpy = await instrument(broker, "EURUSD"), await instrument(broker, "USDJPY")
            q = fake.market.quote("EURUSD")
            pip = Decimal("0.0001")
            order = await broker.create_order(market(eurusd, amount="0.5", stop_loss=q.bid - 30 * pip,
                                                     take_profit=q.ask + 30 * pip))
            jpy = await broker.create_order(market(usdjpy, amount="0.1"))
            fake.advance_minutes(3)
            positions = {p.symbol: p for p in await broker.fetch_positions(ACCOUNT)}
            truth = {p.inst.symbol: fake.engine.pnl(p) for p in fake.engine.positions.values()}
            return eurusd, usdjpy, order, jpy, positions, truth, q

    eurusd, usdjpy, order, jpy, positions, truth, q = arun(scenario())
    assert (eurusd.multiplier, eurusd.tick_size, eurusd.lot_size, eurusd.currency) == (
        Decimal(100000), Decimal("0.00001"), Decimal("0.01"), "USD")
    assert usdjpy.tick_size == Decimal("0.001") and usdjpy.currency == "JPY"
    assert order.average == q.ask and order.status is OrderStatus.FILLED
    pos = positions["EURUSD"]
    assert pos.quantity == Decimal("0.5") and pos.stop_loss == q.bid - Decimal("0.0030")
    assert pos.unrealized_pnl == truth["EURUSD"].quantize(Decimal("0.01"))  # in USD, the account's currency
    assert positions["USDJPY"].unrealized_pnl == truth["USDJPY"].quantize(Decimal("0.01"))  # JPY P&L in USD


def _closes(fake, position_id):
    return [r for r in fake.requests if r.method == "DELETE" and r.path.endswith(f"/trade/positions/{position_id}")]


def test_a_5xx_after_a_partial_close_is_reconciled_never_sent_twice(arun):
    async def scenario():
        async with connected() as (fake, broker, _s):
            inst = await instrument(broker)
            pos = await broker.create_order(market(inst, amount="0.5"))
            fake.fail_next("DELETE", rf"/trade/positions/{pos.position_id}", 500, after=True)  # it took effect
            await broker.close_position(ACCOUNT, pos.position_id, Decimal("0.2"))  # no error: the close is seen
            left = {p.position_id: p.quantity for p in await broker.fetch_positions(ACCOUNT)}
            return fake, pos, left

    fake, pos, left = arun(scenario(), 60)
    assert len(_closes(fake, pos.position_id)) == 1  # a second DELETE would have closed 0.4
    assert left == {pos.position_id: Decimal("0.3")}


def test_a_5xx_before_a_close_took_effect_is_unknown_and_says_what_to_do(arun):
    from desktop.brokers.transport import OrderStateUnknownError

    async def scenario():
        async with connected() as (fake, broker, _s):
            inst = await instrument(broker)
            pos = await broker.create_order(market(inst, amount="0.5"))
            fake.fail_next("DELETE", rf"/trade/positions/{pos.position_id}", 502, after=False)
            with pytest.raises(OrderStateUnknownError) as unknown:
                await broker.close_position(ACCOUNT, pos.position_id)
            left = {p.position_id: p.quantity for p in await broker.fetch_positions(ACCOUNT)}
            return fake, pos, left, unknown.value

    fake, pos, left, error = arun(scenario(), 60)
    assert len(_closes(fake, pos.position_id)) == 1 and left == {pos.position_id: Decimal("0.5")}
    assert "check the position before closing again" in error.message and "0.5 lots" in error.message


def test_closing_a_position_that_is_not_open_says_so(arun):
    from desktop.brokers.errors import NotFoundError

    async def scenario():
        async with connected() as (fake, broker, _s):
            with pytest.raises(NotFoundError) as missing:
                await broker.close_position(ACCOUNT, "123456789012345678")
            return fake, missing.value

    fake, error = arun(scenario())
    assert "not open" in error.message and not _closes(fake, "123456789012345678")
