"""The advisor main window's layout at 1600x1000 (pytest-qt, offscreen): the order
ticket scrolls inside its dock when the allocation table, what-if result and placed
status need more height than the dock has, with no horizontal scrollbar at the
default width. ``TRADEDESK_SCREENSHOTS=<folder>`` saves the window's picture."""

from __future__ import annotations

import os
from decimal import Decimal as D

import pytest
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea

from desktop.brokers.paper import PaperBroker
from desktop.domain import Account
from desktop.ui.ticket.targets import TicketConnection
from desktop.ui.main_window import MainWindow
from qt_helpers import run

SCREENSHOTS = os.environ.get("TRADEDESK_SCREENSHOTS")


@pytest.fixture
def window(qtbot, qloop, tmp_path):
    broker = PaperBroker(tmp_path / "advisor.sqlite3", advisor=True, autostart=False)
    win = MainWindow(brokers=[broker])
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    run(qtbot, qloop, win.start())
    broker.advance_minutes(5)
    qtbot.waitUntil(lambda: win.ticket.extras.advisor and win.desk.state.quote("paper", "AAPL") is not None)
    yield win
    run(qtbot, qloop, win.shutdown())
    win.close()
    win.deleteLater()


def place_through_ticket(qtbot, window, group: str, quantity: str) -> None:
    """Choose ``group``, type a market order, submit, confirm, answer the questions."""
    t = window.ticket
    qtbot.waitUntil(lambda: t.select_group("paper", group))
    t.symbol_edit.setText("AAPL")
    t.quantity_edit.setText(quantity)
    t.set_confirm_orders(False)
    qtbot.waitUntil(t.submit_button.isEnabled)
    t.submit_button.click()
    asker = window.actions_.asker("paper")
    while not t.status_label.text().startswith("Order accepted"):
        qtbot.waitUntil(lambda: t.status_label.text().startswith("Order accepted")
                        or (asker.dialog is not None and asker.dialog.isVisible()), timeout=5000)
        if asker.dialog is not None and asker.dialog.isVisible():
            asker.dialog.confirm_button.click()


def test_ticket_scrolls_inside_its_dock(qtbot, window):
    scroll = window.docks["ticket"].widget()
    assert isinstance(scroll, QScrollArea) and scroll.objectName() == "orderTicketScroll"
    assert scroll.widget() is window.ticket and scroll.widgetResizable()
    assert window.findChild(type(window.ticket), "orderTicket") is window.ticket

    place_through_ticket(qtbot, window, "ByNetLiq", "100")

    def filled() -> bool:
        if sum(window.ticket.extras.placed_fills().values()) < 100:
            window.desk.connection("paper").broker.advance_minutes(1)
            return False
        return True

    qtbot.waitUntil(filled, timeout=10_000)
    qtbot.waitUntil(lambda: "100 of 100 filled" in window.ticket.findChild(QLabel, "allocationTitle").text())
    window.docks["fills"].raise_()
    qtbot.wait(50)  # let the layouts settle before measuring / grabbing
    qtbot.waitUntil(lambda: len(window.fills.model.rows()) == 4 and len(window.positions.model.rows()) == 4,
                    timeout=5000)
    if SCREENSHOTS:
        window.grab().save(os.path.join(SCREENSHOTS, "advisor_window_1600x1000.png"))

    ticket = window.ticket
    assert not scroll.horizontalScrollBar().isVisible()  # the dock is wide enough
    assert ticket.width() >= ticket.minimumSizeHint().width()
    assert ticket.height() >= ticket.minimumSizeHint().height()  # squeezed: no, it scrolls
    # Whatever the dock's height, every part of the placed order can be scrolled to.
    window.resize(1600, 700)
    qtbot.waitUntil(lambda: scroll.verticalScrollBar().isVisible())  # shown once its range is set
    assert scroll.verticalScrollBar().maximum() > 0
    assert not scroll.horizontalScrollBar().isVisible()  # the bar's width still leaves the ticket enough
    status = ticket.status_label
    scroll.ensureWidgetVisible(status)
    qtbot.waitUntil(lambda: status.visibleRegion().boundingRect().height() == status.height())
    if SCREENSHOTS:
        window.grab().save(os.path.join(SCREENSHOTS, "advisor_window_1600x700_scrolled.png"))
    assert status.text().startswith("Order accepted")
    assert ticket.findChild(QPushButton, "submitButton") is ticket.submit_button
    assert window.ticket.extras.preview.isVisible() and D(100) == sum(window.ticket.extras.placed_fills().values())


def test_advisor_account_row_uses_the_whole_width_and_goes_back(qtbot, window):
    """Advisor mode lifts "Allocate to" and the group selector above the form (a group's
    line is wider than the form's field column); another broker puts "Account" back."""
    from desktop.brokers.capabilities import BrokerCapabilities

    t = window.ticket
    box, form = t.boxes["account"], t.form
    assert t.account_label.text() == "Allocate to" and form.indexOf(box) < 0
    assert t.layout().indexOf(box) == 1 and t.layout().indexOf(t.account_label) == 0
    assert box.width() > form.geometry().width() - 20  # spans the ticket, not just the field column
    combo = t.account_combo
    longest = max(combo.fontMetrics().horizontalAdvance(combo.itemText(i)) for i in range(combo.count()))
    assert combo.lineEdit().width() >= longest  # "ByEquity · A · Available equity · 3 accounts" in full
    members = t.selector.members_label
    assert members.height() >= members.heightForWidth(members.width())  # wrapped lines not squeezed

    rows = form.rowCount()
    plain = TicketConnection("plain", "Paper 2", BrokerCapabilities(), accounts=(
        Account(broker="paper", connection_id="plain", account_id="PAPER", name="Paper account", is_paper=True),))
    t.set_connections([plain])  # only a connection without groups is left (the choice is never moved silently)
    assert t.select_account("plain", "PAPER")
    assert form.rowCount() == rows + 1 and form.getWidgetPosition(t.boxes["symbol"])[0] == 1
    assert t.account_label.text() == "Account" and form.labelForField(box) is t.account_label
    assert form.getWidgetPosition(box)[0] == 0 and t.layout().indexOf(box) < 0
    assert not t.account_combo.isEditable()  # a plain drop-down again
    window.ticket_link.update()  # the advisor connection is offered again
    assert t.select_group("paper", "ByNetLiq")
    assert t.account_label.text() == "Allocate to" and t.layout().indexOf(box) == 1
    assert form.rowCount() == rows and form.getWidgetPosition(t.boxes["symbol"])[0] == 0
