"""Options in the UI, driven like a user (pytest-qt, offscreen): the OCC builder, the
option chain, the order ticket's option mode, and the whole flow on the paper broker."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal as D

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QPushButton, QTableView, QWidget

from desktop.brokers.paper import PaperBroker
from desktop.domain import (
    Account, Instrument, OptionAction, OptionChain, OptionContract, OptionQuote, OptionRight, OrderSide,
    OrderStatus, OrderType, PositionEffect,
)
from desktop.domain.occ import parse_occ
from desktop.ui.options import OccBuilder, OptionChainModel, OptionChainPanel, action_for
from desktop.ui.options.chain import STRIKE_COLUMN, column_of
from desktop.ui.options.common import atm_background, itm_background
from desktop.brokers.capabilities import BrokerCapabilities
from desktop.ui.ticket import OrderTicket
from desktop.ui.ticket.targets import TicketConnection
from qt_helpers import find, run

EXPIRIES = (date(2013, 3, 15), date(2013, 3, 22), date(2013, 4, 19))
STRIKES = tuple(D(s) for s in (440, 445, 450, 455, 460))
NOW = datetime(2013, 3, 4, 15, 30, tzinfo=timezone.utc)


def make_chain(underlying="AAPL", price="451.20", shift="0", expiries=EXPIRIES, strikes=STRIKES) -> OptionChain:
    """A hand-made chain: calls worth more below the price, puts above; bid 0.20 under ask."""
    quotes = []
    spot = D(price)
    for expiry in expiries:
        for strike in strikes:
            for right in (OptionRight.CALL, OptionRight.PUT):
                intrinsic = max(spot - strike, D(0)) if right is OptionRight.CALL else max(strike - spot, D(0))
                ask = (intrinsic + D("3.10") + D(shift)).quantize(D("0.01"))
                quotes.append(OptionQuote(
                    contract=OptionContract(underlying=underlying, expiry=expiry, right=right, strike=strike),
                    bid=ask - D("0.20"), ask=ask, last=ask - D("0.10"), volume=D(120), open_interest=D(4500),
                    iv=D("0.2512"), delta=D("0.52") if right is OptionRight.CALL else D("-0.48"),
                    underlying_price=spot, timestamp=NOW))
    return OptionChain(underlying=underlying, underlying_price=spot, expiries=expiries, strikes=strikes,
                       quotes=tuple(quotes), timestamp=NOW)


def error_text(widget, key: str) -> str:
    label = find(widget, QLabel, f"{key}Error")
    return label.text() if not label.isHidden() else ""


def paste(qtbot, edit: QLineEdit, text: str) -> None:
    """Replace the field's text with ``text`` through the clipboard, as Ctrl+A, Ctrl+V would."""
    QGuiApplication.clipboard().setText(text)
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


def pick_date_in_popup(qtbot, builder: OccBuilder, steps: int) -> None:
    """Open the expiry calendar with the mouse, move ``steps`` days with the arrow keys, press Enter."""
    edit = builder.expiry_edit
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton, pos=QPoint(edit.width() - 6, edit.height() // 2))
    calendar = edit.calendarWidget()
    qtbot.waitUntil(calendar.isVisible)
    view = calendar.findChild(QTableView)
    key = Qt.Key.Key_Right if steps > 0 else Qt.Key.Key_Left
    for _ in range(abs(steps)):
        qtbot.keyClick(view, key)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not calendar.isVisible())


@pytest.fixture
def builder(qtbot):
    b = OccBuilder()
    qtbot.addWidget(b)
    b.set_symbols(["AAPL", "MSFT", "IBM", "GOOG"])
    b.resize(560, 160)
    b.show()
    qtbot.waitExposed(b)
    return b


