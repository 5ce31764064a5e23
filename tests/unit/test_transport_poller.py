"""ChangePoller: publish only new or changed items by key; an unreadable item is logged
and skipped; a failing poll is logged and the loop goes on."""

from __future__ import annotations

import asyncio
import logging

from desktop.brokers.errors import UnavailableError
from desktop.brokers.streams import Topic
from desktop.brokers.transport import ChangePoller


def _parse(row: dict) -> tuple[str, str]:
    return str(row["id"]), row["status"].upper()  # KeyError/AttributeError for a bad row


def test_publishes_only_changes_skips_bad_rows_and_survives_failures(arun, caplog):
    rounds = [
        [{"id": 1, "status": "open"}, {"id": 2, "status": "open"}],
        UnavailableError("HTTP 503"),
        [{"id": 1, "status": "open"}, {"id": 2, "status": "filled"}, {"id": 3}, {"id": 4, "status": None}],
        RuntimeError("unexpected shape"),
        [{"id": 1, "status": "cancelled"}],
    ]

    async def fetch():
        answer = rounds.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def main():
        topic: Topic[tuple[str, str]] = Topic()
        done = asyncio.Event()

        async def sleep(_seconds):  # one round per sleep; stop when the script is used up
            if not rounds:
                done.set()
                await asyncio.Event().wait()
            await asyncio.sleep(0)

        poller = ChangePoller(fetch, topic, key=lambda item: item[0], parse=_parse, interval=15, name="test poller",
                              sleep=sleep)
        received = []

        async def consume():
            async for item in topic.subscribe():
                received.append(item)

        consumer = asyncio.ensure_future(consume())
        await asyncio.sleep(0)
        with caplog.at_level(logging.INFO, logger="desktop.brokers.transport.poller"):
            loop = asyncio.ensure_future(poller.run())
            await asyncio.wait_for(done.wait(), 2)
            await asyncio.sleep(0)
        loop.cancel()
        topic.close()
        await asyncio.gather(loop, consumer, return_exceptions=True)
        return received, poller.rounds, dict(poller.latest)

    received, rounds_run, latest = arun(main())
    assert received == [("1", "OPEN"), ("2", "OPEN"), ("2", "FILLED"), ("1", "CANCELLED")]
    assert rounds_run == 5 and latest == {"1": ("1", "CANCELLED"), "2": ("2", "FILLED")}
    assert caplog.text.count("skipped an unreadable item") == 2
    assert "HTTP 503" in caplog.text and "unexpected shape" in caplog.text
