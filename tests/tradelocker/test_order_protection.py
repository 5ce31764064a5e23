"""A working TradeLocker order's stop-loss / take-profit changed from the orders
blotter (row menu → "Stop-loss / take-profit…", the dialog, Apply), through the desk
(``Desk.modify_protection``) to the fake server; the row shows the new figures; a
connection that attaches none offers no such action (the paper account)."""

from __future__ import annotations

from decimal import Decimal as D

from PySide6.QtWidgets import QLineEdit, QPushButton

from desktop.domain import OrderType
from qt_helpers import WAIT, choose_account, click, top_level, type_into
from qt_helpers import find as child
from tests.tradelocker.test_window import (  # noqa: F401 - fixtures
    add_tradelocker, cell, fake, fast_tradelocker, menu_action, window,
)

ACCOUNT = "1163012"


def place_limit_with_protection(qtbot, win, cid, price, stop_loss, take_profit):
    ticket = win.ticket
    choose_account(qtbot, ticket, f"TL demo {ACCOUNT}", f"TL demo · {ACCOUNT}")
    qtbot.waitUntil(lambda: ticket.current_connection_id() == cid)
    type_into(qtbot, child(ticket, QLineEdit, "symbolEdit"), "EURUSD")
    ticket._announce_symbol()  # settled, as leaving the field does: looked up at TradeLocker
    qtbot.waitUntil(lambda: ticket.current_instrument() is not None and bool(ticket.current_instrument().broker_id),
                    timeout=WAIT)
    type_into(qtbot, child(ticket, QLineEdit, "quantityEdit"), "0.2")
    ticket.type_combo.setCurrentIndex(ticket.type_combo.findData("LIMIT"))
    type_into(qtbot, child(ticket, QLineEdit, "limitPriceEdit"), str(price))
    box = child(ticket, type(ticket.protection), "protectionBox")
    type_into(qtbot, child(box, QLineEdit, "stopLossEdit"), str(stop_loss))
    type_into(qtbot, child(box, QLineEdit, "takeProfitEdit"), str(take_profit))
    submit = child(ticket, QPushButton, "submitButton")
    qtbot.waitUntil(submit.isEnabled, timeout=WAIT)
    click(qtbot, submit)
    qtbot.waitUntil(lambda: ticket.confirm_dialog is not None and ticket.confirm_dialog.isVisible())
    click(qtbot, ticket.confirm_dialog.confirm_button)
    qtbot.waitUntil(lambda: ticket.status_label.text().startswith("Order accepted"), timeout=WAIT)


def test_a_working_orders_take_profit_is_changed_from_the_blotter(qtbot, qloop, fake, window, memory_keyring,
                                                                   fast_tradelocker):
    win = window
    cid = add_tradelocker(qtbot, win, fake)
    quote = fake.market.quote("EURUSD")
    price = (quote.bid - D("0.0200")).quantize(D("0.00001"))  # 200 pips under: stays working
    sl, tp = price - D("0.0050"), price + D("0.0100")
    place_limit_with_protection(qtbot, win, cid, price, sl, tp)
    orders = win.orders

    def working():
        return [o for o in orders.model.rows() if o.connection_id == cid and o.type is OrderType.LIMIT
                and o.is_open and o.limit_price == price]

    qtbot.waitUntil(lambda: len(working()) == 1 and working()[0].take_profit == tp, timeout=WAIT)
    order = working()[0]
    action = menu_action(orders, order, "protectOrderAction")
    assert action.isEnabled()
    action.trigger()
    qtbot.waitUntil(lambda: top_level("protectionDialog") is not None)
    dialog = top_level("protectionDialog")
    assert dialog.windowTitle() == f"Stop-loss / take-profit of order {order.order_id}"
    new_tp = tp + D("0.0020")
    type_into(qtbot, child(dialog, QLineEdit, "positionTakeProfitEdit"), str(sl - D("0.0001")))
    assert child(dialog, QPushButton, "applyProtectionButton").isEnabled() is False  # under the stop-loss of a buy
    assert "must be below the take-profit of a buy order" in dialog.error.text()
    type_into(qtbot, child(dialog, QLineEdit, "positionTakeProfitEdit"), str(new_tp))
    click(qtbot, child(dialog, QPushButton, "applyProtectionButton"))
    qtbot.waitUntil(lambda: working() and working()[0].take_profit == new_tp, timeout=WAIT)
    assert working()[0].stop_loss == sl
    assert cell(orders, working()[0], "sl_tp") == f"SL {sl} · TP {new_tp}"
    assert not win.orders.offers_protection("paper")  # the paper broker attaches none: no such action on its rows