# ------------------------------------------------------------------ the builder
def test_building_a_contract_shows_its_occ_symbol_live(qtbot, builder):
    seen = []
    builder.contractChanged.connect(seen.append)
    underlying = find(builder, QLineEdit, "underlyingEdit")
    qtbot.keyClicks(underlying, "aapl")
    qtbot.keyClick(underlying, Qt.Key.Key_Return)
    assert builder.underlying() == "AAPL"
    builder.set_chain(make_chain())  # the chain arrives: listed expiries and strikes
    occ = find(builder, QLineEdit, "occEdit")
    assert builder.expiry() == EXPIRIES[0]  # the nearest listed expiry
    assert occ.text() == "AAPL  130315C00450000"  # and the at-the-money strike
    assert find(builder, QLabel, "dteLabel").text() == "11d"
    assert builder.listed_expiries() == frozenset(EXPIRIES)

    pick_date_in_popup(qtbot, builder, 7)  # a week later: 22 March, listed
    assert builder.expiry() == date(2013, 3, 22)
    assert occ.text() == "AAPL  130322C00450000"
    pick_date_in_popup(qtbot, builder, 3)  # 25 March is not listed: snaps to the next listed one
    assert builder.expiry() == date(2013, 4, 19)
    assert "not a listed expiry" in find(builder, QLabel, "builderStatus").text()

    qtbot.mouseClick(find(builder, QPushButton, "putButton"), Qt.MouseButton.LeftButton)
    assert occ.text() == "AAPL  130419P00450000"
    strike = find(builder, QComboBox, "strikeCombo")
    assert [strike.itemText(i) for i in range(strike.count())] == ["440", "445", "450", "455", "460"]
    strike.setFocus()
    qtbot.keyClick(strike, Qt.Key.Key_Down)  # next strike
    assert occ.text() == "AAPL  130419P00455000"
    strike.lineEdit().selectAll()
    qtbot.keyClicks(strike.lineEdit(), "452.5")  # any strike can be typed
    assert occ.text() == "AAPL  130419P00452500"
    assert seen[-1] == OptionContract(underlying="AAPL", expiry=date(2013, 4, 19), right=OptionRight.PUT, strike=D("452.5"))
    assert builder.errors() == {}


def test_bad_strike_is_explained_next_to_the_strike(qtbot, builder):
    qtbot.keyClicks(find(builder, QLineEdit, "underlyingEdit"), "IBM")
    strike = find(builder, QComboBox, "strikeCombo")
    qtbot.keyClicks(strike.lineEdit(), "200.1234")
    assert "3 decimals" in error_text(builder, "strike")
    assert builder.contract() is None and not find(builder, QPushButton, "copyButton").isEnabled()
    strike.lineEdit().selectAll()
    qtbot.keyClicks(strike.lineEdit(), "200")
    assert error_text(builder, "strike") == ""
    assert builder.occ_text() == "IBM   " + date.today().strftime("%y%m%d") + "C00200000"


@pytest.mark.parametrize(("text", "key", "words", "span"), [
    ("AAPL  131341C00450000", "expiry", "month 13", (6, 12)),
    ("AAPL  130230C00450000", "expiry", "28 days", (6, 12)),
    ("AAPL  130315X00450000", "right", "not C (call) or P (put)", (12, 13)),
    ("AAPL  130315C0045000A", "strike", "8 digits", (13, 21)),
    ("AAPLXYZ130315C00450000", "underlying", "longer than 6", (0, 7)),
    ("AAPL 13", "occ", "do not make an OCC symbol", (0, 7)),
])
def test_malformed_occ_symbol_is_explained_next_to_the_wrong_part(qtbot, builder, text, key, words, span):
    occ = find(builder, QLineEdit, "occEdit")
    paste(qtbot, occ, text)
    assert occ.text() == text
    assert words in error_text(builder, key), builder.errors()
    assert [k for k in ("occ", "underlying", "expiry", "right", "strike") if error_text(builder, k)] == [key]
    assert occ.mark() == span  # that part of the symbol is underlined
    assert builder.contract() is None
    assert not find(builder, QPushButton, "tradeButton").isEnabled()


