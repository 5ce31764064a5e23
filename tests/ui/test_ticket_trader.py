"""The order ticket as a trader meets it (issue: trader-grade ticket): a new instrument
never inherits the old one's prices or quantity, an outcome belongs to its order and
never moves Submit, the confirmation warns in words and shows the ticket's one cost
figure, a connection that is down sends nothing, Enter submits, and messages are in a
trader's words. Driven through the widgets (clicks and keys) where a trader would."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton

from desktop.brokers.capabilities import BrokerCapabilities
from desktop.domain import Account, Balance, Instrument, OptionAction, Order, OrderStatus, OrderType, Quote
from desktop.domain.occ import parse_occ
from desktop.ui.display_clock import DISPLAY_CLOCK
from desktop.ui.ticket import OrderTicket
from desktop.ui.ticket.targets import TicketConnection
from desktop.ui.ticket.words import trader_words, unreachable_words
from qt_helpers import find

CONN = "desk-paper"
OCC = "AAPL  130315C00450000"
INSTRUMENTS = {"AAPL": Instrument.equity("AAPL"), "MSFT": Instrument.equity("MSFT"), "IBM": Instrument.equity("IBM")}
ACCOUNT = Account(broker="paper", connection_id=CONN, account_id="DU111", name="Paper", is_paper=True)


def lookup(symbol: str):
    if symbol.replace(" ", "") == OCC.replace(" ", ""):
        return Instrument.for_option(parse_occ(OCC))
    return INSTRUMENTS.get(symbol)


def connection(**kw) -> TicketConnection:
    caps = kw.pop("caps", BrokerCapabilities(options=True))
    return TicketConnection(CONN, "Desk paper", caps, accounts=(ACCOUNT,), instrument_for=lookup,
                            commission_for=lambda request, price: D("1.00"), **kw)


def quote(symbol: str, last: str, bid: str, ask: str, age_s: float = 0) -> Quote:
    return Quote(symbol=symbol, connection_id=CONN, last=D(last), bid=D(bid), ask=D(ask),
                 timestamp=datetime.now(timezone.utc) - timedelta(seconds=age_s))


@pytest.fixture
def ticket(qtbot):
    t = OrderTicket()
    qtbot.addWidget(t)
    t.set_connections([connection()])
    t.set_symbols(INSTRUMENTS)
    t.resize(330, 640)
    t.show()
    qtbot.waitExposed(t)
    yield t
    DISPLAY_CLOCK.reset()


def edit(t, name: str) -> QLineEdit:
    return find(t, QLineEdit, name)


def submit_button(t) -> QPushButton:
    return find(t, QPushButton, "submitButton")


def retype(qtbot, field: QLineEdit, text: str) -> None:
    field.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_Delete)
    qtbot.keyClicks(field, text)


def limit_order(qtbot, t, symbol: str, price: str) -> None:
    t.prefill(symbol=symbol)
    t.set_quote(quote(symbol, "30", "29.90", "30.10"))
    t.select(t.type_combo, OrderType.LIMIT)
    retype(qtbot, edit(t, "limitPriceEdit"), price)


# ------------------------------------------------ a new instrument starts afresh
def test_another_instrument_resets_the_limit_price_to_its_own_market(qtbot, ticket):
    limit_order(qtbot, ticket, "MSFT", "31.50")
    assert submit_button(ticket).text() == "Buy 100 MSFT @ 31.50"
    ticket.prefill(symbol="IBM")  # a watchlist click on IBM
    assert edit(ticket, "limitPriceEdit").text() == ""  # never "Buy 100 IBM @ 31.50"
    assert not submit_button(ticket).isEnabled()
    ticket.set_quote(quote("IBM", "190", "189.95", "190.05"))  # its first quote: the ask, to buy
    assert edit(ticket, "limitPriceEdit").text() == "190.05"
    assert submit_button(ticket).text() == "Buy 100 IBM @ 190.05"
    qtbot.mouseClick(find(ticket, QPushButton, "sellButton"), Qt.MouseButton.LeftButton)
    assert edit(ticket, "limitPriceEdit").text() == "189.95"  # the market's price follows the side
    ticket.set_quote(quote("IBM", "191", "190.95", "191.05"))  # later quotes leave the price alone
    assert edit(ticket, "limitPriceEdit").text() == "189.95"


def test_a_price_the_trader_typed_is_kept_for_the_same_instrument(qtbot, ticket):
    limit_order(qtbot, ticket, "MSFT", "31.50")
    ticket.prefill(symbol="MSFT")  # a second click on its row
    assert edit(ticket, "limitPriceEdit").text() == "31.50"


def test_after_an_option_a_stock_gets_a_stock_quantity_and_no_option_price(qtbot, ticket):
    ticket.set_default_quantities(100, 1)
    ticket.prefill(symbol=OCC, action=OptionAction.BUY_TO_OPEN, order_type=OrderType.LIMIT, limit_price="3.50")
    assert edit(ticket, "quantityEdit").text() == "1" and edit(ticket, "limitPriceEdit").text() == "3.50"
    ticket.prefill(symbol="AAPL")  # a watchlist click after the option ticket
    assert edit(ticket, "quantityEdit").text() == "100"
    assert edit(ticket, "limitPriceEdit").text() == ""
    assert "3.50" not in submit_button(ticket).text()


def test_a_stock_quantity_does_not_become_a_contract_count(qtbot, ticket):
    ticket.set_default_quantities(50, 2)
    ticket.prefill(symbol="MSFT")
    retype(qtbot, edit(ticket, "quantityEdit"), "700")
    ticket.prefill(symbol=OCC)  # a chain click
    assert edit(ticket, "quantityEdit").text() == "2"


# --------------------------------------------- an outcome belongs to its order
def settled_top(widget, ticket) -> int:
    """``widget``'s top in ``ticket`` once the pending layout requests have run (a label
    that wraps takes a second pass: its height follows its width)."""
    tops = []
    while len(tops) < 2 or tops[-1] != tops[-2]:
        assert len(tops) < 10, tops
        QApplication.processEvents()
        tops.append(widget.mapTo(ticket, widget.rect().topLeft()).y())
    return tops[-1]


def test_a_rejection_goes_when_the_ticket_is_edited_and_never_moves_submit(qtbot, ticket):
    ticket.set_confirm_orders(False)
    ticket.prefill(symbol="AAPL", amount=100)
    ticket.set_quote(quote("AAPL", "500", "499.9", "500.1"))
    button = submit_button(ticket)
    top = settled_top(button, ticket)
    with qtbot.waitSignal(ticket.orderSubmitted, timeout=1000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    ticket.order_rejected("insufficient buying power: needs $52,510.50, has $10,000.00")
    reject = find(ticket, QLabel, "rejectLabel")
    assert not reject.isHidden() and reject.text().startswith("Order rejected: insufficient buying power")
    assert settled_top(button, ticket) == top  # the message is under Submit
    assert settled_top(reject, ticket) > top
    retype(qtbot, edit(ticket, "quantityEdit"), "10")  # a new order: the old message is not about it
    assert reject.isHidden() and ticket.result_text() == ""
    assert settled_top(button, ticket) == top


def test_an_acceptance_goes_with_the_next_instrument(qtbot, ticket):
    ticket.set_confirm_orders(False)
    ticket.prefill(symbol="AAPL", amount=5)
    ticket.set_quote(quote("AAPL", "500", "499.9", "500.1"))
    with qtbot.waitSignal(ticket.orderSubmitted, timeout=1000) as sent:
        qtbot.mouseClick(submit_button(ticket), Qt.MouseButton.LeftButton)
    request = sent.args[0]
    ticket.order_accepted(Order(broker="paper", connection_id=CONN, account_id="DU111", order_id="7",
                                instrument=request.instrument, side=request.side, type=request.type,
                                amount=request.amount, status=OrderStatus.ACCEPTED,
                                client_order_id=request.client_order_id))
    assert ticket.result_text().startswith("Order accepted: Buy 5 AAPL")
    ticket.prefill(symbol="MSFT")
    assert ticket.result_text() == ""


# ------------------------------------------------------- confirmation warnings
def open_confirmation(qtbot, t):
    qtbot.mouseClick(submit_button(t), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: t.confirm_dialog is not None and t.confirm_dialog.isVisible())
    return t.confirm_dialog


def warnings_text(dialog) -> str:
    label = find(dialog, QLabel, "warningsLabel")
    return label.text() if not label.isHidden() else ""


def test_the_confirmation_warns_about_cost_above_buying_power_with_both_figures(qtbot, ticket):
    balance = Balance(broker="paper", connection_id=CONN, account_id="DU111", cash=D("10000"), buying_power=D("10000"))
    ticket.set_connections([connection(balances=(balance,))])
    ticket.prefill(symbol="AAPL", amount=100)
    ticket.set_quote(quote("AAPL", "500", "499.90", "500.10"))
    dialog = open_confirmation(qtbot, ticket)
    text = warnings_text(dialog)
    assert "Estimated cost $50,011.00 is more than the buying power of DU111, $10,000.00" in text
    assert find(dialog, QLabel, "costLabel").text() == "$50,011.00"  # one figure: the ticket's estimate
    assert "$50,011.00" in find(ticket, QLabel, "estimateLabel").text()


def test_no_buying_power_warning_when_it_is_enough(qtbot, ticket):
    balance = Balance(broker="paper", connection_id=CONN, account_id="DU111", cash=D("1e6"), buying_power=D("1e6"))
    ticket.set_connections([connection(balances=(balance,))])
    tuesday = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)  # 10:00 in New York: no outside-hours warning
    DISPLAY_CLOCK.configure_connection(CONN, timezone.utc, now=lambda: tuesday)  # whenever the test runs
    ticket.prefill(symbol="AAPL", amount=100)
    ticket.set_quote(quote("AAPL", "500", "499.90", "500.10"))
    assert warnings_text(open_confirmation(qtbot, ticket)) == ""


def test_a_market_buy_the_broker_checks_at_more_says_so_everywhere(qtbot, ticket):
    balance = Balance(broker="paper", connection_id=CONN, account_id="DU111", cash=D("51000"), buying_power=D("51000"))
    ticket.set_connections([connection(balances=(balance,), market_reserve=D("0.05"))])
    ticket.set_confirm_orders(True)
    ticket.prefill(symbol="AAPL", amount=100)
    ticket.set_quote(quote("AAPL", "500", "499.90", "500.10"))
    dialog = open_confirmation(qtbot, ticket)
    held = "Desk paper holds back 5% above the last price for a market or stop buy: $52,501.00"
    assert find(dialog, QLabel, "costLabel").text() == "$50,011.00"
    assert find(dialog, QLabel, "heldLabel").text() == held
    assert f"{held}, more than the buying power of DU111, $51,000.00" in warnings_text(dialog)
    with qtbot.waitSignal(ticket.orderSubmitted, timeout=1000):
        qtbot.mouseClick(find(dialog, QPushButton, "confirmButton"), Qt.MouseButton.LeftButton)
    ticket.order_rejected("insufficient buying power: needs $52,501.00, has $51,000.00")
    text = ticket.result_text()
    assert held in text and "the ticket's estimate is $50,011.00 at the ask 500.10" in text  # why they differ


def test_a_limit_far_from_the_market_is_warned_with_how_far(qtbot, ticket):
    limit_order(qtbot, ticket, "MSFT", "36")
    assert "Limit price 36 is 20.0% above the last price 30" in warnings_text(open_confirmation(qtbot, ticket))


def test_a_limit_near_the_market_is_not_warned(qtbot, ticket):
    limit_order(qtbot, ticket, "MSFT", "30.50")
    assert warnings_text(open_confirmation(qtbot, ticket)) == ""


def test_an_order_above_the_notional_setting_is_warned(qtbot, ticket):
    ticket.set_notional_warning(25_000)
    ticket.prefill(symbol="AAPL", amount=100)
    ticket.set_quote(quote("AAPL", "500", "499.90", "500.10"))
    text = warnings_text(open_confirmation(qtbot, ticket))
    assert "This order is worth $50,010.00, above your warning level of $25,000.00 (Settings → Orders)" in text


def test_a_market_order_outside_regular_hours_is_warned(qtbot, ticket):
    saturday = datetime(2026, 11, 28, 23, 5, tzinfo=timezone.utc)  # 18:05 in New York
    DISPLAY_CLOCK.configure_connection(CONN, timezone.utc, now=lambda: saturday)
    ticket.prefill(symbol="AAPL", amount=10)
    ticket.set_quote(quote("AAPL", "500", "499.90", "500.10"))
    text = warnings_text(open_confirmation(qtbot, ticket))
    assert "Market order outside regular hours: it is 18:05 on Saturday in New York" in text
    ticket.confirm_dialog.reject()
    qtbot.waitUntil(lambda: ticket.confirm_dialog is None)
    tuesday = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)  # 10:00 in New York
    DISPLAY_CLOCK.configure_connection(CONN, timezone.utc, now=lambda: tuesday)
    assert "hours" not in warnings_text(open_confirmation(qtbot, ticket))


# ------------------------------------------------- a connection that is down
def test_a_stale_connection_greys_its_quote_with_its_age_and_sends_nothing(qtbot, ticket):
    ticket.prefill(symbol="AAPL", amount=10)
    ticket.set_quote(quote("AAPL", "500", "499.90", "500.10", age_s=180))
    assert submit_button(ticket).isEnabled()
    ticket.set_connections([connection(stale=True, state="reconnecting…")])
    note = find(ticket, QLabel, "quoteNote")
    assert not note.isHidden()
    assert note.text().startswith("Desk paper is reconnecting…: this quote is 3 min old")
    assert "color: gray" in find(ticket, QLabel, "quoteLabel").text() and "3 min old" in find(ticket, QLabel, "quoteLabel").text()
    assert not submit_button(ticket).isEnabled()
    qtbot.keyClick(edit(ticket, "quantityEdit"), Qt.Key.Key_Return)
    assert ticket.confirm_dialog is None
    ticket.set_connections([connection()])  # back: live again
    assert note.isHidden() and submit_button(ticket).isEnabled()


def test_a_disconnected_connection_is_named_and_not_sent_to(qtbot, ticket):
    ticket.prefill(symbol="AAPL", amount=10)
    ticket.set_connections([connection(live=False)])
    assert "Desk paper is disconnected" in find(ticket, QLabel, "accountError").text()
    assert not submit_button(ticket).isEnabled()


# ------------------------------------------------------------------- keyboard
def test_enter_in_a_field_submits_and_opens_the_confirmation(qtbot, ticket):
    ticket.prefill(symbol="AAPL", amount=10)
    ticket.set_quote(quote("AAPL", "500", "499.90", "500.10"))
    qtbot.keyClick(edit(ticket, "quantityEdit"), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ticket.confirm_dialog is not None)
    assert ticket.confirm_dialog.request.amount == D(10)


def test_enter_with_confirmation_off_sends_once(qtbot, ticket):
    ticket.set_confirm_orders(False)
    ticket.prefill(symbol="AAPL", amount=10)
    ticket.set_quote(quote("AAPL", "500", "499.90", "500.10"))
    sent = []
    ticket.orderSubmitted.connect(sent.append)
    qtbot.keyClick(edit(ticket, "quantityEdit"), Qt.Key.Key_Return)
    qtbot.keyClick(edit(ticket, "quantityEdit"), Qt.Key.Key_Return)  # busy: the second does nothing
    assert len(sent) == 1


# -------------------------------------------------------- a trader's words
def test_the_submit_button_never_shows_an_invalid_price(qtbot, ticket):
    ticket.prefill(symbol="AAPL", amount=10)
    ticket.select(ticket.type_combo, OrderType.LIMIT)
    qtbot.keyClicks(edit(ticket, "limitPriceEdit"), "abc")
    assert submit_button(ticket).text() == "Buy 10 AAPL" and not submit_button(ticket).isEnabled()
    assert find(ticket, QLabel, "limitPriceError").text() == "Limit price must be a number"
    retype(qtbot, edit(ticket, "limitPriceEdit"), "0")
    assert find(ticket, QLabel, "limitPriceError").text() == "Limit price must be more than 0"
    assert "@" not in submit_button(ticket).text()


def test_messages_name_no_code_field_and_no_exception_class():
    assert trader_words("limit_price is required for LIMIT orders") == "Enter a limit price"
    assert trader_words("DU100004: amount must be greater than 0") == "DU100004: Quantity must be more than 0"
    assert trader_words("stop_price is not allowed for LIMIT orders") == "A limit order has no stop price"
    assert unreachable_words("Cannot reach the IBKR gateway (ConnectError)", "https://localhost:5000/v1/api") == (
        "the IBKR gateway at https://localhost:5000 is not reachable")
    assert trader_words("Insufficient margin") == "Insufficient margin"  # nothing to reword: as it was


def test_a_pasted_occ_symbol_that_does_not_parse_stays_with_the_reason(qtbot, ticket):
    symbol = edit(ticket, "symbolEdit")
    symbol.setFocus()
    symbol.setText("AAPL  130231C00450000")  # a paste: 31 February
    qtbot.keyClick(symbol, Qt.Key.Key_Tab)  # leave the field
    qtbot.waitUntil(lambda: not symbol.hasFocus())
    assert symbol.text() == "AAPL  130231C00450000"  # not reverted to anything else
    error = find(ticket, QLabel, "symbolError").text()
    assert error.startswith("AAPL  130231C00450000 is not an OCC option symbol:") and "expiry" in error
    assert not submit_button(ticket).isEnabled()
