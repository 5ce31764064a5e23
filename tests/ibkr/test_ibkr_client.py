"""IbkrClient against the fake Client Portal Gateway (tests.fakes.ibkr) over real HTTPS."""

from __future__ import annotations

import asyncio

import pytest

from desktop.brokers.errors import (
    AuthError,
    BrokerError,
    CertificateChangedError,
    CertificateUntrustedError,
    NotFoundError,
    UnavailableError,
)
from desktop.brokers.ibkr.client import IBKR_PACE_RULES, IbkrClient, RequestTimeout
from desktop.brokers.transport import Pacer, RetryPolicy
from tests.fakes.ibkr import running_gateway


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


def _mock_client(handler, **kwargs) -> IbkrClient:
    """An IbkrClient whose HTTP goes to ``handler`` (httpx.MockTransport), no TLS."""
    import httpx

    client = IbkrClient("https://127.0.0.1:5000/v1/api", pinned_sha256="AB" * 32, pacer=Pacer(None), **kwargs)
    client._http = httpx.AsyncClient(base_url=client.base_url + "/", transport=httpx.MockTransport(handler))
    return client


@pytest.mark.parametrize("status", [503, 504])
def test_order_post_answered_503_is_maybe_sent_and_not_retried(arun, status):
    """503 means "request takes more than 10s" (NOTES.md 7): the order may be placed,
    so the caller must reconcile, not re-send; an idempotent GET is still retried."""
    import httpx

    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        return httpx.Response(status, json={"error": "Service Unavailable"})

    async def main():
        client = _mock_client(handler, retry_policy=RetryPolicy(delays=(0.0,)))
        with pytest.raises(RequestTimeout) as info:
            await client.post("/iserver/account/DU100001/orders", {"orders": [{}]})
        assert info.value.maybe_sent is True and str(status) in info.value.message
        assert seen == ["POST"]
        with pytest.raises(UnavailableError) as get_error:
            await client.get("/iserver/accounts")
        assert not isinstance(get_error.value, RequestTimeout)
        await client.close()

    arun(main())
    assert seen.count("GET") == (3 if status == 503 else 1)  # 503 retried twice (RetryPolicy)
