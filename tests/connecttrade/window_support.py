"""Window helpers of the Connect Trade GUI tests: adapters made by saved connections at
test speed, ``run`` with the window tests' 20 s a step, and driving the order ticket."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton

import qt_helpers
from qt_helpers import WAIT, choose_account, find

run = partial(qt_helpers.run, timeout=WAIT)  # a step against the fake over loopback gets 20 s


def install_fast_connecttrade(monkeypatch) -> type:
    """Make ``desktop.brokers.connecttrade.ConnectTradeBroker`` (what the spec's factory
    builds) poll every 0.2 s, reconnect its stream fast and relax its pacer."""
    import desktop.brokers.connecttrade as ct
    from desktop.brokers.transport import Backoff, Pacer

    class FastConnectTradeBroker(ct.ConnectTradeBroker):
        def __init__(self, *args, **kw) -> None:
            super().__init__(*args, poll_interval=0.2, order_poll=0.2, pacer=Pacer(1000), trade_pacer=Pacer(1000),
                             stream_backoff=Backoff(initial=0.05, maximum=0.5), reconcile_delay=0.05, **kw)

    monkeypatch.setattr(ct, "ConnectTradeBroker", FastConnectTradeBroker)
    return FastConnectTradeBroker


def submit_through_the_ticket(qtbot, window, connection_id, account, search, *, symbol="AAPL", quantity="10",
                              order_type="MARKET", limit=None, expect="Order accepted"):
    """Choose the account, type the order, Submit, confirm; wait for a status starting
    with ``expect``. Returns the status text."""
    ticket = window.ticket
    choose_account(qtbot, ticket, search, f"{window.desk.connection(connection_id).name} · {account}")
    qtbot.waitUntil(lambda: ticket.current_connection_id() == connection_id
                    and ticket.current_account() is not None and ticket.current_account().account_id == account)
    ticket.type_combo.setCurrentIndex(ticket.type_combo.findData(order_type))
    fields = [("symbolEdit", symbol), ("quantityEdit", quantity)] + ([("limitPriceEdit", limit)] if limit else [])
    for name, text in fields:
        edit = find(ticket, QLineEdit, name)
        edit.selectAll()
        qtbot.keyClicks(edit, text)
    submit = find(ticket, QPushButton, "submitButton")
    qtbot.waitUntil(submit.isEnabled, timeout=WAIT)
    qtbot.mouseClick(submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ticket.confirm_dialog is not None and ticket.confirm_dialog.isVisible())
    qtbot.mouseClick(ticket.confirm_dialog.confirm_button, Qt.MouseButton.LeftButton)
    def outcome() -> str:
        rejected = ticket.reject_label.text() if ticket.reject_label.isVisible() else ""
        return rejected or ticket.status_label.text()

    settled = ("Order accepted", "Order rejected", "Not sent")
    try:
        qtbot.waitUntil(lambda: outcome().startswith(settled), timeout=WAIT)
    except Exception:
        raise AssertionError(f"the ticket says {outcome()!r}") from None
    text = outcome()
    assert text.startswith(expect), text
    return text
