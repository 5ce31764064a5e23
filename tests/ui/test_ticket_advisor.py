"""The advisor's order ticket on the paper advisor demo, driven through its widgets.

Paper advisor mode (``PaperBroker(advisor=True)``): master DF100000, clients DU100001..4
with $1M / $400K / $250K / $100K, groups Everyone (E), ByNetLiq (N), ByEquity (A),
Shares (S 40/30/20/10) and Growth (P 50/30/20). Group orders ask the p6 question.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from desktop.brokers.paper import PaperBroker
from desktop.desk import Desk
from desktop.domain import (
    AccountValues, AllocationGroup, AllocationMember, Fill, Instrument, OrderSide, OrderStatus,
)
from desktop.ui.order_actions import OrderActions
from desktop.ui.services.desk_bridge import DeskBridge
from desktop.ui.ticket import OrderTicket
from desktop.ui.ticket.account_selector import KIND_ROLE
from desktop.ui.ticket.allocation_values import FillTally, estimate_allocation
from desktop.ui.ticket.targets import TicketConnection
from qt_helpers import find, run

CLIENTS = ("DU100001", "DU100002", "DU100003", "DU100004")
ADVISOR = "paper-advisor"


def ticket_connections(desk: Desk) -> list[TicketConnection]:
    """What the main window gives the ticket (desktop.ui.ticket_link.TicketLink.update)."""
    return [TicketConnection(connection_id=c.id, name=c.name, capabilities=c.capabilities,
                             accounts=tuple(desk.state.accounts_of(c.id)), groups=tuple(c.groups.values()),
                             values=tuple(c.allocation_values.values()), live=c.is_live, instrument_for=c.instrument_for,
                             commission_for=c.broker.estimate_commission)
            for c in desk.connections.values() if c.capabilities is not None]


class Harness:
    """Ticket + OrderActions + DeskBridge over a desk with a plain paper connection and
    the paper advisor demo, wired as main_window does."""

    def __init__(self, qtbot, qloop, tmp_path) -> None:
        self.qtbot, self.qloop = qtbot, qloop
        self.desk = Desk(poll_s=0.05, start_budget_s=2)
        self.desk.market.set_watchlist(["AAPL", "MSFT"])
        self.desk.market.want("ticket", ADVISOR, ["AAPL", "MSFT"])
        self.host = QWidget()
        self.bridge = DeskBridge(self.desk, flush_ms=20, parent=self.host)
        self.ticket = OrderTicket(self.host)
        QVBoxLayout(self.host).addWidget(self.ticket)
        self.actions = OrderActions(self.bridge, self.ticket, self.host)
        b, t = self.bridge, self.ticket
        b.accountsChanged.connect(lambda _accounts: t.set_connections(ticket_connections(self.desk)))
        b.connectionEvent.connect(lambda _event: t.set_connections(ticket_connections(self.desk)))
        b.quotesChanged.connect(lambda quotes: [t.set_quote(q) for q in quotes
                                                if q.connection_id == t.current_connection_id()])
        b.fillsAdded.connect(t.fills_added)
        t.orderSubmitted.connect(self.actions.submit)
        self.host.resize(340, 900)
        self.host.show()
        qtbot.waitExposed(self.host)
        self.paper = PaperBroker(tmp_path / "paper.sqlite3", autostart=False, connection_id="paper")
        self.broker = PaperBroker(tmp_path / "advisor.sqlite3", advisor=True, autostart=False, connection_id=ADVISOR)
        run(qtbot, qloop, self.desk.attach(self.paper, "Paper"))
        self.conn = run(qtbot, qloop, self.desk.attach(self.broker, "Paper advisor demo"))
        t.set_connections(ticket_connections(self.desk))  # attach() names an ad-hoc connection after it connected
        self.broker.advance_minutes(5)
        self.groups = dict(self.conn.groups)
        self.values = list(self.conn.allocation_values.values())
        qtbot.waitUntil(lambda: t.select_group(ADVISOR, "ByNetLiq"))
        qtbot.waitUntil(lambda: self.quote() is not None and self.quote().last is not None)
        t.set_quote(self.quote())  # the window gives the ticket its connection's quote when it moves there

    def quote(self):
        return self.desk.state.quote(ADVISOR, "AAPL")

    def fill(self, target: str, quantity: str, limit: str | None = None, symbol: str = "AAPL") -> None:
        t, qtbot = self.ticket, self.qtbot
        chosen = t.select_account(ADVISOR, target) if target.startswith("DU") else t.select_group(ADVISOR, target)
        assert chosen, target
        for name, text in (("symbolEdit", symbol), ("quantityEdit", quantity)):
            edit = find(t, QLineEdit, name)
            edit.selectAll()
            qtbot.keyClicks(edit, text)
        if limit is not None:
            t.type_combo.setCurrentIndex(t.type_combo.findData("LIMIT"))
            edit = find(t, QLineEdit, "limitPriceEdit")
            edit.selectAll()
            qtbot.keyClicks(edit, limit)

    def submit(self) -> str:
        """Submit, confirm the ticket's own confirmation dialog; returns its text."""
        t = self.ticket
        submit = find(t, QPushButton, "submitButton")
        assert submit.isEnabled(), t.errors()
        self.qtbot.mouseClick(submit, Qt.MouseButton.LeftButton)
        self.qtbot.waitUntil(lambda: t.confirm_dialog is not None and t.confirm_dialog.isVisible())
        text = t.confirm_dialog.text()
        self.qtbot.mouseClick(t.confirm_dialog.confirm_button, Qt.MouseButton.LeftButton)
        return text

    @property
    def asker(self):
        return self.actions.asker(ADVISOR)

    def question(self):
        """The broker's reply question dialog, once it is up."""
        asker = self.asker
        self.qtbot.waitUntil(lambda: asker.dialog is not None and asker.dialog.isVisible())
        return asker.dialog

    def orders(self, **match) -> list:
        return [o for o in self.desk.state.orders.values() if all(getattr(o, k) == v for k, v in match.items())]

    def last_price(self) -> D:
        return self.quote().last

    def close(self) -> None:
        run(self.qtbot, self.qloop, self.desk.shutdown())
        self.bridge.close()
        self.host.close()
        self.host.deleteLater()


