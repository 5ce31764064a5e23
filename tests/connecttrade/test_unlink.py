"""Unlinking a Connect Trade brokerage: the connection form's "Unlink brokerage…"
lists the user's linked brokerages (GET /connections), asks first, then sends DELETE
/connections/{id}; and a connected desk drops the unlinked brokerage's accounts at its
next account refresh, without a reconnect. Against the fake over loopback."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtWidgets import QLineEdit

from desktop.desk import Desk
from qt_helpers import Answers, find, open_connection_form, tool, type_into
from tests.fakes.connecttrade import CREDENTIALS, READONLY_ACCOUNT, TRADING_ACCOUNT, running_connecttrade

from .support import adapter_for
from .window_support import run


@pytest.fixture
def form(qtbot, tmp_path, monkeypatch, memory_keyring):
    monkeypatch.setenv("TRADEDESK_HOME", str(tmp_path / "home"))
    return open_connection_form(qtbot, "connecttrade")


def test_unlink_chooses_a_linked_brokerage_asks_then_deletes_it(qtbot, qloop, tmp_path, form, monkeypatch):
    cm = running_connecttrade(tmp_path / "ct", pacing=False)
    fake = run(qtbot, qloop, cm.__aenter__())
    try:
        answers = Answers(monkeypatch)
        type_into(qtbot, find(form, QLineEdit, "field_base_url"), fake.base_url)
        for field in ("client_id", "client_secret", "user_id", "user_secret"):
            type_into(qtbot, find(form, QLineEdit, f"field_{field}"), CREDENTIALS[field.replace("_", "-")])

        answers.pick = lambda labels: next(label for label in labels if "(readonly)" in label)
        answers.yes = False
        tool(qtbot, form, "connectTradeUnlink", "Unlink brokerage: not done")  # answered no
        assert sorted(answers.offered[-1]) == sorted([
            f"{TRADING_ACCOUNT.institution_name} (trade): {TRADING_ACCOUNT.account_number}",
            f"{READONLY_ACCOUNT.institution_name} (readonly): {READONLY_ACCOUNT.account_number}"])
        assert "Orders already working there are not cancelled" in answers.asked[-1]
        assert {a.account_id for a in fake.accounts} == {TRADING_ACCOUNT.account_id, READONLY_ACCOUNT.account_id}

        answers.yes = True
        said = tool(qtbot, form, "connectTradeUnlink", "revoked")
        assert READONLY_ACCOUNT.connection_id in said
        assert {a.account_id for a in fake.accounts} == {TRADING_ACCOUNT.account_id}
    finally:
        run(qtbot, qloop, cm.__aexit__(None, None, None))


def test_a_connected_desk_drops_the_unlinked_brokerages_accounts(tmp_path, arun):
    async def scenario():
        async with running_connecttrade(tmp_path, pacing=False) as ct:
            desk = Desk(poll_s=30, start_budget_s=2)
            broker = adapter_for(ct)
            conn = await desk.attach(broker, "Connect Trade")
            try:
                ids = lambda: {a.account_id for a in desk.state.accounts_of(conn.id)}  # noqa: E731
                assert ids() == {TRADING_ACCOUNT.account_id, READONLY_ACCOUNT.account_id}
                assert broker.capabilities.accounts_poll_interval == pytest.approx(0.25)  # 5 × the test poll
                await broker.unlink(READONLY_ACCOUNT.connection_id)
                for _ in range(200):
                    if ids() == {TRADING_ACCOUNT.account_id}:
                        break
                    await asyncio.sleep(0.02)
                assert ids() == {TRADING_ACCOUNT.account_id}
                assert not [p for p in desk.state.positions.values() if p.account_id == READONLY_ACCOUNT.account_id]
            finally:
                await desk.shutdown()
    arun(scenario())
