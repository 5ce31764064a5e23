"""Maybe sent, through the widgets: an order whose answer was lost (a 502, a timeout, a
dropped connection after the POST) shows "Sent, not confirmed yet: checking…", never
"Order rejected", then the real outcome; Submit again with the same fields sends the
same client order id, so the broker holds one order; an edit makes a new id."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from desktop.brokers.paper import ACCOUNT_ID
from desktop.desk import Desk
from desktop.ui.order_actions import OrderActions
from desktop.ui.services.desk_bridge import DeskBridge
from desktop.ui.ticket import OrderTicket
from desktop.ui.ticket.targets import TicketConnection
from qt_helpers import find, run
from tests.desk.unconfirmed_brokers import AnswerLost

CHECKING = "Sent, not confirmed yet: checking…"


class Harness:
    """Ticket + OrderActions + DeskBridge over a desk with one connection (``broker``,
    named ``name``, the ticket on ``account``), wired as the main window wires them.
    ``market()``: the paper market behind it (prices); ``held()``: the orders the broker
    holds for the account. :meth:`paper`: over a paper broker whose order answers can
    be lost."""

    def __init__(self, qtbot, qloop, broker, name, account, *, market, held, delays=(0.05, 0.05, 0.1)) -> None:
        self.qtbot, self.qloop = qtbot, qloop
        self.market, self.held = market, held
        self.desk = Desk(poll_s=30, start_budget_s=2, check_delays=delays)
        self.desk.market.set_watchlist(["AAPL"])
        self.host = QWidget()
        self.bridge = DeskBridge(self.desk, flush_ms=20, parent=self.host)
        self.ticket = t = OrderTicket(self.host)
        QVBoxLayout(self.host).addWidget(t)
        self.actions = OrderActions(self.bridge, t, self.host)
        self.messages: list[str] = []
        self.actions.message.connect(self.messages.append)
        self.sent: list = []
        t.orderSubmitted.connect(self.sent.append)
        t.orderSubmitted.connect(self.actions.submit)
        self.bridge.connectionEvent.connect(lambda _e: t.set_connections(self.connections()))
        t.set_confirm_orders(False)
        self.host.resize(340, 800)
        self.host.show()
        qtbot.waitExposed(self.host)
        self.broker = broker
        self.conn = run(qtbot, qloop, self.desk.attach(broker, name), timeout=20_000)
        t.set_connections(self.connections())
        assert t.select_account(broker.connection_id, account)

    @classmethod
    def paper(cls, qtbot, qloop, tmp_path, **kw) -> "Harness":
        broker = AnswerLost(tmp_path / "paper.sqlite3", autostart=False, connection_id="paper")
        harness = cls(qtbot, qloop, broker, "Paper", ACCOUNT_ID, market=lambda: broker.market,
                      held=lambda: broker.engine.orders(), **kw)
        broker.advance_minutes(1)
        return harness

    def connections(self) -> list[TicketConnection]:
        return [TicketConnection(connection_id=c.id, name=c.name, capabilities=c.capabilities,
                                 accounts=tuple(self.desk.state.accounts_of(c.id)), live=c.is_live,
                                 instrument_for=c.instrument_for, commission_for=c.broker.estimate_commission)
                for c in self.desk.connections.values() if c.capabilities is not None]

    def type(self, name: str, text: str) -> None:
        edit = find(self.ticket, QLineEdit, name)
        edit.selectAll()
        self.qtbot.keyClicks(edit, text)

    def fill(self, quantity="10", symbol="AAPL") -> None:
        """A buy limit 20% under the market (it rests, working, without filling)."""
        t = self.ticket
        t.type_combo.setCurrentIndex(t.type_combo.findData("LIMIT"))
        self.type("symbolEdit", symbol)
        self.type("quantityEdit", quantity)
        self.type("limitPriceEdit", f"{self.low:f}")

    @property
    def low(self) -> D:
        return (self.market().last_price("AAPL") * D("0.8")).quantize(D("0.01"))

    def until(self, predicate, timeout=5000) -> None:
        """Wait for ``predicate()``, confirming any question the broker asks meanwhile."""
        asker = self.actions.asker(self.broker.connection_id)
        while not predicate():
            self.qtbot.waitUntil(lambda: predicate() or (asker.dialog is not None and asker.dialog.isVisible()),
                                 timeout=timeout)
            if asker.dialog is not None and asker.dialog.isVisible():
                asker.dialog.confirm_button.click()

    def submit(self):
        button = find(self.ticket, QPushButton, "submitButton")
        self.qtbot.waitUntil(button.isEnabled)
        count = len(self.sent)
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        self.qtbot.waitUntil(lambda: len(self.sent) == count + 1)
        return self.sent[-1]

    @property
    def status(self) -> QLabel:
        return find(self.ticket, QLabel, "statusLabel")

    @property
    def reject(self) -> QLabel:
        return find(self.ticket, QLabel, "rejectLabel")

    def rejection(self) -> str:
        return self.reject.text() if not self.reject.isHidden() else ""

    def orders(self) -> list:
        return self.held()


def test_a_lost_answer_shows_checking_then_the_order_accepted(qtbot, qloop, tmp_path):
    h = Harness.paper(qtbot, qloop, tmp_path, delays=(0.2, 0.2, 0.2))
    h.broker.answer_lost(placed=True, hide=True)  # placed; the broker lists it only later
    h.fill()
    request = h.submit()
    qtbot.waitUntil(lambda: h.status.text() == CHECKING)
    assert h.rejection() == "" and not h.ticket.is_busy()
    assert h.messages[-1] == f"Paper: sent, not confirmed yet: checking… ({request.describe()})"
    h.broker.reveal()
    order_id = h.orders()[0].order_id
    qtbot.waitUntil(lambda: h.status.text().startswith(f"Order {order_id} accepted"), timeout=5000)
    assert h.status.text() == f"Order {order_id} accepted: Buy 10 AAPL at limit {h.low:,}, good for the day"
    assert h.rejection() == "" and h.messages[-1] == f"Paper: {h.status.text()}"
    assert not any("rejected" in m for m in h.messages)
    qtbot.waitUntil(lambda: any(o.client_order_id == request.client_order_id for o in h.desk.state.orders.values()))


def test_a_retry_of_the_same_order_keeps_its_client_order_id_and_places_one_order(qtbot, qloop, tmp_path):
    h = Harness.paper(qtbot, qloop, tmp_path)
    h.broker.answer_lost(placed=True, hide=True)  # placed, but not listed before the check gives up
    h.fill()
    first = h.submit()
    qtbot.waitUntil(lambda: h.rejection().startswith("Not placed as far as Paper shows"), timeout=5000)
    assert h.rejection() == (f"Not placed as far as Paper shows (Buy 10 AAPL at limit {h.low:,}, good for the day): "
                             "check with the broker before sending it again.")
    assert h.messages[-1] == f"Paper: {h.rejection()}"
    h.broker.reveal()
    again = h.submit()  # nothing edited: the same order, the same client order id
    assert again.client_order_id == first.client_order_id
    qtbot.waitUntil(lambda: h.status.text().startswith("Order accepted"))
    assert h.broker.creates == 2 and len(h.orders()) == 1  # answered with the order it already had
    h.type("quantityEdit", "11")  # an edit is a new order: a new client order id
    edited = h.submit()
    assert edited.client_order_id != first.client_order_id
    qtbot.waitUntil(lambda: len(h.orders()) == 2)


def test_a_retry_that_finds_nothing_sends_the_same_id_and_places_it_once(qtbot, qloop, tmp_path):
    h = Harness.paper(qtbot, qloop, tmp_path)
    h.broker.answer_lost(placed=False)  # it never arrived
    h.fill()
    first = h.submit()
    qtbot.waitUntil(lambda: h.rejection().startswith("Not placed as far as Paper shows"), timeout=5000)
    assert h.orders() == []
    assert h.submit().client_order_id == first.client_order_id
    qtbot.waitUntil(lambda: h.status.text().startswith("Order accepted"))
    assert [o.client_order_id for o in h.orders()] == [first.client_order_id]
    assert h.submit().client_order_id != first.client_order_id  # after an answer, Submit is a new order


def test_submit_again_while_checking_sends_nothing_new(qtbot, qloop, tmp_path):
    h = Harness.paper(qtbot, qloop, tmp_path, delays=(0.5, 0.5))
    h.broker.answer_lost(placed=True, hide=True)
    h.fill()
    first = h.submit()
    qtbot.waitUntil(lambda: h.status.text() == CHECKING)
    second = h.submit()
    qtbot.waitUntil(lambda: h.status.text() == CHECKING and not h.ticket.is_busy())
    assert second.client_order_id == first.client_order_id and h.broker.creates == 1
    h.broker.reveal()
    qtbot.waitUntil(lambda: h.status.text().startswith("Order "), timeout=5000)
    assert "accepted" in h.status.text() and len(h.orders()) == 1


def test_not_connected_is_not_sent_and_a_refusal_is_rejected(qtbot, qloop, tmp_path):
    h = Harness.paper(qtbot, qloop, tmp_path)
    h.fill(quantity="100000")
    refused = h.submit()
    qtbot.waitUntil(lambda: h.rejection().startswith("Order rejected:"))
    assert "buying power" in h.rejection() and h.messages[-1].startswith("Paper: order rejected:")
    assert h.submit().client_order_id != refused.client_order_id  # refused: a resend is a new order
    qtbot.waitUntil(lambda: h.rejection().startswith("Order rejected:"))
    h.type("quantityEdit", "10")
    run(qtbot, qloop, h.desk.disconnect("paper"))
    # the ticket has not heard yet (a race with the disconnect): it offers the account; the desk refuses
    h.ticket.set_connections([replace(c, live=True) for c in h.connections()])
    h.submit()
    qtbot.waitUntil(lambda: h.rejection().startswith("Not sent:"))
    assert h.rejection() == "Not sent: Paper is not connected. Connect it in File → Connections…"
    assert h.messages[-1] == "Paper: not sent: Paper is not connected. Connect it in File → Connections…"
    assert not any(o.amount == D(10) for o in h.orders())  # only the two refused (recorded REJECTED) ones


def test_a_change_whose_answer_was_lost_is_checked_and_reported(qtbot, qloop, tmp_path):
    h = Harness.paper(qtbot, qloop, tmp_path)
    h.fill()
    h.submit()
    qtbot.waitUntil(lambda: h.status.text().startswith("Order accepted"))
    order = next(o for o in h.desk.state.orders.values() if o.connection_id == "paper")
    h.broker.answer_lost(placed=True)
    h.actions.modify(order)
    dialog = h.actions._modify_dialog
    qtbot.waitUntil(dialog.isVisible)
    edit = find(dialog, QLineEdit, "quantityEdit")
    edit.selectAll()
    qtbot.keyClicks(edit, "20")
    qtbot.mouseClick(find(dialog, QPushButton, "confirmButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any("modified" in m for m in h.messages), timeout=5000)
    assert f"Paper: the change of order {order.order_id} was sent, not confirmed yet: checking…" in h.messages
    assert h.messages[-1].startswith(f"Paper: Order {order.order_id} modified: Buy 20 AAPL at limit")
    assert h.broker.engine.get_order(order.order_id).amount == D(20)