@pytest.fixture
def desk(qtbot, qloop, tmp_path):
    d = Harness(qtbot, qloop, tmp_path)
    yield d
    d.close()


def limit_near(price: D) -> str:
    return str((price * D("1.02")).quantize(D("0.01")))


# ------------------------------------------------------------------ selector
def test_selector_lists_groups_and_accounts_and_filters_by_typing(qtbot, desk):
    t = desk.ticket
    combo = find(t, QComboBox, "accountCombo")
    assert combo.isVisible() and combo.isEditable()
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert texts[:3] == ["Paper", "PAPER · Paper account", "Paper advisor demo"]  # one heading per connection
    assert combo.model().item(2).data(KIND_ROLE) == "heading" and not combo.model().item(2).isEnabled()
    assert "ByNetLiq · N · Net liquidation · 4 accounts" in texts
    assert "Shares · S · Shares · 4 accounts" in texts
    assert "DU100002 · Okafor IRA" in texts
    master = texts.index("DF100000 · Advisor (master)")
    assert not combo.model().item(master).isEnabled()  # the master is no trading target
    assert texts.index("Everyone · E · Equal · 4 accounts") < master  # the advisor's groups first

    line = combo.lineEdit()
    line.selectAll()
    qtbot.keyClicks(line, "okaf")
    popup = t.selector.completer.popup()
    qtbot.waitUntil(popup.isVisible)
    assert [popup.model().index(r, 0).data() for r in range(popup.model().rowCount())] == [
        "Paper advisor demo · DU100002 · Okafor IRA"]
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert t.current_target() == (ADVISOR, "account", "DU100002")
    assert find(t, QLabel, "groupMembersLabel").isHidden()

    line.selectAll()
    qtbot.keyClicks(line, "net liq")
    qtbot.waitUntil(popup.isVisible)
    assert [popup.model().index(r, 0).data() for r in range(popup.model().rowCount())] == [
        "Paper advisor demo · ByNetLiq · N · Net liquidation · 4 accounts"]
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert t.current_target() == (ADVISOR, "group", "ByNetLiq") and t.current_connection_id() == ADVISOR
    members = find(t, QLabel, "groupMembersLabel")
    assert members.isVisible() and members.text() == "4 members: " + ", ".join(CLIENTS)
    assert t.account_label.text() == "Allocate to"
    assert t.select_account("paper", "PAPER") and t.account_label.text() == "Account" and members.isHidden()


