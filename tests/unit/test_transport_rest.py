"""The adapter kit's REST pipeline (desktop.brokers.transport.rest) against a real
loopback HTTP server: sign hook, retries of idempotent requests, order POSTs never
re-sent (maybe-sent + reconcile), error shapes, 429 waits, pacing set at runtime."""

from __future__ import annotations

import json

import pytest

from desktop.brokers.errors import (
    AuthError,
    InvalidRequestError,
    OrderRejectedError,
    RateLimitedError,
    UnavailableError,
)
from desktop.brokers.transport import (
    MaybeSentError,
    OrderStateUnknownError,
    PaceRule,
    Pacer,
    RequestTimeout,
    RestClient,
    RetryPolicy,
    canonical_json,
    hmac_sha256_base64,
    is_maybe_sent,
    submit_once,
)
from tests.unit.test_transport_loopback import Drop, Reply, ScriptedServer, Stall, free_port
from tests.unit.test_transport_pacing import FakeClock


async def _client(server: ScriptedServer, **kwargs) -> RestClient:
    kwargs.setdefault("retry_policy", RetryPolicy(delays=(0.0,)))
    client = RestClient(server.base_url + "/api", name="the test broker", **kwargs)
    await client.open()
    return client


def test_sign_hook_sees_what_is_sent_and_its_headers_arrive(arun):
    """A SnapTrade-style signer: it adds query parameters and signs method, path, query
    and body; the server recomputes the signature from what it received."""
    seen = {}

    async def sign(request):  # async signers are awaited
        request.add_param("clientId", "C1")
        request.add_param("timestamp", 1700000000)
        seen.update(method=request.method, path=request.url_path, query=request.query, body=request.body,
                    json=request.json)
        payload = canonical_json({"content": request.json, "path": request.url_path, "query": request.query})
        request.headers["Signature"] = hmac_sha256_base64("secret-key", payload)

    async def main():
        async with ScriptedServer() as server:
            server.on("POST", "/api/trade/place", Reply(200, {"ok": True}))
            client = await _client(server, sign=sign, headers={"X-Static": "1"})
            answer = await client.request("POST", "/trade/place", params={"accountId": "A 1", "flag": True},
                                          json={"units": 3, "symbol": "AAPL"})
            await client.close()
            return answer, server.requests[0]

    answer, got = arun(main())
    assert answer == {"ok": True}
    assert seen["method"] == "POST" and seen["path"] == "/api/trade/place" == got.path
    assert seen["query"] == "accountId=A+1&flag=true&clientId=C1&timestamp=1700000000" == got.query  # byte-identical
    assert seen["body"] == got.body and json.loads(got.body) == seen["json"] == {"units": 3, "symbol": "AAPL"}
    expected = hmac_sha256_base64("secret-key", canonical_json(
        {"content": json.loads(got.body), "path": got.path, "query": got.query}))
    assert got.headers["signature"] == expected
    assert got.headers["x-static"] == "1" and got.headers["content-type"] == "application/json"


def test_get_is_retried_after_503_and_after_a_connect_error(arun):
    async def main():
        async with ScriptedServer() as server:
            server.on("GET", "/api/accounts", Reply(503, {"detail": "busy"}), Reply(200, ["A1"]))
            client = await _client(server)
            first = await client.request("GET", "/accounts")
            await client.close()
            retried_503 = server.count("GET", "/api/accounts")

        # nothing listens on the port until the pipeline waits before its retry
        later = ScriptedServer().on("GET", "/api/accounts", Reply(200, ["A2"]))
        later.port = free_port()

        async def start_server(_delay):
            await later.start()

        client = RestClient(later.base_url + "/api", retry_policy=RetryPolicy(delays=(0.0,)), sleep=start_server)
        await client.open()
        try:
            second = await client.request("GET", "/accounts")
        finally:
            await client.close()
            await later.stop()
        return first, retried_503, second, later.count("GET", "/api/accounts")

    first, retried_503, second, after_connect_error = arun(main())
    assert first == ["A1"] and retried_503 == 2
    assert second == ["A2"] and after_connect_error == 1


@pytest.mark.parametrize("failure", ["timeout", "dropped", 500, 502, 503])
def test_order_post_is_never_resent_and_is_reconciled(arun, failure):
    """Whatever goes wrong after the POST may have left, the server sees exactly one
    POST and the reconcile hook (look-up by client order id) decides."""
    action = {"timeout": Stall(), "dropped": Drop()}.get(failure) or Reply(failure, {"error": "upstream"})

    async def main():
        async with ScriptedServer() as server:
            server.on("POST", "/api/orders", action)
            server.on("GET", "/api/orders", Reply(200, []), Reply(200, [{"id": "9", "cid": "c-1"}]))
            client = await _client(server, timeout=0.3 if failure == "timeout" else 5.0)
            errors = []

            async def send():
                try:
                    return await client.request("POST", "/orders", json={"cid": "c-1", "qty": 1})
                except Exception as exc:
                    errors.append(exc)
                    raise

            async def reconcile():
                rows = await client.request("GET", "/orders", params={"cid": "c-1"})
                return next((r for r in rows if r["cid"] == "c-1"), None)

            found = await submit_once(send, reconcile, attempts=3, delay=0.0)
            await client.close()
            return found, errors, server.count("POST", "/api/orders"), server.count("GET", "/api/orders")

    found, errors, posts, lookups = arun(main())
    assert posts == 1
    assert lookups == 2 and found == {"id": "9", "cid": "c-1"}
    assert len(errors) == 1 and is_maybe_sent(errors[0]) and isinstance(errors[0], UnavailableError)
    assert isinstance(errors[0], RequestTimeout if failure == "timeout" else MaybeSentError)


