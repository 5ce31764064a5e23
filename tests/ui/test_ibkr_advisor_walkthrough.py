"""An advisor's first session against IBKR, end to end through the main window.

The fake Client Portal Gateway (tests/fakes/ibkr, HTTPS + WSS on loopback, backed by
the paper advisor demo: master DF100000, clients DU100001..4, groups incl. ByNetLiq)
starts logged out; the saved IBKR connection (a ConnectionStore in the test's
TRADEDESK_HOME) has no certificate pin yet. Everything is done as the user would:
trust the certificate in its dialog, log in in the "browser" (a QDesktopServices URL
handler that performs the fake's login), pick the group by typing in the ticket, place
a limit buy through Submit, the confirmation and IBKR's reply questions, then watch
the order, fills and positions arrive as the paper market moves (pytest-qt, offscreen).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QToolButton

from desktop.security.secrets import SecretStore
from desktop.connections import ConnectionStore
from desktop.domain import OrderSide, OrderStatus, OrderType
from desktop.desk import Desk
from desktop.ui.main_window import MainWindow
from desktop.domain.consolidation import CONSOLIDATED_ACCOUNT
from fast_ibkr import install_fast_ibkr
from qt_helpers import find, run, top_level

fakes = pytest.importorskip("tests.fakes.ibkr")
pytest.importorskip("desktop.brokers.ibkr")

MASTER = "DF100000"
CLIENTS = ["DU100001", "DU100002", "DU100003", "DU100004"]
GROUP = "ByNetLiq"
AAPL_CONID = 265598
QUANTITY = 100
WAIT = 20_000  # ms, generous: with test pacing every step takes well under a second
SLOW_WAIT = 150_000  # ms, real pacing: one round of live orders over 5 accounts + 5 groups is 50 s
PACE_SCALE = 50  # IBKR's pacing windows, 50 times shorter (1 per 5 s -> 1 per 0.1 s)


# -- small helpers -----------------------------------------------------------------------
def cell(panel, row, column_id) -> str:
    return panel.model.columns[panel.model.column_index(column_id)].display(row)


def status_text(window, connection_id) -> str:
    item = window.status.item(connection_id)
    return item.full_text if item is not None else ""


def login_offered(window, connection_id) -> bool:
    """Whether the connection's status bar item offers "Log in…"."""
    return "loginAction" in [a.objectName() for a in window.status.menu_for(connection_id).actions()]


