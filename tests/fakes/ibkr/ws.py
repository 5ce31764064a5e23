"""The gateway websocket ``/v1/api/ws`` (same port as REST).

Authentication: the ``Cookie`` header ``api={"session":"<tickle session>"}`` (what
ibind sends) or the gateway's ``x-sess-uuid`` cookie; otherwise the server sends
``{"message":"waiting for session"}`` and closes. Then it sends ``system``
(``{"topic":"system","success":user}``), ``act`` (the accounts object) and ``sts``;
messages received before the ``system`` frame are dropped (the real quirk).

Client messages: ``smd+<conid>+{"fields":[...]}`` (only changed fields are pushed,
as strings; the subscription ends after ``state.smd_expiry`` seconds), ``umd+<conid>+{}``,
``sor+{}`` / ``uor+{}`` (order updates), ``spl+{}`` / ``upl+{}`` (P&L), ``str`` /
``utr`` (trades), ``ssd`` / ``usd`` (account summary), ``sld`` / ``uld`` (ledger):
see :mod:`.ws_account`; ``tic`` is answered ``{"topic":"tic","alive":true,...}``,
``ech+hb`` is accepted. Server heartbeat ``{"topic":"system","hb":ms}`` every
``state.ws_heartbeat`` seconds (IBKR: about 10). Source: NOTES.md section 6
(websocket).

Faults: while ``state.ws_silent`` (:meth:`FakeGateway.silence_websockets`) every
frame is dropped, heartbeats and ``tic`` replies included, the sockets stay open;
with ``state.ws_silent_pongs`` websocket-protocol pings go unanswered too (pongs are
sent by this module, not by aiohttp's autoping).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from aiohttp import WSMsgType, web

from . import adhoc, ws_account
from .app import API, GW_KEY, FakeGateway
from .payloads import BY_CONID, live_order, quote_fields

log = logging.getLogger(__name__)


def _session_ok(gw: FakeGateway, request: web.Request) -> bool:
    if not gw.state.authenticated:
        return False
    for part in request.headers.get("Cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "x-sess-uuid" and value == gw.state.cookie:
            return True
        if name == "api":
            with contextlib.suppress(ValueError, AttributeError):
                if json.loads(value).get("session") == gw.state.session:
                    return True
    return False


class Connection:
    """One client websocket: its subscriptions (tasks) and the frames it received."""

    def __init__(self, gw: FakeGateway, ws: web.WebSocketResponse, transport: Any) -> None:
        self.gw, self.ws, self.transport = gw, ws, transport
        self.ready = False
        self.tasks: dict[str, asyncio.Task] = {}
        self.received: list[tuple[str, bool]] = []  # (text, handled) ; handled False = dropped

    async def send(self, payload: dict) -> None:
        """Send one JSON frame (dropped while the gateway is silenced or the socket closed)."""
        if not self.ws.closed and not self.gw.state.ws_silent:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str(json.dumps(payload))

    def _start(self, key: str, coro) -> None:
        self._stop(key)
        self.tasks[key] = asyncio.ensure_future(coro)

    def _stop(self, key: str) -> None:
        task = self.tasks.pop(key, None)
        if task is not None:
            task.cancel()

    async def greet(self) -> None:
        from .routes_accounts import accounts_payload
        from .routes_session import auth_status

        gate = self.gw.state.ws_system_gate
        if gate is not None:
            await gate.wait()
        await self.send({"topic": "system", "success": self.gw.state.user_name, "isFT": False, "isPaper": True})
        self.ready = True
        await self.send({"topic": "act", "args": accounts_payload(self.gw)})
        status = auth_status(self.gw)
        await self.send({"topic": "sts", "args": {"authenticated": status["authenticated"],
                                                  "competing": status["competing"], "message": "",
                                                  "fail": "", "serverName": "FakeGateway", "serverVersion": "fake"}})
        self._start("hb", self._heartbeat())

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.gw.state.ws_heartbeat)
            await self.send({"topic": "system", "hb": int(time.time() * 1000)})

    async def handle(self, text: str) -> None:
        """Dispatch one client message (already known to arrive after ``system``)."""
        topic, _, rest = text.partition("+")
        if topic == "smd":
            conid_text, _, args = rest.partition("+")
            conid = int(conid_text.split("@", 1)[0])
            fields = [str(f) for f in (json.loads(args or "{}").get("fields") or [])]
            self.gw.state.market_data_requested.add(conid)
            self._start(f"smd+{conid}", self._quotes(conid, fields))
        elif topic == "umd":
            self._stop(f"smd+{int(rest.partition('+')[0].split('@', 1)[0])}")
        elif topic == "sor":
            if self.gw.state.sor_frames:
                self._start("sor", self._orders())
        elif topic == "uor":
            self._stop("sor")
        elif topic == "spl":
            self._start("spl", self._pnl())
        elif topic == "upl":
            self._stop("spl")
        elif topic == "str":
            self._start("str", ws_account.trades_stream(self, ws_account.parse_args(rest)))
        elif topic == "utr":
            self._stop("str")
        elif topic in ("ssd", "sld"):
            account, _, args = rest.partition("+")
            if not self.gw.is_account(account):
                await self.send({"topic": f"{topic}+{account}", "error": f"Account {account} is not valid for this user"})
                return
            stream = ws_account.summary_stream if topic == "ssd" else ws_account.ledger_stream
            self._start(f"{topic}+{account}", stream(self, account, ws_account.parse_args(args)))
        elif topic in ("usd", "uld"):
            account = rest.partition("+")[0]
            self._stop(f"s{topic[1:]}+{account}")
            if topic == "usd":
                await self.send({"result": "unsubscribed from summary"})
        elif topic == "tic":
            await self.send(ws_account.tic_reply(self.gw))
        elif topic == "ech":
            return
        else:
            log.info("fake gateway websocket ignores %r", text[:200])

    async def _quotes(self, conid: int, fields: list[str]) -> None:
        contract = BY_CONID.get(conid)
        if contract is None:
            await self.send({"topic": f"smd+{conid}", "error": f"invalid conid {conid}"})
            return
        last: dict[str, str] = {}
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
            async with asyncio.timeout(self.gw.state.smd_expiry):
                async for quote in self.gw.paper.watch_quotes([contract.symbol]):
                    values = quote_fields(quote, contract)
                    changed = {k: values[k] for k in fields if k in values and values[k] != last.get(k)}
                    if changed:
                        last.update(changed)
                        await self.send({"topic": f"smd+{conid}", "conid": conid, "conidEx": str(conid),
                                         "server_id": "q0", "_updated": int(time.time() * 1000), **changed})
        self.gw.smd_expired += 1

    async def _orders(self) -> None:
        from .routes_orders import listed_orders

        gw = self.gw
        targets = [*gw.client_ids, *gw.group_names]
        queue: asyncio.Queue = asyncio.Queue()

        async def pump(account: str) -> None:
            async for order in gw.paper.watch_orders(account):
                await queue.put((account, order))

        pumps = [asyncio.ensure_future(pump(a)) for a in targets]
        try:
            initial = []
            for account in [gw.master_id, *targets]:
                initial += await listed_orders(gw, account)
            if initial:
                await self.send({"topic": "sor", "args": gw.injected("sor") + initial})
            while True:
                account, order = await queue.get()
                if (parent := adhoc.parent_of(gw, order.order_id)) is not None:  # one of its children moved
                    row = live_order(await adhoc.view_of(gw, parent), parent.ibkr_id, parent.account)
                else:
                    row = live_order(order, gw.state.ibkr_order_id(account, order.order_id), account)
                await self.send({"topic": "sor", "args": [*gw.injected("sor"), row]})
        finally:
            for p in pumps:
                p.cancel()

    async def _pnl(self) -> None:
        from .routes_portfolio import pnl_row

        gw = self.gw
        sent: dict[str, dict] = {}
        async for _quote in gw.paper.watch_quotes([c.symbol for c in BY_CONID.values()]):
            rows = {f"{a}.Core": await pnl_row(gw, a) for a in gw.client_ids}
            changed = {k: v for k, v in rows.items() if sent.get(k) != v}
            if changed:
                sent.update(changed)
                await self.send({"topic": "spl", "args": changed})

    def reset(self) -> None:
        """Session lost: push ``sts`` authenticated:false, then close."""
        async def _reset() -> None:
            await self.send({"topic": "sts", "args": {"authenticated": False}})
            await self.ws.close()
        asyncio.ensure_future(_reset())

    async def drop(self, graceful: bool) -> None:
        self.cancel_all()
        if graceful:
            with contextlib.suppress(Exception):
                await self.ws.close()
        elif self.transport is not None:
            self.transport.abort()

    def cancel_all(self) -> None:
        for key in list(self.tasks):
            self._stop(key)


async def websocket(request: web.Request) -> web.WebSocketResponse:
    gw = request.app[GW_KEY]
    ws = web.WebSocketResponse(autoping=False)  # pongs sent below, so a silenced gateway can stop them
    transport = request.transport
    await ws.prepare(request)
    if not _session_ok(gw, request):
        await ws.send_str(json.dumps({"message": "waiting for session"}))
        await ws.close()
        return ws
    conn = Connection(gw, ws, transport)
    gw.websockets.add(conn)
    greeter = asyncio.ensure_future(conn.greet())
    try:
        async for msg in ws:
            if msg.type == WSMsgType.PING:
                if not (gw.state.ws_silent and gw.state.ws_silent_pongs):
                    with contextlib.suppress(ConnectionError, RuntimeError):
                        await ws.pong(msg.data)
                continue
            if msg.type != WSMsgType.TEXT:
                continue
            text = msg.data.strip()
            handled = conn.ready
            conn.received.append((text, handled))
            if handled:
                try:
                    await conn.handle(text)
                except (ValueError, AttributeError) as exc:
                    log.warning("fake gateway websocket: bad message %r: %s", text[:200], exc)
            gw.ws_received.append((text, handled))
            gw.notify_ws()
    finally:
        greeter.cancel()
        conn.cancel_all()
        gw.websockets.discard(conn)
    return ws


def setup(app: web.Application) -> None:
    app.router.add_get(API + "/ws", websocket)