def test_client_account_order_needs_no_allocation(qtbot, desk):
    desk.fill("DU100003", "10")
    t = desk.ticket
    assert t.current_request().account_id == "DU100003"
    assert t.current_account().name == "Lindqvist Joint"
    assert find(t, QWidget, "allocationPreview").isHidden()


# ------------------------------------------------------------------ preview
def test_net_liq_group_preview_is_the_domain_split_and_updates_live(qtbot, desk):
    desk.fill("ByNetLiq", "100", limit="500")
    t = desk.ticket
    preview = t.extras.preview
    assert preview.isVisible() and "Estimate" in find(t, QLabel, "allocationTitle").text()
    expected = desk.groups["ByNetLiq"].allocate(D(100), desk.values)
    cells = preview.cells()
    assert cells[0] == ["Account", "NetLiq", "Shares", "Notional"]
    assert [row[0] for row in cells[1:-1]] == list(CLIENTS)
    assert [D(row[2]) for row in cells[1:-1]] == list(expected.values())
    assert sum(expected.values()) == 100 and cells[-1][2] == "100"
    assert cells[1][1] == "$1.00M" and cells[2][1] == "$400K"
    assert cells[1][3] == f"${expected['DU100001'] * 500:,.2f}"

    edit = find(t, QLineEdit, "quantityEdit")
    edit.selectAll()
    qtbot.keyClicks(edit, "250")
    expected = desk.groups["ByNetLiq"].allocate(D(250), desk.values)
    assert [D(row[2]) for row in preview.cells()[1:-1]] == list(expected.values())
    assert preview.cells()[-1][2] == "250"


def test_shares_group_sets_and_validates_the_quantity(qtbot, desk):
    t = desk.ticket
    t.quantity_edit.clear()
    assert t.select_group(ADVISOR, "Shares")
    assert t.quantity_edit.text() == "100"  # blank quantity: the group's 40+30+20+10
    edit = find(t, QLineEdit, "quantityEdit")
    edit.selectAll()
    qtbot.keyClicks(edit, "70")
    error = find(t, QLabel, "quantityError")
    assert error.isVisible() and "the quantity must be 100" in error.text()
    assert not find(t, QPushButton, "submitButton").isEnabled()
    link = find(t, QLabel, "allocationError")
    assert link.isVisible() and "Set quantity to 100" in link.text()
    link.linkActivated.emit("set-quantity")
    assert t.quantity_edit.text() == "100" and not error.isVisible()
    assert [row[2] for row in t.extras.preview.cells()[1:-1]] == ["40", "30", "20", "10"]
    assert t.extras.preview.error_text() == ""


def test_allocation_errors_are_explained_never_raised():
    cash = AllocationGroup(name="Cash", method="C", members=[AllocationMember(account_id="A", amount=D(1000)),
                                                             AllocationMember(account_id="B", amount=D(500))])
    no_price = estimate_allocation(cash, {}, {}, D(10), None)
    assert "need a price" in no_price.error and not no_price.blocking
    priced = estimate_allocation(cash, {}, {}, D(10), D(100))  # 1000/100 + 500/100 = 15 shares
    assert priced.blocking and priced.suggested_quantity == 15 and "must be 15" in priced.error
    by_nlv = AllocationGroup(name="N", method="N", members=[AllocationMember(account_id="A")])
    missing = estimate_allocation(by_nlv, {}, {}, D(10), D(1))
    assert "Waiting for account values" in missing.error and missing.rows[0].shares is None
    ok = estimate_allocation(by_nlv, {"A": AccountValues(account_id="A", net_liquidation=D(5))}, {}, D(10), D(2))
    assert ok.rows[0].shares == 10 and ok.rows[0].notional == 20 and ok.error == ""


