"""Market-data sources: one connection per symbol, the ticket's connection first, a
user's choice first of all, and the next live one when a source goes away."""

from __future__ import annotations

import asyncio

from desktop.brokers.paper import PaperBroker
from desktop.desk import Desk


def wait_for(predicate, timeout=5.0):
    async def waiter():
        while not predicate():
            await asyncio.sleep(0.01)
    return asyncio.wait_for(waiter(), timeout)


async def two_papers(tmp_path):
    desk = Desk(poll_s=30, start_budget_s=2)
    desk.market.set_watchlist(["AAPL", "MSFT"])
    a = await desk.attach(PaperBroker(tmp_path / "a.sqlite3", autostart=False).bind("a"), "Paper A")
    b = await desk.attach(PaperBroker(tmp_path / "b.sqlite3", autostart=False).bind("b"), "Paper B")
    return desk, a, b


def test_the_watchlist_streams_from_one_source_per_symbol(arun, tmp_path):
    async def scenario():
        desk, a, b = await two_papers(tmp_path)
        assert desk.market.source_for("AAPL").id == "a"  # the first live connection that serves quotes
        assert desk.market.symbols_for("a") == ["AAPL", "MSFT"] and desk.market.symbols_for("b") == []
        a.broker.advance_minutes(1)
        b.broker.advance_minutes(1)
        await wait_for(lambda: desk.state.quote("a", "AAPL") is not None)
        assert desk.state.quote("b", "AAPL") is None  # b streams nothing it is not asked for

        desk.market.set_focus("b")  # the ticket's account is at b: b serves the watchlist now
        assert desk.market.source_for("AAPL").id == "b"
        b.broker.advance_minutes(1)
        await wait_for(lambda: desk.state.quote("b", "AAPL") is not None)

        desk.market.choose("a")  # the user's pick beats the ticket's connection
        assert desk.market.source_for("MSFT").id == "a" and desk.market.symbols_for("b") == []

        await desk.disconnect("a")  # the chosen source goes away: the next live one serves
        assert desk.market.source_for("AAPL").id == "b"
        assert desk.market.symbols_for("b") == ["AAPL", "MSFT"]
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_a_connection_streams_what_it_holds_and_what_is_asked_of_it(arun, tmp_path):
    async def scenario():
        desk, a, b = await two_papers(tmp_path)
        desk.market.want("ticket", "b", ["IBM"])
        assert desk.market.symbols_for("b") == ["IBM"]
        b.broker.advance_minutes(1)
        await wait_for(lambda: desk.state.quote("b", "IBM") is not None)
        assert desk.market.source("bars").id == "a"
        assert [c.id for c in desk.market.candidates("bars")] == ["a", "b"]
        await desk.shutdown()

    arun(scenario(), timeout=30)
