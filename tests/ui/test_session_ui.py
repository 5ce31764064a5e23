"""Session states in the status bar, browser login, competing sessions and the gateway
certificate, driven through the main window (pytest-qt, offscreen) with a stub gateway
broker (tests/ui/stub_gateway.py) and, where it exists, the fake IBKR gateway."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QPushButton

from desktop.security.secrets import SecretStore
from desktop.brokers.errors import CertificateChangedError
from desktop.connections import ConnectionStore, register_broker, unregister_broker
from desktop.domain import ConnectionStatus
from desktop.ui.main_window import MainWindow
from desktop.ui.status_bar import session_text
from stub_gateway import BASE_URL, FP_A, FP_B, LOGIN_URL, STUB_SPEC, StubGatewayBroker
from qt_helpers import run, top_level


class UrlCatcher(QObject):
    """Receives QDesktopServices.openUrl calls for https (no browser in tests)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def browser():
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("https", catcher, "open")
    yield catcher
    QDesktopServices.unsetUrlHandler("https")


@pytest.fixture
def stub_spec():
    register_broker(STUB_SPEC, replace=True)
    StubGatewayBroker.instances.clear()
    StubGatewayBroker.presented = FP_A
    yield STUB_SPEC
    unregister_broker("stubgw")
    StubGatewayBroker.presented = FP_A


@pytest.fixture
def make_window(qtbot, qloop, tmp_path, stub_spec):
    windows = []

    def _make(pinned: str | None = None):
        store = ConnectionStore(tmp_path / "connections.json")
        values = {"base_url": BASE_URL}
        if pinned:
            values["certificate_sha256"] = pinned
        conn = store.add("stubgw", "My gateway", values)
        broker = store.get(conn.id).create_broker({})
        window = MainWindow(broker, connection_id=conn.id, connections=store, secrets=SecretStore())
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window, store, conn.id

    yield _make
    for window in windows:
        run(qtbot, qloop, window.shutdown())
        window.close()
        window.deleteLater()


def label(window) -> str:
    return window.status.connection_label.text()


def test_status_bar_follows_connection_states(qtbot, qloop, make_window, browser):
    window, _store, _id = make_window(pinned=FP_A)
    run(qtbot, qloop, window.start())
    broker = window.broker
    assert label(window).endswith("Stub Gateway: connected")
    login = window.status.login_button

    broker.publish(ConnectionStatus.RECONNECTING, message="daily reset")
    qtbot.waitUntil(lambda: "reconnecting" in label(window))
    assert "daily reset" in label(window) and not login.isVisible()

    until = datetime.now(timezone.utc) + timedelta(seconds=90)
    broker.publish(ConnectionStatus.COOL_DOWN, until=until)
    qtbot.waitUntil(lambda: "paused" in label(window))
    assert f"until {until.astimezone():%H:%M:%S}" in label(window)

    broker.publish(ConnectionStatus.LOGIN_REQUIRED, login_url=LOGIN_URL)
    qtbot.waitUntil(lambda: "log in required" in label(window))
    assert login.isVisible()

    broker.publish(ConnectionStatus.CONNECTED)
    qtbot.waitUntil(lambda: label(window).endswith("Stub Gateway: connected"))
    assert not login.isVisible()


def test_cool_down_text_names_the_end_time():
    from desktop.domain import ConnectionState

    until = datetime(2025, 3, 4, 15, 30, 5, tzinfo=timezone.utc)
    state = ConnectionState(status=ConnectionStatus.COOL_DOWN, until=until)
    assert session_text(state, tz=timezone.utc) == "paused (rate limit) until 15:30:05"


def test_login_required_opens_the_browser_once_and_the_button_again(qtbot, qloop, make_window, browser):
    window, _store, _id = make_window(pinned=FP_A)
    run(qtbot, qloop, window.start())
    broker = window.broker
    broker.publish(ConnectionStatus.LOGIN_REQUIRED, login_url=LOGIN_URL, message="Log in to the gateway in your browser")
    qtbot.waitUntil(lambda: browser.urls == [LOGIN_URL])
    broker.publish(ConnectionStatus.RECONNECTING)
    broker.publish(ConnectionStatus.LOGIN_REQUIRED, login_url=LOGIN_URL)
    qtbot.waitUntil(lambda: window.status.login_button.isVisible())
    assert browser.urls == [LOGIN_URL]  # not again by itself
    qtbot.mouseClick(window.status.login_button, Qt.MouseButton.LeftButton)
    assert browser.urls == [LOGIN_URL, LOGIN_URL]


