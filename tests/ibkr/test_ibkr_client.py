"""IbkrClient against the fake Client Portal Gateway (tests.fakes.ibkr) over real HTTPS."""

from __future__ import annotations

import asyncio
import ssl
from contextlib import asynccontextmanager

import pytest
import trustme

from desktop.brokers.errors import (
    AuthError,
    BrokerError,
    CertificateChangedError,
    CertificateUntrustedError,
    NotFoundError,
    UnavailableError,
)
from desktop.brokers.ibkr.client import IBKR_PACE_RULES, IbkrClient, RequestTimeout
from desktop.brokers.transport import MaybeSentError, Pacer, RetryPolicy, fingerprint, is_maybe_sent
from tests.fakes.ibkr import running_gateway
from tests.unit.test_transport_loopback import Reply, ScriptedServer


async def _opened(gw, **kwargs) -> IbkrClient:
    client = IbkrClient(gw.base_url, pinned_sha256=gw.fingerprint, timeout=kwargs.pop("timeout", 5.0), **kwargs)
    await client.open()
    return client


def _count(gw, method: str, path: str) -> int:
    return sum(1 for r in gw.requests if r.method == method and r.path == path)


def test_first_contact_untrusted_then_pinned_works(arun, tmp_path):
    async def main():
        async with running_gateway(tmp_path) as gw:
            client = IbkrClient(gw.base_url)
            with pytest.raises(CertificateUntrustedError) as info:
                await client.open()
            assert info.value.fingerprint == gw.fingerprint == client.fingerprint
            assert info.value.pinned is None
            assert gw.requests == []  # the probe sent nothing
            pinned = await _opened(gw)
            accounts = await pinned.get("/iserver/accounts")
            assert "DU100001" in accounts["accounts"]
            assert pinned.ssl_context is not None
            await pinned.close()

    arun(main())


def test_certificate_changed_after_rotation(arun, tmp_path):
    async def main():
        async with running_gateway(tmp_path) as gw:
            old = gw.fingerprint
            await gw.rotate_certificate()
            client = IbkrClient(gw.base_url, pinned_sha256=old.replace(":", "").lower())
            with pytest.raises(CertificateChangedError) as info:
                await client.open()
            assert info.value.fingerprint == gw.fingerprint != old
            assert info.value.pinned == old
            assert "changed" in info.value.message and "refused" in info.value.message
            assert not client.is_open

    arun(main())


def test_certificate_rotated_while_open_is_refused(arun, tmp_path):
    async def main():
        async with running_gateway(tmp_path) as gw:
            old = gw.fingerprint
            client = await _opened(gw)  # open() makes no pooled connection yet
            await gw.rotate_certificate()
            with pytest.raises(CertificateChangedError) as info:
                await client.get("/iserver/accounts")
            assert info.value.pinned == old and info.value.fingerprint == gw.fingerprint
            assert not any(r.path == "/iserver/accounts" for r in gw.requests)  # nothing was sent
            await client.close()

    arun(main())


def test_unreachable_gateway_is_unavailable(arun):
    async def main():
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        client = IbkrClient(f"https://127.0.0.1:{port}/v1/api", pinned_sha256="AB" * 32, timeout=2)
        with pytest.raises(UnavailableError, match="Cannot reach"):
            await client.open()

    arun(main())


def test_error_mapping(arun, tmp_path):
    async def main():
        async with running_gateway(tmp_path) as gw:
            client = await _opened(gw)
            await client.get("/iserver/accounts")
            with pytest.raises(NotFoundError):
                await client.get("/no/such/endpoint")
            with pytest.raises(BrokerError) as info:  # a bad account id: 500 per the spec
                await client.post("/iserver/account", {"acctId": "NOPE"})
            assert info.value.raw is not None
            gw.state.authenticated = False
            with pytest.raises(AuthError):
                await client.get("/iserver/accounts")
            await client.close()
            with pytest.raises(UnavailableError):
                await client.get("/iserver/accounts")

    arun(main())


def test_reprime_once_on_accounts_first(arun, tmp_path):
    calls: list[str] = []

    async def main():
        async with running_gateway(tmp_path) as gw:
            client = await _opened(gw)

            async def reprime() -> None:
                calls.append("reprime")
                await client.get("/iserver/accounts")

            client.reprime = reprime
            gw.state.accounts_primed = False
            groups = await client.get("/iserver/account/allocation/group")
            assert {g["name"] for g in groups["data"]} >= {"Everyone", "ByNetLiq"}
            assert calls == ["reprime"]
            assert _count(gw, "GET", "/iserver/account/allocation/group") == 2  # refused once, retried once

            # a re-prime that does not help: the error surfaces after one retry
            async def useless() -> None:
                calls.append("useless")

            client.reprime = useless
            gw.state.accounts_primed = False
            with pytest.raises(UnavailableError, match="Please query /accounts first"):
                await client.get("/iserver/account/allocation/group")
            assert calls == ["reprime", "useless"]
            assert _count(gw, "GET", "/iserver/account/allocation/group") == 4
            await client.close()

    arun(main())


