"""A failing stream is reported and restarted; a stale session greys its rows; secrets
the session learns go back to the keyring through the connection."""

from __future__ import annotations

import asyncio
import logging

from desktop.brokers import UnavailableError
from desktop.brokers.paper import PaperBroker
from desktop.connections import ConnectionStore
from desktop.desk import Desk, Supervision
from desktop.desk import events as ev
from desktop.domain import ConnectionState, ConnectionStatus
from desktop.security.secrets import SecretStore
from tests.desk.support import wait_for
from tests.memory_keyring import MemoryKeyring


class FlakyQuotes(PaperBroker):
    """Its first quote stream breaks after one quote; later ones work."""

    failures = 1

    async def watch_quotes(self, symbols):
        async for quote in super().watch_quotes(symbols):
            yield quote
            if FlakyQuotes.failures:
                FlakyQuotes.failures -= 1
                raise UnavailableError("quote stream dropped")


def test_a_failing_stream_is_reported_and_restarted(arun, tmp_path, caplog):
    async def scenario():
        desk = Desk(poll_s=30, start_budget_s=2, supervision=Supervision(first_delay=0.01, max_delay=0.01))
        desk.market.set_watchlist(["AAPL"])
        errors = []
        desk.listen(lambda e: e.kind == ev.ERROR and errors.append(e.detail))
        conn = await desk.attach(FlakyQuotes(tmp_path / "p.sqlite3", autostart=False).bind("flaky"), "Flaky")
        await wait_for(lambda: errors)
        assert "quote stream dropped" in errors[0] and errors[0].startswith("Flaky:")
        before = desk.state.quote("flaky", "AAPL")
        conn.broker.advance_minutes(3)
        await wait_for(lambda: desk.state.quote("flaky", "AAPL") is not None
                       and desk.state.quote("flaky", "AAPL") != before)  # the restarted stream delivers
        await desk.shutdown()

    with caplog.at_level(logging.WARNING, logger="desktop.desk.supervisor"):
        arun(scenario(), timeout=30)
    assert any("restarting" in r.getMessage() for r in caplog.records)


class SessionBroker(PaperBroker):
    """Publishes session states the test pushes."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.states: asyncio.Queue = asyncio.Queue()

    async def watch_connection(self):
        while True:
            yield await self.states.get()


def test_a_lost_session_marks_its_rows_stale_until_it_is_back(arun, tmp_path):
    async def scenario():
        desk = Desk(poll_s=30, start_budget_s=2)
        broker = SessionBroker(tmp_path / "s.sqlite3", autostart=False).bind("s")
        await desk.attach(broker)
        await desk.attach(PaperBroker(tmp_path / "o.sqlite3", autostart=False).bind("other"))
        broker.states.put_nowait(ConnectionState(status=ConnectionStatus.RECONNECTING))
        await wait_for(lambda: "s" in desk.state.stale)
        assert "other" not in desk.state.stale
        broker.states.put_nowait(ConnectionState(status=ConnectionStatus.CONNECTED))
        await wait_for(lambda: "s" not in desk.state.stale)
        await desk.shutdown()

    arun(scenario(), timeout=30)


class Registering(PaperBroker):
    """Learns a secret during connect (as SnapTrade's registerUser returns a userSecret)."""

    async def connect(self):
        await super().connect()
        self.save_secret("user_secret", "us-41f0c2d9e8")


def test_a_secret_learnt_during_the_session_goes_to_the_keyring(arun, tmp_path):
    keyring = MemoryKeyring()
    secrets = SecretStore(backend=keyring)
    store = ConnectionStore(tmp_path / "connections.json")
    conn = store.add("paper", "Paper 2", {"account_file": "p2.sqlite3"})

    async def scenario():
        desk = Desk(store, secrets, poll_s=30, start_budget_s=2)
        broker = Registering(tmp_path / "p2.sqlite3", autostart=False)
        broker.bind(conn.id, lambda field, value: desk._save_secret(conn.id, field, value))
        await desk.connect(conn.id, broker)
        await desk.shutdown()

    arun(scenario(), timeout=30)
    assert secrets.get(conn.id, "user_secret") == "us-41f0c2d9e8"
    saved = (tmp_path / "connections.json").read_text()
    assert "us-41f0c2d9e8" not in saved and store.get(conn.id).secrets["user_secret"].startswith("keyring:")
