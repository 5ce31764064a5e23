"""Currency pairs on the paper broker through the Broker interface (issue 14): search,
quotes, bars, a forex order's fills and the balances per currency."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from desktop.brokers.paper import ACCOUNT_ID, PaperBroker
from desktop.brokers.paper.fx_history import SOURCE
from desktop.domain import AssetClass, Interval, OrderRequest, OrderSide, OrderStatus, OrderType


async def connected(path) -> PaperBroker:
    broker = PaperBroker(path, autostart=False)
    await broker.connect()
    return broker


def market(inst, side=OrderSide.BUY, amount=1_000) -> OrderRequest:
    return OrderRequest(connection_id="paper", account_id=ACCOUNT_ID, instrument=inst, side=side, type=OrderType.MARKET,
                        amount=D(amount))


def test_a_forex_order_fills_and_moves_two_currencies(arun, tmp_path):
    async def body():
        broker = await connected(tmp_path / "paper.sqlite3")
        broker.advance_minutes(30)
        [eurusd] = [i for i in await broker.search_instruments("EUR/USD") if i.symbol == "EURUSD"]
        assert eurusd.asset_class is AssetClass.FOREX and eurusd.currency == "USD" and eurusd.price_decimals == 5
        assert SOURCE in eurusd.description and broker.data_source("EURUSD") == SOURCE
        assert broker.data_source("AAPL") is None
        bars = await broker.fetch_bars("EURUSD", Interval.M1, limit=5)
        assert len(bars) == 5 and all(D("0.5") < b.close < D(2) for b in bars)

        placed = await broker.create_order(market(eurusd))
        assert placed.status is OrderStatus.FILLED and placed.filled == 1_000, placed.message
        [fill] = await broker.fetch_fills(ACCOUNT_ID)
        price = fill.price
        assert fill.commission == 0 and price == broker.markets.last_price("EURUSD")
        usd, eur = await broker.fetch_balances(ACCOUNT_ID)
        assert (usd.currency, usd.cash) == ("USD", D(100_000) - 1_000 * price)
        assert (eur.currency, eur.cash, eur.free, eur.used, eur.total) == ("EUR", D(1_000), D(1_000), D(0), D(1_000))
        [pos] = await broker.fetch_positions(ACCOUNT_ID)
        assert pos.symbol == "EURUSD" and pos.quantity == 1_000

        broker.advance_minutes(5)
        now = broker.markets.last_price("EURUSD")
        usd, eur = await broker.fetch_balances(ACCOUNT_ID)
        assert usd.net_liquidation == usd.cash + 1_000 * now and usd.unconverted == ()

        # USDJPY: buying dollars spends yen, which the account goes short of
        [usdjpy] = [i for i in await broker.search_instruments("USDJPY") if i.symbol == "USDJPY"]
        placed = await broker.create_order(market(usdjpy, amount=500))
        assert placed.status is OrderStatus.FILLED, placed.message
        rows = {b.currency: b for b in await broker.fetch_balances(ACCOUNT_ID)}
        assert set(rows) == {"USD", "EUR", "JPY"} and rows["JPY"].cash == -500 * placed.average
        await broker.close()

        again = await connected(tmp_path / "paper.sqlite3")  # the currencies are saved with the account
        assert {b.currency: b.cash for b in await again.fetch_balances(ACCOUNT_ID)} == {k: v.cash for k, v in rows.items()}
        await again.close()

    arun(body())


def test_selling_a_pair_goes_short_the_base_currency_on_the_cash_account(arun, tmp_path):
    async def body():
        broker = await connected(tmp_path / "paper.sqlite3")
        broker.advance_minutes(30)
        [gbpusd] = [i for i in await broker.search_instruments("GBPUSD") if i.symbol == "GBPUSD"]
        placed = await broker.create_order(market(gbpusd, OrderSide.SELL, 700))
        assert placed.status is OrderStatus.FILLED, placed.message
        rows = {b.currency: b.cash for b in await broker.fetch_balances(ACCOUNT_ID)}
        assert rows == {"USD": D(100_000) + 700 * placed.average, "GBP": D(-700)}
        [pos] = await broker.fetch_positions(ACCOUNT_ID)
        assert pos.quantity == -700
        await broker.close()

    arun(body())


def test_an_injected_market_lists_no_pairs_unless_asked(arun, tmp_path):
    async def body():
        from desktop.brokers.paper.market import MarketSimulator

        broker = PaperBroker(tmp_path / "p.sqlite3", autostart=False, market=MarketSimulator.from_resources())
        await broker.connect()
        assert "EURUSD" not in broker.markets.symbols
        await broker.close()

    arun(body())


def test_the_apps_broker_reads_the_rates_after_connecting_and_then_plays_the_pairs(arun, tmp_path, monkeypatch):
    import asyncio

    import desktop.brokers.paper.broker as paper_broker
    from desktop.brokers.paper.fx_market import FxHistory

    monkeypatch.setattr(paper_broker, "FX_LOAD_DELAY", 0.0)
    monkeypatch.setattr(FxHistory, "_shared", None)  # a fresh, unread copy of the rates for this test

    async def body():
        broker = PaperBroker(tmp_path / "paper.sqlite3", autostart=True, tick_seconds=3600)  # the loop stays idle
        await broker.connect()
        fx = broker.markets.fx
        assert not fx.loaded and broker.markets.advance_one_minute() and not any(
            s == "EURUSD" for s, _ in broker.markets.advance_one_minute())  # minutes play on without the pairs
        await broker._fx_loading
        assert fx.loaded
        assert any(s == "EURUSD" for s, _ in broker.markets.advance_one_minute())
        await broker.close()

    arun(body())


def test_a_pair_asked_for_before_the_rates_are_read_reads_them_at_once(arun, tmp_path, monkeypatch):
    from desktop.brokers.paper.fx_market import FxHistory

    monkeypatch.setattr(FxHistory, "_shared", None)

    async def body():
        broker = PaperBroker(tmp_path / "paper.sqlite3", autostart=True, tick_seconds=3600)
        await broker.connect()
        assert not broker.markets.fx.loaded
        bars = await broker.fetch_bars("USDJPY", Interval.D1, limit=3)
        assert len(bars) == 3 and broker.markets.fx.loaded
        await broker.close()

    arun(body())


def test_a_pair_preview_says_its_amount_in_the_quote_currency_and_equity_in_usd(arun, tmp_path):
    async def body():
        broker = await connected(tmp_path / "paper.sqlite3")
        broker.advance_minutes(30)
        [usdjpy] = [i for i in await broker.search_instruments("USDJPY") if i.symbol == "USDJPY"]
        await broker.create_order(market(usdjpy, amount=1_000))  # the account now holds yen (short)
        preview = await broker.preview_order(market(usdjpy, amount=2_000))
        lines = dict(preview.lines)
        assert lines["Amount"].endswith(f"JPY (2,000 USD at {broker.markets.last_price('USDJPY'):,})")
        assert lines["Equity before"].endswith(" USD") and not preview.error
        [bal] = [b for b in await broker.fetch_balances(ACCOUNT_ID) if b.currency == "USD"]
        assert preview.equity_before == bal.net_liquidation
        await broker.close()

    arun(body())
