"""The ticket warns when TradeLocker says the instrument's market is closed (issue 14,
its session status), through the widgets against the fake (pytest-qt, offscreen)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit

from desktop.domain import MarketSession
from desktop.ui.ticket.market_session import closed_text
from qt_helpers import WAIT, choose_account, type_into
from qt_helpers import find as child
from tests.tradelocker.test_window import ACCOUNT, add_tradelocker, fake, fast_tradelocker, window  # noqa: F401 (fixtures)


def enter_symbol(qtbot, ticket, symbol):
    edit = child(ticket, QLineEdit, "symbolEdit")
    type_into(qtbot, edit, symbol)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_a_closed_tradelocker_session_is_said_under_the_quote_and_in_the_confirmation(
        qtbot, window, fake, fast_tradelocker, memory_keyring):
    cid = add_tradelocker(qtbot, window, fake)
    ticket = window.ticket
    note = child(ticket, QLabel, "marketSessionNote")
    choose_account(qtbot, ticket, f"TL demo {ACCOUNT}", f"TL demo · {ACCOUNT}")
    qtbot.waitUntil(lambda: ticket.current_connection_id() == cid)

    enter_symbol(qtbot, ticket, "EURUSD")  # open: nothing said
    qtbot.waitUntil(lambda: ticket.market_session() is not None, timeout=WAIT)
    assert ticket.market_session().is_open and not note.isVisible()

    fake.market_closed = True
    enter_symbol(qtbot, ticket, "GBPUSD")
    qtbot.waitUntil(lambda: ticket.market_session() is not None and ticket.market_session().symbol == "GBPUSD",
                    timeout=WAIT)
    qtbot.waitUntil(note.isVisible)
    assert note.text() == "Market closed for GBPUSD: it takes limit and stop orders now"
    qtbot.waitUntil(lambda: ticket.current_request() is not None, timeout=WAIT)
    assert [w.text for w in ticket.warnings() if w.kind == "session"] == [note.text()]

    choose_account(qtbot, ticket, "Paper", "Paper")  # the paper broker says nothing: the note goes
    qtbot.waitUntil(lambda: ticket.current_connection_id() == "paper")
    qtbot.waitUntil(lambda: not note.isVisible())


def test_closed_text_names_the_session_and_what_it_takes():
    s = MarketSession(symbol="US30", is_open=False, name="Pre-market", order_types=("LIMIT",))
    assert closed_text(s) == "Market closed for US30 (session “Pre-market”): it takes limit orders now"
    assert closed_text(s.model_copy(update={"order_types": ()})).endswith("orders are not accepted until it opens")
    assert closed_text(s.model_copy(update={"is_open": True})) == ""