def test_concurrent_failures_share_one_reprime(arun, tmp_path):
    calls: list[str] = []

    async def main():
        async with running_gateway(tmp_path) as gw:
            client = await _opened(gw)

            async def reprime() -> None:
                calls.append("reprime")
                await client.get("/iserver/accounts")

            client.reprime = reprime
            await client.get("/iserver/accounts")
            gw.state.accounts_primed = False
            results = await asyncio.gather(*(client.get("/iserver/account/allocation/accounts") for _ in range(3)))
            assert all("accounts" in r for r in results)
            await client.close()

    arun(main())
    assert calls == ["reprime"]


def test_post_timeout_is_never_retried(arun, tmp_path):
    async def main():
        async with running_gateway(tmp_path) as gw:
            client = await _opened(gw, timeout=0.5)
            await client.get("/iserver/accounts")
            gw.state.post_delay = 1.5
            order = {"orders": [{"acctId": "DU100001", "conid": 265598, "cOID": "td-timeout-1", "orderType": "LMT",
                                 "side": "BUY", "tif": "DAY", "quantity": 1, "price": 100}]}
            with pytest.raises(RequestTimeout) as info:
                await client.post("/iserver/account/DU100001/orders", order)
            assert info.value.maybe_sent is True
            assert isinstance(info.value, UnavailableError)
            assert _count(gw, "POST", "/iserver/account/DU100001/orders") == 1
            await client.close()

    arun(main())


def test_default_pace_rules_cover_notes_section_7():
    paths = {rule.pattern for rule in IBKR_PACE_RULES}
    assert {"/iserver/account/orders", "/iserver/account/trades", "/tickle", "/sso/validate",
            "/iserver/marketdata/history"} <= paths
    history = next(r for r in IBKR_PACE_RULES if r.pattern == "/iserver/marketdata/history")
    assert history.max_concurrent == 5


@asynccontextmanager
async def pinned_server(**kwargs):
    """A scripted HTTPS server on loopback (tests.unit.test_transport_loopback) and an
    opened IbkrClient pinned to its certificate, without pacing of its own."""
    cert = trustme.CA().issue_cert("127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    async with ScriptedServer(context) as server:
        der = ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode())
        kwargs.setdefault("pacer", Pacer(None))
        client = IbkrClient(server.base_url + "/v1/api", pinned_sha256=fingerprint(der), timeout=5.0, **kwargs)
        await client.open()
        try:
            yield server, client
        finally:
            await client.close()


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_order_post_answered_5xx_is_maybe_sent_and_not_retried(arun, status):
    """Any 5xx to an order POST may come after IBKR acted on it (503 is "request takes
    more than 10s", NOTES.md 7), so the caller must reconcile, never re-send; an
    idempotent GET is still retried after a 503.

    Changed with the move onto the kit's pipeline: a 500/502 answer to an order POST
    used to be raised as a refusal (BrokerError / UnavailableError); it is now
    MaybeSentError (maybe_sent), like 503/504 were."""
    async def main():
        async with pinned_server(retry_policy=RetryPolicy(delays=(0.0,))) as (server, client):
            answer = Reply(status, {"error": "Service Unavailable"})
            server.on("POST", "/v1/api/iserver/account/DU100001/orders", answer)
            server.on("GET", "/v1/api/iserver/accounts", answer)
            with pytest.raises(MaybeSentError) as info:
                await client.post("/iserver/account/DU100001/orders", {"orders": [{}]})
            assert info.value.maybe_sent is True and str(status) in info.value.message
            assert isinstance(info.value, UnavailableError)
            with pytest.raises(BrokerError) as get_error:
                await client.get("/iserver/accounts")
            assert not is_maybe_sent(get_error.value)
            return server.count("POST", "/v1/api/iserver/account/DU100001/orders"), \
                server.count("GET", "/v1/api/iserver/accounts")

    posts, gets = arun(main())
    assert posts == 1
    assert gets == (3 if status == 503 else 1)  # 503 retried twice (RetryPolicy)
