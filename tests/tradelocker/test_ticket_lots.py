"""The ticket's default quantity for an instrument counted in lots (TradeLocker) is the
instrument's smallest order, never the share default: 100 lots of EURUSD would be
10 million euros. Through the widgets against the fake (pytest-qt, offscreen)."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import QLineEdit

from qt_helpers import WAIT, choose_account, type_into
from qt_helpers import find as child
from tests.tradelocker.test_ticket_session import enter_symbol
from tests.tradelocker.test_window import ACCOUNT, add_tradelocker, fake, fast_tradelocker, window  # noqa: F401 (fixtures)


def test_a_lot_counted_instrument_starts_at_its_smallest_order(qtbot, window, fake, fast_tradelocker, memory_keyring):
    cid = add_tradelocker(qtbot, window, fake)
    ticket = window.ticket
    quantity = child(ticket, QLineEdit, "quantityEdit")
    choose_account(qtbot, ticket, f"TL demo {ACCOUNT}", f"TL demo · {ACCOUNT}")
    qtbot.waitUntil(lambda: ticket.current_connection_id() == cid)

    enter_symbol(qtbot, ticket, "EURUSD")
    qtbot.waitUntil(lambda: (inst := ticket.current_instrument()) is not None and inst.symbol == "EURUSD"
                    and inst.unit.value == "LOTS", timeout=WAIT)
    inst = ticket.current_instrument()
    smallest = inst.min_amount or inst.lot_size
    assert smallest < 1
    qtbot.waitUntil(lambda: Decimal(quantity.text()) == smallest, timeout=WAIT)

    type_into(qtbot, quantity, "0.5")  # typed by the trader: kept on another lot instrument
    enter_symbol(qtbot, ticket, "GBPUSD")
    qtbot.waitUntil(lambda: ticket.current_instrument() is not None and ticket.current_instrument().symbol == "GBPUSD",
                    timeout=WAIT)
    assert quantity.text() == "0.5"

    choose_account(qtbot, ticket, "Paper", "Paper")  # a share at paper: back to the share default
    qtbot.waitUntil(lambda: ticket.current_connection_id() == "paper")
    enter_symbol(qtbot, ticket, "AAPL")
    qtbot.waitUntil(lambda: ticket.current_instrument() is not None and ticket.current_instrument().symbol == "AAPL",
                    timeout=WAIT)
    assert quantity.text() == "0.5"  # still the trader's own number

    choose_account(qtbot, ticket, f"TL demo {ACCOUNT}", f"TL demo · {ACCOUNT}")
    qtbot.waitUntil(lambda: ticket.current_connection_id() == cid)
    enter_symbol(qtbot, ticket, "USDJPY")
    qtbot.waitUntil(lambda: ticket.current_instrument() is not None and ticket.current_instrument().symbol == "USDJPY",
                    timeout=WAIT)
    type_into(qtbot, quantity, str(ticket.current_instrument().min_amount or ticket.current_instrument().lot_size))
    choose_account(qtbot, ticket, "Paper", "Paper")
    enter_symbol(qtbot, ticket, "MSFT")  # the quantity was the lot default: it becomes the share default
    qtbot.waitUntil(lambda: ticket.current_instrument() is not None and ticket.current_instrument().symbol == "MSFT",
                    timeout=WAIT)
    qtbot.waitUntil(lambda: quantity.text() == "100", timeout=WAIT)
