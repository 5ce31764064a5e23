"""Session handling of many connections: the status bar items follow each connection's
state, browser logins, competing sessions and certificate trust — every prompt naming
its connection and pinning into the right saved connection. Driven through the
widgets (status bar items and menus, dialogs) over a desk (tests/ui/session_host.py),
with a stub gateway broker (tests/ui/stub_gateway.py), paper connections and the
IBKR gateway emulator (tests/fakes/ibkr)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QPushButton

from desktop.brokers.errors import CertificateChangedError, CertificateUntrustedError
from desktop.connections import ConnectionStore, register_broker, unregister_broker
from desktop.desk.startup import connection_for_key
from desktop.domain import ConnectionStatus
from qt_helpers import catching_browser, run, top_level
from session_host import HostFactory
from stub_gateway import BASE_URL, FP_A, FP_B, LOGIN_URL, STUB_SPEC, StubGatewayBroker


@pytest.fixture
def browser():
    with catching_browser() as catcher:
        yield catcher


@pytest.fixture
def stub_spec():
    register_broker(STUB_SPEC, replace=True)
    StubGatewayBroker.instances.clear()
    StubGatewayBroker.presented = FP_A
    yield STUB_SPEC
    unregister_broker("stubgw")
    StubGatewayBroker.presented = FP_A


@pytest.fixture
def store(tmp_path):
    return ConnectionStore(tmp_path / "connections.json")


@pytest.fixture
def host(qtbot, qloop, store):
    """``host(**kw)``: the status bar and SessionUi over a desk of ``store``."""
    factory = HostFactory(qtbot, qloop)
    yield lambda **kw: factory.open(store, **kw)
    factory.close_all()


def add_stub(store, name, pinned=None) -> str:
    values = {"base_url": BASE_URL, **({"certificate_sha256": pinned} if pinned else {})}
    return store.add("stubgw", name, values).id


def menu_of(qtbot, host, cid):
    """Click ``cid``'s status bar item: its menu of session actions."""
    qtbot.mouseClick(host.status.item(cid), Qt.MouseButton.LeftButton)
    menu = host.status.open_menu
    assert menu is not None and menu.isVisible()
    return menu


def choose(qtbot, menu, name):
    action = next((a for a in menu.actions() if a.objectName() == name), None)
    assert action is not None, f"{name} not offered: {[a.text() for a in menu.actions()]}"
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())


def broker_of(host, cid) -> StubGatewayBroker:
    return host.desk.connections[cid].broker


# -- states, logins, competing sessions -----------------------------------------------------
def test_each_connection_shows_its_own_session_state(qtbot, qloop, host, store, stub_spec):
    gw = add_stub(store, "My gateway", pinned=FP_A)
    h = host()
    assert run(qtbot, qloop, h.session_ui.restore(["paper", gw])) == {"paper": None, gw: None}
    assert h.texts() == ["Paper: connected", "My gateway: connected"]
    broker = broker_of(h, gw)

    broker.publish(ConnectionStatus.RECONNECTING, message="daily reset")
    qtbot.waitUntil(lambda: h.text_of(gw) == "My gateway: reconnecting…")
    assert "daily reset" in h.status.item(gw).toolTip()
    until = datetime.now(timezone.utc) + timedelta(seconds=90)
    broker.publish(ConnectionStatus.COOL_DOWN, until=until)
    qtbot.waitUntil(lambda: h.text_of(gw) == f"My gateway: paused (rate limit) until {until.astimezone():%H:%M:%S}")
    broker.publish(ConnectionStatus.LOGIN_REQUIRED, login_url=LOGIN_URL)
    qtbot.waitUntil(lambda: h.text_of(gw) == "My gateway: log in required")
    assert h.text_of("paper") == "Paper: connected"  # the other connection is untouched
    broker.publish(ConnectionStatus.CONNECTED)
    qtbot.waitUntil(lambda: h.text_of(gw) == "My gateway: connected")


