"""IbkrBroker end to end against the fake Client Portal Gateway (HTTPS + WSS on
loopback, backed by the paper advisor demo): accounts, groups, values, a group order
through the reply questions, fills per client, positions, timeout reconcile,
modify and cancel."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from desktop.brokers.errors import CertificateUntrustedError, NotFoundError, OrderRejectedError
from desktop.brokers.ibkr import IbkrBroker
from desktop.brokers.session_control import session_control
from desktop.brokers.transport import Pacer
from desktop.domain import (
    AllocationMethod,
    ConnectionStatus,
    Interval,
    Instrument,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)

fakes = pytest.importorskip("tests.fakes.ibkr")

CLIENTS = ["DU100001", "DU100002", "DU100003", "DU100004"]


def _broker(gw, **kw):
    kw.setdefault("pacer", Pacer(global_rate=1000))
    return IbkrBroker(gw.base_url, pinned_sha256=gw.fingerprint, poll_interval=0.05, session_poll=0.05,
                      reconcile_delay=0.01, **kw)


def _limit(account, amount=100, price="1000", side=OrderSide.BUY, **kw):
    return OrderRequest(connection_id="ibkr", account_id=account, instrument=Instrument.equity("AAPL"), side=side, type=OrderType.LIMIT,
                        amount=Decimal(amount), limit_price=Decimal(price), **kw)


async def _connected(gw, **kw):
    gw.state.pacing = False
    broker = _broker(gw, **kw)
    await broker.connect()
    return broker


async def _last_price(broker, symbol="AAPL"):
    bars = await broker.fetch_bars(symbol, Interval.D1, limit=5)
    assert 0 < len(bars) <= 5 and all(b.symbol == symbol for b in bars)
    return bars[-1].close


def _price(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


async def _fill_until(gw, broker, account, order_id, status=OrderStatus.FILLED, rounds=60):
    for _ in range(rounds):
        orders = {o.order_id: o for o in await broker.orders.live_orders(account, fresh=True)}
        if order_id in orders and orders[order_id].status is status:
            return orders[order_id]
        gw.paper.advance_minutes(5)
    raise AssertionError(f"order {order_id} never reached {status}")


def test_first_contact_shows_the_fingerprint(tmp_path, arun):
    async def scenario():
        async with fakes.running_gateway(tmp_path) as gw:
            broker = IbkrBroker(gw.base_url)
            with pytest.raises(CertificateUntrustedError) as err:
                await broker.connect()
            await broker.close()
            return err.value.fingerprint, gw.fingerprint

    seen, real = arun(scenario(), timeout=30)
    assert seen == real


def test_advisor_accounts_groups_values(tmp_path, arun):
    async def scenario():
        async with fakes.running_gateway(tmp_path) as gw:
            broker = await _connected(gw)
            try:
                accounts = await broker.fetch_accounts()
                groups = await broker.fetch_allocation_groups()
                values = await broker.fetch_allocation_values()
                balances = await broker.fetch_balances("DU100002")
                return broker.capabilities, accounts, groups, values, balances, session_control(broker)
            finally:
                await broker.close()

    caps, accounts, groups, values, balances, control = arun(scenario(), timeout=30)
    assert caps.allocation_groups and caps.preview_orders and caps.order_questions
    assert TimeInForce.FOK not in caps.time_in_force
    by_id = {a.account_id: a for a in accounts}
    assert by_id["DF100000"].is_master
    for cid in CLIENTS:
        assert by_id[cid].parent_id == "DF100000"
    assert by_id["DU100001"].name == "Harper Family Trust"
    g = {x.name: x for x in groups}
    assert set(g) >= {"Everyone", "ByNetLiq", "ByEquity", "Shares", "Growth"}
    assert g["Shares"].method is AllocationMethod.SHARES
    assert [(m.account_id, m.amount) for m in g["Shares"].members] == [
        ("DU100001", 40), ("DU100002", 30), ("DU100003", 20), ("DU100004", 10)]
    assert g["ByEquity"].account_ids == ("DU100001", "DU100002", "DU100003")
    v = {x.account_id: x for x in values}
    assert v["DU100001"].net_liquidation == Decimal(1_000_000)
    assert balances and balances[0].cash == Decimal(400_000)
    assert control is not None and control.login_url.endswith("/")


def test_group_order_questions_fills_and_positions(tmp_path, arun):
    async def scenario():
        async with fakes.running_gateway(tmp_path) as gw:
            broker = await _connected(gw)
            asked = []

            async def yes(question):
                asked.append(question.message_ids)
                return True

            try:
                last = await _last_price(broker)
                # 5% above the market: past IBKR's o163 price precaution (3%, as the emulator documents)
                order = await broker.create_order(_limit("ByNetLiq", 100, _price(last * Decimal("1.05"))), confirm=yes)
                listed = await broker.fetch_orders("ByNetLiq")
                final = await _fill_until(gw, broker, "ByNetLiq", order.order_id)
                fills = {cid: await broker.fetch_fills(cid) for cid in CLIENTS}
                positions = {cid: await broker.fetch_positions(cid) for cid in CLIENTS}
                with pytest.raises(Exception):
                    await broker.fetch_positions("ByNetLiq")
                values = await broker.fetch_allocation_values()
                return order, asked, listed, final, fills, positions, values
            finally:
                await broker.close()

    order, asked, listed, final, fills, positions, values = arun(scenario(), timeout=60)
    assert ("o163",) in asked and ("p6",) in asked
    assert order.account_id == "ByNetLiq" and order.allocation_group == "ByNetLiq"
    assert any(o.order_id == order.order_id and o.allocation_group == "ByNetLiq" for o in listed)
    assert final.filled == 100 and final.status is OrderStatus.FILLED
    total = Decimal(0)
    for cid in CLIENTS:
        mine = [f for f in fills[cid] if f.client_order_id == order.client_order_id]
        assert mine, f"no fills for {cid}"
        assert all(f.allocation_group == "ByNetLiq" and f.account_id == cid for f in mine)
        qty = sum(f.amount for f in mine)
        total += qty
        held = {p.symbol: p.quantity for p in positions[cid]}
        assert held.get("AAPL") == qty
    assert total == 100


def test_declined_question_places_nothing(tmp_path, arun):
    async def scenario():
        async with fakes.running_gateway(tmp_path) as gw:
            broker = await _connected(gw)
            try:
                async def no(_q):
                    return False

                with pytest.raises(OrderRejectedError, match="declined"):
                    await broker.create_order(_limit("ByNetLiq", 100), confirm=no)
                with pytest.raises(OrderRejectedError):
                    await broker.create_order(_limit("ByNetLiq", 100))  # no handler: "no"
                return await broker.orders.live_orders("ByNetLiq", fresh=True)
            finally:
                await broker.close()

    assert arun(scenario(), timeout=30) == []


def test_post_timeout_is_reconciled_by_coid(tmp_path, arun):
    async def scenario():
        async with fakes.running_gateway(tmp_path) as gw:
            broker = await _connected(gw, timeout=0.3)
            try:
                await broker.suppress_questions(["o163", "p6", "o354"])
                gw.state.questions = []
                gw.state.post_delay = 1.0
                request = _limit("DU100001", 10, _price(await _last_price(broker)))
                order = await broker.create_order(request)
                posts = [r for r in gw.requests if r.method == "POST" and r.path.endswith("/orders")]
                lookups = [r for r in gw.requests if r.path == "/iserver/account/orders" and r.t >= posts[0].t]
                return request, order, posts, lookups
            finally:
                gw.state.post_delay = 0.0
                await broker.close()

    request, order, posts, lookups = arun(scenario(), timeout=30)
    assert len(posts) == 1
    assert lookups and lookups[0].query.get("accountId") == "DU100001"  # reconciled via live orders
    assert order.client_order_id == request.client_order_id and order.order_id


def test_modify_and_cancel_a_group_order(tmp_path, arun):
    async def scenario():
        async with fakes.running_gateway(tmp_path) as gw:
            broker = await _connected(gw)
            try:
                async def yes(_q):
                    return True

                low = (await _last_price(broker)) * Decimal("0.7")
                order = await broker.create_order(_limit("Everyone", 40, price=_price(low)), confirm=yes)
                changed = await broker.modify_order("Everyone", order.order_id, limit_price=Decimal(_price(low + 1)),
                                                    amount=Decimal(80), confirm=yes)
                live = await broker.orders.live_orders("Everyone", fresh=True)
                cancelled = await broker.cancel_order("Everyone", order.order_id)
                final = await _fill_until(gw, broker, "Everyone", order.order_id, OrderStatus.CANCELED)
                with pytest.raises(NotFoundError):
                    await broker.cancel_order("Everyone", "999")
                return changed, live, cancelled, final, Decimal(_price(low + 1))
            finally:
                await broker.close()

    changed, live, cancelled, final, new_price = arun(scenario(), timeout=60)
    assert changed.limit_price == new_price and changed.amount == 80
    mine = [o for o in live if o.order_id == changed.order_id][0]
    assert mine.limit_price == new_price and mine.amount == 80
    assert cancelled.status in (OrderStatus.PENDING_CANCEL, OrderStatus.CANCELED)
    assert final.status is OrderStatus.CANCELED


def test_watch_connection_login_wait(tmp_path, arun):
    async def scenario():
        async with fakes.running_gateway(tmp_path, authenticated=False) as gw:
            gw.state.pacing = False
            broker = _broker(gw)
            seen = []

            async def watch():
                async for state in broker.watch_connection():
                    seen.append(state.status)
                    if state.status is ConnectionStatus.LOGIN_REQUIRED:
                        gw.log_in()

            watcher = asyncio.ensure_future(watch())
            try:
                await broker.connect()
                return seen, await broker.fetch_accounts()
            finally:
                await broker.close()
                await asyncio.wait_for(watcher, 5)

    seen, accounts = arun(scenario(), timeout=30)
    assert ConnectionStatus.LOGIN_REQUIRED in seen and ConnectionStatus.CONNECTED in seen
    assert accounts


def test_preview_search_quotes_and_watch_orders(tmp_path, arun):
    async def scenario():
        async with fakes.running_gateway(tmp_path) as gw:
            broker = await _connected(gw)
            try:
                found = await broker.search_instruments("MSFT")
                last = await _last_price(broker)
                preview = await broker.preview_order(_limit("DU100002", 10, _price(last)))
                quotes = broker.watch_quotes(["AAPL"])
                quote = None
                for _ in range(50):
                    gw.paper.advance_minutes(1)
                    try:
                        quote = await asyncio.wait_for(anext(quotes), 0.5)
                    except TimeoutError:
                        continue
                    if quote.last is not None:
                        break
                await quotes.aclose()

                watched = broker.watch_orders("DU100003")
                first = asyncio.ensure_future(anext(watched))
                await asyncio.sleep(0)
                placed = await broker.create_order(_limit("DU100003", 5, _price(last * Decimal("0.7"))),
                                                   confirm=_yes)
                seen = await asyncio.wait_for(first, 5)
                await watched.aclose()
                return found, preview, quote, placed, seen
            finally:
                await broker.close()

    found, preview, quote, placed, seen = arun(scenario(), timeout=60)
    assert found and found[0].symbol == "MSFT" and found[0].broker_id == "272093"
    assert preview.amount is not None and preview.amount > 0 and preview.error == ""
    assert quote is not None and quote.symbol == "AAPL" and quote.last is not None and quote.last > 0
    assert quote.prev_close is not None and quote.change is not None  # 7741 is subscribed: the watchlist's Change
    assert seen.order_id == placed.order_id and seen.account_id == "DU100003"


async def _yes(_question):
    return True


def test_daily_reset_recovers_and_resuppresses(tmp_path, arun):
    async def scenario():
        async with fakes.running_gateway(tmp_path) as gw:
            broker = await _connected(gw)
            try:
                await broker.suppress_questions(["p6"])
                gw.daily_reset()
                orders = await broker.fetch_orders("DU100001")  # re-primes once, then answers
                for _ in range(100):  # the re-suppress runs in the background after CONNECTED
                    posts = [r for r in gw.requests if r.path == "/iserver/questions/suppress"]
                    if len(posts) == 2:
                        break
                    await asyncio.sleep(0.01)
                return orders, posts
            finally:
                await broker.close()

    orders, posts = arun(scenario(), timeout=30)
    assert orders == []
    assert [p.json for p in posts] == [{"messageIds": ["p6"]}, {"messageIds": ["p6"]}]


def test_connection_spec_registers_ibkr():
    from desktop.connections import broker_spec

    spec = broker_spec("ibkr")
    assert spec.display_name == "Interactive Brokers (Client Portal)"
    values, errors = spec.validate_values({"base_url": "https://localhost:5000/v1/api",
                                           "certificate_sha256": "ab:" * 31 + "ab"})
    assert errors == {}
    _values, errors = spec.validate_values({"base_url": "http://localhost:5000", "certificate_sha256": "xyz"})
    assert set(errors) == {"base_url", "certificate_sha256"}
    broker = spec.create({"certificate_sha256": "ab" * 32})
    assert isinstance(broker, IbkrBroker) and broker.name == "ibkr"
    assert broker.client.pinned_sha256 == ":".join(["AB"] * 32)
    assert broker.login_url == "https://localhost:5000/"
    assert spec.create({}).client.pinned_sha256 is None