def test_an_order_never_found_has_an_unknown_state_not_a_rejection(arun):
    async def main():
        async with ScriptedServer() as server:
            server.on("POST", "/api/orders", Reply(500, {"error": "internal"}))
            server.on("GET", "/api/orders", Reply(200, []))
            client = await _client(server)
            sleeps = []

            async def sleep(seconds):
                sleeps.append(seconds)

            async def reconcile():
                return next(iter(await client.request("GET", "/orders")), None)

            with pytest.raises(OrderStateUnknownError) as info:
                await submit_once(lambda: client.request("POST", "/orders", json={"cid": "c-2"}), reconcile,
                                  attempts=3, delay=5.0, sleep=sleep, what="order c-2")
            await client.close()
            return info.value, sleeps, server.count("POST", "/api/orders"), server.count("GET", "/api/orders")

    error, sleeps, posts, lookups = arun(main())
    assert "state is unknown" in error.message and "order c-2" in error.message
    assert not isinstance(error, OrderRejectedError) and "reject" not in error.message.lower()
    assert (posts, lookups, sleeps) == (1, 3, [5.0, 5.0])


def test_a_connect_error_on_a_post_says_it_was_not_sent(arun):
    async def main():
        client = RestClient(f"http://127.0.0.1:{free_port()}/api")
        await client.open()
        try:
            with pytest.raises(UnavailableError) as info:
                await client.request("POST", "/orders", json={})
        finally:
            await client.close()
        return info.value

    assert not is_maybe_sent(arun(main()))


def test_error_shapes_and_the_adapter_hook_first(arun):
    def tradelocker_style(response):  # 200 {"s": "error", "errmsg": ...} is a refusal
        body = response.body
        if isinstance(body, dict) and body.get("s") == "error":
            return OrderRejectedError(body.get("errmsg", "refused"), raw=body)
        return None

    async def main():
        async with ScriptedServer() as server:
            server.on("GET", "/api/a", Reply(400, {"error": "Bad Request", "message": "quantity must be positive"}))
            server.on("GET", "/api/b", Reply(503, {"detail": "Brokerage upstream failure", "code": 3002}))
            server.on("GET", "/api/c", Reply(401, {"default_detail": "Unable to verify signature sent",
                                                   "default_code": 1076}))
            server.on("GET", "/api/d", Reply(200, {"s": "error", "errmsg": "Market closed"}))
            client = await _client(server, map_error=tradelocker_style, retry_policy=RetryPolicy(max_retries=0))
            errors = []
            for path in ("/a", "/b", "/c", "/d"):
                with pytest.raises(Exception) as info:
                    await client.request("GET", path)
                errors.append(info.value)
            await client.close()
            return errors

    bad, down, auth, hook = arun(main())
    assert isinstance(bad, InvalidRequestError) and bad.message == "quantity must be positive" and bad.code == "400"
    assert isinstance(down, UnavailableError) and down.message == "Brokerage upstream failure" and down.code == "3002"
    assert isinstance(auth, AuthError) and auth.message == "Unable to verify signature sent" and auth.code == "1076"
    assert isinstance(hook, OrderRejectedError) and hook.message == "Market closed"


@pytest.mark.parametrize(("headers", "wait"), [
    ({"Retry-After": "7"}, 7.0),
    ({"X-RateLimit-Limit": "250", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "12"}, 12.0),
    ({"X-RateLimit-Remaining": "40", "X-RateLimit-Reset": "50", "X-RateLimit-Account-Remaining": "0",
      "X-RateLimit-Account-Reset": "9"}, 9.0),  # the exhausted window is the account one
])
def test_429_wait_comes_from_the_headers(arun, headers, wait):
    async def main():
        async with ScriptedServer() as server:
            body = {"detail": "Request was throttled.", "status_code": 429, "code": "0000"}
            server.on("POST", "/api/orders", Reply(429, body, headers))
            client = await _client(server)
            with pytest.raises(RateLimitedError) as info:
                await client.request("POST", "/orders", json={})
            with pytest.raises(RateLimitedError):  # the pause is local now: nothing more is sent
                await client.request("GET", "/accounts")
            await client.close()
            return info.value, len(server.requests)

    error, sent = arun(main())
    assert error.retry_after == wait and "Request was throttled." in error.message
    assert sent == 1


def test_pace_limits_loaded_at_runtime_take_effect(arun):
    """As after TradeLocker's /trade/config: no limits at first, then 1 request per 2 s
    on /orders and 2 per second overall."""
    clock = FakeClock()

    async def main():
        async with ScriptedServer() as server:
            server.on("GET", "/api/orders", Reply(200, []))
            server.on("GET", "/api/config", Reply(200, {}))
            client = await _client(server, pacer=Pacer(None, clock=clock, sleep=clock.sleep))
            for _ in range(3):
                await client.request("GET", "/orders")
            before = list(clock.sleeps)
            client.pacer.configure(global_rate=2, rules=[PaceRule(r"/orders", max_calls=1, per_seconds=2.0)])
            for _ in range(3):
                await client.request("GET", "/orders")
            windowed = list(clock.sleeps)
            clock.sleeps.clear()
            for _ in range(3):
                await client.request("GET", "/config")
            await client.close()
            return before, windowed, list(clock.sleeps), server.count("GET", "/api/orders")

    before, windowed, global_sleeps, sent = arun(main())
    assert before == []  # no limits yet
    assert windowed == [pytest.approx(2.0), pytest.approx(2.0)]  # the new per-endpoint window
    assert len(global_sleeps) == 1  # the new global rate: the third request in a second waits
    assert sent == 6