def test_login_opens_the_browser_once_by_itself_and_again_from_the_status_bar(qtbot, qloop, host, store, stub_spec,
                                                                             browser):
    gw = add_stub(store, "My gateway", pinned=FP_A)
    h = host()
    run(qtbot, qloop, h.session_ui.connect(gw))
    broker = broker_of(h, gw)
    broker.publish(ConnectionStatus.LOGIN_REQUIRED, login_url=LOGIN_URL, message="Log in to the gateway in your browser")
    qtbot.waitUntil(lambda: browser.urls == [LOGIN_URL])
    assert h.status.currentMessage() == "My gateway: log in in your browser"
    broker.publish(ConnectionStatus.RECONNECTING)
    broker.publish(ConnectionStatus.LOGIN_REQUIRED, login_url=LOGIN_URL)
    qtbot.waitUntil(lambda: h.text_of(gw).startswith("My gateway: log in required"))
    assert browser.urls == [LOGIN_URL]  # not again by itself
    choose(qtbot, menu_of(qtbot, h, gw), "loginAction")
    assert browser.urls == [LOGIN_URL, LOGIN_URL] and h.session_ui.opened_urls == [LOGIN_URL, LOGIN_URL]


def test_competing_session_asks_naming_the_connection_then_takes_over(qtbot, qloop, host, store, stub_spec):
    a, b = add_stub(store, "Gateway A", pinned=FP_A), add_stub(store, "Gateway B", pinned=FP_A)
    h = host()
    run(qtbot, qloop, h.session_ui.restore([a, b]))
    broker_of(h, b).publish(ConnectionStatus.COMPETING)
    qtbot.waitUntil(lambda: top_level("competingSessionDialog") is not None)
    box = top_level("competingSessionDialog")
    assert box.windowTitle() == "Session in use — Gateway B"
    assert "Another session" in box.text() and "Take over?" in box.text() and "Gateway B" in box.text()
    assert h.text_of(b) == "Gateway B: session in use elsewhere" and h.text_of(a) == "Gateway A: connected"
    qtbot.mouseClick(box.findChild(QPushButton, "takeOverButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: broker_of(h, b).took_over == 1)
    qtbot.waitUntil(lambda: h.text_of(b) == "Gateway B: connected")
    assert broker_of(h, a).took_over == 0


def test_declined_take_over_can_be_asked_again_from_the_status_bar(qtbot, qloop, host, store, stub_spec):
    gw = add_stub(store, "My gateway", pinned=FP_A)
    h = host()
    run(qtbot, qloop, h.session_ui.connect(gw))
    broker_of(h, gw).publish(ConnectionStatus.COMPETING)
    qtbot.waitUntil(lambda: top_level("competingSessionDialog") is not None)
    top_level("competingSessionDialog").reject()
    qtbot.waitUntil(lambda: top_level("competingSessionDialog") is None)
    assert broker_of(h, gw).took_over == 0
    choose(qtbot, menu_of(qtbot, h, gw), "takeOverAction")
    qtbot.waitUntil(lambda: top_level("competingSessionDialog") is not None)
    qtbot.mouseClick(top_level("competingSessionDialog").findChild(QPushButton, "takeOverButton"),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: broker_of(h, gw).took_over == 1)


# -- certificates ----------------------------------------------------------------------------
def test_trusting_a_certificate_pins_it_into_its_own_connection_and_connects(qtbot, qloop, host, store, stub_spec):
    a, b = add_stub(store, "Gateway A", pinned=FP_A), add_stub(store, "Gateway B")
    h = host()
    task = qloop.create_task(h.session_ui.restore([a, b]))
    qtbot.waitUntil(lambda: top_level("certificateTrustDialog") is not None)
    dialog = top_level("certificateTrustDialog")
    assert dialog.windowTitle() == "Gateway B: trust the gateway's certificate?" and dialog.connection_name == "Gateway B"
    assert dialog.fingerprint == FP_A and BASE_URL in dialog.findChild(QObject, "certificateIntro").text()
    assert "Gateway B" in dialog.findChild(QObject, "certificateIntro").text()
    assert FP_A[:20] in dialog.fingerprint_label.text()
    qtbot.waitUntil(lambda: h.text_of(a) == "Gateway A: connected")  # the other one did not wait for the question
    qtbot.mouseClick(dialog.findChild(QPushButton, "trustCertificateButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=10_000)
    assert task.result() == {a: None, b: None}
    assert store.get(b).values["certificate_sha256"] == FP_A
    assert ConnectionStore(store.path).get(b).values["certificate_sha256"] == FP_A  # on disk
    assert store.get(a).values == {"base_url": BASE_URL, "certificate_sha256": FP_A}  # untouched
    fresh = broker_of(h, b)
    assert fresh is StubGatewayBroker.instances[-1] and len(StubGatewayBroker.instances) == 3  # A, B refused, B again
    assert fresh.pinned == FP_A and fresh.connected and h.desk.connections[b].is_live
    assert h.text_of(b) == "Gateway B: connected"


def test_a_cancelled_certificate_can_be_trusted_later_from_the_status_bar(qtbot, qloop, host, store, stub_spec):
    gw = add_stub(store, "My gateway")
    h = host()
    task = qloop.create_task(h.session_ui.connect(gw))
    qtbot.waitUntil(lambda: top_level("certificateTrustDialog") is not None)
    top_level("certificateTrustDialog").findChild(QPushButton, "cancelButton").click()
    qtbot.waitUntil(task.done)
    assert isinstance(task.result(), CertificateUntrustedError)
    assert "certificate_sha256" not in store.get(gw).values
    assert h.text_of(gw).startswith("My gateway: error:") and h.desk.connections[gw].status.startswith("error")
    assert "My gateway: certificate not trusted" in h.status.currentMessage()

    choose(qtbot, menu_of(qtbot, h, gw), "trustCertificateAction")
    qtbot.waitUntil(lambda: top_level("certificateTrustDialog") is not None)
    qtbot.mouseClick(top_level("certificateTrustDialog").findChild(QPushButton, "trustCertificateButton"),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: h.text_of(gw) == "My gateway: connected")
    assert store.get(gw).values["certificate_sha256"] == FP_A
    assert "trustCertificateAction" not in [a.objectName() for a in h.status.menu_for(gw).actions()]


def test_changed_certificate_is_refused_naming_the_connection(qtbot, qloop, host, store, stub_spec):
    gw = add_stub(store, "My gateway", pinned=FP_A)
    StubGatewayBroker.presented = FP_B
    h = host()
    failure = run(qtbot, qloop, h.session_ui.connect(gw))
    assert isinstance(failure, CertificateChangedError)
    qtbot.waitUntil(lambda: top_level("certificateChangedDialog") is not None)
    box = top_level("certificateChangedDialog")
    assert box.windowTitle() == "My gateway: gateway certificate changed"
    assert FP_A in box.text() and FP_B in box.text() and "My gateway is not connected" in box.text()
    assert store.get(gw).values["certificate_sha256"] == FP_A  # unchanged
    assert len(StubGatewayBroker.instances) == 1 and not StubGatewayBroker.instances[0].connected
    assert top_level("certificateTrustDialog") is None
    box.close()


def test_a_second_connect_waits_for_the_first_and_disconnect_cancels_it(qtbot, qloop, host, store, stub_spec):
    gw = add_stub(store, "My gateway")
    h = host()
    first = qloop.create_task(h.session_ui.connect(gw))
    qtbot.waitUntil(lambda: top_level("certificateTrustDialog") is not None)
    second = qloop.create_task(h.session_ui.connect(gw))
    run(qtbot, qloop, h.session_ui.disconnect(gw))
    qtbot.waitUntil(lambda: first.done() and second.done())
    assert "cancelled" in first.result().message and "cancelled" in second.result().message
    qtbot.waitUntil(lambda: top_level("certificateTrustDialog") is None)
    assert len(StubGatewayBroker.instances) == 1  # one attempt, one question, for both calls
    assert h.text_of(gw) == "My gateway: disconnected" and "certificate_sha256" not in store.get(gw).values


# -- the connection form's tool row (from the spec's tools) -----------------------------------
def open_form(qtbot, store, broker, base_url=None, name=None):
    from desktop.security.secrets import SecretStore
    from desktop.ui.connection_form import ConnectionEditDialog

    dialog = ConnectionEditDialog(store, SecretStore(), None, broker=broker)
    qtbot.addWidget(dialog)
    dialog.show()
    if base_url is not None:
        dialog.findChild(QObject, "field_base_url").setText(base_url)
    if name is not None:
        dialog.findChild(QObject, "field_name").setText(name)
    return dialog


def click_tool(qtbot, dialog, name):
    qtbot.mouseClick(dialog.findChild(QPushButton, f"{name}Button"), Qt.MouseButton.LeftButton)


def state_line(dialog) -> str:
    return dialog.findChild(QObject, "toolsStateLabel").text()


@pytest.fixture
def gateway(qtbot, qloop, tmp_path):
    """``start(**kw)`` runs the IBKR gateway emulator on the Qt loop; stopped at teardown."""
    from tests.fakes.ibkr import running_gateway

    managers = []

    def start(**kw):
        cm = running_gateway(tmp_path / "gateway", **kw)
        gw = run(qtbot, qloop, cm.__aenter__())
        managers.append(cm)
        return gw

    yield start
    for cm in managers:
        run(qtbot, qloop, cm.__aexit__(None, None, None))


def test_ibkr_form_tools_fetch_the_certificate_check_the_session_and_log_in(qtbot, qloop, store, gateway, browser):
    gw = gateway(authenticated=False)
    dialog = open_form(qtbot, store, "ibkr", gw.base_url, name="IBKR (paper)")
    assert dialog.tools.row_label == "Gateway:"
    click_tool(qtbot, dialog, "checkSession")
    qtbot.waitUntil(lambda: state_line(dialog) == "Session: fetch and trust the certificate first")

    click_tool(qtbot, dialog, "fetchCertificate")
    qtbot.waitUntil(lambda: top_level("certificateTrustDialog") is not None, timeout=5000)
    trust = top_level("certificateTrustDialog")
    assert trust.fingerprint == gw.fingerprint and trust.windowTitle().startswith("IBKR (paper):")
    qtbot.mouseClick(trust.findChild(QPushButton, "trustCertificateButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.texts()["certificate_sha256"] == gw.fingerprint)
    assert state_line(dialog) == "Certificate trusted: save the connection to keep it"

    click_tool(qtbot, dialog, "checkSession")
    qtbot.waitUntil(lambda: state_line(dialog).startswith("Session: Not logged in"), timeout=5000)
    click_tool(qtbot, dialog, "gatewayLogin")
    qtbot.waitUntil(lambda: browser.urls == [gw.base_url.split("/v1/")[0] + "/"])
    assert dialog.tools.opened_urls == browser.urls
    gw.log_in()
    click_tool(qtbot, dialog, "checkSession")
    qtbot.waitUntil(lambda: state_line(dialog) == "Session: Logged in · brokerage session ready", timeout=5000)
    dialog.findChild(QPushButton, "saveButton").click()
    saved = store.all()[-1]
    assert saved.broker == "ibkr" and saved.values["certificate_sha256"] == gw.fingerprint


def test_a_refused_certificate_leaves_the_field_empty(qtbot, qloop, store, gateway):
    gw = gateway()
    dialog = open_form(qtbot, store, "ibkr", gw.base_url)
    click_tool(qtbot, dialog, "fetchCertificate")
    qtbot.waitUntil(lambda: top_level("certificateTrustDialog") is not None, timeout=5000)
    top_level("certificateTrustDialog").findChild(QPushButton, "cancelButton").click()
    qtbot.waitUntil(lambda: state_line(dialog) == "Certificate not trusted")
    assert dialog.texts()["certificate_sha256"] == ""


def test_form_carries_out_any_spec_tool(qtbot, qloop, store, browser):
    """A spec's own tools: fill fields, open a page, say something, or fail visibly."""
    from desktop.connections import BrokerSpec, ConnectionTool, FieldKind, FieldSpec, ToolResult

    async def look_up(texts):
        return ToolResult(message=f"Found the server for {texts['user']}", set_values={"server": "eu-2.example.test"},
                          open_url="https://example.test/welcome")

    async def broken(texts):
        raise RuntimeError("the lookup service is down")

    spec = BrokerSpec(key="tooly", display_name="Tooly", factory=STUB_SPEC.factory,
                      fields=(FieldSpec(name="user", label="User"), FieldSpec(name="server", label="Server",
                                                                             kind=FieldKind.TEXT)),
                      tools=(ConnectionTool("lookUp", "Look up server", look_up, row_label="Server:"),
                             ConnectionTool("broken", "Broken", broken, row_label="Server:")))
    register_broker(spec)
    try:
        dialog = open_form(qtbot, store, "tooly")
        dialog.findChild(QObject, "field_user").setText("ann")
        click_tool(qtbot, dialog, "lookUp")
        qtbot.waitUntil(lambda: state_line(dialog) == "Found the server for ann")
        assert dialog.texts()["server"] == "eu-2.example.test" and browser.urls == ["https://example.test/welcome"]
        click_tool(qtbot, dialog, "broken")
        qtbot.waitUntil(lambda: state_line(dialog) == "Failed: the lookup service is down")
        assert dialog.findChild(QPushButton, "brokenButton").isEnabled()
    finally:
        unregister_broker("tooly")


def test_form_has_no_tools_row_for_paper(qtbot, store):
    dialog = open_form(qtbot, store, "paper")
    assert dialog.tools is None and dialog.findChild(QObject, "connectionTools") is None


# -- against the IBKR gateway emulator ----------------------------------------------------------
def test_three_live_connections_and_ibkr_asks_for_its_login(qtbot, qloop, host, store, gateway, browser):
    gw = gateway(authenticated=False)
    advisor = connection_for_key(store, "paper-advisor")
    ibkr = store.add("ibkr", "IBKR (paper)", {"base_url": gw.base_url, "certificate_sha256": gw.fingerprint})
    h = host(start_budget_s=0.5)
    task = qloop.create_task(h.session_ui.restore(["paper", advisor.id, ibkr.id]))
    qtbot.waitUntil(lambda: h.texts() == ["Paper: connected", "Paper advisor demo: connected",
                                          "IBKR (paper): log in required"], timeout=15_000)
    assert browser.urls == [gw.login_url] and not task.done()
    assert [c.id for c in h.desk.live()] == ["paper", advisor.id]
    choose(qtbot, menu_of(qtbot, h, ibkr.id), "loginAction")
    assert browser.urls == [gw.login_url, gw.login_url]
    gw.log_in()
    qtbot.waitUntil(task.done, timeout=20_000)
    assert task.result() == {"paper": None, advisor.id: None, ibkr.id: None}
    qtbot.waitUntil(lambda: h.text_of(ibkr.id) == "IBKR (paper): connected")
    assert {c.id for c in h.desk.live()} == {"paper", advisor.id, ibkr.id}


def test_ibkr_first_contact_trust_pins_and_connects_as_advisor(qtbot, qloop, host, store, gateway):
    gw = gateway(authenticated=True)
    conn = store.add("ibkr", "IBKR gateway", {"base_url": gw.base_url})
    h = host(start_budget_s=0.5)
    task = qloop.create_task(h.session_ui.connect(conn.id))
    qtbot.waitUntil(lambda: top_level("certificateTrustDialog") is not None, timeout=10_000)
    dialog = top_level("certificateTrustDialog")
    assert dialog.fingerprint == gw.fingerprint and dialog.connection_name == "IBKR gateway"
    qtbot.mouseClick(dialog.findChild(QPushButton, "trustCertificateButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=20_000)
    assert task.result() is None
    assert store.get(conn.id).values["certificate_sha256"] == gw.fingerprint
    assert h.text_of(conn.id) == "IBKR gateway: connected"
    masters = [a.account_id for a in h.desk.state.accounts_of(conn.id) if a.is_master]
    assert masters == ["DF100000"] and len(h.desk.state.accounts_of(conn.id)) >= 2


def test_ibkr_rotated_certificate_is_refused_and_nothing_is_sent(qtbot, qloop, host, store, gateway):
    gw = gateway(authenticated=True)
    old = gw.fingerprint
    run(qtbot, qloop, gw.rotate_certificate())
    assert gw.fingerprint != old
    conn = store.add("ibkr", "IBKR gateway", {"base_url": gw.base_url, "certificate_sha256": old})
    h = host(start_budget_s=0.5)
    assert isinstance(run(qtbot, qloop, h.session_ui.connect(conn.id)), CertificateChangedError)
    qtbot.waitUntil(lambda: top_level("certificateChangedDialog") is not None)
    text = top_level("certificateChangedDialog").text()
    assert old in text and gw.fingerprint in text and "IBKR gateway" in text
    assert store.get(conn.id).values["certificate_sha256"] == old
    assert gw.requests == []  # nothing at all was sent to the impostor
    top_level("certificateChangedDialog").close()


def test_ibkr_session_status_line_follows_the_gateway(qtbot, qloop, gateway):
    from desktop.brokers.ibkr.session_check import session_status_text

    gw = gateway(authenticated=False)
    assert run(qtbot, qloop, session_status_text(gw.base_url, gw.fingerprint)).startswith("Not logged in")
    gw.log_in()
    assert run(qtbot, qloop, session_status_text(gw.base_url, gw.fingerprint)).startswith("Logged in")
    with pytest.raises(CertificateChangedError):
        run(qtbot, qloop, session_status_text(gw.base_url, FP_B))
