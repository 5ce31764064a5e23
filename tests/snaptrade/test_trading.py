"""Trading through SnapTrade against the fake: impact preview and placing the
checked trade by its id (and its 5-minute life), option orders by OCC symbol and
option positions, replace, the legacy /api/v1 prefix, read-only accounts, linking
(upgrade a read-only connection, remove one)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop.brokers.errors import InvalidRequestError, OrderRejectedError
from desktop.domain import Instrument, OrderRequest, OrderSide, OrderStatus, OrderType
from desktop.domain.options import PositionEffect

from tests.fakes.snaptrade import running_snaptrade

from .helpers import broker_for, limit, link_all, tick


async def _connected(fake, **kw):
    broker = broker_for(fake, **kw)
    await broker.connect()
    link_all(fake)
    await broker.fetch_accounts()
    return broker


def test_preview_then_place_this_places_the_checked_trade(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            broker = await _connected(fake)
            account = fake.account_for("ALPACA").id
            price = fake.paper.market.last_price("AAPL")
            request = limit(account, tick(price * Decimal("0.8")), amount="3")
            preview = await broker.preview_order(request)
            order = await broker.create_order(request)
            paths = [(r.method, r.path) for r in fake.requests if r.path.startswith("/trade/")]
            await broker.close()
            return preview, order, paths, price

    preview, order, paths, price = arun(scenario(), timeout=30)
    labels = dict(preview.lines)
    assert {"Remaining cash", "Estimated commission", "Forex fees"} <= set(labels)
    assert preview.amount == Decimal(3) * tick(price * Decimal("0.8"))
    assert paths[0] == ("POST", "/trade/impact") and paths[1][1].startswith("/trade/")
    assert paths[1][1] not in ("/trade/place", "/trade/impact") and len(paths) == 2  # by its trade id
    assert order.status is OrderStatus.ACCEPTED and order.amount == 3


def test_an_expired_preview_must_be_previewed_again(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            now = [1_000_000.0]
            broker = await _connected(fake, clock=lambda: now[0])
            account = fake.account_for("ALPACA").id
            request = limit(account, tick(fake.paper.market.last_price("AAPL") * Decimal("0.8")))
            await broker.preview_order(request)
            now[0] += 301
            with pytest.raises(OrderRejectedError) as err:
                await broker.create_order(request)
            again = await broker.create_order(request)  # a plain Submit now: /trade/place
            places = [r.path for r in fake.requests if r.path.startswith("/trade/")]
            await broker.close()
            return err.value, again, places

    err, again, places = arun(scenario(), timeout=30)
    assert "expired" in err.message and "preview it again" in err.message
    assert places == ["/trade/impact", "/trade/place"] and again.status is OrderStatus.ACCEPTED


def test_option_order_by_occ_symbol_and_option_position(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            broker = await _connected(fake)
            account = fake.account_for("SCHWAB").id
            chain = await fake.paper.fetch_option_chain("AAPL")
            quote = next(q for q in chain.quotes if q.ask and q.ask > 0)
            instrument = Instrument.for_option(quote.contract)
            request = OrderRequest(connection_id="snap-1", account_id=account, instrument=instrument,
                                   side=OrderSide.BUY, type=OrderType.LIMIT, amount=Decimal(2),
                                   limit_price=tick(quote.ask * Decimal("1.5")), position_effect=PositionEffect.OPEN)
            order = await broker.create_order(request)
            body = [r.body for r in fake.requests if r.path == "/trade/place"][0]
            for _ in range(30):
                if any(p.instrument.is_option for p in await broker.fetch_positions(account)):
                    break
                fake.paper.advance_minutes(1)
            positions = await broker.fetch_positions(account)
            orders = await broker.fetch_orders(account)
            await broker.close()
            return order, body, positions, orders, instrument

    order, body, positions, orders, instrument = arun(scenario(), timeout=60)
    assert body["symbol"] == instrument.symbol and len(body["symbol"]) == 21
    assert body["universal_symbol_id"] is None and body["action"] == "BUY_TO_OPEN" and body["units"] == 2
    assert order.instrument.is_option and order.instrument.symbol == instrument.symbol
    option = [p for p in positions if p.instrument.is_option]
    assert option and option[0].quantity == 2 and option[0].instrument.option == instrument.option
    assert option[0].instrument.multiplier == 100
    assert orders[0].position_effect is PositionEffect.OPEN


def test_replace_changes_the_limit(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            broker = await _connected(fake)
            account = fake.account_for("ALPACA").id
            price = fake.paper.market.last_price("AAPL")
            order = await broker.create_order(limit(account, tick(price * Decimal("0.7"))))
            new = tick(price * Decimal("0.6"))
            replaced = await broker.modify_order(account, order.order_id, limit_price=new)
            listed = {o.order_id: o for o in await broker.fetch_orders(account)}
            await broker.close()
            return replaced, listed[order.order_id], new

    replaced, listed, new = arun(scenario(), timeout=30)
    assert replaced.limit_price == new and listed.limit_price == new


def test_legacy_prefix_is_signed_and_served(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            broker = await _connected(fake, legacy_prefix=True)
            accounts = await broker.fetch_accounts()
            paths = {r.path for r in fake.requests}
            statuses = {r.status for r in fake.requests}
            await broker.close()
            return accounts, paths, statuses

    accounts, paths, statuses = arun(scenario(), timeout=30)
    assert len(accounts) == 4 and "/api/v1/accounts" in paths and "/accounts" not in paths
    assert statuses == {200}


def test_read_only_account_says_why_and_how_to_upgrade(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            broker = broker_for(fake)
            await broker.connect()
            fake.link("trader-1", "SCHWAB", "read")
            await broker.fetch_accounts()
            account = fake.account_for("SCHWAB").id
            caps = broker.account_capabilities(account)
            with pytest.raises(OrderRejectedError) as err:
                await broker.create_order(limit(account, "10"))
            auth = next(iter(broker.authorizations))
            link = await broker.linking.upgrade(auth)
            sent = [r.body for r in fake.requests if r.path == "/snapTrade/login"][-1]
            session = fake.state.portals[link.session_id]
            fake.state.link(session, fake.state.authorizations[auth].brokerage)
            await broker.fetch_accounts()
            after = broker.account_capabilities(account)
            removed = await broker.linking.remove(auth)
            left = await broker.fetch_accounts()
            await broker.close()
            return caps, err.value, sent, after, removed, left

    caps, err, sent, after, removed, left = arun(scenario(), timeout=30)
    assert "read-only" in caps.trade_refusal and "Upgrade to trading" in caps.trade_refusal
    assert err.message == caps.trade_refusal
    assert sent == {"connectionType": "trade", "reconnect": sent["reconnect"]} and sent["reconnect"]
    assert after.trade_refusal == "" and "deletion" in removed and left == []


def test_refresh_asks_snaptrade_to_sync_the_accounts_connection(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            broker = await _connected(fake)
            account = fake.account_for("ALPACA").id
            said = await broker.refresh_account(account)
            auth = fake.state.authorizations[fake.account_for("ALPACA").authorization_id]
            await broker.fetch_positions(account)
            fidelity = fake.account_for("FIDELITY").id
            await broker.fetch_positions(fidelity)
            await broker.close()
            return said, auth.refreshed, broker.freshness[account], broker.freshness[fidelity]

    said, refreshed, fresh, stale = arun(scenario(), timeout=30)
    assert "scheduled for refresh" in said and refreshed == 1
    assert (fresh - stale).total_seconds() > 23 * 3600  # Fidelity's data is a day old in the fake


def test_fractional_shares_are_refused_where_the_brokerage_does_not_allow_them(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            broker = await _connected(fake)
            schwab = fake.account_for("SCHWAB").id
            request = OrderRequest(connection_id="snap-1", account_id=schwab,
                                   instrument=Instrument.equity("AAPL", lot_size=Decimal("0.0001")), side=OrderSide.BUY,
                                   type=OrderType.LIMIT, amount=Decimal("1.5"), limit_price=Decimal("10"))
            caps = broker.account_capabilities(schwab), broker.account_capabilities(fake.account_for("ALPACA").id)
            with pytest.raises(InvalidRequestError) as err:
                await broker.create_order(request)
            sent = [r for r in fake.requests if r.path.startswith("/trade/")]
            await broker.close()
            return caps, err.value, sent

    (schwab, alpaca), err, sent = arun(scenario(), timeout=30)
    assert not schwab.fractional and alpaca.fractional
    assert err.field == "amount" and "Charles Schwab does not take fractional shares" in err.message and sent == []


def _notional(account, dollars="500", **kw) -> OrderRequest:
    return OrderRequest(connection_id="snap-1", account_id=account, instrument=Instrument.equity("AAPL"),
                        side=OrderSide.BUY, type=OrderType.MARKET, notional=Decimal(dollars), **kw)


def test_a_dollar_amount_order_sends_notional_value(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            broker = await _connected(fake)
            alpaca, schwab = fake.account_for("ALPACA").id, fake.account_for("SCHWAB").id
            last = fake.paper.market.last_price("AAPL")
            dollars = str((last * Decimal("3.5")).quantize(Decimal("0.01")))
            preview = await broker.preview_order(_notional(alpaca, str(last * 2)))
            order = await broker.create_order(_notional(alpaca, dollars))
            with pytest.raises(InvalidRequestError) as refused:
                await broker.create_order(_notional(schwab, dollars))
            bodies = [(r.path, r.body) for r in fake.requests if r.path.startswith("/trade/")]
            await broker.close()
            caps = broker.account_capabilities(alpaca).notional, broker.account_capabilities(schwab).notional
            return preview, order, refused.value, bodies, caps, Decimal(dollars)

    preview, order, refused, bodies, caps, dollars = arun(scenario(), timeout=30)
    assert caps == (True, False)
    (impact_path, impact), (place_path, place) = bodies
    assert impact_path == "/trade/impact" and impact["notional_value"] and impact["units"] is None
    assert place_path == "/trade/place" and Decimal(str(place["notional_value"])) == dollars and place["units"] is None
    assert place["order_type"] == "Market" and place["time_in_force"] == "Day"
    assert order.amount == 3  # the fake buys the whole shares the dollars pay for
    assert preview.lines
    assert refused.field == "notional" and "does not take dollar-amount orders" in refused.message


def test_the_domain_wants_exactly_one_of_quantity_and_dollar_amount():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="not both"):
        _notional("a", amount=Decimal(1))
    with pytest.raises(ValidationError, match="amount is required"):
        OrderRequest(connection_id="c", account_id="a", instrument=Instrument.equity("AAPL"), side=OrderSide.BUY,
                     type=OrderType.MARKET)
    with pytest.raises(ValidationError, match="notional must be greater than 0"):
        _notional("a", dollars="0")
    assert _notional("a").describe() == "Buy $500.00 of AAPL at market, good for the day"


def test_other_adapters_refuse_a_dollar_amount_order(tmp_path, arun):
    from desktop.brokers.paper import PaperBroker

    async def scenario():
        paper = PaperBroker(tmp_path / "p.sqlite", autostart=False)
        await paper.connect()
        try:
            request = _notional("PAPER").model_copy(update={"connection_id": paper.connection_id})
            with pytest.raises(InvalidRequestError) as err:
                await paper.create_order(request)
            return err.value, await paper.fetch_orders("PAPER")
        finally:
            await paper.close()

    err, orders = arun(scenario(), timeout=30)
    assert err.field == "notional" and "does not take dollar-amount orders" in err.message and orders == []