def test_pasting_a_valid_symbol_fills_every_field(qtbot, builder):
    seen = []
    builder.contractChanged.connect(seen.append)
    occ = find(builder, QLineEdit, "occEdit")
    paste(qtbot, occ, "AAPL  130315X00450000")  # first a bad one...
    assert error_text(builder, "right")
    paste(qtbot, occ, "MSFT130322P00030500")  # ...then a good unpadded one
    assert builder.errors() == {} and error_text(builder, "right") == "" and occ.mark() is None
    assert find(builder, QLineEdit, "underlyingEdit").text() == "MSFT"
    assert builder.expiry() == date(2013, 3, 22)
    assert find(builder, QPushButton, "putButton").isChecked()
    assert find(builder, QComboBox, "strikeCombo").currentText() == "30.5"
    assert seen[-1] == parse_occ("MSFT  130322P00030500")
    qtbot.keyClick(occ, Qt.Key.Key_Return)  # leaving the field shows the canonical padded form
    assert occ.text() == "MSFT  130322P00030500"

    qtbot.mouseClick(find(builder, QPushButton, "copyButton"), Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "MSFT  130322P00030500"
    trades = []
    builder.tradeRequested.connect(trades.append)
    qtbot.mouseClick(find(builder, QPushButton, "tradeButton"), Qt.MouseButton.LeftButton)
    assert trades == [parse_occ("MSFT  130322P00030500")]


def test_builder_ignores_the_chain_of_another_underlying(qtbot, builder):
    qtbot.keyClicks(find(builder, QLineEdit, "underlyingEdit"), "MSFT")
    builder.set_chain(make_chain("AAPL"))
    assert builder.listed_expiries() == frozenset()
    assert find(builder, QComboBox, "strikeCombo").count() == 0


# -------------------------------------------------------------------- the chain
def test_chain_model_highlights_the_money_and_updates_in_one_signal(qtapp_model):
    model: OptionChainModel = qtapp_model
    model.set_chain(make_chain(price="451.20"), EXPIRIES[0])
    assert model.rowCount() == 5 and model.strikes() == list(STRIKES)
    assert model.atm_strike == D(450)
    row = model.row_of(D(450))
    assert model.index(row, STRIKE_COLUMN).data() == "450"
    assert model.index(row, STRIKE_COLUMN).data(Qt.ItemDataRole.BackgroundRole) == atm_background()
    call_440, call_455 = model.index(model.row_of(D(440)), column_of(OptionRight.CALL, "bid")), model.index(
        model.row_of(D(455)), column_of(OptionRight.CALL, "bid"))
    put_440, put_455 = model.index(model.row_of(D(440)), column_of(OptionRight.PUT, "bid")), model.index(
        model.row_of(D(455)), column_of(OptionRight.PUT, "bid"))
    assert call_440.data(Qt.ItemDataRole.BackgroundRole) == itm_background()  # call below the price: in the money
    assert call_455.data(Qt.ItemDataRole.BackgroundRole) is None
    assert put_455.data(Qt.ItemDataRole.BackgroundRole) == itm_background()  # put above the price
    assert put_440.data(Qt.ItemDataRole.BackgroundRole) is None
    assert model.index(row, column_of(OptionRight.CALL, "iv")).data() == "25.1"
    assert model.index(row, column_of(OptionRight.PUT, "delta")).data() == "-0.48"
    assert model.index(row, column_of(OptionRight.CALL, "open_interest")).data() == "4,500"
    assert "AAPL  130315C00440000" in call_440.data(Qt.ItemDataRole.ToolTipRole)

    resets, changes = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda *a: changes.append(a))
    model.set_chain(make_chain(price="451.30", shift="0.05"), EXPIRIES[0])  # a refresh: same strikes
    assert resets == [] and len(changes) == 1
    model.set_chain(make_chain(price="451.30"), EXPIRIES[1])  # another expiry: a new table
    assert resets == [1]


@pytest.fixture
def qtapp_model(qapp):
    return OptionChainModel()


