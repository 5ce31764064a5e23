"""IbkrSession against the fake gateway: login wait, competing + take-over, tickle,
re-prime after the daily reset."""

from __future__ import annotations

import asyncio

from desktop.brokers.ibkr.client import IbkrClient
from desktop.brokers.ibkr.session import IbkrSession
from desktop.brokers.transport import Pacer
from desktop.domain import ConnectionStatus
from tests.fakes.ibkr import running_gateway


async def _session(gw, *, pacer=None, **kwargs) -> IbkrSession:
    client = IbkrClient(gw.base_url, pinned_sha256=gw.fingerprint, timeout=5, **({"pacer": pacer} if pacer else {}))
    await client.open()
    return IbkrSession(client, login_url=gw.login_url, poll_interval=kwargs.pop("poll_interval", 0.05), **kwargs)


async def _until(session: IbkrSession, status: ConnectionStatus, seen: list) -> None:
    async def wait() -> None:
        async for state in session.watch():
            seen.append(state)
            if state.status is status:
                return

    await asyncio.wait_for(wait(), 5)


async def _shutdown(session: IbkrSession) -> None:
    await session.close()
    await session.client.close()


def test_start_when_logged_in(arun, tmp_path):
    async def main():
        async with running_gateway(tmp_path) as gw:
            session = await _session(gw)
            accounts = await session.start()
            assert "DU100001" in accounts["accounts"] and session.accounts == accounts
            assert session.state.status is ConnectionStatus.CONNECTED
            assert session.session_token == gw.state.session
            assert session.client.reprime == session.reprime
            paths = [r.path for r in gw.requests]
            assert paths.index("/iserver/auth/status") < paths.index("/iserver/accounts") < paths.index("/tickle")
            await _shutdown(session)
            assert session.state.status is ConnectionStatus.DISCONNECTED

    arun(main())


def test_waits_for_browser_login(arun, tmp_path):
    seen: list = []

    async def main():
        async with running_gateway(tmp_path, authenticated=False) as gw:
            session = await _session(gw)
            start = asyncio.create_task(session.start())
            await _until(session, ConnectionStatus.LOGIN_REQUIRED, seen)
            assert seen[-1].login_url == gw.login_url
            assert not start.done()
            gw.log_in()
            accounts = await asyncio.wait_for(start, 5)
            assert accounts["accounts"]
            assert session.state.status is ConnectionStatus.CONNECTED
            await _shutdown(session)

    arun(main())
    assert [s.status for s in seen][:2] == [ConnectionStatus.CONNECTING, ConnectionStatus.LOGIN_REQUIRED]


def test_login_wait_is_cancellable(arun, tmp_path):
    async def main():
        async with running_gateway(tmp_path, authenticated=False) as gw:
            session = await _session(gw)
            start = asyncio.create_task(session.start())
            await _until(session, ConnectionStatus.LOGIN_REQUIRED, [])
            start.cancel()
            await asyncio.gather(start, return_exceptions=True)
            assert start.cancelled()
            await _shutdown(session)

    arun(main())


def test_competing_session_waits_for_take_over(arun, tmp_path):
    async def main():
        async with running_gateway(tmp_path) as gw:
            gw.state.competing = True
            session = await _session(gw)
            start = asyncio.create_task(session.start())
            await _until(session, ConnectionStatus.COMPETING, [])
            assert not start.done()
            assert not any(r.path == "/iserver/auth/ssodh/init" for r in gw.requests)  # never compete unasked
            await session.take_over()
            await asyncio.wait_for(start, 5)
            inits = [r.json for r in gw.requests if r.path == "/iserver/auth/ssodh/init"]
            assert inits[0] == {"publish": True, "compete": True}
            assert session.state.status is ConnectionStatus.CONNECTED
            await _shutdown(session)

    arun(main())


def test_not_established_gets_ssodh_init_without_compete(arun, tmp_path):
    async def main():
        async with running_gateway(tmp_path, start_established=False) as gw:
            session = await _session(gw)
            await session.start()
            inits = [r.json for r in gw.requests if r.path == "/iserver/auth/ssodh/init"]
            assert inits == [{"publish": True, "compete": False}]
            await _shutdown(session)

    arun(main())


def test_tickle_keeps_session_token(arun, tmp_path):
    async def main():
        async with running_gateway(tmp_path) as gw:
            gw.state.pacing = False
            session = await _session(gw, pacer=Pacer(None), tickle_interval=0.05)
            await session.start()
            assert session.session_token == gw.state.session
            old = gw.state.session
            gw.state.new_session()  # the gateway hands out a new token
            assert gw.state.session != old

            async def refreshed() -> None:
                while session.session_token != gw.state.session:
                    await asyncio.sleep(0.01)

            await asyncio.wait_for(refreshed(), 5)
            assert sum(1 for r in gw.requests if r.path == "/tickle") >= 2
            await _shutdown(session)

    arun(main())


