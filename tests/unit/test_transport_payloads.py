"""The kit's payload limits and readers: JSON nested deeper or larger than the limit is
refused with PayloadError (never RecursionError) in the REST pipeline (a POST's is
"maybe sent") and skipped on a websocket; a reader logs an unreadable item once, with
its raw text shortened and redacted, and returns its documented outcome."""

from __future__ import annotations

import logging

import pytest

from desktop.brokers.errors import BrokerError, NotFoundError
from desktop.brokers.transport import MaybeSentError, PayloadError, PayloadLog, RestClient, decode_json, shorten
from desktop.brokers.transport.payloads import depth_exceeds
from desktop.brokers.transport.reconnecting_ws import _FRAMES, _decode
from desktop.security.redaction import register_secret

from tests.unit.test_transport_loopback import Reply, ScriptedServer

DEEP = "[" * 100_000 + "]" * 100_000


def test_decode_json_refuses_deep_and_large_documents_with_a_clear_error():
    with pytest.raises(PayloadError, match="nested too deeply"):
        decode_json(DEEP)
    with pytest.raises(PayloadError, match="nested too deeply"):
        decode_json('{"a":' * 70 + "1" + "}" * 70)  # decodable, but deeper than 64
    with pytest.raises(PayloadError, match="too large"):
        decode_json(b"[" + b"1," * 600 + b"1]", max_bytes=1000)
    assert decode_json('{"a": [1, {"b": "[[[[[[["}]}') == {"a": [1, {"b": "[[[[[[["}]}
    assert decode_json("[" * 60 + "]" * 60) is not None
    with pytest.raises(ValueError):
        decode_json("not json")
    assert depth_exceeds([[[]]], 2) and not depth_exceeds([[[]]], 3) and not depth_exceeds("x", 0)


def test_rest_answers_too_deep_or_too_large_are_refused_and_a_post_is_maybe_sent(arun):
    async def main():
        async with ScriptedServer() as server:
            server.on("GET", "/api/deep", Reply(200, "[" * 2000 + "]" * 2000))  # under the size limit
            server.on("GET", "/api/big", Reply(200, {"rows": ["x" * 100] * 100}))
            server.on("POST", "/api/orders", Reply(200, "[" * 2000 + "]" * 2000))
            client = RestClient(server.base_url + "/api", max_body_bytes=5000)
            await client.open()
            errors = []
            for method, path in (("GET", "/deep"), ("GET", "/big"), ("POST", "/orders")):
                try:
                    await client.request(method, path, json={} if method == "POST" else None)
                except BrokerError as exc:
                    errors.append(exc)
            await client.close()
            return errors, server.count("GET", "/api/deep")

    (deep, big, post), gets = arun(main())
    assert type(deep) is PayloadError and "nested too deeply" in deep.message
    assert type(big) is PayloadError and "more than 5,000 bytes" in big.message
    assert isinstance(post, MaybeSentError) and post.maybe_sent and "cannot be read" in post.message
    assert gets == 1  # a refused answer is not retried


def test_websocket_frames_beyond_the_limits_are_skipped_and_logged_once(caplog):
    _FRAMES.forget()  # earlier tests may have sent the same frames (then logged at DEBUG)
    with caplog.at_level(logging.WARNING, logger="desktop.brokers.transport.reconnecting_ws"):
        assert _decode(DEEP) is None
        assert _decode('{"topic": "x", "pad": "' + "y" * 200 + '"}', max_bytes=100) is None
        assert _decode(b"\xff\xfe") is None and _decode("[1]") is None
        assert _decode('{"topic": "system"}') == {"topic": "system"}
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4
    assert "nested too deeply" in lines[0] and "too large" in lines[1] and "not JSON" in lines[2]
    assert all(len(line) < 600 for line in lines)  # the raw text shortened


def test_a_reader_logs_an_unreadable_item_once_shortened_and_redacted(caplog):
    payloads = PayloadLog(logging.getLogger("test.payloads"), "Test")
    register_secret("tok-SECRET-123456")

    @payloads.item("row")
    def read(row):
        if not isinstance(row, dict):
            payloads.skip("not an object")
            return None
        payloads.problem(f"price={row.get('price')!r} unreadable")
        return {"id": row["id"]}  # KeyError for a row without id: the net

    @payloads.payload("list")
    def read_all(rows):
        return [r for r in (read(row) for row in rows) if r]

    with caplog.at_level(logging.DEBUG, logger="test.payloads"):
        assert read("junk") is None
        assert read({"id": 1, "price": "x", "token": "tok-SECRET-123456", "pad": "z" * 5000}) == {"id": 1}
        assert read({"price": "y"}) is None
        assert read({"price": "y"}) is None  # the same again: DEBUG only
        assert read_all([{"id": 2, "price": 1}, 7]) == [{"id": 2}]
        with pytest.raises(PayloadError, match="Test sent list that cannot be read"):
            read_all(None)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings[0] == "Test: skipped a row that cannot be read (not an object): junk"
    assert warnings[1].startswith("Test: read a row with unreadable parts (price='x' unreadable): {")
    assert "tok-SECRET-123456" not in warnings[1] and len(warnings[1]) < 600
    assert "KeyError" in warnings[2] and warnings.count(warnings[2]) == 1
    assert any(r.levelno == logging.DEBUG and "(again)" in r.getMessage() for r in caplog.records)
    assert payloads.caught == 3 and isinstance(payloads.last_caught[-1][1], TypeError)


def test_documented_errors_pass_through_and_the_raw_function_stays_reachable():
    payloads = PayloadLog(logging.getLogger("test.payloads"), "Test")

    @payloads.item("row")
    def read(row):
        raise NotFoundError("no such symbol")

    with pytest.raises(NotFoundError):
        read({})
    assert read.__wrapped__.__name__ == "read" and payloads.caught == 0


def test_shorten_never_fails_and_bounds_its_text():
    class Bad:
        def __repr__(self):
            raise RuntimeError("no repr")

    assert shorten(Bad()).startswith("<Bad")  # a failing repr is still a line
    deep = [[[[[[["x"]]]]]]]
    assert len(shorten(list(range(10_000)))) <= 400 and "..." in shorten(deep)