def test_competing_session_asks_then_takes_over(qtbot, qloop, make_window):
    window, _store, _id = make_window(pinned=FP_A)
    run(qtbot, qloop, window.start())
    broker = window.broker
    broker.publish(ConnectionStatus.COMPETING)
    qtbot.waitUntil(lambda: top_level("competingSessionDialog") is not None)
    box = top_level("competingSessionDialog")
    assert "Another session" in box.text() and "Take over?" in box.text()
    assert "session in use elsewhere" in label(window)
    qtbot.mouseClick(box.findChild(QPushButton, "takeOverButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: broker.took_over == 1)
    qtbot.waitUntil(lambda: label(window).endswith("Stub Gateway: connected"))


def test_declining_a_competing_session_keeps_it(qtbot, qloop, make_window):
    window, _store, _id = make_window(pinned=FP_A)
    run(qtbot, qloop, window.start())
    window.broker.publish(ConnectionStatus.COMPETING)
    qtbot.waitUntil(lambda: top_level("competingSessionDialog") is not None)
    top_level("competingSessionDialog").reject()
    qtbot.waitUntil(lambda: top_level("competingSessionDialog") is None)
    assert window.broker.took_over == 0


def test_accepting_the_certificate_saves_the_pin_and_reconnects(qtbot, qloop, make_window):
    window, store, conn_id = make_window(pinned=None)
    task = qloop.create_task(window.start())
    qtbot.waitUntil(lambda: top_level("certificateTrustDialog") is not None)
    dialog = top_level("certificateTrustDialog")
    assert dialog.fingerprint == FP_A and BASE_URL in dialog.findChild(QObject, "certificateIntro").text()
    assert FP_A[:20] in dialog.fingerprint_label.text()
    qtbot.mouseClick(dialog.findChild(QPushButton, "trustCertificateButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=10_000)
    task.result()
    assert store.get(conn_id).values["certificate_sha256"] == FP_A
    assert ConnectionStore(store.path).get(conn_id).values["certificate_sha256"] == FP_A  # on disk
    assert len(StubGatewayBroker.instances) == 2 and window.broker is StubGatewayBroker.instances[1]
    assert window.broker.pinned == FP_A and window.broker.connected
    assert window.service.state == "connected"


def test_cancelling_the_certificate_saves_nothing(qtbot, qloop, make_window):
    window, store, conn_id = make_window(pinned=None)
    task = qloop.create_task(window.start())
    qtbot.waitUntil(lambda: top_level("certificateTrustDialog") is not None)
    top_level("certificateTrustDialog").findChild(QPushButton, "cancelButton").click()
    qtbot.waitUntil(task.done)
    assert task.exception() is not None
    assert "certificate_sha256" not in store.get(conn_id).values
    assert window.service.state.startswith("error")


def test_changed_certificate_is_refused(qtbot, qloop, make_window):
    window, store, conn_id = make_window(pinned=FP_A)
    StubGatewayBroker.presented = FP_B
    task = qloop.create_task(window.start())
    qtbot.waitUntil(task.done)
    assert isinstance(task.exception(), CertificateChangedError)
    qtbot.waitUntil(lambda: top_level("certificateChangedDialog") is not None)
    text = top_level("certificateChangedDialog").text()
    assert FP_A in text and FP_B in text and "Not connected" in text
    assert store.get(conn_id).values["certificate_sha256"] == FP_A  # unchanged
    assert len(StubGatewayBroker.instances) == 1 and not window.broker.connected
    assert top_level("certificateTrustDialog") is None
    top_level("certificateChangedDialog").close()


# -- the connection form's gateway row (Fetch certificate / Check session / Log in) --------
@pytest.fixture
def tls_server(qtbot, qloop):
    """A loopback TLS server with a trustme certificate: (base_url, fingerprint)."""
    import asyncio
    import ssl

    import trustme

    from desktop.brokers.transport.tls_pinning import fingerprint

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)

    async def handle(reader, writer):
        writer.close()

    server = run(qtbot, qloop, asyncio.start_server(handle, "127.0.0.1", 0, ssl=context))
    port = server.sockets[0].getsockname()[1]
    der = ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode())
    yield f"https://127.0.0.1:{port}/v1/api", fingerprint(der)
    server.close()


def open_form(qtbot, tmp_path, base_url):
    from desktop.ui.connection_form import ConnectionEditDialog

    store = ConnectionStore(tmp_path / "connections.json")
    dialog = ConnectionEditDialog(store, SecretStore(), None, broker="stubgw")
    qtbot.addWidget(dialog)
    dialog.show()
    edit = dialog.findChild(QObject, "field_base_url")
    edit.setText(base_url)
    return store, dialog


def test_form_fetches_and_trusts_the_gateway_certificate(qtbot, qloop, tmp_path, stub_spec, tls_server):
    base_url, expected = tls_server
    store, dialog = open_form(qtbot, tmp_path, base_url)
    tools = dialog.gateway_tools
    assert tools is not None
    qtbot.mouseClick(tools.findChild(QPushButton, "fetchCertificateButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: top_level("certificateTrustDialog") is not None, timeout=5000)
    trust = top_level("certificateTrustDialog")
    assert trust.fingerprint == expected
    qtbot.mouseClick(trust.findChild(QPushButton, "trustCertificateButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.texts()["certificate_sha256"] == expected)
    assert "trusted" in tools.state_label.text()
    dialog.findChild(QPushButton, "saveButton").click()
    saved = store.all()[-1]
    assert saved.broker == "stubgw" and saved.values["certificate_sha256"] == expected


def test_form_session_check_and_login_button(qtbot, qloop, tmp_path, stub_spec, browser):
    store, dialog = open_form(qtbot, tmp_path, "https://127.0.0.1:5999/v1/api")
    tools = dialog.gateway_tools
    calls = []

    async def status(url, pin):
        calls.append((url, pin))
        return "Logged in · brokerage session ready"

    tools.status_check = status
    tools.check_button.click()
    qtbot.waitUntil(lambda: "fetch and trust the certificate first" in tools.state_label.text())
    dialog.findChild(QObject, "field_certificate_sha256").setText(FP_A)
    tools.check_button.click()
    qtbot.waitUntil(lambda: tools.state_label.text() == "Session: Logged in · brokerage session ready")
    assert calls == [("https://127.0.0.1:5999/v1/api", FP_A)]
    qtbot.mouseClick(tools.login_button, Qt.MouseButton.LeftButton)
    assert browser.urls == ["https://127.0.0.1:5999/"]


def test_form_has_no_gateway_row_for_paper(qtbot, tmp_path):
    from desktop.ui.connection_form import ConnectionEditDialog

    dialog = ConnectionEditDialog(ConnectionStore(tmp_path / "connections.json"), SecretStore(), None, broker="paper")
    qtbot.addWidget(dialog)
    assert dialog.gateway_tools is None and dialog.findChild(QObject, "gatewayTools") is None


# -- against the fake IBKR gateway (tests/fakes/ibkr) ------------------------------------
@pytest.fixture
def gateway(qtbot, qloop, tmp_path):
    """``start(**kw)`` runs the fake gateway on the Qt loop; stopped at teardown."""
    fakes = pytest.importorskip("tests.fakes.ibkr")
    pytest.importorskip("desktop.brokers.ibkr")
    managers = []

    def start(**kw):
        cm = fakes.running_gateway(tmp_path / "gateway", **kw)
        gw = run(qtbot, qloop, cm.__aenter__())
        managers.append(cm)
        return gw

    yield start
    for cm in managers:
        run(qtbot, qloop, cm.__aexit__(None, None, None))


@pytest.fixture
def ibkr_window(qtbot, qloop, tmp_path):
    windows = []

    def _make(base_url: str, pinned: str | None = None):
        store = ConnectionStore(tmp_path / "connections.json")
        values = {"base_url": base_url, **({"certificate_sha256": pinned} if pinned else {})}
        conn = store.add("ibkr", "IBKR gateway", values)
        window = MainWindow(store.get(conn.id).create_broker({}), connection_id=conn.id, connections=store,
                            secrets=SecretStore())
        window.service.start_budget_s = 0.5  # paced live-order snapshots finish in the background
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window, store, conn.id

    yield _make
    for window in windows:
        run(qtbot, qloop, window.shutdown(), timeout=15_000)
        window.close()
        window.deleteLater()


def test_ibkr_first_contact_trust_pins_and_connects_as_advisor(qtbot, qloop, gateway, ibkr_window):
    gw = gateway(authenticated=True)
    window, store, conn_id = ibkr_window(gw.base_url)
    task = qloop.create_task(window.start())
    qtbot.waitUntil(lambda: top_level("certificateTrustDialog") is not None, timeout=10_000)
    dialog = top_level("certificateTrustDialog")
    assert dialog.fingerprint == gw.fingerprint
    qtbot.mouseClick(dialog.findChild(QPushButton, "trustCertificateButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=20_000)
    task.result()
    assert store.get(conn_id).values["certificate_sha256"] == gw.fingerprint
    assert window.service.state == "connected"
    qtbot.waitUntil(lambda: len(window.accounts.model.rows()) >= 2, timeout=5000)
    masters = [r.account_id for r in window.accounts.model.rows() if r.account is not None and r.account.is_master]
    assert masters == ["DF100000"]


def test_ibkr_login_required_opens_browser_then_connects(qtbot, qloop, gateway, ibkr_window, browser):
    gw = gateway(authenticated=False)
    window, _store, _id = ibkr_window(gw.base_url, pinned=gw.fingerprint)
    task = qloop.create_task(window.start())
    qtbot.waitUntil(lambda: "log in required" in label(window), timeout=10_000)
    assert window.status.login_button.isVisible()
    assert browser.urls == [gw.login_url]
    assert not task.done()
    gw.log_in()
    qtbot.waitUntil(task.done, timeout=20_000)
    task.result()
    qtbot.waitUntil(lambda: "connected" in label(window) and not window.status.login_button.isVisible())
    assert browser.urls == [gw.login_url]


def test_ibkr_rotated_certificate_is_refused(qtbot, qloop, gateway, ibkr_window):
    gw = gateway(authenticated=True)
    old = gw.fingerprint
    run(qtbot, qloop, gw.rotate_certificate())
    assert gw.fingerprint != old
    window, store, conn_id = ibkr_window(gw.base_url, pinned=old)
    task = qloop.create_task(window.start())
    qtbot.waitUntil(task.done, timeout=10_000)
    assert isinstance(task.exception(), CertificateChangedError)
    qtbot.waitUntil(lambda: top_level("certificateChangedDialog") is not None)
    text = top_level("certificateChangedDialog").text()
    assert old in text and gw.fingerprint in text
    assert store.get(conn_id).values["certificate_sha256"] == old
    assert gw.requests == []  # nothing at all was sent to the impostor
    top_level("certificateChangedDialog").close()


def test_ibkr_session_status_line_follows_the_gateway(qtbot, qloop, gateway):
    from desktop.ui.gateway_tools import ibkr_session_status

    gw = gateway(authenticated=False)
    assert run(qtbot, qloop, ibkr_session_status(gw.base_url, gw.fingerprint)).startswith("Not logged in")
    gw.log_in()
    assert run(qtbot, qloop, ibkr_session_status(gw.base_url, gw.fingerprint)).startswith("Logged in")
    with pytest.raises(CertificateChangedError):
        run(qtbot, qloop, ibkr_session_status(gw.base_url, FP_B))


def test_state_message_that_only_repeats_the_state_is_not_shown_twice():
    from desktop.domain import ConnectionState

    assert session_text(ConnectionState(status=ConnectionStatus.CONNECTED, message="Connected")) == "connected"
    assert session_text(ConnectionState(status=ConnectionStatus.CONNECTED, message="allocation groups changed")) \
        == "connected · allocation groups changed"