def test_tickle_failure_reconnects(arun, tmp_path):
    seen: list = []

    async def main():
        async with running_gateway(tmp_path) as gw:
            gw.state.pacing = False
            session = await _session(gw, pacer=Pacer(None), tickle_interval=0.05)
            await session.start()
            gw.state.authenticated = False  # the SSO session expired
            await _until(session, ConnectionStatus.LOGIN_REQUIRED, seen)
            gw.log_in()
            await _until(session, ConnectionStatus.CONNECTED, seen)
            assert session.session_token == gw.state.session
            await _shutdown(session)

    arun(main())
    statuses = [s.status for s in seen]
    assert ConnectionStatus.RECONNECTING in statuses
    assert statuses.index(ConnectionStatus.RECONNECTING) < statuses.index(ConnectionStatus.LOGIN_REQUIRED)


def test_daily_reset_is_reprimed_transparently(arun, tmp_path):
    async def main():
        async with running_gateway(tmp_path) as gw:
            session = await _session(gw)
            await session.start()
            states = session.watch()
            assert (await anext(states)).status is ConnectionStatus.CONNECTED  # watching from here
            gw.daily_reset()
            groups = await session.client.get("/iserver/account/allocation/group")
            assert groups["data"]
            after = [(await asyncio.wait_for(anext(states), 5)).status for _ in range(2)]
            assert after == [ConnectionStatus.RECONNECTING, ConnectionStatus.CONNECTED]
            paths = [r.path for r in gw.requests]
            assert "/iserver/auth/ssodh/init" in paths
            await _shutdown(session)

    arun(main())


class _ScriptedClient:
    """Just enough of IbkrClient for IbkrSession: answers by path from ``answers``."""

    def __init__(self, answers: dict) -> None:
        self.answers = answers
        self.calls: list[str] = []
        self.reprime = None

    async def post(self, path, json=None, *, params=None, idempotent=None):
        self.calls.append(path)
        answer = self.answers[path]
        return answer() if callable(answer) else answer

    async def get(self, path, *, params=None):
        return await self.post(path)


def _state(status, message=""):
    from desktop.domain import ConnectionState

    return ConnectionState(status=status, message=message)


def test_component_states_never_hide_a_login_prompt_or_each_other():
    """The stream's CONNECTED after a reconnect, or the end of a cool-down, must not
    replace LOGIN_REQUIRED / COMPETING that arrived meanwhile, nor another component's
    outage; a component's CONNECTED only clears its own problem."""
    S = ConnectionStatus
    session = IbkrSession(_ScriptedClient({}), login_url="https://gw/")
    stream, client = session.reporter("stream"), session.reporter("client")
    session.publish(_state(S.CONNECTED))
    stream(_state(S.RECONNECTING, "stream down"))
    assert session.state.status is S.RECONNECTING
    session.publish(_state(S.LOGIN_REQUIRED))  # the session lost its login meanwhile
    stream(_state(S.CONNECTED, "Streaming restored"))
    assert session.state.status is S.LOGIN_REQUIRED
    client(_state(S.COOL_DOWN))
    assert session.state.status is S.LOGIN_REQUIRED
    client(_state(S.CONNECTED, "Cool-down over"))
    assert session.state.status is S.LOGIN_REQUIRED
    session.publish(_state(S.COMPETING))
    stream(_state(S.CONNECTED))
    assert session.state.status is S.COMPETING
    session.publish(_state(S.CONNECTED, "Connected"))
    assert session.state.status is S.CONNECTED
    # cool-down while the stream is also down: the stream's restore keeps COOL_DOWN
    client(_state(S.COOL_DOWN, "paused"))
    stream(_state(S.RECONNECTING))
    assert session.state.status is S.COOL_DOWN
    stream(_state(S.CONNECTED, "Streaming restored"))
    assert session.state.status is S.COOL_DOWN
    client(_state(S.CONNECTED, "Cool-down over"))
    assert session.state.status is S.CONNECTED and session.state.message == "Cool-down over"
    # a CONNECTED from a component that reported nothing changes nothing
    before = session.state
    stream(_state(S.CONNECTED, "spurious"))
    assert session.state is before


def test_malformed_tickle_answer_does_not_kill_the_keep_alive(arun):
    """A /tickle whose iserver.authStatus is not an object is logged and the loop goes on."""
    answers = iter([{"session": "tok1", "iserver": {"authStatus": "weird"}},
                    {"session": "tok2", "iserver": "also weird"},
                    {"session": "tok3", "iserver": {"authStatus": {"authenticated": True}}}])
    done = asyncio.Event()

    def tickle():
        try:
            return next(answers)
        except StopIteration:
            done.set()
            return {"session": "tok3"}

    async def main():
        client = _ScriptedClient({"/tickle": tickle})
        session = IbkrSession(client, login_url="https://gw/", tickle_interval=0.0)
        session._start_tickle_loop()
        await asyncio.wait_for(done.wait(), 5)
        token = session.session_token
        await session.close()
        return token

    assert arun(main()) == "tok3"