def test_clicking_bid_sells_and_ask_buys(qtbot, qloop):
    chains = []

    async def fetch(underlying, expiry):
        chain = make_chain(underlying)
        chains.append((underlying, expiry))
        return chain

    panel = OptionChainPanel(fetch_chain=fetch)
    qtbot.addWidget(panel)
    panel.resize(760, 400)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_underlying("AAPL")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 5)
    tabs = panel.tabs
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["15 Mar 13 · 11d", "22 Mar 13 · 18d", "19 Apr 13 · 46d"]
    assert panel.expiry() == EXPIRIES[0]
    assert find(panel, QLabel, "underlyingPriceLabel").text() == "Last <b>451.20</b>"

    clicks = []
    panel.tradeRequested.connect(lambda quote, side: clicks.append((quote.contract.occ_symbol, side)))
    view = panel.view
    for right, field in ((OptionRight.CALL, "ask"), (OptionRight.PUT, "bid"), (OptionRight.CALL, "last")):
        index = panel.index_of(right, D(450), field)
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.visualRect(panel.model.index(0, STRIKE_COLUMN)).center())  # the strike: nothing
    assert clicks == [("AAPL  130315C00450000", OrderSide.BUY), ("AAPL  130315P00450000", OrderSide.SELL),
                      ("AAPL  130315C00450000", OrderSide.BUY)]

    qtbot.mouseClick(tabs, Qt.MouseButton.LeftButton, pos=tabs.tabRect(2).center())  # another expiry
    qtbot.waitUntil(lambda: chains[-1] == ("AAPL", EXPIRIES[2]))
    assert panel.model.expiry == EXPIRIES[2]
    assert not view.horizontalScrollBar().isVisible()  # every column fits at 760 px


def test_action_for_a_click_depends_on_the_holding():
    assert action_for(OrderSide.BUY, D(0)) == (OptionAction.BUY_TO_OPEN, 1)
    assert action_for(OrderSide.BUY, D(-3)) == (OptionAction.BUY_TO_CLOSE, 3)
    assert action_for(OrderSide.SELL, D(2)) == (OptionAction.SELL_TO_CLOSE, 2)
    assert action_for(OrderSide.SELL, D(0)) == (OptionAction.SELL_TO_OPEN, 1)


# ----------------------------------------------------- the ticket's option mode
def lookup(symbol: str):
    if symbol in ("AAPL", "MSFT"):
        return Instrument.equity(symbol)
    try:
        return Instrument.for_option(parse_occ(symbol))
    except ValueError:
        return None


@pytest.fixture
def ticket(qtbot):
    t = OrderTicket()
    qtbot.addWidget(t)
    t.set_connections([TicketConnection(
        "paper", "Paper", BrokerCapabilities(options=True),
        accounts=(Account(broker="paper", connection_id="paper", account_id="DU111", name="Paper", is_paper=True),),
        instrument_for=lookup, commission_for=lambda r, p: D("0.65") * r.amount)])
    t.resize(330, 600)
    t.show()
    qtbot.waitExposed(t)
    return t


def open_confirmation(qtbot, t):
    submit = find(t, QPushButton, "submitButton")
    assert submit.isEnabled(), t.errors()
    qtbot.mouseClick(submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: t.confirm_dialog is not None and t.confirm_dialog.isVisible())
    return t.confirm_dialog