def type_into(qtbot, edit: QLineEdit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClicks(edit, text)


class LoggingInBrowser(QObject):
    """Stands in for the user's browser (QDesktopServices "https" handler): records each
    URL it is asked to open with what the status bar showed at that moment, then logs
    in to the fake gateway as the user would on its login page."""

    def __init__(self, gw, window_ref: list) -> None:
        super().__init__()
        self.gw, self.window_ref = gw, window_ref
        self.connection_id = ""
        self.opened: list[tuple[str, str, bool, str]] = []  # (url, status text, "Log in…" offered, its tooltip)

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        window = self.window_ref[0] if self.window_ref else None
        cid = self.connection_id
        item = window.status.item(cid) if window and cid else None
        shown = (status_text(window, cid), login_offered(window, cid), item.toolTip()) if item else ("", False, "")
        self.opened.append((url.toString(), *shown))
        if url.toString() == self.gw.login_url:
            self.gw.log_in()


# -- fixtures ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Timings:
    """How the test's brokers are built: ``broker_class`` (what the connection factory
    makes), ``wait`` (ms per waitUntil), ``fast`` (test pacing and polls)."""

    broker_class: type
    wait: int
    fast: bool


@pytest.fixture(params=["fast", pytest.param("ibkr-pacing", marks=pytest.mark.slow)])
def timings(request, monkeypatch) -> Timings:
    """"fast": brokers built by the saved connection's factory (``desktop.connections.ibkr``
    imports ``desktop.brokers.ibkr.IbkrBroker`` when called) get IBKR's pacing rules with
    windows PACE_SCALE times shorter and fast login/order polls; the fake's own 429
    enforcement is switched off (it counts the real windows). "ibkr-pacing" (slow): the
    app's real pacing and polls against the fake enforcing IBKR's limits - an advisor's
    five accounts then take ~25 s per round of ``/iserver/account/trades`` alone.
    """
    import desktop.brokers.ibkr as ibkr

    if request.param != "fast":
        return Timings(ibkr.IbkrBroker, SLOW_WAIT, fast=False)
    return Timings(install_fast_ibkr(monkeypatch, PACE_SCALE), WAIT, fast=True)


@pytest.fixture
def gw(qtbot, qloop, tmp_path, timings):
    """The fake gateway, not logged in yet, on the Qt loop; stopped at teardown."""
    cm = fakes.running_gateway(tmp_path / "gateway", authenticated=False)
    gateway = run(qtbot, qloop, cm.__aenter__())
    gateway.state.pacing = not timings.fast
    yield gateway
    run(qtbot, qloop, cm.__aexit__(None, None, None))


@pytest.fixture
def refusals(gw) -> list[str]:
    """Every request the fake refused with 429 (pacing), as its reason."""
    refused: list[str] = []
    admit = gw.pacer.admit

    def counting(method: str, path: str) -> str | None:
        why = admit(method, path)
        if why is not None:
            refused.append(why)
        return why

    gw.pacer.admit = counting
    return refused


@pytest.fixture
def windows(qtbot, qloop):
    """Windows made by the test (one list shared with the browser); shut down at teardown."""
    made: list[MainWindow] = []
    yield made
    for window in made:
        run(qtbot, qloop, window.shutdown(), timeout=SLOW_WAIT)
        window.close()
        window.deleteLater()


@pytest.fixture
def browser(gw, windows):
    catcher = LoggingInBrowser(gw, windows)
    QDesktopServices.setUrlHandler("https", catcher, "open")
    yield catcher
    QDesktopServices.unsetUrlHandler("https")


# -- the walkthrough -----------------------------------------------------------------------
def test_advisor_trusts_logs_in_and_trades_a_group_through_ibkr(qtbot, qloop, timings, gw, refusals, windows, browser):
    wait = timings.wait
    # 1. A saved IBKR connection without a pin: the certificate dialog, Trust, the pin is saved.
    store = ConnectionStore.open_default()  # $TRADEDESK_HOME/config (tests/conftest.py)
    conn = store.add("ibkr", "IBKR gateway", {"base_url": gw.base_url, "certificate_sha256": ""})
    assert not store.get(conn.id).values.get("certificate_sha256")
    secrets = SecretStore()
    desk = Desk(store, secrets, poll_s=0.2 if timings.fast else None)  # balances/positions/fills poll (10 s on IBKR)
    window = MainWindow(desk, connections=store, secrets=secrets)
    browser.connection_id = conn.id
    windows.append(window)
    window.show()
    qtbot.waitExposed(window)
    started = qloop.create_task(window.start([conn.id]))
    qtbot.waitUntil(lambda: top_level("certificateTrustDialog") is not None, timeout=wait)
    dialog = top_level("certificateTrustDialog")
    assert dialog.fingerprint == gw.fingerprint
    assert gw.fingerprint[:20] in dialog.fingerprint_label.text()
    assert gw.base_url in find(dialog, QObject, "certificateIntro").text()
    assert browser.opened == [] and gw.requests == []  # not one request to a gateway not yet trusted
    qtbot.mouseClick(find(dialog, QPushButton, "trustCertificateButton"), Qt.MouseButton.LeftButton)

    # 2. Log in: the status bar asks for it and the browser opens the gateway's login page.
    qtbot.waitUntil(lambda: bool(browser.opened), timeout=wait)
    qtbot.waitUntil(started.done, timeout=wait)
    assert started.result() == {conn.id: None}
    assert store.get(conn.id).values["certificate_sha256"] == gw.fingerprint
    assert ConnectionStore(store.path).get(conn.id).values["certificate_sha256"] == gw.fingerprint  # on disk
    url, text_then, login_offered_then, tip_then = browser.opened[0]
    assert url == gw.login_url and login_offered_then
    assert text_then == "IBKR gateway: log in required" and "in your browser" in tip_then
    assert [u for u, *_ in browser.opened] == [gw.login_url]  # opened once, by itself
    qtbot.waitUntil(lambda: status_text(window, conn.id) == "IBKR gateway: connected", timeout=wait)
    live = window.desk.connection(conn.id)
    assert live.is_live
    broker = live.broker
    assert type(broker) is timings.broker_class and broker.connection_id == conn.id  # built from the pinned connection
    assert broker.fingerprint == gw.fingerprint and broker.capabilities.allocation_groups

    accounts = window.accounts
    qtbot.waitUntil(lambda: {r.account_id for r in accounts.model.rows()} == {MASTER, *CLIENTS}, timeout=wait)
    roles = {r.account_id: cell(accounts, r, "role") for r in accounts.model.rows()}
    assert roles == {MASTER: "Master", **{c: "Client" for c in CLIENTS}}
    assert [r.account_id for r in accounts.model.rows() if r.account is not None and r.account.is_master] == [MASTER]

    # 3. Choose the group by typing in the ticket's selector; the preview estimates the split.
    ticket = window.ticket
    selector = ticket.selector
    qtbot.waitUntil(lambda: selector.isVisible()
                    and selector.combo.findText(f"{GROUP} ·", Qt.MatchFlag.MatchContains) >= 0, timeout=wait)
    group = live.groups[GROUP]
    values = run(qtbot, qloop, broker.fetch_allocation_values(), timeout=wait)  # GET /iserver/account/allocation/accounts
    assert {v.account_id for v in values} == set(CLIENTS)
    qtbot.waitUntil(lambda: (q := window.desk.state.quote(conn.id, "AAPL")) is not None and q.last is not None,
                    timeout=wait)
    assert AAPL_CONID in gw.state.market_data_requested  # the ticket's quote came from the gateway

    line = selector.combo.lineEdit()
    line.selectAll()
    qtbot.keyClicks(line, GROUP)
    popup = selector.completer.popup()
    qtbot.waitUntil(popup.isVisible)
    offered = [popup.model().index(r, 0).data() for r in range(popup.model().rowCount())]
    assert len(offered) == 1 and f"{GROUP} · N" in offered[0]
    popup.setCurrentIndex(popup.model().index(0, 0))
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert ticket.current_target() == (conn.id, "group", GROUP)

    limit = (window.desk.state.quote(conn.id, "AAPL").last * D("1.05")).quantize(D("0.01"))  # above the market (fills) by more than o163's 3%
    type_into(qtbot, find(ticket, QLineEdit, "symbolEdit"), "AAPL")
    type_into(qtbot, find(ticket, QLineEdit, "quantityEdit"), str(QUANTITY))
    ticket.type_combo.setCurrentIndex(ticket.type_combo.findData("LIMIT"))
    type_into(qtbot, find(ticket, QLineEdit, "limitPriceEdit"), str(limit))
    request = ticket.current_request()
    assert (request.connection_id, request.account_id, request.side, request.type, request.amount,
            request.limit_price) == (conn.id, GROUP, OrderSide.BUY, OrderType.LIMIT, D(QUANTITY), limit)

    preview = ticket.extras.preview
    expected = group.allocate(D(QUANTITY), values)
    assert preview.isVisible() and preview.mode == "estimate"
    assert "Estimate" in find(ticket, QLabel, "allocationTitle").text()
    cells = preview.cells()
    assert cells[0] == ["Account", "NetLiq", "Shares", "Notional"]
    rows = cells[1:-1]
    assert [row[0] for row in rows] == CLIENTS
    assert {row[0]: D(row[2]) for row in rows} == expected
    assert sum(expected.values()) == QUANTITY and cells[-1][:3] == ["Total", "", str(QUANTITY)]
    estimate = [row[2] for row in rows]

    # 4. Submit, confirm, and answer IBKR's questions one after another.
    shown: list = []  # every reply question dialog, in the order they open
    window.actions_.asker(conn.id).questionShown.connect(shown.append)
    submit = find(ticket, QPushButton, "submitButton")
    assert submit.isEnabled(), ticket.errors()
    qtbot.mouseClick(submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ticket.confirm_dialog is not None and ticket.confirm_dialog.isVisible())
    assert f"Group {GROUP} · N" in ticket.confirm_dialog.text()
    qtbot.mouseClick(ticket.confirm_dialog.confirm_button, Qt.MouseButton.LeftButton)

    # The fake computes its questions (state.questions is None): o354 only without market
    # data for the conid (requested above), then o163 and p6 for a group order.
    assert gw.state.questions is None
    expected_ids = ["o163", "p6"]
    for i, message_id in enumerate(expected_ids):
        qtbot.waitUntil(lambda: len(shown) > i and shown[i].isVisible(), timeout=wait)
        question = shown[i]
        assert len(shown) == i + 1  # one at a time: the next only after this one is answered
        text = find(question, QLabel, "questionTextLabel").text()
        assert find(question, QLabel, "questionIdsLabel").text() == f"Message ids: {message_id}"
        if message_id == "o163":
            assert "price exceeds the Percentage constraint" in text and "AAPL" in text
        else:
            assert "distributed over multiple accounts" in text
        qtbot.mouseClick(find(question, QPushButton, "questionConfirmButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ticket.status_label.text().startswith("Order accepted"), timeout=wait)
    assert len(shown) == len(expected_ids)
    replies = [r for r in gw.requests if r.method == "POST" and r.path.startswith("/iserver/reply/")]
    assert [r.json for r in replies] == [{"confirmed": True}] * len(expected_ids)

    # 5. The order shows in the orders blotter under its group.
    orders = window.orders
    qtbot.waitUntil(lambda: any(o.allocation_group == GROUP for o in orders.model.rows()), timeout=wait)
    placed = [o for o in orders.model.rows() if o.allocation_group == GROUP]
    assert len(placed) == 1
    order = placed[0]
    assert order.account_id == GROUP and order.amount == QUANTITY and order.limit_price == limit
    assert orders.model.columns[orders.model.column_index("account")].header == "Account/Group"
    assert GROUP in cell(orders, order, "account")

    # 6. The paper market moves a minute at a time until the order fills; the blotter follows.
    def paper_filled() -> bool:
        return all(o.status is OrderStatus.FILLED for o in run(qtbot, qloop, gw.paper.fetch_orders(GROUP)))

    minutes = 0
    while not paper_filled():
        assert minutes < 30, "the limit order above the market did not fill in 30 minutes"
        gw.paper.advance_minutes(1)
        minutes += 1
    qtbot.waitUntil(lambda: any(o.order_id == order.order_id and o.status is OrderStatus.FILLED
                                for o in orders.model.rows()), timeout=wait)
    done = next(o for o in orders.model.rows() if o.order_id == order.order_id)
    assert done.filled == QUANTITY and cell(orders, done, "status").lower() == "filled"

    # 7. Fills per client with the group; the ticket's actual split; positions per client.
    fills = window.fills
    qtbot.waitUntil(lambda: sum(f.amount for f in fills.model.rows()) == QUANTITY, timeout=wait)
    fill_rows = fills.model.rows()
    assert all(expected.values()) and len(fill_rows) == len(CLIENTS)  # one fill per client
    assert sorted(f.account_id for f in fill_rows) == sorted(a for a, n in expected.items() if n)
    assert {f.account_id: f.amount for f in fill_rows} == {a: n for a, n in expected.items() if n}
    assert {cell(fills, f, "group") for f in fill_rows} == {GROUP}
    assert not fills.view.isColumnHidden(fills.model.column_index("group"))

    qtbot.waitUntil(lambda: sum(ticket.extras.placed_fills().values()) == QUANTITY, timeout=wait)
    cells = preview.cells()
    assert preview.mode == "placed" and cells[0] == ["Account", "Estimate", "Filled", "Avg price"]
    assert [row[0] for row in cells[1:-1]] == CLIENTS
    assert [row[1] for row in cells[1:-1]] == estimate
    assert [row[2] for row in cells[1:-1]] == estimate  # actual fills equal the estimate
    assert cells[-1][1:3] == [str(QUANTITY), str(QUANTITY)]

    positions = window.positions
    qtbot.waitUntil(lambda: {p.account_id: p.quantity for p in positions.model.rows() if p.symbol == "AAPL"}
                    == {a: n for a, n in expected.items() if n}, timeout=wait)
    button = find(positions, QToolButton, "positionsConsolidatedButton")
    assert button.isVisible()
    button.click()
    qtbot.waitUntil(lambda: len(positions.proxy.visible_rows()) == 1)
    total = positions.proxy.visible_rows()[0]
    assert total.account_id == CONSOLIDATED_ACCOUNT and total.symbol == "AAPL" and total.quantity == QUANTITY
    assert not any(p.account_id == MASTER for p in positions.model.rows())  # the master holds nothing

    # Exactly one order POST, to the group; never over IBKR's rate limits (slow variant).
    posts = [r for r in gw.requests if r.method == "POST" and r.path.endswith("/orders")]
    assert [r.path for r in posts] == [f"/iserver/account/{GROUP}/orders"]
    assert refusals == []
