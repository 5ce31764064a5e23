"""Auth hooks of the REST pipeline against a loopback server: a bearer token refreshed
once on 401 (TradeLocker JWT), the refreshed token handed to the adapter's
save-secret callback, static headers (Connect Trade), and the recovery rules."""

from __future__ import annotations

import asyncio
import logging

import pytest

from desktop.brokers.errors import AuthError
from desktop.brokers.transport import BearerAuth, RestClient, chain, static_headers
from desktop.security.redaction import redact
from tests.unit.test_transport_loopback import Reply, ScriptedServer


def _bearer_server(valid: set[str]) -> ScriptedServer:
    """/api/orders answers 200 only with a valid bearer token; POST /api/auth/refresh
    hands out "fresh-token" (when its own bearer is valid, "new-" tokens refused)."""
    def orders(seen):
        token = seen.headers.get("authorization", "").removeprefix("Bearer ")
        return Reply(200, [{"token_ok": token}]) if token in valid else Reply(401, {"message": "token expired"})

    def refresh(seen):
        return Reply(200, {"accessToken": "fresh-token"}) if seen.json() == {"refreshToken": "r-1"} else Reply(401)

    server = ScriptedServer()
    server.on("GET", "/api/orders", orders)
    server.on("POST", "/api/orders", orders)
    server.on("POST", "/api/auth/refresh", refresh)
    return server


def test_401_refreshes_once_resends_once_and_saves_the_new_token(arun, caplog):
    saved: list[tuple[str, str]] = []

    async def main():
        async with _bearer_server({"fresh-token"}) as server:
            client: RestClient

            async def refresh() -> str:
                body = await client.request("POST", "/auth/refresh", json={"refreshToken": "r-1"})
                return body["accessToken"]

            auth = BearerAuth("old-token", refresh=refresh, on_token=lambda t: saved.append(("access_token", t)))
            client = RestClient(server.base_url + "/api", sign=chain(static_headers({"accNum": "1"}), auth))
            await client.open()
            with caplog.at_level(logging.DEBUG):
                placed = await client.request("POST", "/orders", json={"qty": 1})  # not idempotent: still resent once
                again = await client.request("GET", "/orders")
            await client.close()
            return placed, again, auth.refreshes, server.requests

    placed, again, refreshes, requests = arun(main())
    assert placed == again == [{"token_ok": "fresh-token"}]
    assert refreshes == 1 and saved == [("access_token", "fresh-token")]
    assert [(r.method, r.path, r.headers.get("authorization")) for r in requests] == [
        ("POST", "/api/orders", "Bearer old-token"), ("POST", "/api/auth/refresh", "Bearer old-token"),
        ("POST", "/api/orders", "Bearer fresh-token"), ("GET", "/api/orders", "Bearer fresh-token")]
    assert all(r.headers["accnum"] == "1" for r in requests)
    assert "fresh-token" not in caplog.text and "old-token" not in caplog.text
    assert redact("token fresh-token") == "token [REDACTED]"  # registered for redaction


def test_concurrent_401s_share_one_refresh(arun):
    async def main():
        async with _bearer_server({"fresh-token"}) as server:
            calls = []

            async def refresh() -> str:
                calls.append(1)
                await asyncio.sleep(0)
                return "fresh-token"

            client = RestClient(server.base_url + "/api", sign=BearerAuth("old-token", refresh=refresh))
            await client.open()
            results = await asyncio.gather(*(client.request("GET", "/orders") for _ in range(4)))
            await client.close()
            return results, calls

    results, calls = arun(main())
    assert results == [[{"token_ok": "fresh-token"}]] * 4 and calls == [1]


def test_a_token_still_refused_after_the_refresh_is_an_auth_error(arun):
    async def main():
        async with _bearer_server(set()) as server:
            refreshed = []

            async def refresh() -> str:
                refreshed.append(1)
                return "new-but-refused"

            client = RestClient(server.base_url + "/api", sign=BearerAuth("old-token", refresh=refresh))
            await client.open()
            with pytest.raises(AuthError) as info:
                await client.request("POST", "/orders", json={})
            await client.close()
            return info.value, refreshed, server.count("POST", "/api/orders")

    error, refreshed, posts = arun(main())
    assert error.message == "token expired" and refreshed == [1] and posts == 2  # one resend, no second refresh


def test_a_refresh_refused_itself_does_not_recurse(arun):
    """The refresh call goes through the same client and gets a 401 (the refresh token
    expired too): it fails at once with AuthError, no refresh of the refresh."""
    async def main():
        async with _bearer_server(set()) as server:
            client: RestClient
            calls = []

            async def refresh() -> str:
                calls.append(1)
                body = await client.request("POST", "/auth/refresh", json={"refreshToken": "expired"})
                return body["accessToken"]

            client = RestClient(server.base_url + "/api", sign=BearerAuth("old-token", refresh=refresh))
            await client.open()
            with pytest.raises(AuthError):
                await client.request("GET", "/orders")
            await client.close()
            return calls, server.count("POST", "/api/auth/refresh"), server.count("GET", "/api/orders")

    assert arun(main()) == ([1], 1, 1)


def test_without_refresh_a_401_is_final(arun):
    async def main():
        async with _bearer_server(set()) as server:
            client = RestClient(server.base_url + "/api", sign=BearerAuth("old-token"))
            await client.open()
            with pytest.raises(AuthError):
                await client.request("GET", "/orders")
            await client.close()
            return server.count("GET", "/api/orders")

    assert arun(main()) == 1
