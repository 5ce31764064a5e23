"""The SnapTrade connection form's brokerage tools, driven through the dialog
against the fake over loopback: "Upgrade to trading…" (choose a read-only
connection, reconnect it with connectionType=trade in the browser) and "Remove
brokerage…" (choose one, confirm, DELETE /connection/{id}); and the tools' message
line is shown whole, however long (it was cut off by the form row)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from qt_helpers import Answers, find, open_connection_form, tool, type_into
from tests.fakes.snaptrade import running_snaptrade

from .test_window import run

USER = "desk-user-1"


@pytest.fixture
def form(qtbot, tmp_path, monkeypatch, memory_keyring):
    monkeypatch.setenv("TRADEDESK_HOME", str(tmp_path / "home"))
    return open_connection_form(qtbot, "snaptrade")


def fill(qtbot, form, fake):
    type_into(qtbot, find(form, QLineEdit, "field_client_id"), fake.state.client_id)
    type_into(qtbot, find(form, QLineEdit, "field_consumer_key"), fake.state.consumer_key)
    type_into(qtbot, find(form, QLineEdit, "field_user_id"), USER)
    type_into(qtbot, find(form, QLineEdit, "field_base_url"), fake.base_url)


def test_upgrade_and_remove_choose_a_brokerage_connection(qtbot, qloop, tmp_path, form, browser, monkeypatch):
    cm = running_snaptrade(tmp_path / "snaptrade")
    fake = run(qtbot, qloop, cm.__aenter__())
    try:
        answers = Answers(monkeypatch)
        fill(qtbot, form, fake)
        said = tool(qtbot, form, "linkBrokerage", "Connection Portal")  # registers the user
        assert "Registered the SnapTrade user" in said
        fake.link(USER, "ALPACA", "trade")
        schwab = fake.link(USER, "SCHWAB", "read")
        fake.link(USER, "FIDELITY", "read")  # read-only brokerage: cannot be upgraded

        answers.pick = lambda labels: next(label for label in labels if "Schwab" in label)
        said = tool(qtbot, form, "upgradeTrading", "with trading access in your browser")
        assert answers.offered[-1] == ["Charles Schwab (read-only)"]  # Fidelity's brokerage does not trade
        assert "Reconnect Charles Schwab" in said and browser.urls[-1].startswith(fake.base_url + "/portal/")
        login = [r.body for r in fake.requests if r.path == "/snapTrade/login"][-1]
        assert login == {"connectionType": "trade", "reconnect": schwab}

        answers.pick = lambda labels: next(label for label in labels if label.startswith("Alpaca"))
        answers.yes = False
        said = tool(qtbot, form, "removeBrokerage", "not done")
        assert "Remove Alpaca (trade) from SnapTrade?" in answers.asked[-1]
        assert not [r for r in fake.requests if r.method == "DELETE"]
        answers.yes = True
        said = tool(qtbot, form, "removeBrokerage", "Removed Alpaca")
        deletes = [r.path for r in fake.requests if r.method == "DELETE"]
        assert len(deletes) == 1 and deletes[0].startswith("/connection/")
        assert "ALPACA" not in {a.brokerage.slug for a in fake.state.authorizations.values()}
        assert sorted(answers.offered[-1]) == sorted(["Alpaca (trade)", "Charles Schwab (read-only)",
                                                      "Fidelity (read-only)"])

        answers.pick = lambda labels: None  # cancelled: nothing happens
        said = tool(qtbot, form, "removeBrokerage", "not done")
        assert len([r for r in fake.requests if r.method == "DELETE"]) == 1
    finally:
        run(qtbot, qloop, cm.__aexit__(None, None, None))


def test_a_long_tool_message_is_shown_whole(qtbot, form):
    tools = form.tools
    label = find(form, QLabel, "toolsStateLabel")
    text = " ".join(["SnapTrade says something rather long about the brokerage connections here."] * 6)
    tools.say(text)
    buttons = find(form, QPushButton, "saveButton")

    def whole() -> bool:
        bottom = label.mapTo(form, label.rect().bottomLeft()).y()
        return (label.height() >= label.heightForWidth(label.width())
                and bottom < buttons.mapTo(form, buttons.rect().topLeft()).y()
                and tools.height() >= tools.minimumHeight())

    qtbot.waitUntil(whole)
    assert label.text() == text
