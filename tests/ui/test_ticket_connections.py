"""The order ticket over three connections at once, driven through its widgets:
a paper connection, the paper advisor demo (allocation groups) and an IBKR-like login
that offers less (no stop-limit, no FOK, no options, no what-if, whole shares only)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QWidget

from desktop.brokers.capabilities import BrokerCapabilities
from desktop.domain import (
    Account, AccountValues, AllocationGroup, AllocationMember, Fill, Instrument, Order, OrderSide, OrderStatus,
    OrderType, Quote, TimeInForce,
)
from desktop.domain.occ import parse_occ
from desktop.ui.ticket import OrderTicket
from desktop.ui.ticket.account_selector import KIND_ROLE
from desktop.ui.ticket.targets import TicketConnection
from qt_helpers import find

OCC = "AAPL  250221C00200000"
KNOWN = {"AAPL": Instrument.equity("AAPL"), "MSFT": Instrument.equity("MSFT"),
         "FRAC": Instrument.equity("FRAC", lot_size=D("0.0001"))}
PAPER_CAPS = BrokerCapabilities(options=True, preview_orders=True, paper=True, fractional=True)
ADVISOR_CAPS = PAPER_CAPS.model_copy(update={"allocation_groups": True})
IBKR_CAPS = BrokerCapabilities(order_types=frozenset({OrderType.MARKET, OrderType.LIMIT, OrderType.STOP}),
                               time_in_force=frozenset({TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC}))
CLIENTS = ("DU100001", "DU100002")


def lookup(options: bool):
    def instrument_for(symbol: str):
        if symbol in KNOWN:
            return KNOWN[symbol]
        if options and len(symbol) >= 16:
            return Instrument.for_option(parse_occ(symbol))
        return None
    return instrument_for


def account(cid, aid, name, **kw):
    return Account(broker="paper" if cid != "ibkr" else "ibkr", connection_id=cid, account_id=aid, name=name, **kw)


def connections(ibkr_live: bool = True, extra_ibkr: tuple = ()) -> list[TicketConnection]:
    groups = (AllocationGroup(name="ByNetLiq", method="N", members=[AllocationMember(account_id=a) for a in CLIENTS]),
              AllocationGroup(name="Shares", method="S", members=[AllocationMember(account_id="DU100001", amount=D(60)),
                                                                   AllocationMember(account_id="DU100002", amount=D(40))]))
    values = (AccountValues(account_id="DU100001", net_liquidation=D(750_000)),
              AccountValues(account_id="DU100002", net_liquidation=D(250_000)))
    return [
        TicketConnection("paper", "Paper", PAPER_CAPS, accounts=(account("paper", "PAPER", "Paper account", is_paper=True),),
                         instrument_for=lookup(True), commission_for=lambda r, p: D("1.00")),
        TicketConnection("paper-advisor", "Paper advisor demo", ADVISOR_CAPS,
                         accounts=(account("paper-advisor", "DF100000", "Advisor", is_master=True, is_paper=True),
                                   account("paper-advisor", "DU100001", "Harper Family Trust", is_paper=True),
                                   account("paper-advisor", "DU100002", "Okafor IRA", is_paper=True)),
                         groups=groups, values=values, instrument_for=lookup(True)),
        TicketConnection("ibkr", "IBKR", IBKR_CAPS, live=ibkr_live,
                         accounts=(account("ibkr", "U1234567", "Main margin", kind="margin"),
                                   account("ibkr", "U7654321", "Retirement IRA"), *extra_ibkr),
                         instrument_for=lookup(False)),
    ]


@pytest.fixture
def ticket(qtbot):
    t = OrderTicket()
    qtbot.addWidget(t)
    t.set_connections(connections())
    t.resize(330, 760)
    t.show()
    qtbot.waitExposed(t)
    return t


def combo(t) -> QComboBox:
    return find(t, QComboBox, "accountCombo")


def texts(box: QComboBox) -> list[str]:
    return [box.itemText(i) for i in range(box.count())]


def search(qtbot, t, text: str) -> list[str]:
    """Type ``text`` in the account selector; the lines its search popup offers."""
    line = combo(t).lineEdit()
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text)
    popup = t.selector.completer.popup()
    if not popup.isVisible():
        return []
    return [popup.model().index(r, 0).data() for r in range(popup.model().rowCount())]


def pick(qtbot, t, text: str) -> None:
    """Search ``text`` and pick the first line offered with the keyboard."""
    offered = search(qtbot, t, text)
    assert offered, text
    popup = t.selector.completer.popup()
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)


def offered(box: QComboBox) -> list[str]:
    return [box.itemData(i) for i in range(box.count())]


def type_into(qtbot, edit: QLineEdit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClicks(edit, text)


# ------------------------------------------------------------------- listing
def test_the_selector_lists_every_connection_under_its_name(ticket):
    box = combo(ticket)
    assert box.isEditable() and ticket.account_label.text() == "Account"
    assert texts(box) == [
        "Paper", "PAPER · Paper account",
        "Paper advisor demo", "ByNetLiq · N · Net liquidation · 2 accounts", "Shares · S · Shares · 2 accounts",
        "DF100000 · Advisor (master)", "DU100001 · Harper Family Trust", "DU100002 · Okafor IRA",
        "IBKR", "U1234567 · Main margin", "U7654321 · Retirement IRA"]
    model = box.model()
    headings = [r for r in range(box.count()) if model.item(r).data(KIND_ROLE) == "heading"]
    assert [box.itemText(r) for r in headings] == ["Paper", "Paper advisor demo", "IBKR"]
    assert all(model.item(r).font().bold() and not model.item(r).isEnabled() for r in headings)
    assert not model.item(texts(box).index("DF100000 · Advisor (master)")).isEnabled()
    assert box.lineEdit().text() == "Paper · PAPER · Paper account"  # the closed selector names the connection
    assert ticket.current_connection_id() == "paper"


def test_one_connection_without_groups_is_a_plain_drop_down(qtbot):
    t = OrderTicket()
    qtbot.addWidget(t)
    t.set_connections(connections()[:1])
    assert not combo(t).isEditable() and texts(combo(t)) == ["PAPER · Paper account"]
    assert t.layout().indexOf(t.boxes["account"]) < 0  # in the form, beside its label
    t.set_connections(connections())
    assert combo(t).isEditable() and t.layout().indexOf(t.boxes["account"]) == 1  # above the form, full width
    t.show()
    t.set_connections(connections()[:1])  # the others removed: plain again, and searchable after
    assert not combo(t).isEditable() and t.current_target() == ("paper", "account", "PAPER")
    t.set_connections(connections())
    assert search(qtbot, t, "okaf") == ["Paper advisor demo · DU100002 · Okafor IRA"]


# --------------------------------------------------- the account decides the connection
def test_picking_an_account_at_each_connection_routes_the_order_there(qtbot, ticket):
    ticket.set_confirm_orders(False)
    type_into(qtbot, find(ticket, QLineEdit, "symbolEdit"), "AAPL")
    type_into(qtbot, find(ticket, QLineEdit, "quantityEdit"), "10")
    types, tifs, preview = find(ticket, QComboBox, "typeCombo"), find(ticket, QComboBox, "tifCombo"), \
        find(ticket, QPushButton, "previewButton")
    announced = []
    ticket.connectionChanged.connect(announced.append)
    assert offered(types) == ["MARKET", "LIMIT", "STOP", "STOP_LIMIT"] and preview.isVisible()

    assert search(qtbot, ticket, "u76") == ["IBKR · U7654321 · Retirement IRA"]
    pick(qtbot, ticket, "u76")
    assert ticket.current_connection_id() == "ibkr" and announced == ["ibkr"]
    assert combo(ticket).lineEdit().text() == "IBKR · U7654321 · Retirement IRA"
    request = ticket.current_request()
    assert (request.connection_id, request.account_id) == ("ibkr", "U7654321")
    assert offered(types) == ["MARKET", "LIMIT", "STOP"] and offered(tifs) == ["DAY", "GTC", "IOC"]
    assert not preview.isVisible()  # IBKR here has no what-if

    pick(qtbot, ticket, "okafor")
    assert ticket.current_connection_id() == "paper-advisor" and announced == ["ibkr", "paper-advisor"]
    assert ticket.current_account().name == "Okafor IRA" and ticket.account_label.text() == "Allocate to"
    assert offered(types) == ["MARKET", "LIMIT", "STOP", "STOP_LIMIT"] and preview.isVisible()
    with qtbot.waitSignal(ticket.orderSubmitted, timeout=1000) as sent:
        qtbot.mouseClick(find(ticket, QPushButton, "submitButton"), Qt.MouseButton.LeftButton)
    assert (sent.args[0].connection_id, sent.args[0].account_id) == ("paper-advisor", "DU100002")


def test_clicking_a_line_of_the_drop_down_picks_it(qtbot, ticket):
    box = combo(ticket)
    box.showPopup()
    view = box.view()
    qtbot.waitUntil(view.isVisible)
    row = texts(box).index("U1234567 · Main margin")
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(box.model().index(row, 0)).center())
    assert ticket.current_target() == ("ibkr", "account", "U1234567")
    heading = texts(box).index("IBKR")
    box.showPopup()
    qtbot.waitUntil(view.isVisible)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(box.model().index(heading, 0)).center())
    assert ticket.current_target() == ("ibkr", "account", "U1234567")  # a heading is no target


def test_a_type_and_tif_the_other_broker_lacks_fall_back_with_a_note(qtbot, ticket):
    ticket.prefill(symbol="AAPL", amount=10, order_type="STOP_LIMIT", limit_price="500", stop_price="501")
    find(ticket, QComboBox, "tifCombo").setCurrentIndex(find(ticket, QComboBox, "tifCombo").findData("FOK"))
    note = find(ticket, QLabel, "connectionNote")
    assert note.isHidden()
    pick(qtbot, ticket, "main margin")
    assert ticket.order_type() is OrderType.STOP and ticket.time_in_force() is TimeInForce.IOC
    assert note.isVisible() and note.text() == ("IBKR does not offer Stop limit orders: the order type is now Stop."
                                                " IBKR does not offer FOK: the time in force is now IOC.")
    request = ticket.current_request()
    assert (request.type, request.stop_price, request.limit_price, request.time_in_force) == (
        OrderType.STOP, D("501"), None, TimeInForce.IOC)
    pick(qtbot, ticket, "paper account")  # Stop and IOC are offered at Paper: nothing to say
    assert note.isHidden() and ticket.order_type() is OrderType.STOP


def test_option_symbols_resolve_only_where_options_are_offered(qtbot, ticket):
    type_into(qtbot, find(ticket, QLineEdit, "symbolEdit"), OCC)
    type_into(qtbot, find(ticket, QLineEdit, "quantityEdit"), "2")
    action = find(ticket, QComboBox, "optionActionCombo")
    assert action.isVisible() and ticket.current_request().instrument.is_option
    pick(qtbot, ticket, "u123")
    assert find(ticket, QLabel, "symbolError").text() == f"{OCC} is an option: IBKR does not offer options"
    assert ticket.current_request() is None and not find(ticket, QPushButton, "submitButton").isEnabled()
    pick(qtbot, ticket, "paper account")
    assert action.isVisible() and ticket.current_request().instrument.is_option


def test_fractional_quantities_only_where_offered(qtbot, ticket):
    ticket.prefill(symbol="FRAC", amount="1.5")
    assert ticket.current_request().amount == D("1.5")
    pick(qtbot, ticket, "u123")
    assert find(ticket, QLabel, "quantityError").text() == "IBKR does not trade fractional shares: enter a whole number"


def test_the_previous_connections_quote_is_not_shown_at_the_next(qtbot, ticket):
    ticket.prefill(symbol="AAPL", amount=10)
    ticket.set_quote(Quote(symbol="AAPL", connection_id="paper", last=D("512.30")))
    quote = find(ticket, QLabel, "quoteLabel")
    assert "512.30" in quote.text()
    seen = []
    ticket.connectionChanged.connect(lambda cid: seen.append(quote.text()))
    pick(qtbot, ticket, "u123")
    assert seen == ["<span style='color: gray'>No quote for AAPL</span>"]  # until the window sends IBKR's


# ------------------------------------------------------------------ advisor
def test_an_allocation_group_at_the_advisor_connection(qtbot, ticket):
    assert search(qtbot, ticket, "net liq") == ["Paper advisor demo · ByNetLiq · N · Net liquidation · 2 accounts"]
    pick(qtbot, ticket, "net liq")
    ticket.prefill(symbol="AAPL", amount=100, limit_price="200")
    assert ticket.account_label.text() == "Allocate to" and ticket.current_account() is None
    assert find(ticket, QLabel, "groupMembersLabel").text() == "2 members: DU100001, DU100002"
    preview = ticket.extras.preview
    assert preview.isVisible() and [row[2] for row in preview.cells()[1:]] == ["75", "25", "100"]
    request = ticket.current_request()
    assert (request.connection_id, request.account_id) == ("paper-advisor", "ByNetLiq")
    qtbot.mouseClick(find(ticket, QPushButton, "submitButton"), Qt.MouseButton.LeftButton)
    text = ticket.confirm_dialog.text()
    assert "Paper advisor demo · Group ByNetLiq · N · Net liquidation · 2 accounts" in text and "Paper (simulated money)" in text
    with qtbot.waitSignal(ticket.orderSubmitted, timeout=1000):
        qtbot.mouseClick(ticket.confirm_dialog.confirm_button, Qt.MouseButton.LeftButton)

    order = Order(broker="paper", connection_id="paper-advisor", account_id="ByNetLiq", order_id="9",
                  client_order_id=request.client_order_id, instrument=request.instrument, side=OrderSide.BUY,
                  type=OrderType.LIMIT, amount=D(100), limit_price=D(200), status=OrderStatus.ACCEPTED,
                  allocation_group="ByNetLiq")
    ticket.order_accepted(order)

    def fill(cid, aid, amount, fid):
        return Fill(broker="paper", connection_id=cid, account_id=aid, fill_id=fid, order_id="9",
                    client_order_id=request.client_order_id, instrument=request.instrument, side=OrderSide.BUY,
                    amount=D(amount), price=D(200), allocation_group="ByNetLiq")

    # the same group name and client order id at another connection is another order
    ticket.fills_added([fill("paper-advisor", "DU100001", 75, "1"), fill("ibkr", "DU100002", 25, "2")])
    assert ticket.extras.placed_fills() == {"DU100001": D(75)}
    ticket.fills_added([fill("paper-advisor", "DU100002", 25, "3")])
    assert ticket.extras.placed_fills() == {"DU100001": D(75), "DU100002": D(25)}
    assert "100 of 100 filled" in find(ticket, QLabel, "allocationTitle").text()


def test_a_shares_group_sets_the_quantity_at_its_connection(qtbot, ticket):
    ticket.quantity_edit.clear()
    assert ticket.select_group("paper-advisor", "Shares")
    assert ticket.quantity_edit.text() == "100"
    pick(qtbot, ticket, "u123")
    assert find(ticket, QWidget, "allocationPreview").isHidden() and ticket.account_label.text() == "Account"


# -------------------------------------------------------- disconnected, select_account
def test_a_disconnected_connections_accounts_cannot_be_chosen(qtbot, ticket):
    ticket.set_connections(connections(ibkr_live=False))
    box = combo(ticket)
    assert "IBKR (disconnected)" in texts(box)
    rows = [texts(box).index(t) for t in ("U1234567 · Main margin", "U7654321 · Retirement IRA")]
    assert not any(box.model().item(r).isEnabled() for r in rows)
    assert search(qtbot, ticket, "u123") == []  # not offered by the search either
    assert ticket.current_connection_id() == "paper"

    assert not ticket.select_account("ibkr", "U1234567")  # a stale position's account: shown, refused
    ticket.prefill(symbol="AAPL", side="SELL", amount=5)
    assert ticket.current_connection_id() == "ibkr" and ticket.current_request() is None
    assert box.lineEdit().text() == "IBKR · U1234567 · Main margin (disconnected)"
    assert find(ticket, QLabel, "accountError").text() == (
        "IBKR is disconnected: connect it (File → Connections…) to send orders to U1234567")
    assert not find(ticket, QPushButton, "submitButton").isEnabled()
    ticket.set_connections(connections())  # connected again
    assert ticket.current_request().connection_id == "ibkr"


def test_select_account_closes_a_position_at_its_own_account(qtbot, ticket):
    announced = []
    ticket.connectionChanged.connect(announced.append)
    assert ticket.select_account("paper-advisor", "DU100001")
    ticket.prefill(symbol="MSFT", side="SELL", amount=30)
    request = ticket.current_request()
    assert (request.connection_id, request.account_id, request.side, request.amount) == (
        "paper-advisor", "DU100001", OrderSide.SELL, D(30))
    assert announced == ["paper-advisor"] and combo(ticket).lineEdit().text() == (
        "Paper advisor demo · DU100001 · Harper Family Trust")
    assert not ticket.select_account("paper-advisor", "DF100000")  # the master trades nothing
    assert "master account holds no positions" in find(ticket, QLabel, "accountError").text()
    assert not ticket.select_account("ibkr", "U0000000")  # not listed: chosen, marked, refused
    assert combo(ticket).lineEdit().text() == "IBKR · U0000000 (not available)"


def test_set_connections_again_keeps_the_choice_the_fields_and_a_search(qtbot, ticket):
    pick(qtbot, ticket, "retirement")
    ticket.prefill(symbol="MSFT", side="SELL", amount=7, limit_price="401.5")
    announced = []
    ticket.connectionChanged.connect(announced.append)
    before = ticket.current_request()
    ticket.set_connections(connections())
    ticket.set_connections(connections(extra_ibkr=(account("ibkr", "U5555555", "Joint"),)))
    after = ticket.current_request()
    assert announced == [] and ticket.current_target() == ("ibkr", "account", "U7654321")
    assert after.model_dump(exclude={"client_order_id"}) == before.model_dump(exclude={"client_order_id"})
    assert "U5555555 · Joint" in texts(combo(ticket))
    assert search(qtbot, ticket, "okaf") == ["Paper advisor demo · DU100002 · Okafor IRA"]
    ticket.set_connections(connections())  # a refresh while the user types a search
    assert combo(ticket).lineEdit().text() == "okaf"
    qtbot.keyClick(combo(ticket).lineEdit(), Qt.Key.Key_Escape)
    find(ticket, QLineEdit, "symbolEdit").setFocus()  # leaving the search shows the choice again
    qtbot.waitUntil(lambda: combo(ticket).lineEdit().text() == "IBKR · U7654321 · Retirement IRA")


def test_a_symbol_the_connection_does_not_know_yet_is_asked_for_once(qtbot, ticket):
    asked = []
    ticket.symbolLookupRequested.connect(lambda cid, symbol: asked.append((cid, symbol)))
    pick(qtbot, ticket, "u123")
    ticket.prefill(amount=5)
    symbol = find(ticket, QLineEdit, "symbolEdit")
    type_into(qtbot, symbol, "SPY")
    qtbot.keyClick(symbol, Qt.Key.Key_Return)
    qtbot.keyClick(symbol, Qt.Key.Key_Return)
    assert asked == [("ibkr", "SPY")] and find(ticket, QLabel, "symbolError").text() == "SPY is not known to IBKR"
    spy = Instrument.equity("SPY")
    conns = connections()
    conns[2] = TicketConnection(**{**conns[2].__dict__, "instrument_for": lambda s: spy if s == "SPY" else KNOWN.get(s)})
    with qtbot.waitSignal(ticket.symbolChanged, timeout=1000) as announced:
        ticket.set_connections(conns)  # the window, once IBKR found it
    assert announced.args == ["SPY"]  # now its quotes can be streamed
    assert find(ticket, QLabel, "symbolError").isHidden() and ticket.current_request().instrument == spy
    pick(qtbot, ticket, "paper account")  # Paper does not list SPY either: asked there too
    assert asked == [("ibkr", "SPY"), ("paper", "SPY")]


def test_three_connections_still_fit_a_narrow_dock(ticket):
    assert ticket.minimumSizeHint().width() <= 320
