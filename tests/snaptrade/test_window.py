"""The done-when test of issue 12: SnapTrade in the whole window, against the fake
over loopback, driven through the widgets (Commercial and Personal keys).

File → Connections… → Add: a SnapTrade connection is filled in; "Link a brokerage…"
registers the user (its secret goes to the keyring, never shown) and opens the
Connection Portal in the (caught) browser, whose "Link" button the test presses as a
browser would; "Link read-only…" links a second brokerage for viewing only;
"Refresh data…" asks first (it may be charged) and does nothing on No. Saved
and connected, its accounts show beside the paper account in the one desk. The
ticket previews an order (impact: remaining cash, commission, forex fees), "Place
this" places the checked trade by its id, the blotter shows it filled; a resting
limit order is cancelled from the orders table; the read-only account's ticket says
why it cannot trade and how to upgrade.
"""

from __future__ import annotations

import re
from decimal import Decimal as D
from functools import partial

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton

import qt_helpers
from desktop.connections import ConnectionStore
from desktop.domain import OrderStatus
from desktop.security.secrets import SecretStore
from qt_helpers import WAIT, find, paper_window, tool, top_level, type_into
from tests.fakes.snaptrade import running_snaptrade

run = partial(qt_helpers.run, timeout=WAIT)  # a step against the fake over loopback gets 20 s


@pytest.fixture
def fast_snaptrade(monkeypatch):
    """SnapTrade adapters made from saved connections poll every 0.2 s (not 15 s), and a
    Personal key's per-account window is 1,000 a minute (not 10): test speed."""
    import desktop.brokers.snaptrade as snaptrade
    import desktop.brokers.snaptrade.client as client
    from desktop.brokers.transport import Pacer

    monkeypatch.setattr(client, "ACCOUNT_LIMIT", (1000, 60.0))

    class FastSnapTradeBroker(snaptrade.SnapTradeBroker):
        def __init__(self, base_url, **kw):
            super().__init__(base_url, poll_interval=0.2, pacer=Pacer(global_rate=200), reconcile_delay=0.05, **kw)

    monkeypatch.setattr(snaptrade, "SnapTradeBroker", FastSnapTradeBroker)


@pytest.fixture
def window(qtbot, qloop, memory_keyring, manual_paper, fast_snaptrade):
    with paper_window(qtbot, qloop, 1500, 950) as win:
        yield win


def start_fake(qtbot, qloop, tmp_path, personal):
    cm = running_snaptrade(tmp_path / "snaptrade", personal=personal)
    fake = run(qtbot, qloop, cm.__aenter__())
    fake.state.customer_limit = 100_000
    fake.state.account_limit = 100_000
    return cm, fake


def choose(combo: QComboBox, value: str) -> None:
    combo.setCurrentIndex(combo.findData(value))


async def press_link(url: str, broker: str) -> str:
    """What the user's browser does on the portal page: open it, press "Link <broker>"."""
    async with httpx.AsyncClient() as c:
        page = await c.get(url)
        assert page.status_code == 200 and f'value="{broker}"' in page.text, page.text[:300]
        action = re.search(r'action="([^"]+)"', page.text).group(1)
        done = await c.post(url.split("/portal/")[0] + action, data={"broker": broker})
        assert done.status_code == 200, done.text[:300]
        return done.text


