"""Quotes and bars on the INFO route (NOTES.md section 5): mid as last, history in
milliseconds paged within QUOTES_HISTORY_BARS, ``no_data`` as no bars, the watches
ending at close()."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from desktop.domain import Interval

from .conftest import connected


def test_quote_is_read_on_the_info_route(arun):
    async def scenario():
        async with connected() as (fake, broker, _s):
            quote = await broker.fetch_quote("AAPL")
            return fake, quote, fake.market.quote("AAPL"), broker.catalog.listed("AAPL")

    fake, quote, truth, listed = arun(scenario())
    assert (quote.bid, quote.ask) == (truth.bid, truth.ask)
    assert quote.last == ((truth.bid + truth.ask) / 2).quantize(quote.last)
    assert quote.connection_id == "tl-1"
    assert abs((quote.timestamp - fake.market.clock.now).total_seconds()) < 2  # the server's time (Date header)
    sent = [r for r in fake.requests if r.path == "/trade/quotes"]
    assert sent[-1].query["routeId"] == listed.info_route and sent[-1].query["tradableInstrumentId"] == listed.tid


def test_history_is_paged_within_the_bars_limit(arun):
    async def scenario():
        async with connected({"history_bars": 100}, minutes=200) as (fake, broker, _s):
            start = fake.market.clock.now - timedelta(minutes=250)
            bars = await broker.fetch_bars("AAPL", Interval.M1, start=start)
            truth = fake.market.fetch_bars("AAPL", Interval.M1, start=start)
            pages = [r for r in fake.requests if r.path == "/trade/history"]
            refused = [r for r in pages if (int(r.query["to"]) - int(r.query["from"])) / 60000 > 100]
            empty = await broker.fetch_bars("AAPL", Interval.M1, start=fake.market.clock.now + timedelta(days=1),
                                            end=fake.market.clock.now + timedelta(days=2))
            return bars, truth, pages, refused, empty

    bars, truth, pages, refused, empty = arun(scenario(), 20)
    assert len(pages) >= 3 and not refused
    assert [(b.start, b.close) for b in bars] == [(b.start, b.close) for b in truth] and len(bars) == 200
    assert empty == []


def test_watches_end_at_close(arun):
    async def scenario():
        async with connected() as (fake, broker, _s):
            seen: dict[str, list] = {"quotes": [], "bars": []}
            got = {k: asyncio.Event() for k in seen}

            async def pump(name, iterator):
                async for item in iterator:
                    seen[name].append(item)
                    got[name].set()
                return "finished"

            tasks = [asyncio.ensure_future(pump("quotes", broker.watch_quotes(["AAPL"]))),
                     asyncio.ensure_future(pump("bars", broker.watch_bars("AAPL", Interval.M1)))]
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in got.values())), 5)
            await broker.close()
            done = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5)
            return seen, done

    seen, done = arun(scenario())
    assert seen["quotes"][0].symbol == seen["bars"][0].symbol == "AAPL"
    assert done == ["finished", "finished"]


def test_session_status_from_the_instrument_details(arun):
    from desktop.domain import OrderType

    async def scenario():
        async with connected() as (fake, broker, _s):
            return await broker.fetch_session_status("AAPL"), broker.catalog.listed("AAPL").details

    status, details = arun(scenario())
    assert status.is_open and status.name == "Open"
    assert status.order_types == {OrderType.MARKET, OrderType.LIMIT, OrderType.STOP}
    assert details["lotSize"] == "1" and details["tradeSessionStatusId"] == 71
