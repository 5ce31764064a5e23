"""The ticket's quantity for the paper broker's currency pairs (issue 14, pytest-qt,
offscreen, through the widgets): a pair starts at 10,000 units of its base currency
(0.1 standard lot, "EUR = 0.1 lot" beside the field) instead of the share default of
100; back on a share the default is 100 again; an amount the trader typed stays; the
lot figure follows what is typed; the order sent is for the units shown."""

from __future__ import annotations

from decimal import Decimal as D

from PySide6.QtWidgets import QLabel, QLineEdit

from qt_helpers import find
from test_fx_blotters import WAIT, choose, trade, type_quantity, window  # noqa: F401  (the fixture)


def test_a_pair_starts_at_ten_thousand_units_and_shows_the_lots(qtbot, window):
    ticket = window.ticket
    quantity = find(ticket, QLineEdit, "quantityEdit")
    lots = find(ticket, QLabel, "multiplierLabel")
    assert quantity.text() == "100" and not lots.isVisible()  # AAPL, the share default

    choose(qtbot, ticket, "EURUSD")
    assert quantity.text() == "10000" and quantity.placeholderText() == "EUR amount"
    assert lots.isVisible() and lots.text() == "EUR = 0.1 lot"
    assert "100,000 EUR" in lots.toolTip()

    choose(qtbot, ticket, "AAPL")  # back to a share: its own default, no lots
    assert quantity.text() == "100" and not lots.isVisible()

    choose(qtbot, ticket, "EURUSD")
    type_quantity(qtbot, ticket, "250000")
    assert lots.text() == "EUR = 2.5 lots"
    type_quantity(qtbot, ticket, "100000")
    assert lots.text() == "EUR = 1 lot"
    type_quantity(qtbot, ticket, "abc")
    assert lots.text() == "EUR"
    type_quantity(qtbot, ticket, "25000")
    choose(qtbot, ticket, "USDJPY")  # typed by the trader: kept, counted in the new base currency
    assert quantity.text() == "25000" and lots.text() == "USD = 0.25 lot"
    choose(qtbot, ticket, "AAPL")
    assert quantity.text() == "25000" and not lots.isVisible()


def test_a_watchlist_click_on_a_pair_prefills_ten_thousand_and_buys_them(qtbot, window):
    ticket = window.ticket
    ticket.prefill(symbol="GBPUSD")  # what a watchlist or chart click does
    qtbot.waitUntil(lambda: ticket.current_instrument() is not None and ticket.current_instrument().symbol == "GBPUSD",
                    timeout=WAIT)
    assert find(ticket, QLineEdit, "quantityEdit").text() == "10000"
    assert find(ticket, QLabel, "multiplierLabel").text() == "GBP = 0.1 lot"
    trade(qtbot, window, "GBPUSD", "buy", None)
    qtbot.waitUntil(lambda: any(p.symbol == "GBPUSD" for p in window.positions.model.rows()), timeout=WAIT)
    position = next(p for p in window.positions.model.rows() if p.symbol == "GBPUSD")
    assert position.quantity == D(10000)


def test_sell_more_of_a_short_pair_prefills_ten_thousand_not_the_share_default(qtbot, window):
    trade(qtbot, window, "USDJPY", "sell", "5000")
    positions, ticket = window.positions, window.ticket
    qtbot.waitUntil(lambda: any(p.symbol == "USDJPY" for p in positions.model.rows()), timeout=WAIT)
    choose(qtbot, ticket, "AAPL")
    row = next(r for r in range(positions.proxy.rowCount())
               if positions.row_for(positions.proxy.index(r, 0)).symbol == "USDJPY")
    menu = positions.build_context_menu(positions.proxy.index(row, 0))
    add = next(a for a in menu.actions() if a.objectName() == "addToPositionAction")
    assert add.text() == "Sell more USDJPY"
    add.trigger()
    qtbot.waitUntil(lambda: ticket.current_request() is not None and ticket.current_request().symbol == "USDJPY",
                    timeout=WAIT)
    request = ticket.current_request()
    assert (request.symbol, request.amount) == ("USDJPY", D(10000))
    assert find(ticket, QLabel, "multiplierLabel").text() == "USD = 0.1 lot"