def add_snaptrade_connection(qtbot, qloop, window, fake, browser, personal, monkeypatch):
    window.menus.connections_action.trigger()  # File → Connections…
    qtbot.waitUntil(lambda: top_level("connectionsDialog") is not None)
    manager = top_level("connectionsDialog")
    qtbot.mouseClick(find(manager, QPushButton, "addButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: top_level("connectionEditDialog") is not None)
    form = top_level("connectionEditDialog")
    choose(find(form, QComboBox, "brokerCombo"), "snaptrade")
    qtbot.waitUntil(lambda: form.findChild(QLineEdit, "field_client_id") is not None)
    assert not form.findChild(QLineEdit, "field_user_secret").isVisible()  # kept by the app, never shown
    type_into(qtbot, find(form, QLineEdit, "field_name"), "SnapTrade")
    if personal:
        choose(find(form, QComboBox, "field_mode"), "personal")
    type_into(qtbot, find(form, QLineEdit, "field_client_id"), fake.state.client_id)
    type_into(qtbot, find(form, QLineEdit, "field_consumer_key"), fake.state.consumer_key)
    if not personal:
        type_into(qtbot, find(form, QLineEdit, "field_user_id"), "desk-user-1")
    type_into(qtbot, find(form, QLineEdit, "field_base_url"), fake.base_url)

    said = tool(qtbot, form, "linkBrokerage", "Connection Portal")
    assert "expires in 5 minutes" in said
    assert ("Registered the SnapTrade user" in said) is (not personal)
    assert len(browser.urls) == 1 and browser.urls[0].startswith(fake.base_url + "/portal/")
    assert "connected (trade)" in run(qtbot, qloop, press_link(browser.urls[0], "ALPACA"))
    tool(qtbot, form, "linkReadOnly", "Connection Portal")
    assert "connected (read)" in run(qtbot, qloop, press_link(browser.urls[1], "SCHWAB"))
    listed = tool(qtbot, form, "listConnections", "Linked:")
    assert "Alpaca (trade)" in listed and "Charles Schwab (read-only)" in listed
    asked = []
    from PySide6.QtWidgets import QMessageBox

    def answer(_parent, _title, text, *_args):
        asked.append(text)
        return QMessageBox.StandardButton.No if len(asked) == 1 else QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(answer))
    qtbot.mouseClick(find(form, QPushButton, "refreshDataButton"), Qt.MouseButton.LeftButton)
    assert "may charge" in asked[0] and not any(a.refreshed for a in fake.state.authorizations.values())
    said = tool(qtbot, form, "refreshData", "Refresh asked")
    assert "Alpaca: " in said and all(a.refreshed == 1 for a in fake.state.authorizations.values())

    qtbot.mouseClick(find(form, QPushButton, "saveButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: top_level("connectionEditDialog") is None)
    conn = next(c for c in ConnectionStore.open_default().all() if c.broker == "snaptrade")
    secrets = SecretStore()
    if not personal:  # the registered user's secret: in the keyring, equal to SnapTrade's
        found, _missing = secrets.secrets_for(conn.id, ["user_secret"])
        assert found["user_secret"] == fake.state.users["desk-user-1"].secret
        assert "user_secret" not in (ConnectionStore.open_default().get(conn.id).values or {})
    lst = manager.list
    item = next(lst.topLevelItem(i) for i in range(lst.topLevelItemCount()) if lst.topLevelItem(i).text(0) == "SnapTrade")
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=lst.visualItemRect(item).center())
    connect = find(manager, QPushButton, "connectButton")
    qtbot.waitUntil(connect.isEnabled)
    qtbot.mouseClick(connect, Qt.MouseButton.LeftButton)
    message = find(manager, QLabel, "messageLabel")
    qtbot.waitUntil(lambda: message.text() == "Connected SnapTrade.", timeout=WAIT)
    manager.close()
    return conn.id


def choose_account(qtbot, ticket, connection_id, account_id):
    assert ticket.select_account(connection_id, account_id) or True
    qtbot.waitUntil(lambda: ticket.current_account() is not None and ticket.current_account().account_id == account_id)


def fill_ticket(qtbot, ticket, symbol, quantity, limit):
    for name, text in (("symbolEdit", symbol), ("quantityEdit", quantity)):
        edit = find(ticket, QLineEdit, name)
        edit.selectAll()
        qtbot.keyClicks(edit, text)
    ticket.type_combo.setCurrentIndex(ticket.type_combo.findData("LIMIT"))
    edit = find(ticket, QLineEdit, "limitPriceEdit")
    edit.selectAll()
    qtbot.keyClicks(edit, limit)


def confirm(qtbot, ticket):
    qtbot.waitUntil(lambda: ticket.confirm_dialog is not None and ticket.confirm_dialog.isVisible())
    qtbot.mouseClick(ticket.confirm_dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ticket.status_label.text().startswith("Order accepted"), timeout=WAIT)


@pytest.mark.parametrize("personal", [False, True], ids=["commercial", "personal"])
def test_snaptrade_links_shows_previews_places_cancels_and_refuses_read_only(qtbot, qloop, tmp_path, window,
                                                                              browser, personal, monkeypatch):
    cm, fake = start_fake(qtbot, qloop, tmp_path, personal)
    try:
        fake.paper.advance_minutes(5)
        cid = add_snaptrade_connection(qtbot, qloop, window, fake, browser, personal, monkeypatch)
        desk = window.desk
        alpaca, schwab = fake.account_for("ALPACA").id, fake.account_for("SCHWAB").id
        qtbot.waitUntil(lambda: {(r.connection_id, r.account.account_id) for r in window.accounts.model.rows()}
                        >= {("paper", "PAPER"), (cid, alpaca), (cid, schwab)}, timeout=WAIT)
        assert [c.id for c in desk.live()] == ["paper", cid]

        # Preview (impact), then "Place this": the checked trade placed by its id.
        ticket = window.ticket
        choose_account(qtbot, ticket, cid, alpaca)
        last = fake.paper.market.last_price("AAPL")
        fill_ticket(qtbot, ticket, "AAPL", "5", str((last * D("1.05")).quantize(D("0.01"))))
        preview = find(ticket, QPushButton, "previewButton")
        qtbot.waitUntil(preview.isEnabled, timeout=WAIT)
        qtbot.mouseClick(preview, Qt.MouseButton.LeftButton)
        details = find(ticket, QLabel, "whatIfDetails")
        qtbot.waitUntil(lambda: "Remaining cash" in details.text(), timeout=WAIT)
        assert "Estimated commission" in details.text() and "Forex fees" in details.text()
        place = find(ticket, QPushButton, "placePreviewedButton")
        assert place.isVisible()
        qtbot.mouseClick(place, Qt.MouseButton.LeftButton)
        confirm(qtbot, ticket)
        trade_posts = [r.path for r in fake.requests if r.method == "POST" and r.path.startswith("/trade/")]
        assert trade_posts[0] == "/trade/impact" and trade_posts[1] not in ("/trade/place", "/trade/impact")

        def filled() -> bool:
            fake.paper.advance_minutes(1)
            return any(o.connection_id == cid and o.status is OrderStatus.FILLED and o.amount == 5
                       for o in window.orders.model.rows())

        qtbot.waitUntil(filled, timeout=WAIT)

        # A resting limit order, cancelled from the orders table.
        fill_ticket(qtbot, ticket, "AAPL", "3", str((last * D("0.7")).quantize(D("0.01"))))
        submit = find(ticket, QPushButton, "submitButton")
        qtbot.waitUntil(submit.isEnabled, timeout=WAIT)
        qtbot.mouseClick(submit, Qt.MouseButton.LeftButton)
        confirm(qtbot, ticket)
        panel = window.orders
        qtbot.waitUntil(lambda: any(o.connection_id == cid and o.amount == 3 and o.is_working
                                    for o in panel.model.rows()), timeout=WAIT)
        row = next(r for r in range(panel.proxy.rowCount()) if panel.proxy.row_object(r).connection_id == cid
                   and panel.proxy.row_object(r).amount == 3)
        panel.view.selectRow(row)
        menu = panel.build_context_menu(panel.proxy.index(row, 0))
        cancel = next(a for a in menu.actions() if a.objectName() == "cancelOrderAction")
        assert cancel.isEnabled()
        cancel.trigger()
        qtbot.waitUntil(lambda: any(o.connection_id == cid and o.amount == 3 and o.status is OrderStatus.CANCELED
                                    for o in panel.model.rows()), timeout=WAIT)
        assert [r.path for r in fake.requests if r.path.endswith("/trading/cancel")] == [
            f"/accounts/{alpaca}/trading/cancel"]

        # The read-only account: its ticket says why not, and how to upgrade; nothing is sent.
        places = len([r for r in fake.requests if r.path.startswith("/trade/")])
        choose_account(qtbot, ticket, cid, schwab)
        fill_ticket(qtbot, ticket, "AAPL", "2", str((last * D("0.7")).quantize(D("0.01"))))
        qtbot.waitUntil(lambda: "read-only" in ticket.errors().get("account", ""), timeout=WAIT)
        assert "Upgrade to trading" in ticket.errors()["account"]
        assert not submit.isEnabled()
        assert len([r for r in fake.requests if r.path.startswith("/trade/")]) == places
    finally:
        run(qtbot, qloop, window.shutdown())
        run(qtbot, qloop, cm.__aexit__(None, None, None))
