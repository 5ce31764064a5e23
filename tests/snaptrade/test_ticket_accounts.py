"""The order ticket at an aggregator's accounts that differ, driven through its
widgets: fractional shares only at accounts whose brokerage allows them (SnapTrade's
``allows_fractional_units``); a dollar amount ("Amount in $") only where the account's
capabilities offer notional orders."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QPushButton

from desktop.brokers.capabilities import BrokerCapabilities
from desktop.domain import Account, Instrument, OrderType, TimeInForce
from desktop.ui.ticket import OrderTicket
from desktop.ui.ticket.targets import TicketConnection
from qt_helpers import find

FRACTIONAL = Instrument.equity("AAPL", lot_size=D("0.0001"))
CAPS = BrokerCapabilities(fractional=True, notional=True)
ACCOUNT_CAPS = {"ALP": CAPS, "FID": CAPS.model_copy(update={"fractional": False, "notional": False})}


def snap_connection() -> TicketConnection:
    accounts = tuple(Account(broker="snaptrade", connection_id="snap", account_id=aid, name=name)
                     for aid, name in (("ALP", "Alpaca 123"), ("FID", "Fidelity Z24")))
    return TicketConnection("snap", "SnapTrade", CAPS, accounts=accounts,
                            instrument_for=lambda s: FRACTIONAL if s == "AAPL" else None,
                            account_capabilities=lambda aid: ACCOUNT_CAPS[aid])


@pytest.fixture
def ticket(qtbot):
    t = OrderTicket()
    qtbot.addWidget(t)
    t.set_connections([snap_connection()])
    t.resize(330, 760)
    t.show()
    qtbot.waitExposed(t)
    return t


def choose(qtbot, ticket, account_id):
    ticket.select_account("snap", account_id)
    qtbot.waitUntil(lambda: ticket.current_account() is not None and ticket.current_account().account_id == account_id)


def test_fractional_shares_only_at_accounts_that_allow_them(qtbot, ticket):
    choose(qtbot, ticket, "ALP")
    ticket.prefill(symbol="AAPL", amount="1.5")
    assert ticket.current_request() is not None and ticket.current_request().amount == D("1.5")
    choose(qtbot, ticket, "FID")
    error = find(ticket, QLabel, "quantityError")
    qtbot.waitUntil(lambda: "fractional" in error.text())
    assert error.text() == "This account (Fidelity Z24) does not trade fractional shares: enter a whole number"
    assert ticket.current_request() is None and not find(ticket, QPushButton, "submitButton").isEnabled()
    ticket.prefill(amount="2")
    assert ticket.current_request() is not None and ticket.current_request().amount == 2


def test_amount_in_dollars_only_where_the_account_takes_notional_orders(qtbot, ticket):
    check = find(ticket, QCheckBox, "notionalCheck")
    choose(qtbot, ticket, "ALP")
    ticket.prefill(symbol="AAPL", amount="1")
    assert check.isVisible() and not check.isChecked()
    ticket.type_combo.setCurrentIndex(ticket.type_combo.findData("LIMIT"))
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton)
    assert check.isChecked() and ticket.order_type() is OrderType.MARKET and ticket.time_in_force() is TimeInForce.DAY
    label = ticket.form.labelForField(ticket.boxes["quantity"])
    assert label.text() == "Amount ($)"
    edit = find(ticket, QLineEdit, "quantityEdit")
    edit.selectAll()
    qtbot.keyClicks(edit, "250.50")
    request = ticket.current_request()
    assert request is not None and request.notional == D("250.50") and request.amount is None
    submit = find(ticket, QPushButton, "submitButton")
    assert submit.isEnabled() and submit.text().startswith("Buy $250.50 of AAPL")

    ticket.type_combo.setCurrentIndex(ticket.type_combo.findData("LIMIT"))  # a dollar amount is a market order
    assert ticket.current_request() is None and "choose Market" in find(ticket, QLabel, "typeError").text()
    ticket.type_combo.setCurrentIndex(ticket.type_combo.findData("MARKET"))
    assert ticket.current_request().notional == D("250.50")

    choose(qtbot, ticket, "FID")  # no dollar amounts there: the box goes, the field is shares again
    qtbot.waitUntil(lambda: not check.isVisible())
    assert not check.isChecked() and label.text() == "Quantity"
    assert ticket.current_request() is None  # 250.50 shares: Fidelity takes whole shares only
    edit.selectAll()
    qtbot.keyClicks(edit, "3")
    assert ticket.current_request().amount == 3 and ticket.current_request().notional is None
