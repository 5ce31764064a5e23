"""Every connection's session, as the trader sees it: connecting, the status bar items,
browser logins, competing sessions and server certificates. Each prompt names the
connection it belongs to ("IBKR (paper): log in required", "Session in use — IBKR
(paper)", "IBKR (paper): trust the gateway's certificate?").

- :meth:`SessionUi.connect` connects a saved connection through the desk. A
  ``CertificateUntrustedError`` shows the certificate's fingerprint to trust; on
  trust the fingerprint is written into the saved connection's
  ``spec.certificate_field`` and the connection is connected again with a fresh
  adapter. A ``CertificateChangedError`` is refused, showing both fingerprints. A
  failure is returned, never raised into Qt.
- Desk events keep the status bar's item of each connection up to date.
  LOGIN_REQUIRED opens the connection's login page in the browser once by itself
  (per connection and URL) and again from the item's "Log in…"; COMPETING asks
  before taking the session over (``session_control(broker).take_over_session()``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import shiboken6
from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.brokers import Broker, BrokerError
from desktop.brokers.errors import CertificateChangedError, CertificateUntrustedError, UnavailableError
from desktop.brokers.session_control import session_control
from desktop.connections import ConnectionStore, broker_spec
from desktop.desk import Desk, DeskEvent, LiveConnection
from desktop.desk import events as ev
from desktop.desk.tasks import spawn
from desktop.domain import ConnectionState, ConnectionStatus
from desktop.security.redaction import redact
from desktop.security.secrets import SecretStore

from . import status_bar as sb
from .certificate_prompts import CertificatePrompts
from .services.desk_bridge import DeskBridge

log = logging.getLogger(__name__)


class SessionUi(QObject):
    """Session handling of every connection of one desk (see the module docstring).

    ``opened_urls``: every login page opened in the browser (tests, logs);
    ``competing_boxes``: the open "take over?" question per connection id;
    ``certificates``: the certificate prompts (:class:`CertificatePrompts`), with
    ``pending_certificates`` (per connection id, the untrusted certificate it waits
    on: the status bar offers "Trust certificate…") and ``certificate_box`` (the last
    refusal shown).
    """

    def __init__(self, desk: Desk, bridge: DeskBridge, status_bar: sb.TradingStatusBar,
                 store: ConnectionStore | None, secrets: SecretStore | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.bridge, self.status, self.store, self.secrets = desk, bridge, status_bar, store, secrets
        self._parent = parent
        self.opened_urls: list[str] = []
        self._auto_opened: set[tuple[str, str]] = set()
        self.competing_boxes: dict[str, QMessageBox] = {}
        self.certificates = CertificatePrompts(desk, store, name_of=self.name_of, parent=self.dialog_parent, say=self.say)
        self._connecting: dict[str, asyncio.Task] = {}
        self.connections_dialog = None  # the open File → Connections… dialog (one at a time)
        bridge.connectionEvent.connect(self.on_event)
        status_bar.actionRequested.connect(self.on_action)
        for conn in desk.connections.values():
            self.show_connection(conn)

    # -- connecting -----------------------------------------------------------------
    async def connect(self, connection_id: str) -> BaseException | None:
        """Connect saved connection ``connection_id`` beside the others (asking to
        trust its certificate on first contact). Returns the failure, None when it
        connected. A second call while one is under way waits for the same attempt."""
        running = self._connecting.get(connection_id)
        if running is not None and not running.done():
            return await self._outcome(connection_id, running, shield=True)
        task = asyncio.ensure_future(self._connect(connection_id))
        self._connecting[connection_id] = task
        try:
            return await self._outcome(connection_id, task)
        finally:
            if self._connecting.get(connection_id) is task:
                del self._connecting[connection_id]

    async def _outcome(self, connection_id: str, task: asyncio.Task, *, shield: bool = False) -> BaseException | None:
        """The result of a connect attempt; an attempt cancelled by :meth:`disconnect`
        (not our caller) is a failure, not a cancellation of the caller."""
        try:
            return await (asyncio.shield(task) if shield else task)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not task.cancelled() or (current is not None and current.cancelling()):
                raise  # our caller is cancelled
            return UnavailableError(f"Connecting {self.name_of(connection_id)} was cancelled")

    async def _connect(self, connection_id: str) -> BaseException | None:
        self._auto_opened = {k for k in self._auto_opened if k[0] != connection_id}  # asked again: may open again
        conflict = self.combinable_conflict(connection_id)
        if conflict:
            self.say(conflict)
            return UnavailableError(conflict)
        pinned: str | None = None
        while True:
            try:
                await self.desk.connect(connection_id)
            except CertificateUntrustedError as exc:
                if exc.fingerprint == pinned:  # pinned, yet still untrusted: the spec does not use its pin
                    log.error("%s: the trusted certificate was not applied", connection_id)
                    return exc
                self.pending_certificates[connection_id] = exc
                self._refresh(connection_id)
                if not await self.certificates.ask(connection_id, exc):
                    return exc
                pinned = exc.fingerprint
                continue
            except CertificateChangedError as exc:
                self.certificates.show_changed(connection_id, exc)
                return exc
            except BrokerError as exc:
                self.say(f"Could not connect {self.name_of(connection_id)}: {exc.message}")
                return exc
            except (KeyError, ValueError) as exc:
                self.say(f"Cannot connect {self.name_of(connection_id)}: {exc.args[0] if exc.args else exc}")
                return exc
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a failure never raises into Qt
                log.exception("connecting %s failed", connection_id)
                self.say(f"Could not connect {self.name_of(connection_id)}: {exc}")
                return exc
            self.pending_certificates.pop(connection_id, None)
            self._refresh(connection_id)
            return None

    async def attach(self, broker: Broker) -> BaseException | None:
        """Connect an ad-hoc adapter (not a saved connection) as connection
        ``broker.connection_id``. Returns the failure or None. An untrusted certificate
        cannot be pinned for it: the status bar says to add it as a connection."""
        try:
            await self.desk.attach(broker)
        except CertificateChangedError as exc:
            self.certificates.show_changed(broker.connection_id, exc)
            return exc
        except CertificateUntrustedError as exc:
            self.say(f"{broker.display_name}: its certificate is not trusted. Add it in File → Connections… to "
                     "trust it", 20000)
            return exc
        except BrokerError as exc:
            self.say(f"Could not connect {broker.display_name}: {exc.message}")
            return exc
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001
            log.exception("connecting %s failed", broker.connection_id)
            return exc
        return None

    async def restore(self, connection_ids: Sequence[str]) -> dict[str, BaseException | None]:
        """Connect ``connection_ids`` side by side (see :meth:`connect`); returns each
        one's failure or None. One failing never stops the others."""
        ids = list(dict.fromkeys(connection_ids))
        results = await asyncio.gather(*(self.connect(cid) for cid in ids), return_exceptions=True)
        for result in results:
            if isinstance(result, asyncio.CancelledError):
                raise result
        return dict(zip(ids, results))

    async def disconnect(self, connection_id: str) -> None:
        """Disconnect ``connection_id`` (not reconnected at the next start); the others
        stay connected, its rows stay (stale). A connect still under way (e.g. waiting
        for the browser login) is cancelled."""
        self._close_competing(connection_id)
        running = self._connecting.get(connection_id)
        if running is not None and not running.done():
            running.cancel()
        try:
            await self.desk.disconnect(connection_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a failing close must not reach Qt
            log.exception("disconnecting %s failed", connection_id)
            self.say(f"Disconnecting {self.name_of(connection_id)} failed: {exc}")

    async def reconnect(self, connection_id: str) -> BaseException | None:
        """Disconnect (if connected) and connect again; an ad-hoc connection with its
        own adapter. Returns the failure or None."""
        conn = self.desk.connections.get(connection_id)
        if conn is not None and conn.is_live:
            await self.desk.disconnect(connection_id, remember=False)
        if conn is not None and not conn.saved:
            return await self.attach(conn.broker)
        return await self.connect(connection_id)

    def combinable_conflict(self, connection_id: str) -> str | None:
        """Why ``connection_id`` cannot be live beside the connections live now (a
        broker with ``BrokerSpec.combinable`` False allows no other beside it), else None."""
        others = [c for c in self.desk.connections.values() if c.id != connection_id and c.status in ("connected", "connecting")]
        if not others:
            return None
        name = self.name_of(connection_id)
        kind = self.store.get(connection_id).broker if self.store is not None and connection_id in self.store else None
        if kind is not None and not _combinable(kind):
            names = ", ".join(c.name for c in others)
            return f"{name} cannot be connected beside other connections: disconnect {names} first"
        blocking = next((c for c in others if not _combinable(c.kind)), None)
        if blocking is not None:
            return f"{blocking.name} cannot be live beside other connections: disconnect it first to connect {name}"
        return None

    # -- certificates --------------------------------------------------------------------
    @property
    def pending_certificates(self) -> dict[str, CertificateUntrustedError]:
        """Per connection id, the untrusted certificate it waits on."""
        return self.certificates.pending

    @property
    def certificate_box(self) -> QMessageBox | None:
        """The last certificate refusal shown."""
        return self.certificates.changed_box

    async def trust_pending(self, connection_id: str) -> BaseException | None:
        """The status bar's "Trust certificate…": show the pending certificate again and
        on trust connect. Returns the failure or None."""
        exc = self.pending_certificates.get(connection_id)
        if exc is not None and not await self.certificates.ask(connection_id, exc):
            return exc
        return await self.connect(connection_id)

    # -- desk events -------------------------------------------------------------------
    def on_event(self, event: DeskEvent) -> None:
        """Follow a desk event: the status bar item; logins and competing sessions."""
        conn: LiveConnection = event.connection
        if event.kind == ev.REMOVED:
            self.status.remove_connection(conn.id)
            self._close_competing(conn.id)
            self.pending_certificates.pop(conn.id, None)
            return
        if event.kind not in (ev.ADDED, ev.STATUS, ev.SESSION, ev.HEALTH):
            return
        if event.kind == ev.STATUS and conn.status not in ("connected", "connecting"):
            self._close_competing(conn.id)
        self.show_connection(conn)
        if event.kind == ev.SESSION and isinstance(event.detail, ConnectionState):
            self._session(conn, event.detail)

    def _session(self, conn: LiveConnection, state: ConnectionState) -> None:
        if state.status is ConnectionStatus.LOGIN_REQUIRED:
            url = state.login_url or _login_url(conn.broker) or ""
            if url and (conn.id, url) not in self._auto_opened:  # once by itself; "Log in…" opens it again
                self._auto_opened.add((conn.id, url))
                self.open_login(conn.id, url)
                self.say(f"{conn.name}: log in in your browser", 15000)
        elif state.status is ConnectionStatus.COMPETING:
            self.ask_take_over(conn.id, state)
        else:
            self._close_competing(conn.id)  # resolved elsewhere (e.g. the other session logged out)

    def show_connection(self, conn: LiveConnection) -> None:
        """Show ``conn``'s state in the status bar."""
        session = conn.session
        control = session_control(conn.broker)
        self.status.set_connection(sb.ConnectionItemState(
            connection_id=conn.id, name=conn.name, status=conn.status, session=session,
            broker=conn.broker.display_name,
            can_log_in=control is not None or bool(session is not None and session.login_url),
            can_take_over=control is not None, certificate_pending=conn.id in self.pending_certificates,
            failing=tuple(conn.failing)))

    def _refresh(self, connection_id: str) -> None:
        conn = self.desk.connections.get(connection_id)
        if conn is not None:
            self.show_connection(conn)

    # -- the status bar's actions ----------------------------------------------------------
    def on_action(self, connection_id: str, action: str) -> None:
        """Carry out a session action chosen in the status bar's menu."""
        if action == sb.LOGIN:
            self.open_login(connection_id)
        elif action == sb.TAKE_OVER:
            conn = self.desk.connections.get(connection_id)
            if conn is not None:
                self.ask_take_over(connection_id, conn.session)
        elif action == sb.TRUST_CERTIFICATE:
            self._spawn(self.trust_pending(connection_id), "trust-certificate")
        elif action == sb.RECONNECT:
            self._spawn(self.reconnect(connection_id), "reconnect")
        elif action == sb.DISCONNECT:
            self._spawn(self.disconnect(connection_id), "disconnect")
        elif action == sb.CONNECTIONS:
            from .connections_dialog import open_connections_dialog

            dialog = open_connections_dialog(self.dialog_parent(), self.desk, self, self.store, self.secrets)
            dialog.select(connection_id)

    def _spawn(self, coro, name: str) -> None:
        spawn(coro, name=name, on_error=lambda exc: self.say(redact(f"Failed: {exc}")))

    # -- login and competing sessions ------------------------------------------------------
    def open_login(self, connection_id: str, url: str = "") -> None:
        """Open ``connection_id``'s login page (``url``, else the URL its session
        state or its SessionControl gives) in the browser."""
        conn = self.desk.connections.get(connection_id)
        if not url and conn is not None:
            url = (conn.session.login_url if conn.session is not None else None) or _login_url(conn.broker) or ""
        if not url:
            return
        self.opened_urls.append(url)
        log.info("opening the login page of %s: %s", connection_id, url)
        if not QDesktopServices.openUrl(QUrl(url)):
            self.say(f"Could not open a browser: open {url} yourself to log in to {self.name_of(connection_id)}", 20000)

    def ask_take_over(self, connection_id: str, state: ConnectionState | None = None) -> QMessageBox | None:
        """Ask whether to take ``connection_id``'s brokerage session over from another
        login (``competingSessionDialog``, titled "Session in use — <name>"); Take over
        calls ``take_over_session()``. One question per connection at a time."""
        box = self.competing_boxes.get(connection_id)
        if box is not None and shiboken6.isValid(box) and box.isVisible():
            return box
        conn = self.desk.connections.get(connection_id)
        control = session_control(conn.broker) if conn is not None else None
        if control is None:
            return None
        extra = f"\n\n{state.message}" if state is not None and state.message else ""
        box = QMessageBox(
            QMessageBox.Icon.Question, f"Session in use — {conn.name}",
            f"Another session of the same user (TWS, the mobile app or another gateway) holds the brokerage "
            f"session of {conn.name}. Take over? The other session will be logged out." + extra,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.dialog_parent())
        box.setObjectName("competingSessionDialog")
        box.button(QMessageBox.StandardButton.Yes).setText("Take over")
        box.button(QMessageBox.StandardButton.Yes).setObjectName("takeOverButton")
        box.button(QMessageBox.StandardButton.No).setText("Not now")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda result: result == QMessageBox.StandardButton.Yes
                             and self._take_over(connection_id, control))
        self.competing_boxes[connection_id] = box
        box.open()
        return box

    def _take_over(self, connection_id: str, control) -> None:
        name = self.name_of(connection_id)

        def failed(exc: BaseException) -> None:
            text = exc.message if isinstance(exc, BrokerError) else str(exc)
            self.say(f"{name}: could not take the session over: {text}", 15000)

        spawn(control.take_over_session(), name=f"take-over-session:{connection_id}", on_error=failed)

    def _close_competing(self, connection_id: str) -> None:
        box = self.competing_boxes.pop(connection_id, None)
        if box is not None and shiboken6.isValid(box):
            box.close()

    # -- helpers -------------------------------------------------------------------------------
    def name_of(self, connection_id: str) -> str:
        """The connection's name (live, else saved, else its id)."""
        conn = self.desk.connections.get(connection_id)
        if conn is not None:
            return conn.name
        if self.store is not None and connection_id in self.store:
            return self.store.get(connection_id).name
        return connection_id

    def dialog_parent(self) -> QWidget | None:
        """The window prompts belong to."""
        return self._parent if isinstance(self._parent, QWidget) else self.status.window()

    def say(self, text: str, ms: int = 10000) -> None:
        """A temporary message in the status bar."""
        if shiboken6.isValid(self.status):
            self.status.showMessage(text, ms)


def _login_url(broker: Broker) -> str | None:
    control = session_control(broker)
    return control.login_url if control is not None else None


def _combinable(kind: str) -> bool:
    try:
        return broker_spec(kind).combinable
    except KeyError:  # an ad-hoc adapter without a spec (tests)
        return True