def test_typing_an_occ_symbol_switches_the_ticket_to_option_actions(qtbot, ticket):
    symbol = find(ticket, QLineEdit, "symbolEdit")
    action = find(ticket, QComboBox, "optionActionCombo")
    assert not action.isVisible() and find(ticket, QPushButton, "buyButton").isVisible()
    qtbot.keyClicks(symbol, "aapl130315c00450000")  # unpadded, lower case: the field upper-cases it
    assert action.isVisible() and not find(ticket, QPushButton, "buyButton").isVisible()
    assert [action.itemText(i) for i in range(action.count())] == ["Buy to open", "Buy to close", "Sell to open", "Sell to close"]
    assert find(ticket, QLabel, "multiplierLabel").text() == "× 100 shares"
    assert "AAPL 15 Mar 13 450 C" in find(ticket, QLabel, "contractLabel").text()
    qtbot.keyClick(symbol, Qt.Key.Key_Return)
    assert symbol.text() == "AAPL  130315C00450000"  # the canonical padded symbol

    qtbot.keyClicks(find(ticket, QLineEdit, "quantityEdit"), "2")
    type_combo = find(ticket, QComboBox, "typeCombo")
    type_combo.setCurrentIndex(type_combo.findData(OrderType.LIMIT.value))
    qtbot.keyClicks(find(ticket, QLineEdit, "limitPriceEdit"), "3.10")
    assert find(ticket, QLabel, "estimateLabel").text().startswith("Premium paid: $620.00 (2 × limit 3.10 × 100)")
    assert find(ticket, QPushButton, "submitButton").text() == "Buy to open 2 AAPL 15 Mar 13 450 C @ 3.10"
    request = ticket.current_request()
    assert request.side is OrderSide.BUY and request.position_effect is PositionEffect.OPEN
    assert request.option_action is OptionAction.BUY_TO_OPEN

    dialog = open_confirmation(qtbot, ticket)
    assert find(dialog, QLabel, "orderSummaryLabel").text() == "Buy to open 2 AAPL 15 Mar 13 450 C calls at limit 3.10, good for the day"
    assert find(dialog, QLabel, "premiumLabel").text() == "$620.00 paid (2 × 3.10 × 100)"
    assert find(dialog, QLabel, "maxLossLabel").text() == "$620.00, the premium paid, if the option expires worthless"
    qtbot.mouseClick(find(dialog, QPushButton, "cancelButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ticket.confirm_dialog is None)

    symbol.selectAll()
    qtbot.keyClicks(symbol, "MSFT")  # back to a stock: BUY/SELL again
    assert not action.isVisible() and find(ticket, QPushButton, "buyButton").isVisible()
    assert ticket.current_request().position_effect is None


@pytest.mark.parametrize(("occ", "max_loss"), [
    ("AAPL  130315C00450000", "unlimited: a short call loses more the higher AAPL goes"),
    ("AAPL  130315P00450000", "$89,380.00 if AAPL falls to zero (strike 450 x 100 x 2 less $620.00 premium received)"),
])
def test_short_options_state_their_max_loss(qtbot, ticket, occ, max_loss):
    ticket.prefill_option(parse_occ(occ), OptionAction.SELL_TO_OPEN, 2, D("3.10"))
    assert find(ticket, QComboBox, "optionActionCombo").currentText() == "Sell to open"
    assert ticket.order_type() is OrderType.LIMIT
    assert find(ticket, QLabel, "estimateLabel").text().startswith("Premium received: $620.00")
    request = ticket.current_request()
    assert request.side is OrderSide.SELL and request.position_effect is PositionEffect.OPEN
    dialog = open_confirmation(qtbot, ticket)
    assert find(dialog, QLabel, "maxLossLabel").text() == max_loss
    assert find(dialog, QPushButton, "confirmButton").text() == "&Confirm Sell to open"
    qtbot.mouseClick(find(dialog, QPushButton, "confirmButton"), Qt.MouseButton.LeftButton)


def test_ctrl_s_in_option_mode_keeps_open_or_close(qtbot, ticket):
    ticket.prefill_option(parse_occ("AAPL  130315C00450000"), OptionAction.BUY_TO_CLOSE, 1, D("3.10"))
    qtbot.keyClick(find(ticket, QLineEdit, "quantityEdit"), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert ticket.option_action() is OptionAction.SELL_TO_CLOSE
    assert ticket.current_request().position_effect is PositionEffect.CLOSE


# ------------------------------------------------- the whole app, paper broker
@pytest.fixture
def window(qtbot, qloop, tmp_path):
    from desktop.ui.main_window import MainWindow

    broker = PaperBroker(tmp_path / "paper.sqlite3", autostart=False)
    w = MainWindow(brokers=[broker])  # not qtbot.addWidget: pytest-qt would delete it before shutdown
    w.show()
    qtbot.waitExposed(w)
    run(qtbot, qloop, w.start())
    broker.advance_minutes(30)
    yield w
    run(qtbot, qloop, w.shutdown())
    w.close()
    w.deleteLater()


def confirm_order(qtbot, w):
    submit = find(w.ticket, QPushButton, "submitButton")
    assert submit.isEnabled(), w.ticket.errors()
    qtbot.mouseClick(submit, Qt.MouseButton.LeftButton)
    dialog = None

    def dialog_open():
        nonlocal dialog
        dialog = next((d for d in QApplication.topLevelWidgets() if d.objectName() == "orderConfirmDialog" and d.isVisible()), None)
        return dialog is not None

    qtbot.waitUntil(dialog_open)
    text = dialog.text()
    qtbot.mouseClick(find(dialog, QPushButton, "confirmButton"), Qt.MouseButton.LeftButton)
    return text


def test_buy_to_open_from_the_chain_fills_and_shows_the_option_position(qtbot, window):
    w = window
    assert any(a.text() == "Options" for a in w.menus.view_menu.actions())  # View menu entry
    w.docks["options"].raise_()  # the user clicks the Options tab
    panel = w.options
    chain, builder = panel.chain, panel.builder
    now = w.desk.connection("paper").broker.market.clock.now
    qtbot.waitUntil(lambda: chain.model.rowCount() > 0 and chain.chain().timestamp == now, timeout=10_000)
    assert chain.underlying() == "AAPL" == builder.underlying()  # the chart's symbol
    atm = chain.model.atm_strike
    expiry = chain.expiry()

    # build the contract in the builder: the ATM call of the nearest expiry
    qtbot.mouseClick(find(builder, QPushButton, "putButton"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(find(builder, QPushButton, "callButton"), Qt.MouseButton.LeftButton)
    strike = find(builder, QComboBox, "strikeCombo")
    strike.lineEdit().selectAll()
    qtbot.keyClicks(strike.lineEdit(), str(atm))
    contract = OptionContract(underlying="AAPL", expiry=expiry, right=OptionRight.CALL, strike=atm)
    assert builder.occ_text() == contract.occ_symbol
    assert builder.contract() == contract

    # open it from the chain: the call's ask
    quote = chain.quote_for(contract.occ_symbol)
    index = chain.index_of(OptionRight.CALL, atm, "ask")
    chain.view.scrollTo(index)
    qtbot.mouseClick(chain.view.viewport(), Qt.MouseButton.LeftButton, pos=chain.view.visualRect(index).center())
    ticket = w.ticket
    assert ticket.current_symbol() == contract.occ_symbol
    assert ticket.option_action() is OptionAction.BUY_TO_OPEN
    assert find(ticket, QLineEdit, "quantityEdit").text() == "1"
    assert ticket.order_type() is OrderType.LIMIT
    assert D(find(ticket, QLineEdit, "limitPriceEdit").text()) == quote.ask
    assert find(ticket, QLabel, "multiplierLabel").text() == "× 100 shares"
    text = confirm_order(qtbot, w)
    assert f"Buy to open 1 {contract.describe()} call at limit" in text
    assert "Max loss" in text or "premium paid" in text

    def filled():
        return any(o.symbol == contract.occ_symbol and o.status is OrderStatus.FILLED for o in w.orders.model.rows())

    qtbot.waitUntil(filled)  # a buy limit at the ask fills at once
    order = next(o for o in w.orders.model.rows() if o.symbol == contract.occ_symbol)
    assert order.position_effect is PositionEffect.OPEN

    positions = w.positions
    qtbot.waitUntil(lambda: any(p.symbol == contract.occ_symbol for p in positions.model.rows()))
    position = next(p for p in positions.model.rows() if p.symbol == contract.occ_symbol)
    assert position.quantity == 1 and position.instrument.multiplier == 100
    model = positions.model
    row = next(r for r in range(model.rowCount()) if model.index(r, model.column_index("symbol")).data() == contract.describe())
    assert model.index(row, model.column_index("multiplier")).data() == "100"
    assert contract.occ_symbol in model.index(row, model.column_index("symbol")).data(Qt.ItemDataRole.ToolTipRole)
    assert positions.view.horizontalHeader().isSectionHidden(model.column_index("occ"))
    orders = w.orders.model
    order_row = next(r for r in range(orders.rowCount()) if orders.index(r, orders.column_index("symbol")).data() == contract.describe())
    assert orders.index(order_row, orders.column_index("side")).data() == "BUY to open"

    # double-click the position: a closing order for the whole holding, at the bid
    view = positions.view
    proxy_row = next(r for r in range(positions.proxy.rowCount()) if positions.row_for(positions.proxy.index(r, 0)).symbol == contract.occ_symbol)
    cell = view.visualRect(positions.proxy.index(proxy_row, 1)).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # a double-click starts with a click
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    qtbot.waitUntil(lambda: ticket.option_action() is OptionAction.SELL_TO_CLOSE)
    assert ticket.current_symbol() == contract.occ_symbol and w.chart.symbol() == "AAPL"
    assert find(ticket, QLineEdit, "quantityEdit").text() == "1"
    assert D(find(ticket, QLineEdit, "limitPriceEdit").text()) == chain.quote_for(contract.occ_symbol).bid
    text = confirm_order(qtbot, w)
    assert "no new risk" in text
    qtbot.waitUntil(lambda: not any(p.symbol == contract.occ_symbol for p in positions.model.rows()))


def test_the_ticket_resolves_typed_occ_symbols_through_the_service(qtbot, qloop, window):
    w = window
    symbol = find(w.ticket, QLineEdit, "symbolEdit")
    symbol.selectAll()
    qtbot.keyClicks(symbol, "IBM")
    assert not w.ticket.option_mode
    chain = run(qtbot, qloop, w.desk.connection("paper").fetch_option_chain("IBM"))
    occ = chain.quotes[0].contract.occ_symbol
    symbol.selectAll()
    qtbot.keyClicks(symbol, occ.replace(" ", ""))  # unpadded
    assert w.ticket.option_mode and "symbol" not in w.ticket.errors()
    qtbot.keyClick(symbol, Qt.Key.Key_Return)
    assert w.ticket.current_symbol() == occ
    qtbot.waitUntil(lambda: w.options.builder.occ_text() == occ)  # the Options panel follows the ticket


def test_opening_from_the_chain_uses_the_default_contract_quantity(qtbot, window):
    w = window
    w.prefs.current = w.preferences.model_copy(update={"default_contracts": 3})  # as Settings -> OK would
    w.docks["options"].raise_()
    chain = w.options.chain
    qtbot.waitUntil(lambda: chain.model.rowCount() > 0, timeout=10_000)
    index = chain.index_of(OptionRight.PUT, chain.model.atm_strike, "ask")
    chain.view.scrollTo(index)
    qtbot.mouseClick(chain.view.viewport(), Qt.MouseButton.LeftButton, pos=chain.view.visualRect(index).center())
    assert w.ticket.option_action() is OptionAction.BUY_TO_OPEN
    assert find(w.ticket, QLineEdit, "quantityEdit").text() == "3"


def test_a_narrow_builder_puts_one_field_a_row_and_a_wide_one_two(qtbot, builder):
    expiry, underlying = find(builder, QWidget, "expiryEdit"), find(builder, QLineEdit, "underlyingEdit")

    def same_row() -> bool:  # the two fields overlap vertically (a date edit is a little shorter)
        top = lambda w: w.mapTo(builder, w.rect().topLeft()).y()  # noqa: E731
        return top(expiry) < top(underlying) + underlying.height() and top(underlying) < top(expiry) + expiry.height()

    assert same_row()  # 560 px: Underlying and Expiry side by side
    builder.resize(300, 240)  # a narrow dock (a 1024-px window)
    qtbot.waitUntil(lambda: not same_row())
    assert expiry.mapTo(builder, expiry.rect().topLeft()).y() > underlying.mapTo(builder, underlying.rect().topLeft()).y()
    builder.resize(560, 160)
    qtbot.waitUntil(same_row)