def test_fill_tally_counts_only_the_orders_fills_once():
    aapl = Instrument.equity("AAPL")

    def fill(fid, account, amount, price, group="G", coid="c1"):
        return Fill(broker="paper", connection_id="adv", account_id=account, fill_id=fid, order_id="1", client_order_id=coid,
                    instrument=aapl, side=OrderSide.BUY, amount=D(amount), price=D(price), allocation_group=group)

    tally = FillTally("G", "c1", "adv")
    fills = [fill("1", "A", 10, 100), fill("2", "A", 30, 104), fill("3", "B", 5, 100),
             fill("4", "A", 99, 1, coid="other"), fill("5", "A", 99, 1, group=""),
             fill("6", "A", 99, 1).model_copy(update={"connection_id": "another"})]
    assert tally.add(fills) and not tally.add(fills[:1])
    assert tally.filled == {"A": D(40), "B": D(5)} and tally.average("A") == D(103)


# ---------------------------------------------------------------- order flow
def test_group_limit_order_asks_p6_and_fills_as_estimated(qtbot, desk):
    desk.fill("ByNetLiq", "100", limit=limit_near(desk.last_price()))
    t = desk.ticket
    estimate = [row[2] for row in t.extras.preview.cells()[1:-1]]
    confirm_text = desk.submit()
    assert "Paper advisor demo · Group ByNetLiq · N · Net liquidation · 4 accounts" in confirm_text
    assert "Paper (simulated money)" in confirm_text
    dialog = desk.question()
    assert "distributed over multiple accounts" in find(dialog, QLabel, "questionTextLabel").text()
    assert find(dialog, QLabel, "questionIdsLabel").text() == "Message ids: p6"
    qtbot.mouseClick(find(dialog, QPushButton, "questionConfirmButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: t.status_label.text().startswith("Order accepted"))
    group_orders = desk.orders(allocation_group="ByNetLiq", account_id="ByNetLiq")
    assert len(group_orders) == 1 and group_orders[0].connection_id == ADVISOR

    def filled() -> bool:
        if sum(t.extras.placed_fills().values()) < 100:
            desk.broker.advance_minutes(1)
            return False
        return True

    qtbot.waitUntil(filled, timeout=10_000)
    cells = t.extras.preview.cells()
    assert cells[0] == ["Account", "Estimate", "Filled", "Avg price"]
    assert [row[1] for row in cells[1:-1]] == estimate
    assert [row[2] for row in cells[1:-1]] == estimate  # the paper engine splits as estimated
    assert all(row[3] != "—" for row in cells[1:-1])
    assert "100 of 100 filled" in find(t, QLabel, "allocationTitle").text()

    edit = find(t, QLineEdit, "quantityEdit")  # a new order: back to the estimate
    edit.selectAll()
    qtbot.keyClicks(edit, "10")
    assert t.extras.preview.cells()[0][1] == "NetLiq"


def test_declined_question_keeps_the_ticket_filled_with_the_reason(qtbot, desk):
    desk.fill("Everyone", "40", limit=limit_near(desk.last_price()))
    t = desk.ticket
    desk.submit()
    dialog = desk.question()
    qtbot.mouseClick(find(dialog, QPushButton, "questionCancelButton"), Qt.MouseButton.LeftButton)
    reject = find(t, QLabel, "rejectLabel")
    qtbot.waitUntil(reject.isVisible)
    assert reject.text().startswith("Order rejected:")
    assert t.quantity_edit.text() == "40" and t.symbol() == "AAPL" and t.current_target() == (ADVISOR, "group", "Everyone")
    assert not t.is_busy() and find(t, QPushButton, "submitButton").isEnabled()
    assert not [o for o in desk.desk.state.orders.values() if o.allocation_group]


def test_dont_ask_again_means_the_second_order_asks_nothing(qtbot, desk):
    t = desk.ticket
    desk.fill("Growth", "10", limit=limit_near(desk.last_price()))
    desk.submit()
    dialog = desk.question()
    find(dialog, QLabel, "questionIdsLabel")
    dialog.suppress_check.setChecked(True)
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: t.status_label.text().startswith("Order accepted"))
    assert desk.asker.suppressed == ("p6",)

    shown = []
    desk.asker.questionShown.connect(shown.append)
    desk.fill("ByEquity", "30", limit=limit_near(desk.last_price()))
    desk.submit()
    qtbot.waitUntil(lambda: t.status_label.text().startswith("Order accepted") and "30" in t.status_label.text())
    assert shown == []
    orders = [o for o in desk.desk.state.orders.values() if o.allocation_group and o.account_id == o.allocation_group]
    assert {o.allocation_group for o in orders} == {"Growth", "ByEquity"}
    assert all(o.status is not OrderStatus.REJECTED for o in orders)


def test_what_if_shows_the_commission(qtbot, qloop, desk):
    desk.fill("ByNetLiq", "100", limit=limit_near(desk.last_price()))
    t = desk.ticket
    panel = find(t, QWidget, "whatIfPanel")
    assert panel.isVisible()
    expected = run(qtbot, qloop, desk.broker.preview_order(t.current_request()))
    qtbot.mouseClick(find(t, QPushButton, "previewButton"), Qt.MouseButton.LeftButton)
    commission = find(t, QLabel, "whatIfCommission")
    qtbot.waitUntil(commission.isVisible)
    assert commission.text() == f"${expected.commission:,.2f}" and expected.commission > 0
    assert find(t, QLabel, "whatIfTotal").text() == f"${expected.total:,.2f}"
    # the ticket's own estimate charges each client account's child order, as the broker does
    assert f"+ ${expected.commission:,.2f} commission)" in find(t, QLabel, "estimateLabel").text()
    edit = find(t, QLineEdit, "quantityEdit")
    edit.selectAll()
    qtbot.keyClicks(edit, "10")
    assert "preview again" in find(t, QLabel, "whatIfState").text()


# ---------------------------------------------------------------- main window
def test_main_window_feeds_groups_to_the_ticket_and_asks_through_the_dialog(qtbot, qloop, tmp_path):
    from desktop.ui.main_window import MainWindow

    broker = PaperBroker(tmp_path / "paper.sqlite3", advisor=True, autostart=False, connection_id=ADVISOR)
    window = MainWindow(brokers=[broker])  # not qtbot.addWidget: pytest-qt would delete it before shutdown
    window.show()
    qtbot.waitExposed(window)
    try:
        run(qtbot, qloop, window.start())
        broker.advance_minutes(5)
        t = window.ticket
        qtbot.waitUntil(lambda: t.select_group(ADVISOR, "ByNetLiq"))
        qtbot.waitUntil(lambda: window.desk.state.quote(ADVISOR, "AAPL") is not None)
        last = window.desk.state.quote(ADVISOR, "AAPL").last
        t.prefill(symbol="AAPL", amount=100, limit_price=limit_near(last or D(500)))
        assert [row[2] for row in t.extras.preview.cells()[1:-1]] == ["57", "23", "14", "6"]
        t.set_confirm_orders(False)
        qtbot.mouseClick(find(t, QPushButton, "submitButton"), Qt.MouseButton.LeftButton)
        asker = window.actions_.asker(ADVISOR)
        qtbot.waitUntil(lambda: asker.dialog is not None and asker.dialog.isVisible())
        qtbot.mouseClick(asker.dialog.confirm_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: t.status_label.text().startswith("Order accepted"))
    finally:
        run(qtbot, qloop, window.shutdown())
        window.close()
        window.deleteLater()
