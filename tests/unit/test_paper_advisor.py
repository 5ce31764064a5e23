"""The paper broker's offline advisor demo: accounts, groups, group orders, questions, previews."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from decimal import Decimal as D

import pytest

from desktop.brokers import InvalidRequestError, NotFoundError, OrderRejectedError
from desktop.brokers.paper import ACCOUNT_ID, PaperBroker
from desktop.brokers.paper.advisor import P6_TEXT
from desktop.brokers.paper.group_orders import aggregate, modify_targets
from desktop.domain import Instrument, Order, OrderRequest, OrderSide, OrderStatus, OrderType

CLIENTS = ["DU100001", "DU100002", "DU100003", "DU100004"]
CASH = {"DU100001": D(1_000_000), "DU100002": D(400_000), "DU100003": D(250_000), "DU100004": D(100_000)}


async def yes(question):
    return True


async def advisor(path, minutes=30) -> PaperBroker:
    broker = PaperBroker(path, advisor=True, autostart=False)
    await broker.connect()
    if minutes:
        broker.advance_minutes(minutes)
    return broker


async def aapl(broker) -> Instrument:
    return next(i for i in await broker.search_instruments("AAPL") if i.symbol == "AAPL")


def req(inst, account="Everyone", amount=10, **kw) -> OrderRequest:
    base = dict(connection_id="paper", account_id=account, instrument=inst, side=OrderSide.BUY, type=OrderType.MARKET, amount=D(amount))
    base.update(kw)
    return OrderRequest(**base)


def limit_below(broker, inst, factor="0.9") -> D:
    """A buy limit that will not fill soon (within the 50% price band)."""
    return (broker.market.last_price(inst.symbol) * D(factor)).quantize(D("0.01"))


# -- accounts, groups, values ---------------------------------------------------

def test_accounts_groups_and_values(arun, tmp_path):
    async def body():
        broker = await advisor(tmp_path / "adv.sqlite3", minutes=0)
        caps = broker.capabilities
        assert caps.allocation_groups and caps.order_questions and caps.preview_orders
        accounts = await broker.fetch_accounts()
        assert [a.account_id for a in accounts] == ["DF100000", *CLIENTS]
        master, *clients = accounts
        assert master.is_master and master.name == "Advisor (master)" and master.kind == "margin" and master.is_paper
        assert [c.name for c in clients] == ["Harper Family Trust", "Okafor IRA", "Lindqvist Joint", "Mendes Individual"]
        assert all(c.parent_id == "DF100000" and c.kind == "margin" and not c.is_master for c in clients)
        groups = {g.name: g for g in await broker.fetch_allocation_groups()}
        assert [(n, g.method.value, g.account_ids) for n, g in groups.items()] == [
            ("Everyone", "E", tuple(CLIENTS)), ("ByNetLiq", "N", tuple(CLIENTS)), ("ByEquity", "A", tuple(CLIENTS[:3])),
            ("Shares", "S", tuple(CLIENTS)), ("Growth", "P", tuple(CLIENTS[:3]))]
        assert [m.amount for m in groups["Shares"].members] == [40, 30, 20, 10]
        assert [m.amount for m in groups["Growth"].members] == [50, 30, 20]
        values = await broker.fetch_allocation_values()
        assert [(v.account_id, v.net_liquidation, v.available_equity) for v in values] == [(a, CASH[a], CASH[a]) for a in CLIENTS]
        for aid in CLIENTS:
            [bal] = await broker.fetch_balances(aid)
            assert bal.cash == CASH[aid] and bal.account_id == aid
        [zero] = await broker.fetch_balances("DF100000")
        assert zero.cash == 0 and zero.net_liquidation == 0
        assert await broker.fetch_positions("DF100000") == [] and await broker.fetch_orders("DF100000") == []
        with pytest.raises(NotFoundError):
            await broker.fetch_balances("PAPER")
        await broker.close()

    arun(body())


# -- group orders ---------------------------------------------------------------

@pytest.mark.parametrize("group, amount", [("Everyone", 10), ("ByNetLiq", 70), ("ByEquity", 33), ("Shares", 100), ("Growth", 10)])
def test_group_order_fills_each_client_as_allocate_splits_it(arun, tmp_path, group, amount):
    async def body():
        broker = await advisor(tmp_path / "adv.sqlite3")
        inst = await aapl(broker)
        spec = next(g for g in await broker.fetch_allocation_groups() if g.name == group)
        expected = spec.allocate(D(amount), await broker.fetch_allocation_values())
        request = req(inst, group, amount)
        placed = await broker.create_order(request, confirm=yes)
        assert placed.account_id == placed.allocation_group == group
        assert placed.status is OrderStatus.FILLED and placed.filled == amount
        last = broker.market.last_price("AAPL")
        assert placed.average == last and placed.client_order_id == request.client_order_id
        got, commission = {}, D(0)
        for aid in CLIENTS:
            fills = await broker.fetch_fills(aid)
            commission += sum((f.commission for f in fills), D(0))
            assert all(f.allocation_group == group and f.order_id == placed.order_id
                       and f.client_order_id == request.client_order_id for f in fills)
            got[aid] = sum((f.amount for f in fills), D(0))
            positions = await broker.fetch_positions(aid)
            assert sum((p.quantity for p in positions), D(0)) == got[aid]
            assert await broker.fetch_orders(aid) == []  # children are internal
        assert got == {aid: expected.get(aid, D(0)) for aid in CLIENTS}
        assert sum(got.values()) == amount
        assert placed.commission == commission
        assert [o.order_id for o in await broker.fetch_orders(group)] == [placed.order_id]
        assert sum(f.amount for f in await broker.fetch_fills(group)) == amount
        # idempotent per client order id: no second question, no second order
        assert (await broker.create_order(request)).order_id == placed.order_id
        await broker.close()

    arun(body())


def test_aggregate_status_filled_and_average():
    inst = Instrument(symbol="AAPL")
    t0 = datetime(2010, 1, 4, 15, tzinfo=timezone.utc)

    def child(aid, status, amount, filled=0, average=None, message=""):
        return Order(broker="paper", account_id=aid, order_id=f"{aid}-O1", instrument=inst, side=OrderSide.BUY,
                     type=OrderType.LIMIT, limit_price=D(10), amount=D(amount), filled=D(filled),
                     average=None if average is None else D(average), status=status, message=message,
                     allocation_group="G", updated_at=t0)

    group = Order(broker="paper", account_id="G", order_id="G000001", instrument=inst, side=OrderSide.BUY,
                  type=OrderType.LIMIT, limit_price=D(10), amount=D(30), status=OrderStatus.ACCEPTED, allocation_group="G")
    S = OrderStatus
    accepted = aggregate(group, [child("A", S.ACCEPTED, 20), child("B", S.ACCEPTED, 10)])
    assert accepted.status is S.ACCEPTED and accepted.filled == 0 and accepted.average is None
    partial = aggregate(group, [child("A", S.FILLED, 20, 20, "10"), child("B", S.ACCEPTED, 10)])
    assert partial.status is S.PARTIALLY_FILLED and partial.filled == 20 and partial.remaining == 10
    filled = aggregate(group, [child("A", S.FILLED, 20, 20, "10"), child("B", S.FILLED, 10, 10, "13")])
    assert filled.status is S.FILLED and filled.filled == 30 and filled.average == D(11)  # (200 + 130) / 30
    rejected = aggregate(group, [child("A", S.REJECTED, 20, message="no cash"), child("B", S.REJECTED, 10, message="no cash")])
    assert rejected.status is S.REJECTED and rejected.message == "A: no cash; B: no cash"
    mixed = aggregate(group, [child("A", S.FILLED, 20, 20, "10"), child("B", S.REJECTED, 10, message="insufficient")])
    assert mixed.status is S.CANCELED and mixed.filled == 20 and mixed.message == "B: insufficient"
    canceled = aggregate(group, [child("A", S.CANCELED, 20, 5, "10", "canceled"), child("B", S.CANCELED, 10)])
    assert canceled.status is S.CANCELED and canceled.filled == 5


def test_cancel_working_group_order_cancels_every_child(arun, tmp_path):
    async def body():
        broker = await advisor(tmp_path / "adv.sqlite3")
        inst = await aapl(broker)
        placed = await broker.create_order(req(inst, "Everyone", 40, type=OrderType.LIMIT,
                                               limit_price=limit_below(broker, inst)), confirm=yes)
        assert placed.status is OrderStatus.ACCEPTED and placed.filled == 0
        for aid in CLIENTS:
            assert (await broker.fetch_balances(aid))[0].buying_power < CASH[aid]
        canceled = await broker.cancel_order("Everyone", placed.order_id)
        assert canceled.status is OrderStatus.CANCELED and canceled.order_id == placed.order_id
        for aid in CLIENTS:
            [child] = broker.engine_for(aid).orders()
            assert child.status is OrderStatus.CANCELED and child.amount == 10
            assert (await broker.fetch_balances(aid))[0].buying_power == CASH[aid]
        assert (await broker.fetch_orders("Everyone"))[0].status is OrderStatus.CANCELED
        with pytest.raises(OrderRejectedError):
            await broker.cancel_order("Everyone", placed.order_id)
        with pytest.raises(NotFoundError):
            await broker.cancel_order("ByNetLiq", placed.order_id)
        await broker.close()

    arun(body())


def test_child_rejection_is_reported_on_the_group_order(arun, tmp_path):
    async def body():
        broker = await advisor(tmp_path / "adv.sqlite3")
        inst = await aapl(broker)
        # 250 shares each at ~90% of $548: the $100,000 account cannot pay, the others can
        placed = await broker.create_order(req(inst, "Everyone", 1000, type=OrderType.LIMIT,
                                               limit_price=limit_below(broker, inst)), confirm=yes)
        assert placed.status is OrderStatus.ACCEPTED
        assert placed.message.startswith("DU100004: insufficient buying power")
        canceled = await broker.cancel_order("Everyone", placed.order_id)
        assert canceled.status is OrderStatus.CANCELED and "DU100004: insufficient buying power" in canceled.message
        with pytest.raises(OrderRejectedError, match="insufficient buying power"):
            await broker.create_order(req(inst, "Everyone", 40_000, type=OrderType.LIMIT,
                                          limit_price=limit_below(broker, inst)), confirm=yes)
        [rejected] = await broker.fetch_orders("Everyone", [OrderStatus.REJECTED])
        assert rejected.amount == 40_000
        await broker.close()

    arun(body())


def test_modify_group_amount_resplits_and_prices_reach_children(arun, tmp_path):
    async def body():
        broker = await advisor(tmp_path / "adv.sqlite3")
        inst = await aapl(broker)
        limit = limit_below(broker, inst)
        placed = await broker.create_order(req(inst, "Everyone", 10, type=OrderType.LIMIT, limit_price=limit), confirm=yes)
        changed = await broker.modify_order("Everyone", placed.order_id, amount=D(21), limit_price=limit - D("0.5"))
        assert changed.amount == 21 and changed.limit_price == limit - D("0.5") and changed.status is OrderStatus.ACCEPTED
        children = [broker.engine_for(a).orders()[0] for a in CLIENTS]
        assert [c.amount for c in children] == [6, 5, 5, 5]  # allocate(21, E)
        assert all(c.limit_price == limit - D("0.5") for c in children)
        with pytest.raises(InvalidRequestError):
            await broker.modify_order("Everyone", placed.order_id, amount=D(0) + D("0.5"))
        await broker.close()

    arun(body())


def test_modify_targets_never_below_filled():
    inst = Instrument(symbol="AAPL")

    def child(aid, amount, filled, status=OrderStatus.PARTIALLY_FILLED):
        return Order(broker="paper", account_id=aid, order_id=aid, instrument=inst, side=OrderSide.BUY,
                     type=OrderType.MARKET, amount=D(amount), filled=D(filled), status=status)

    children = {"A": child("A", 10, 8), "B": child("B", 10, 0), "C": child("C", 10, 0, OrderStatus.REJECTED)}
    assert modify_targets({"A": D(4), "B": D(4), "C": D(4)}, children, D(12)) == {"A": 8, "B": 4, "C": 0}
    # A keeps its 8 filled; the surplus is taken back from B (last working member first)
    assert modify_targets({"A": D(4), "B": D(3), "C": D(3)}, children, D(10)) == {"A": 8, "B": 2, "C": 0}
    # a rejected child's share goes to the first working member
    assert modify_targets({"A": D(9), "B": D(5), "C": D(6)}, children, D(20)) == {"A": 15, "B": 5, "C": 0}
    with pytest.raises(InvalidRequestError):
        modify_targets({"A": D(4), "B": D(4)}, children, D(8))


# -- questions ------------------------------------------------------------------

def test_declined_or_unanswered_question_places_nothing(arun, tmp_path):
    async def body():
        broker = await advisor(tmp_path / "adv.sqlite3")
        inst = await aapl(broker)
        asked = []

        async def no(question):
            asked.append(question)
            return False

        with pytest.raises(OrderRejectedError):
            await broker.create_order(req(inst, "ByNetLiq", 10), confirm=no)
        with pytest.raises(OrderRejectedError):
            await broker.create_order(req(inst, "ByNetLiq", 10))  # no handler: "no"
        [question] = asked
        assert question.message_ids == ("p6",) and question.messages == (P6_TEXT,) and question.reply_id
        assert "distributed over multiple accounts" in question.text
        assert await broker.fetch_orders("ByNetLiq") == []
        assert all(broker.engine_for(a).orders() == [] for a in CLIENTS)
        # ordinary client orders ask nothing
        direct = await broker.create_order(req(inst, "DU100002", 5))
        assert direct.status is OrderStatus.FILLED and direct.allocation_group == ""
        assert [o.order_id for o in await broker.fetch_orders("DU100002")] == [direct.order_id]
        with pytest.raises(OrderRejectedError):
            await broker.create_order(req(inst, "DF100000", 5))
        await broker.close()

    arun(body())


def test_suppressed_question_is_not_asked_again(arun, tmp_path):
    async def body():
        broker = await advisor(tmp_path / "adv.sqlite3")
        inst = await aapl(broker)
        asked = []

        async def record(question):
            asked.append(question)
            return True

        await broker.create_order(req(inst, "Everyone", 4), confirm=record)
        await broker.suppress_questions(["p6"])
        placed = await broker.create_order(req(inst, "Everyone", 4), confirm=record)
        assert placed.status is OrderStatus.FILLED
        assert await broker.create_order(req(inst, "Everyone", 4)) is not None  # no handler needed any more
        assert len(asked) == 1
        await broker.close()

    arun(body())


# -- previews -------------------------------------------------------------------

def test_preview_single_account_numbers(arun, tmp_path):
    async def body():
        broker = PaperBroker(tmp_path / "p.sqlite3", autostart=False)
        await broker.connect()
        broker.advance_minutes(30)
        inst = await aapl(broker)
        limit = limit_below(broker, inst, "0.99")
        preview = await broker.preview_order(req(inst, ACCOUNT_ID, 10, type=OrderType.LIMIT, limit_price=limit))
        assert preview.amount == 10 * limit and preview.commission == D("1.00")
        assert preview.total == 10 * limit + D("1.00")
        assert preview.equity_before == D(100_000) and preview.equity_after == D(99_999)
        assert preview.error == "" and preview.warning == ""
        assert dict(preview.lines)["Commission"] == "1.00 USD"
        big = await broker.preview_order(req(inst, ACCOUNT_ID, 1000, type=OrderType.LIMIT, limit_price=limit))
        assert big.error.startswith("insufficient buying power")
        near = int(D(95_000) / limit)
        warned = await broker.preview_order(req(inst, ACCOUNT_ID, near, type=OrderType.LIMIT, limit_price=limit))
        assert warned.error == "" and "of the buying power" in warned.warning
        market = await broker.preview_order(req(inst, ACCOUNT_ID, 10))
        assert market.amount == 10 * broker.market.last_price("AAPL")
        assert await broker.fetch_orders(ACCOUNT_ID) == []  # nothing placed
        await broker.close()

    arun(body())


def test_preview_group_sums_the_children(arun, tmp_path):
    async def body():
        broker = await advisor(tmp_path / "adv.sqlite3")
        inst = await aapl(broker)
        limit = limit_below(broker, inst, "0.99")
        preview = await broker.preview_order(req(inst, "Shares", 100, type=OrderType.LIMIT, limit_price=limit))
        assert preview.amount == 100 * limit and preview.commission == 4 * D("1.00")
        assert preview.equity_before == sum(CASH.values()) and preview.error == ""
        assert dict(preview.lines)["DU100001"] == "40 Shares"
        short = await broker.preview_order(req(inst, "Everyone", 1000, type=OrderType.LIMIT, limit_price=limit))
        assert short.error.startswith("DU100004: insufficient buying power")
        with pytest.raises(InvalidRequestError):
            await broker.preview_order(req(inst, "Shares", 99))  # S groups size the order themselves
        await broker.close()

    arun(body())


# -- streams, persistence, reset ------------------------------------------------

def test_watch_orders_of_a_group_streams_group_snapshots(arun, tmp_path):
    async def body():
        broker = await advisor(tmp_path / "adv.sqlite3")
        inst = await aapl(broker)
        seen: list[Order] = []
        done = asyncio.Event()

        async def watch():
            async for order in broker.watch_orders("Everyone"):
                seen.append(order)
                if order.status is OrderStatus.CANCELED:
                    done.set()

        task = asyncio.ensure_future(watch())
        await asyncio.sleep(0)
        placed = await broker.create_order(req(inst, "Everyone", 8, type=OrderType.LIMIT,
                                               limit_price=limit_below(broker, inst)), confirm=yes)
        await broker.cancel_order("Everyone", placed.order_id)
        await asyncio.wait_for(done.wait(), 5)
        assert all(o.account_id == "Everyone" and o.order_id == placed.order_id for o in seen)
        assert [o.status for o in seen][0] is OrderStatus.ACCEPTED
        task.cancel()
        await broker.close()

    arun(body())


def test_working_group_order_fills_as_the_replay_runs(arun, tmp_path):
    async def body():
        broker = await advisor(tmp_path / "adv.sqlite3")
        inst = await aapl(broker)
        seen: list[Order] = []

        async def watch():
            async for order in broker.watch_orders("Everyone"):
                seen.append(order)

        task = asyncio.ensure_future(watch())
        await asyncio.sleep(0)
        placed = await broker.create_order(req(inst, "Everyone", 8, type=OrderType.LIMIT,
                                               limit_price=limit_below(broker, inst, "0.995")), confirm=yes)
        assert placed.status is OrderStatus.ACCEPTED
        for _ in range(120):  # the replay is deterministic: the price comes down within a few hours
            broker.advance_minutes(5)
            [now] = await broker.fetch_orders("Everyone")
            if now.status.is_closed:
                break
        assert now.status is OrderStatus.FILLED and now.filled == 8 and now.average <= placed.limit_price
        for _ in range(3):
            await asyncio.sleep(0)
        assert seen[-1] == now and seen[0].status is OrderStatus.ACCEPTED
        for aid in CLIENTS:
            [fill] = await broker.fetch_fills(aid)
            assert fill.amount == 2 and fill.order_id == placed.order_id and fill.allocation_group == "Everyone"
        task.cancel()
        await broker.close()

    arun(body())


def test_every_account_and_group_order_survives_reopen_and_reset_clears_all(arun, tmp_path):
    path = tmp_path / "adv.sqlite3"

    async def first():
        broker = await advisor(path)
        inst = await aapl(broker)
        filled = await broker.create_order(req(inst, "ByNetLiq", 70), confirm=yes)
        working = await broker.create_order(req(inst, "Everyone", 8, type=OrderType.LIMIT,
                                                limit_price=limit_below(broker, inst)), confirm=yes)
        state = {a: ((await broker.fetch_balances(a))[0].cash, await broker.fetch_fills(a)) for a in CLIENTS}
        await broker.close()
        return filled, working, state

    async def second(filled, working, state):
        broker = PaperBroker(path, advisor=True, autostart=False)
        await broker.connect()
        assert [o.order_id for o in await broker.fetch_orders("ByNetLiq")] == [filled.order_id]
        [again] = await broker.fetch_orders("Everyone")
        assert again.status is OrderStatus.ACCEPTED and again.order_id == working.order_id
        for aid in CLIENTS:
            assert (await broker.fetch_balances(aid))[0].cash == state[aid][0]
            assert await broker.fetch_fills(aid) == state[aid][1]
        assert (await broker.cancel_order("Everyone", working.order_id)).status is OrderStatus.CANCELED
        inst = await aapl(broker)
        nxt = await broker.create_order(req(inst, "Everyone", 4), confirm=yes)
        assert nxt.order_id not in (filled.order_id, working.order_id)
        await broker.reset_account()
        assert await broker.fetch_orders("ByNetLiq") == [] and await broker.fetch_orders("Everyone") == []
        for aid in CLIENTS:
            assert (await broker.fetch_balances(aid))[0].cash == CASH[aid]
        await broker.close()

    arun(second(*arun(first())))


def test_without_advisor_the_paper_broker_is_unchanged(arun, tmp_path):
    async def body():
        broker = PaperBroker(tmp_path / "p.sqlite3", autostart=False)
        await broker.connect()
        caps = broker.capabilities
        assert not caps.allocation_groups and not caps.order_questions and caps.preview_orders
        assert [a.account_id for a in await broker.fetch_accounts()] == [ACCOUNT_ID]
        assert await broker.fetch_allocation_groups() == [] and await broker.fetch_allocation_values() == []
        broker.advance_minutes(5)
        inst = await aapl(broker)
        with pytest.raises(NotFoundError):
            await broker.create_order(req(inst, "Everyone", 4), confirm=yes)
        placed = await broker.create_order(req(inst, ACCOUNT_ID, 4))
        assert placed.order_id == "O000001" and placed.allocation_group == ""
        assert (await broker.fetch_fills(ACCOUNT_ID))[0].fill_id == "F000001"
        await broker.close()

    arun(body())


def test_connection_spec_offers_the_advisor_demo():
    from desktop.connections.registry import broker_spec

    paper = broker_spec("paper")
    assert paper.field("mode").default == "single"
    assert paper.create({"account_file": "demo.sqlite3", "mode": "advisor"}).advisor
    assert not paper.create({"account_file": "plain.sqlite3"}).advisor
