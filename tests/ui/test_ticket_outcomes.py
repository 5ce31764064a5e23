"""The ticket's outcomes after Submit, driven through its widgets: each is worded for
what it is, and a retry of the same order keeps its client order id until the broker
answered about it (an edit makes a new one)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from desktop.domain import Order, OrderStatus
from qt_helpers import find
from test_ticket import ticket, type_order  # noqa: F401 - ticket: the fixture typed builds on


@pytest.fixture
def typed(qtbot, ticket):  # noqa: F811 - builds on the imported fixture
    """test_ticket's ticket with "Buy 100 AAPL at market" typed, sending without confirmation."""
    ticket.set_confirm_orders(False)
    type_order(qtbot, ticket, quantity="100")
    return ticket


def submit(qtbot, t):
    with qtbot.waitSignal(t.orderSubmitted, timeout=1000) as sent:
        qtbot.mouseClick(find(t, QPushButton, "submitButton"), Qt.MouseButton.LeftButton)
    return sent.args[0]


def shown(t) -> tuple[str, str]:
    reject = find(t, QLabel, "rejectLabel")
    return find(t, QLabel, "statusLabel").text(), reject.text() if not reject.isHidden() else ""


def order_for(request, status=OrderStatus.ACCEPTED, order_id="42", message=""):
    return Order(broker="paper", connection_id=request.connection_id, account_id=request.account_id, order_id=order_id,
                 instrument=request.instrument, side=request.side, type=request.type, amount=request.amount,
                 status=status, message=message, client_order_id=request.client_order_id)


def test_unconfirmed_is_not_a_rejection_and_the_retry_keeps_the_id(qtbot, typed):
    ticket = typed
    first = submit(qtbot, ticket)
    ticket.order_unconfirmed(first)
    assert shown(ticket) == ("Sent, not confirmed yet: checking…", "")
    assert find(ticket, QLabel, "statusLabel").property("role") == "pending" and not ticket.is_busy()
    assert ticket.retry_request() is first
    assert submit(qtbot, ticket).client_order_id == first.client_order_id
    ticket.order_unconfirmed(first)  # the desk answers a retry while checking with the same check
    ticket.order_not_confirmed(first, "Not placed as far as Desk paper shows: check with the broker first.")
    assert shown(ticket) == ("", "Not placed as far as Desk paper shows: check with the broker first.")
    assert submit(qtbot, ticket).client_order_id == first.client_order_id
    ticket.order_unconfirmed(first)
    ticket.order_confirmed(first, order_for(first))
    assert shown(ticket) == ("Order 42 accepted: Buy 100 AAPL at market, good for the day", "")
    assert ticket.retry_request() is None and submit(qtbot, ticket).client_order_id != first.client_order_id


def test_any_edit_makes_a_new_client_order_id_and_undoing_it_finds_the_old_one(qtbot, typed):
    ticket = typed
    first = submit(qtbot, ticket)
    ticket.order_unconfirmed(first)
    quantity = find(ticket, QLineEdit, "quantityEdit")
    qtbot.keyClicks(quantity, "0")  # 1000
    assert ticket.retry_request() is None
    edited = submit(qtbot, ticket)
    assert edited.client_order_id != first.client_order_id and edited.amount == D(1000)
    ticket.order_accepted(order_for(edited, order_id="43"))
    qtbot.keyClick(quantity, Qt.Key.Key_Backspace)  # back to 100: the unconfirmed order again
    assert submit(qtbot, ticket).client_order_id == first.client_order_id
    ticket.order_unconfirmed(first)
    ticket.order_confirmed(first, order_for(first, status=OrderStatus.REJECTED, message="no buying power"))
    assert shown(ticket)[1] == "Order 42 rejected: no buying power"
    assert submit(qtbot, ticket).client_order_id != first.client_order_id


def test_not_sent_keeps_the_id_and_a_rejection_does_not(qtbot, typed):
    ticket = typed
    first = submit(qtbot, ticket)
    ticket.order_not_sent("Desk paper is not connected. Connect it in File → Connections…")
    assert shown(ticket) == ("", "Not sent: Desk paper is not connected. Connect it in File → Connections…")
    assert not ticket.is_busy()
    second = submit(qtbot, ticket)
    assert second.client_order_id == first.client_order_id
    ticket.order_rejected("insufficient buying power")
    assert shown(ticket) == ("", "Order rejected: insufficient buying power")
    assert submit(qtbot, ticket).client_order_id != first.client_order_id
