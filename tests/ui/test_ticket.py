"""The order ticket, its confirmation dialog and the modify-order dialog, driven like a user."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QLabel, QLineEdit, QPushButton, QWidget

from desktop.brokers.capabilities import BrokerCapabilities
from desktop.domain import (
    Account, Instrument, Order, OrderRequest, OrderSide, OrderStatus, OrderType, Quote, TimeInForce,
)
from desktop.ui.ticket import ModifyOrderDialog, OrderTicket
from desktop.ui.ticket.estimate import estimate_order
from desktop.ui.ticket.targets import TicketConnection
from desktop.ui.ticket.values import Offer, TicketInputs, build_request, parse_decimal
from qt_helpers import find

AAPL = Instrument.equity("AAPL", description="Apple Inc.")
INSTRUMENTS = {"AAPL": AAPL, "MSFT": Instrument.equity("MSFT")}
ACCOUNTS = (
    Account(broker="paper", connection_id="desk-paper", account_id="DU111", name="Paper", is_paper=True),
    Account(broker="paper", connection_id="desk-paper", account_id="DU222", name="Second"),
)


def commission(request: OrderRequest, price: D) -> D:
    return max(D("1.00"), request.amount * D("0.005"))


def connection(caps: BrokerCapabilities = BrokerCapabilities(), accounts=ACCOUNTS, **kw) -> TicketConnection:
    return TicketConnection("desk-paper", "Desk paper", caps, accounts=accounts, instrument_for=INSTRUMENTS.get,
                            commission_for=commission, **kw)


@pytest.fixture
def ticket(qtbot):
    t = OrderTicket()
    qtbot.addWidget(t)
    t.set_connections([connection()])
    t.set_symbols(INSTRUMENTS)
    t.set_quote(Quote(symbol="AAPL", connection_id="desk-paper", last=D("512.30"), bid=D("512.28"), ask=D("512.32")))
    t.resize(320, 560)
    t.show()
    qtbot.waitExposed(t)
    return t


def error_text(widget, key: str) -> str:
    label = find(widget, QLabel, f"{key}Error")
    return label.text() if not label.isHidden() else ""


def type_order(qtbot, t, symbol="aapl", quantity="100"):
    qtbot.keyClicks(find(t, QLineEdit, "symbolEdit"), symbol)
    qtbot.keyClicks(find(t, QLineEdit, "quantityEdit"), quantity)


def choose(combo: QComboBox, value: str) -> None:
    combo.setCurrentIndex(combo.findData(value))


# ------------------------------------------------------------------ validation
def test_limit_order_without_price_is_explained_next_to_the_limit_field(qtbot, ticket):
    type_order(qtbot, ticket)
    submit = find(ticket, QPushButton, "submitButton")
    assert submit.isEnabled() and submit.text() == "Buy 100 AAPL"
    qtbot.keyClicks(find(ticket, QComboBox, "typeCombo"), "L")  # keyboard search picks "Limit"
    assert ticket.order_type() is OrderType.LIMIT
    assert error_text(ticket, "limitPrice") == "Enter a limit price"
    assert find(ticket, QLineEdit, "limitPriceEdit").property("invalid") is True
    assert not submit.isEnabled()
    qtbot.keyClicks(find(ticket, QLineEdit, "limitPriceEdit"), "512.30")
    assert error_text(ticket, "limitPrice") == ""
    assert submit.isEnabled() and submit.text() == "Buy 100 AAPL @ 512.30"


def test_bad_quantity_text_is_explained(qtbot, ticket):
    type_order(qtbot, ticket, quantity="abc")
    assert error_text(ticket, "quantity") == "Quantity must be a number"
    assert find(ticket, QLineEdit, "quantityEdit").property("invalid") is True
    assert not find(ticket, QPushButton, "submitButton").isEnabled()
    edit = find(ticket, QLineEdit, "quantityEdit")
    edit.clear()
    qtbot.keyClicks(edit, "0")
    assert error_text(ticket, "quantity") == "Quantity must be more than 0"
    qtbot.keyClicks(edit, ".5")  # "0.5" of a whole-share stock
    assert error_text(ticket, "quantity") == "Quantity must be a whole number"


def test_unknown_and_missing_symbol_are_explained(qtbot, ticket):
    type_order(qtbot, ticket, symbol="xyz")
    assert find(ticket, QLineEdit, "symbolEdit").text() == "XYZ"  # upper-cased as typed
    assert error_text(ticket, "symbol") == "XYZ is not known to Desk paper"
    assert not find(ticket, QPushButton, "submitButton").isEnabled()
    find(ticket, QLineEdit, "symbolEdit").clear()
    qtbot.keyClick(find(ticket, QLineEdit, "symbolEdit"), Qt.Key.Key_Backspace)
    assert error_text(ticket, "symbol") == "Enter a symbol"


def test_fresh_ticket_does_not_nag_but_cannot_submit(ticket):
    assert error_text(ticket, "symbol") == "" and error_text(ticket, "quantity") == ""
    assert not find(ticket, QPushButton, "submitButton").isEnabled()
    assert "symbol" in ticket.errors()


def test_every_problem_is_shown_at_once(qtbot, ticket):
    choose(find(ticket, QComboBox, "typeCombo"), "STOP_LIMIT")
    type_order(qtbot, ticket, symbol="xyz", quantity="abc")
    assert ticket.errors() == {
        "symbol": "XYZ is not known to Desk paper",
        "quantity": "Quantity must be a number",
        "limitPrice": "Enter a limit price",
        "stopPrice": "Enter a stop price",
    }


def test_price_fields_are_enabled_only_when_the_type_needs_them(ticket):
    combo, limit, stop = (find(ticket, QComboBox, "typeCombo"), find(ticket, QLineEdit, "limitPriceEdit"),
                          find(ticket, QLineEdit, "stopPriceEdit"))
    expected = {"MARKET": (False, False), "LIMIT": (True, False), "STOP": (False, True), "STOP_LIMIT": (True, True)}
    for value, (lim, stp) in expected.items():
        choose(combo, value)
        assert (limit.isEnabled(), stop.isEnabled()) == (lim, stp), value


def test_no_account_is_an_error(qtbot):
    ticket = OrderTicket()
    qtbot.addWidget(ticket)
    ticket.set_connections([connection(accounts=())])  # connected, no account yet
    ticket.show()
    type_order(qtbot, ticket)
    assert error_text(ticket, "account") == "Choose an account"
    assert not find(ticket, QPushButton, "submitButton").isEnabled()
    assert ticket.current_connection_id() is None and ticket.current_request() is None


def test_an_account_that_went_away_stays_chosen_and_cannot_be_sent_to(qtbot, ticket):
    type_order(qtbot, ticket)
    ticket.set_connections([connection(accounts=ACCOUNTS[1:])])  # DU111 no longer listed
    combo = find(ticket, QComboBox, "accountCombo")
    assert combo.currentText() == "DU111 (not available)" and not combo.model().item(combo.currentIndex()).isEnabled()
    assert error_text(ticket, "account") == ("DU111 at Desk paper is not available: Desk paper is not connected"
                                             " or no longer lists it")
    assert not find(ticket, QPushButton, "submitButton").isEnabled()
    ticket.set_connections([connection()])  # back: chosen again, nothing lost
    assert ticket.current_request().account_id == "DU111" and error_text(ticket, "account") == ""


# ---------------------------------------------------------- side, cost, quote
def test_side_buttons_colour_the_submit_and_switch_cost_to_proceeds(qtbot, ticket):
    type_order(qtbot, ticket)
    buy, sell = find(ticket, QPushButton, "buyButton"), find(ticket, QPushButton, "sellButton")
    estimate = find(ticket, QLabel, "estimateLabel")
    assert buy.isChecked() and not sell.isChecked()
    assert estimate.text() == "Estimated cost: $51,233.00\n(100 × ask 512.32 + $1.00 commission)"  # a market buy takes the ask
    qtbot.mouseClick(sell, Qt.MouseButton.LeftButton)
    assert sell.isChecked() and not buy.isChecked()
    assert find(ticket, QPushButton, "submitButton").text() == "Sell 100 AAPL"
    assert estimate.text() == "Estimated proceeds: $51,227.00\n(100 × bid 512.28 − $1.00 commission)"


def test_quote_line_and_clicking_bid_sets_a_limit(qtbot, ticket):
    type_order(qtbot, ticket)
    quote = find(ticket, QLabel, "quoteLabel")
    assert "512.30" in quote.text() and "512.28" in quote.text() and "512.32" in quote.text()
    ticket.set_quote(Quote(symbol="AAPL", last=D("513.00"), bid=D("512.90"), ask=D("513.10")))
    assert "513.10" in quote.text()
    quote.linkActivated.emit("bid")
    assert ticket.order_type() is OrderType.LIMIT
    assert find(ticket, QLineEdit, "limitPriceEdit").text() == "512.90"
    ticket.set_quote(Quote(symbol="MSFT", last=D("1")))  # another symbol: ignored here
    assert "513.10" in quote.text()


def test_symbol_changed_is_announced_for_known_symbols(qtbot, ticket):
    with qtbot.waitSignal(ticket.symbolChanged, timeout=1000) as blocker:
        ticket.prefill(symbol="msft")
    assert blocker.args == ["MSFT"]


# -------------------------------------------------------------- submit + confirm
def test_confirmed_market_order_emits_the_request(qtbot, ticket):
    type_order(qtbot, ticket)
    qtbot.mouseClick(find(ticket, QPushButton, "submitButton"), Qt.MouseButton.LeftButton)
    dialog = ticket.findChild(QDialog, "orderConfirmDialog")
    assert dialog is not None and dialog.isVisible()
    text = dialog.text()
    assert "Buy 100 AAPL at market, good for the day" in text
    assert "Desk paper · DU111 · Paper" in text
    assert "$51,233.00" in text and "$1.00" in text and "512.32 (ask)" in text  # the ticket's figure
    with qtbot.waitSignal(ticket.orderSubmitted, timeout=1000) as blocker:
        qtbot.mouseClick(find(dialog, QPushButton, "confirmButton"), Qt.MouseButton.LeftButton)
    request = blocker.args[0]
    assert isinstance(request, OrderRequest)
    assert (request.connection_id, request.account_id, request.symbol, request.side, request.type) == (
        "desk-paper", "DU111", "AAPL", OrderSide.BUY, OrderType.MARKET)
    assert request.amount == D("100") and isinstance(request.amount, D)
    assert request.limit_price is None and request.time_in_force is TimeInForce.DAY
    assert ticket.is_busy() and not find(ticket, QPushButton, "submitButton").isEnabled()
    qtbot.waitUntil(lambda: ticket.confirm_dialog is None, timeout=1000)


def test_limit_order_request_carries_decimal_prices(qtbot, ticket):
    ticket.set_confirm_orders(False)
    ticket.prefill(symbol="AAPL", side=OrderSide.SELL, amount="1,500", order_type="LIMIT", limit_price="512.35")
    choose(find(ticket, QComboBox, "tifCombo"), "GTC")
    with qtbot.waitSignal(ticket.orderSubmitted, timeout=1000) as blocker:
        qtbot.mouseClick(find(ticket, QPushButton, "submitButton"), Qt.MouseButton.LeftButton)
    request = blocker.args[0]
    assert (request.side, request.amount, request.limit_price) == (OrderSide.SELL, D("1500"), D("512.35"))
    assert request.time_in_force is TimeInForce.GTC


def test_cancel_emits_nothing_and_keeps_the_fields(qtbot, ticket):
    type_order(qtbot, ticket)
    emitted = []
    ticket.orderSubmitted.connect(emitted.append)
    qtbot.mouseClick(find(ticket, QPushButton, "submitButton"), Qt.MouseButton.LeftButton)
    dialog = ticket.confirm_dialog
    qtbot.mouseClick(find(dialog, QPushButton, "cancelButton"), Qt.MouseButton.LeftButton)
    assert emitted == [] and not ticket.is_busy()
    assert find(ticket, QLineEdit, "symbolEdit").text() == "AAPL"
    assert find(ticket, QLineEdit, "quantityEdit").text() == "100"
    assert find(ticket, QPushButton, "submitButton").isEnabled()


def test_enter_and_escape_in_the_confirmation_do_not_send(qtbot, ticket):
    type_order(qtbot, ticket)
    emitted = []
    ticket.orderSubmitted.connect(emitted.append)
    ticket.submit()
    dialog = ticket.confirm_dialog
    assert dialog is not None and dialog.focusWidget() is dialog.confirm_button
    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # Enter does not confirm by default: it says how to
    assert emitted == [] and dialog.isVisible()
    assert find(dialog, QLabel, "keysLabel").text().startswith("Enter does not confirm here")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: ticket.confirm_dialog is None, timeout=1000)
    assert emitted == []


def test_enter_confirms_when_the_setting_allows_it_but_never_auto_repeated(qtbot, ticket):
    type_order(qtbot, ticket)
    ticket.set_enter_confirms(True)
    emitted = []
    ticket.orderSubmitted.connect(emitted.append)
    ticket.submit()
    dialog = ticket.confirm_dialog
    assert find(dialog, QLabel, "keysLabel").text() == "Enter or click: confirm · Esc: cancel"
    held = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r", True)
    QApplication.sendEvent(dialog, held)  # Enter held down from the ticket: not a confirmation
    assert emitted == [] and dialog.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(emitted) == 1, timeout=1000)
    assert emitted[0].symbol == "AAPL"


def test_space_on_the_focused_confirm_button_confirms(qtbot, ticket):
    type_order(qtbot, ticket)
    ticket.submit()
    with qtbot.waitSignal(ticket.orderSubmitted, timeout=1000):
        qtbot.keyClick(ticket.confirm_dialog.confirm_button, Qt.Key.Key_Space)


def test_rejection_keeps_every_field_and_shows_the_reason(qtbot, ticket):
    ticket.set_confirm_orders(False)
    ticket.prefill(symbol="AAPL", side="SELL", amount=40, order_type=OrderType.STOP_LIMIT, limit_price="500", stop_price="501")
    with qtbot.waitSignal(ticket.orderSubmitted, timeout=1000):
        ticket.submit()
    ticket.order_rejected("insufficient shares: you hold 10 AAPL")
    reject = find(ticket, QLabel, "rejectLabel")
    assert not reject.isHidden() and reject.text() == "Order rejected: insufficient shares: you hold 10 AAPL"
    fields = {n: find(ticket, QLineEdit, n).text() for n in ("symbolEdit", "quantityEdit", "limitPriceEdit", "stopPriceEdit")}
    assert fields == {"symbolEdit": "AAPL", "quantityEdit": "40", "limitPriceEdit": "500", "stopPriceEdit": "501"}
    assert ticket.side() is OrderSide.SELL and ticket.order_type() is OrderType.STOP_LIMIT
    assert find(ticket, QPushButton, "submitButton").isEnabled() and not ticket.is_busy()
    with qtbot.waitSignal(ticket.orderSubmitted, timeout=1000):  # fix nothing, just resend
        qtbot.mouseClick(find(ticket, QPushButton, "submitButton"), Qt.MouseButton.LeftButton)
    assert reject.isHidden()


def test_busy_disables_submit_and_acceptance_is_reported(qtbot, ticket):
    type_order(qtbot, ticket)
    submit = find(ticket, QPushButton, "submitButton")
    ticket.set_busy(True)
    assert not submit.isEnabled()
    request = ticket.current_request()
    order = Order(broker="paper", connection_id="desk-paper", account_id="DU111", order_id="7", instrument=AAPL, side=OrderSide.BUY,
                  type=OrderType.MARKET, amount=D(100), status=OrderStatus.ACCEPTED,
                  client_order_id=request.client_order_id)
    ticket.order_accepted(order)
    assert submit.isEnabled()
    assert find(ticket, QLabel, "statusLabel").text() == "Order accepted: Buy 100 AAPL at market, good for the day"
    assert ticket.symbol() == "AAPL" and find(ticket, QLineEdit, "quantityEdit").text() == "100"


# ------------------------------------------------------------ setup API
def test_capabilities_limit_type_and_tif_choices(ticket):
    choose(find(ticket, QComboBox, "typeCombo"), "LIMIT")
    ticket.set_connections([connection(BrokerCapabilities(order_types=frozenset({OrderType.MARKET, OrderType.LIMIT}),
                                                          time_in_force=frozenset({TimeInForce.DAY, TimeInForce.GTC})))])
    types, tifs = find(ticket, QComboBox, "typeCombo"), find(ticket, QComboBox, "tifCombo")
    assert [types.itemData(i) for i in range(types.count())] == ["MARKET", "LIMIT"]
    assert [tifs.itemText(i) for i in range(tifs.count())] == ["DAY", "GTC"]
    assert ticket.order_type() is OrderType.LIMIT  # kept: still offered
    ticket.prefill(order_type="STOP")  # not offered: ignored
    assert ticket.order_type() is OrderType.LIMIT


def test_one_connection_is_a_plain_account_combo_and_the_choice_is_kept(qtbot, ticket):
    combo = find(ticket, QComboBox, "accountCombo")
    assert not combo.isEditable() and ticket.account_label.text() == "Account"  # no search, no headings
    assert [combo.itemText(i) for i in range(combo.count())] == ["DU111 · Paper", "DU222 · Second"]
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert ticket.current_account().account_id == "DU222" and ticket.current_request() is None
    ticket.set_connections([connection(accounts=tuple(reversed(ACCOUNTS)))])
    assert ticket.current_account().account_id == "DU222" and combo.currentText() == "DU222 · Second"


def test_prefill_sets_fields(ticket):
    ticket.prefill(symbol="msft", side="sell", amount=D("25"), limit_price=D("401.5"))
    assert ticket.symbol() == "MSFT" and ticket.side() is OrderSide.SELL
    assert find(ticket, QLineEdit, "quantityEdit").text() == "25"
    assert ticket.order_type() is OrderType.LIMIT  # a limit price turns MARKET into LIMIT
    assert find(ticket, QLineEdit, "limitPriceEdit").text() == "401.5"
    request = ticket.current_request()
    assert request is not None and request.limit_price == D("401.5")
    assert find(ticket, QPushButton, "submitButton").text() == "Sell 25 MSFT @ 401.5"


def test_tab_order_follows_the_form(ticket):
    names = ["accountCombo", "symbolEdit", "buyButton", "sellButton", "quantityEdit", "typeCombo",
             "limitPriceEdit", "stopPriceEdit", "tifCombo", "submitButton"]
    widgets = [ticket.findChild(QWidget, n) for n in names]
    for first, second in zip(widgets, widgets[1:]):
        nxt = first.nextInFocusChain()
        for _ in range(20):  # skip non-listed helpers (e.g. a combo's inner parts)
            if nxt in widgets:
                break
            nxt = nxt.nextInFocusChain()
        assert nxt is second, (first.objectName(), nxt.objectName())


def test_fits_a_narrow_dock(ticket):
    assert ticket.minimumSizeHint().width() <= 320


# ------------------------------------------------------------- modify dialog
def working_order(**kw) -> Order:
    base = dict(broker="paper", account_id="DU111", order_id="42", instrument=AAPL, side=OrderSide.BUY,
                type=OrderType.LIMIT, amount=D(100), filled=D(30), limit_price=D("510.00"),
                status=OrderStatus.PARTIALLY_FILLED)
    base.update(kw)
    return Order(**base)


def test_modify_dialog_validates_and_emits_only_changes(qtbot):
    dialog = ModifyOrderDialog(working_order())
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.objectName() == "modifyOrderDialog"
    assert dialog.findChild(QLineEdit, "stopPriceEdit") is None  # a LIMIT order has no stop
    quantity, limit = find(dialog, QLineEdit, "quantityEdit"), find(dialog, QLineEdit, "limitPriceEdit")
    confirm = find(dialog, QPushButton, "confirmButton")
    assert quantity.text() == "100" and limit.text() == "510.00" and not confirm.isEnabled()
    quantity.clear()
    qtbot.keyClicks(quantity, "30")
    assert error_text(dialog, "quantity") == "Quantity must be more than the 30 already filled"
    assert not confirm.isEnabled()
    quantity.clear()
    qtbot.keyClicks(quantity, "150")
    limit.clear()
    qtbot.keyClicks(limit, "509.995")
    assert error_text(dialog, "limitPrice") == "Limit price must be in steps of 0.01 (the tick size): 509.995 is not"
    limit.clear()
    qtbot.keyClicks(limit, "0")
    assert error_text(dialog, "limitPrice") == "Limit price must be more than 0"
    limit.clear()
    qtbot.keyClicks(limit, "510.0")  # same price, written differently: not a change
    assert error_text(dialog, "quantity") == "" and confirm.isEnabled()
    with qtbot.waitSignal(dialog.modifyConfirmed, timeout=1000) as blocker:
        qtbot.mouseClick(confirm, Qt.MouseButton.LeftButton)
    order, changes = blocker.args
    assert order.order_id == "42" and changes == {"amount": D("150")}
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_modify_stop_order_changes_price(qtbot):
    dialog = ModifyOrderDialog(working_order(type=OrderType.STOP, limit_price=None, stop_price=D("500"), filled=D(0)))
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.findChild(QLineEdit, "limitPriceEdit") is None
    stop = find(dialog, QLineEdit, "stopPriceEdit")
    stop.clear()
    qtbot.keyClicks(stop, "abc")
    assert error_text(dialog, "stopPrice") == "Stop price must be a number"
    stop.clear()
    assert error_text(dialog, "stopPrice") == "Enter a stop price"
    qtbot.keyClicks(stop, "495.5")
    assert dialog.changes() == {"stop_price": D("495.5")}


def test_modify_cancel_emits_nothing(qtbot):
    dialog = ModifyOrderDialog(working_order())
    qtbot.addWidget(dialog)
    emitted = []
    dialog.modifyConfirmed.connect(lambda *a: emitted.append(a))
    dialog.open()
    qtbot.keyClicks(find(dialog, QLineEdit, "quantityEdit"), "0")
    qtbot.mouseClick(find(dialog, QPushButton, "cancelButton"), Qt.MouseButton.LeftButton)
    assert emitted == [] and dialog.result() == QDialog.DialogCode.Rejected


# --------------------------------------------------------------- pure rules
def test_parse_decimal():
    assert parse_decimal(" 1,000 ", "amount") == D("1000")
    assert parse_decimal("", "amount") is None
    for bad in ("abc", "1e3", "nan", "1.2.3", "--1"):
        with pytest.raises(ValueError, match="amount must be a number"):
            parse_decimal(bad, "amount")
    with pytest.raises(ValueError, match="limit_price is too large"):
        parse_decimal("1" + "0" * 20, "limit_price")


def test_build_request_without_lookup_treats_symbols_as_equities():
    inputs = TicketInputs(connection_id="c1", account_id="A1", symbol="ibm", side=OrderSide.BUY, quantity="5",
                          order_type=OrderType.MARKET)
    request, errors = build_request(inputs, None)
    assert errors == {} and request.symbol == "IBM" and request.amount == D(5) and request.connection_id == "c1"
    request, errors = build_request(TicketInputs(account_id="A1", symbol="IBM", side=OrderSide.BUY, quantity="5",
                                                 order_type=OrderType.MARKET), None)
    assert request is None and errors == {"account": "Choose an account"}


def test_build_request_survives_a_failing_lookup():
    def boom(symbol):
        raise RuntimeError("offline")
    inputs = TicketInputs(connection_id="c1", account_id="A1", symbol="IBM", side=OrderSide.BUY, quantity="5",
                          order_type=OrderType.MARKET)
    request, errors = build_request(inputs, boom)
    assert request is None and errors == {"symbol": "IBM could not be looked up: offline"}


def test_build_request_refuses_what_the_connection_does_not_offer():
    inputs = TicketInputs(connection_id="c1", account_id="A1", symbol="AAPL  250221C00200000", side=OrderSide.BUY,
                          quantity="1.5", order_type=OrderType.MARKET)
    offer = Offer("IBKR", options=False, fractional=False)
    _request, errors = build_request(inputs, lambda s: None, offer)
    assert errors["symbol"] == "AAPL  250221C00200000 is an option: IBKR does not offer options"
    _request, errors = build_request(inputs.__class__(**{**inputs.__dict__, "symbol": "IBM"}),
                                     lambda s: Instrument.equity(s, lot_size=D("0.0001")), offer)
    assert errors == {"quantity": "IBKR does not trade fractional shares: enter a whole number"}
    request, errors = build_request(inputs.__class__(**{**inputs.__dict__, "symbol": "IBM"}),
                                    lambda s: Instrument.equity(s, lot_size=D("0.0001")), Offer("Alpaca"))
    assert errors == {} and request.amount == D("1.5")


def test_estimate_uses_limit_then_touch_then_last():
    req = OrderRequest(connection_id="paper", account_id="A", instrument=AAPL, side=OrderSide.SELL, type=OrderType.MARKET, amount=D(10))
    assert estimate_order(req, None) is None
    est = estimate_order(req, Quote(symbol="AAPL", bid=D("99"), ask=D("101")), commission)
    assert (est.price, est.total, est.label) == (D("99"), D("989.00"), "Estimated proceeds")
    limit = req.model_copy(update={"type": OrderType.LIMIT, "limit_price": D("100")})
    assert estimate_order(limit, Quote(symbol="AAPL", last=D("1"))).text() == "Estimated proceeds: $1,000.00 (10 × limit 100)"
    last_only = estimate_order(req, Quote(symbol="AAPL", last=D("98")))
    assert (last_only.price, last_only.basis) == (D("98"), "last")  # no touch: the last trade


def test_ctrl_b_and_ctrl_s_pick_the_side_while_typing(qtbot, ticket):
    ticket.activateWindow()
    quantity = find(ticket, QLineEdit, "quantityEdit")
    quantity.setFocus()
    qtbot.waitUntil(quantity.hasFocus, timeout=1000)
    qtbot.keyClick(quantity, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert ticket.side() is OrderSide.SELL
    qtbot.keyClick(quantity, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert ticket.side() is OrderSide.BUY


def test_modify_enter_in_a_field_applies_the_change_once_it_is_valid(qtbot):
    dialog = ModifyOrderDialog(working_order())
    qtbot.addWidget(dialog)
    emitted = []
    dialog.modifyConfirmed.connect(lambda *a: emitted.append(a))
    dialog.open()
    quantity = find(dialog, QLineEdit, "quantityEdit")
    quantity.clear()
    qtbot.keyClicks(quantity, "abc")
    qtbot.keyClick(quantity, Qt.Key.Key_Return)  # invalid: nothing sent, the dialog stays
    assert emitted == [] and dialog.isVisible() and error_text(dialog, "quantity") == "Quantity must be a number"
    quantity.clear()
    qtbot.keyClicks(quantity, "120")
    held = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r", True)
    QApplication.sendEvent(quantity, held)  # auto-repeated: ignored
    assert emitted == [] and dialog.isVisible()
    qtbot.keyClick(quantity, Qt.Key.Key_Return)
    assert [changes for _order, changes in emitted] == [{"amount": D("120")}] and not dialog.isVisible()


def test_modify_escape_cancels(qtbot):
    dialog = ModifyOrderDialog(working_order())
    qtbot.addWidget(dialog)
    emitted = []
    dialog.modifyConfirmed.connect(lambda *a: emitted.append(a))
    dialog.open()
    quantity = find(dialog, QLineEdit, "quantityEdit")
    qtbot.keyClicks(quantity, "0")
    qtbot.keyClick(quantity, Qt.Key.Key_Escape)
    assert emitted == [] and not dialog.isVisible()


def test_alt_c_confirms(qtbot, ticket):
    type_order(qtbot, ticket)
    ticket.submit()
    dialog = ticket.confirm_dialog
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.isActiveWindow(), timeout=1000)
    with qtbot.waitSignal(ticket.orderSubmitted, timeout=1000):
        qtbot.keyClick(dialog, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
