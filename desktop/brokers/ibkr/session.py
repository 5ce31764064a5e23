"""The IBKR brokerage session: login wait, competing sessions, pre-flight, tickle, re-prime.

Follows NOTES.md section 2 ("Suggested client state machine"): POST /iserver/auth/status;
if not authenticated the user logs in through the gateway's browser page; if another
session competes, take it over only after the user agreed (POST /iserver/auth/ssodh/init
{"publish":true,"compete":true}); ssodh/init when not yet established; GET
/iserver/accounts (mandatory pre-flight); then POST /tickle about every 60 s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from desktop.brokers.errors import AuthError, BrokerError
from desktop.brokers.streams import END, drain
from desktop.brokers.transport import Supervisor, shorten, wait_event
from desktop.domain import ConnectionState, ConnectionStatus
from desktop.security.redaction import register_secret

from .client import IbkrClient

log = logging.getLogger(__name__)

KEEP_ALIVE_TASK = "keep-alive"
RECOVERY_TASK = "session recovery"


class IbkrSession:
    """Keeps one gateway's brokerage session usable.

    ``client``: an opened :class:`IbkrClient`; the session installs itself as
    ``client.reprime``. ``login_url``: the gateway's browser login page (shown with
    LOGIN_REQUIRED). ``poll_interval``: seconds between auth/status polls while waiting
    for a login; ``tickle_interval``: seconds between POST /tickle.

    States (``watch()``/``state``): CONNECTING, LOGIN_REQUIRED, COMPETING, CONNECTED,
    RECONNECTING, DISCONNECTED (after close). ``publish()`` sets the session's own
    state. Components (the client's COOL_DOWN, the stream's RECONNECTING) report
    through ``reporter(name)``: a component's problem is shown unless something more
    important is (priority DISCONNECTED > LOGIN_REQUIRED > COMPETING > COOL_DOWN >
    CONNECTING > RECONNECTING > CONNECTED), and a component's CONNECTED only clears its
    own problem, so a restored stream or an ended cool-down never hides a login prompt,
    a competing session or another component's outage.

    ``preflight``: an async callable (set by the broker) awaited after every
    successful ``GET /iserver/accounts`` (connect, re-prime, recovery) before
    CONNECTED is published: NOTES.md section 10's "pre-flight on every (re)connect"
    (``/portfolio/accounts``, ``/portfolio/subaccounts``, allocation groups). It may
    return a note appended to the CONNECTED message (e.g. "allocation groups changed").

    ``supervisor`` runs the tickle keep-alive (:data:`KEEP_ALIVE_TASK`) and the
    background recovery (:data:`RECOVERY_TASK`): restarted if they die unexpectedly
    (a private supervisor when None). The tickle ``session`` token is registered for
    log redaction the moment it arrives.
    """

    def __init__(self, client: IbkrClient, *, login_url: str, poll_interval: float = 2.0, tickle_interval: float = 60.0,
                 supervisor: Supervisor | None = None) -> None:
        self.client = client
        self.supervisor = supervisor or Supervisor(name="IBKR")
        self.login_url = login_url
        self.poll_interval = poll_interval
        self.tickle_interval = tickle_interval
        self._state: ConnectionState | None = None  # what watch() shows (effective)
        self._base: ConnectionState | None = None  # the session's own state
        self._issues: dict[str, ConnectionState] = {}  # component -> its current problem
        self.preflight: Callable[[], Awaitable[str | None]] | None = None
        self._watchers: list[asyncio.Queue] = []
        self._accounts: Any = None
        self._session_token: str | None = None
        self._take_over = asyncio.Event()
        self._wake = asyncio.Event()
        self._tickle_task: asyncio.Task | None = None
        self._recover_task: asyncio.Task | None = None
        self._closed = False
        client.reprime = self.reprime

    # -- public ---------------------------------------------------------------
    @property
    def state(self) -> ConnectionState | None:
        """The latest published state (None before start())."""
        return self._state

    @property
    def accounts(self) -> Any:
        """The last GET /iserver/accounts payload (None before the pre-flight)."""
        return self._accounts

    @property
    def session_token(self) -> str | None:
        """The ``session`` of the last /tickle answer: the websocket's credential."""
        return self._session_token

    def publish(self, state: ConnectionState) -> None:
        """Set the session's own state; watch() shows it unless a component reports
        something more important (see the class docstring)."""
        if self._closed and state.status is not ConnectionStatus.DISCONNECTED:
            return
        self._base = state
        self._emit()

    def reporter(self, component: str) -> Callable[[ConnectionState], None]:
        """The ``on_state`` callback for ``component`` ("client", "stream"): a
        non-CONNECTED state records its problem, CONNECTED clears it."""
        def report(state: ConnectionState) -> None:
            if self._closed:
                return
            if state.status is ConnectionStatus.CONNECTED:
                if self._issues.pop(component, None) is None:
                    return  # nothing of ours to restore
                if self._base is not None and self._base.status is ConnectionStatus.CONNECTED:
                    self._base = state  # same status, the component's fresher message
            else:
                self._issues[component] = state
            self._emit()
        return report

    def _emit(self) -> None:
        candidates = [s for s in (self._base, *self._issues.values()) if s is not None]
        if not candidates:
            return
        state = max(candidates, key=lambda s: _PRIORITY[s.status])  # first wins a tie: the session's
        if state is self._state:
            return
        self._state = state
        for queue in self._watchers:
            queue.put_nowait(state)

    async def watch(self) -> AsyncIterator[ConnectionState]:
        """The current state (if any), then every change, until close()."""
        queue: asyncio.Queue = asyncio.Queue()
        if self._state is not None:
            queue.put_nowait(self._state)
        if self._closed:
            queue.put_nowait(END)
        self._watchers.append(queue)
        try:
            async for item in drain(queue):
                yield item
        finally:
            if queue in self._watchers:
                self._watchers.remove(queue)

    async def start(self) -> Any:
        """Establish the session and return the /iserver/accounts payload.

        Waits (cancellable) while the user must log in or decide about a competing
        session. Raises UnavailableError / CertificateError from the client.
        """
        self.publish(ConnectionState(status=ConnectionStatus.CONNECTING, message="Connecting to the IBKR gateway"))
        accounts = await self._establish()
        await self._tickle_once()
        self._start_tickle_loop()
        return accounts

    async def take_over(self) -> None:
        """Take the brokerage session from another login of the same user (only after
        the user agreed): POST /iserver/auth/ssodh/init {"publish":true,"compete":true}."""
        await self.client.post("/iserver/auth/ssodh/init", {"publish": True, "compete": True})
        self._take_over.set()
        self._wake.set()

    async def reprime(self) -> None:
        """Re-prime after a session error (set as ``client.reprime``): auth/status,
        ssodh/init when needed, GET /iserver/accounts. Publishes RECONNECTING then
        CONNECTED. Raises AuthError (and starts waiting in the background) when the
        user must log in again or another session competes."""
        self.publish(ConnectionState(status=ConnectionStatus.RECONNECTING, message="Restoring the IBKR session"))
        status = await self._auth_status()
        if status.get("competing") or not status.get("authenticated"):
            self._start_recovery()
            raise AuthError("The IBKR session needs a new login" if not status.get("competing") else "Another session holds the IBKR brokerage session")
        if not _established(status):
            await self._init_session(compete=False)
        try:
            self._accounts = await self.client.get("/iserver/accounts")
        except BrokerError:
            await self._init_session(compete=False)
            self._accounts = await self.client.get("/iserver/accounts")
        await self._connected()

    async def _connected(self) -> None:
        """Run the owner's pre-flight, then publish CONNECTED."""
        note = None
        if self.preflight is not None:
            note = await self.preflight()
        message = "Connected" + (f" ({note})" if note else "")
        self.publish(ConnectionState(status=ConnectionStatus.CONNECTED, message=message))

    async def close(self) -> None:
        """Stop the tickle/recovery tasks, publish DISCONNECTED, end every watch()."""
        if self._closed:
            return
        tasks = [t for t in (self._tickle_task, self._recover_task) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.publish(ConnectionState(status=ConnectionStatus.DISCONNECTED, message="Closed"))
        self._closed = True
        for queue in self._watchers:
            queue.put_nowait(END)
        if self.client.reprime == self.reprime:
            self.client.reprime = None

    # -- internals --------------------------------------------------------------
    async def _auth_status(self) -> dict:
        try:
            status = await self.client.post("/iserver/auth/status", idempotent=True)
        except AuthError:
            return {"authenticated": False}
        if not isinstance(status, dict):
            log.warning("IBKR auth/status: unexpected payload %s", shorten(status))
            return {"authenticated": False}
        return status

    async def _init_session(self, *, compete: bool) -> None:
        await self.client.post("/iserver/auth/ssodh/init", {"publish": True, "compete": compete})

    async def _wait(self) -> None:
        """Sleep up to poll_interval; take_over() wakes us early."""
        self._wake.clear()
        await wait_event(self._wake, self.poll_interval)  # not wait_for: it can drop a cancel (transport.waits)

    async def _establish(self) -> Any:
        """auth/status loop until authenticated and not competing, then pre-flight."""
        while True:
            status = await self._auth_status()
            if status.get("competing") and not self._take_over.is_set():
                self._publish_once(ConnectionStatus.COMPETING, "Another session (TWS, mobile or the portal) holds the IBKR brokerage session")
                await self._wait()
                continue
            if not status.get("authenticated"):
                if self._take_over.is_set() and status.get("competing"):
                    await self._wait()  # ssodh/init with compete is taking effect
                    continue
                self._publish_once(ConnectionStatus.LOGIN_REQUIRED, "Log in to the IBKR gateway in your browser", login_url=self.login_url)
                await self._wait()
                continue
            self._take_over.clear()
            if not _established(status):
                await self._init_session(compete=False)
            self._accounts = await self.client.get("/iserver/accounts")
            await self._connected()
            return self._accounts

    def _publish_once(self, status: ConnectionStatus, message: str, *, login_url: str | None = None) -> None:
        if self._base is None or self._base.status is not status:
            self.publish(ConnectionState(status=status, message=message, login_url=login_url))

    async def _tickle_once(self) -> bool:
        """POST /tickle; keep its ``session`` token. False when the session is lost."""
        try:
            answer = await self.client.post("/tickle", idempotent=True)
        except AuthError:
            return False
        if not isinstance(answer, dict) or answer.get("error"):
            log.warning("IBKR tickle failed: %s", shorten(
                {k: v for k, v in answer.items() if k != "session"} if isinstance(answer, dict) else answer))
            return False
        token = answer.get("session")
        if isinstance(token, str) and token:
            register_secret(token)
            self._session_token = token
        iserver = answer.get("iserver")
        auth = iserver.get("authStatus") if isinstance(iserver, dict) else None
        if auth is not None and not isinstance(auth, dict):
            log.warning("IBKR tickle: unexpected authStatus %s", shorten(auth))
            auth = None
        if auth and (not auth.get("authenticated") or auth.get("competing")):
            return False
        return True

    def _start_tickle_loop(self) -> None:
        if self._tickle_task is None and not self._closed:
            self._tickle_task = self.supervisor.start(KEEP_ALIVE_TASK, self._tickle_loop, label="session keep-alive")

    async def _tickle_loop(self) -> None:
        """POST /tickle every ``tickle_interval`` s; an unexpected error ends this run
        and the supervisor starts the loop again."""
        while True:
            await asyncio.sleep(self.tickle_interval)
            try:
                healthy = await self._tickle_once()
            except BrokerError as exc:
                log.info("IBKR tickle error: %s", exc.message)
                continue
            self.supervisor.ok(KEEP_ALIVE_TASK)
            if not healthy and (self._recover_task is None or self._recover_task.done()):
                self.publish(ConnectionState(status=ConnectionStatus.RECONNECTING, message="Restoring the IBKR session"))
                self._start_recovery()

    def _start_recovery(self) -> None:
        if self._closed or (self._recover_task is not None and not self._recover_task.done()):
            return
        self._recover_task = self.supervisor.start(RECOVERY_TASK, self._recover, label="session recovery")

    async def _recover(self) -> None:
        """Background: wait for login / take-over, re-prime, fetch a fresh token."""
        while not self._closed:
            try:
                await self._establish()
                await self._tickle_once()
                return
            except asyncio.CancelledError:
                raise
            except BrokerError as exc:
                log.info("IBKR session recovery: %s", exc.message)
                await self._wait()


_PRIORITY = {
    ConnectionStatus.CONNECTED: 0, ConnectionStatus.RECONNECTING: 1, ConnectionStatus.CONNECTING: 2,
    ConnectionStatus.COOL_DOWN: 3, ConnectionStatus.COMPETING: 4, ConnectionStatus.LOGIN_REQUIRED: 5,
    ConnectionStatus.DISCONNECTED: 6,
}
"""How much a state matters to the user (higher wins the status bar)."""


def _established(status: dict) -> bool:
    """True unless auth/status says the brokerage session is not connected/established
    (a missing field counts as fine: older gateways omit ``established``)."""
    return status.get("connected", True) is not False and status.get("established", True) is not False
