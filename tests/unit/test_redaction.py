"""Secrets never appear in logs: the redacting filter that setup_logging installs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from desktop.app.logging_setup import setup_logging
from desktop.security.redaction import REDACTED, RedactingFilter, redacting_filter, register_secret


@pytest.fixture
def filt():
    return RedactingFilter()


@pytest.mark.parametrize(("text", "expected"), [
    ("Authorization: Bearer abc.def-123", "Authorization: [REDACTED]"),
    ("headers={'Authorization': 'Bearer abc', 'Accept': 'json'}", "headers={'Authorization': '[REDACTED]', 'Accept': 'json'}"),
    ("GET https://api.test/v1?access_token=abc123&symbol=AAPL", "GET https://api.test/v1?access_token=[REDACTED]&symbol=AAPL"),
    ("login password=hunter2, user=bob", "login password=[REDACTED], user=bob"),
    ('{"password": "my pass word", "user": "bob"}', '{"password": "[REDACTED]", "user": "bob"}'),
    ("Cookie: session=abc; theme=dark", "Cookie: [REDACTED]"),
    ("set-cookie: sid=xyz; HttpOnly", "set-cookie: [REDACTED]"),
    ("api_key: AKIA1234", "api_key: [REDACTED]"),
    ("X-API-Key=foo", "X-API-Key=[REDACTED]"),
    ("client_secret=zzz&grant_type=refresh", "client_secret=[REDACTED]&grant_type=refresh"),
    ("refresh_token='r1.r2'", "refresh_token='[REDACTED]'"),
    ("retrying with Bearer eyJhbGciOi.J9.x", "retrying with Bearer [REDACTED]"),
    ("Basic dXNlcjpwYXNzd29yZA==", "Basic [REDACTED]"),
    # ordinary words stay
    ("token expired, 5 tokens=left", "token expired, 5 tokens=left"),
    ("password reset requested", "password reset requested"),
    ("basic order types", "basic order types"),
])
def test_common_secret_patterns_are_masked(filt, text, expected):
    assert filt.redact(text) == expected


def test_known_secret_values_are_masked_anywhere_even_url_encoded(filt):
    filt.add_secret("p@ss w0rd!")
    filt.add_secret("abc")  # too short to register: would mask ordinary text
    assert filt.redact("user typed p@ss w0rd! then p%40ss%20w0rd%21 abc") == f"user typed {REDACTED} then {REDACTED} abc"
    filt.discard_secret("p@ss w0rd!")
    assert filt.redact("p@ss w0rd!") == "p@ss w0rd!"


def test_filter_rewrites_message_args_and_traceback(filt):
    filt.add_secret("s3cret-value")
    try:
        raise RuntimeError("login failed for key s3cret-value")
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "sending %s with %s", ("s3cret-value", "token=abc"), sys.exc_info())
    assert filt.filter(record) is True
    text = logging.Formatter().format(record)
    assert "s3cret-value" not in text and "abc" not in text
    assert "sending [REDACTED] with token=[REDACTED]" in text and "RuntimeError: login failed for key [REDACTED]" in text


@contextmanager
def app_log(level: int | None = None) -> Iterator[Path]:
    """The app's logging (setup_logging: file + stderr, with the redacting filter) for
    the block; yields the log file's path; the handlers are removed after."""
    previous = logging.getLogger().level
    path = setup_logging(level)
    try:
        yield path
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "_tradedesk", False)]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(previous)


def test_setup_logging_installs_the_filter_and_the_log_file_has_no_secret():
    secret = "zz-live-key-0123456789"
    with app_log() as path:
        register_secret(secret)
        log = logging.getLogger("desktop.brokers.test")
        log.info("connecting with %s", secret)
        log.info("request headers {'Authorization': 'Bearer %s'}", "opaque-bearer-value")
        log.info("POST /login password=%s", "hunter2hunter2")
        try:
            raise ValueError(f"bad key {secret}")
        except ValueError:
            log.exception("failed")
        for handler in logging.getLogger().handlers:
            handler.flush()
        text = path.read_text()
        assert "connecting with [REDACTED]" in text and "ValueError: bad key [REDACTED]" in text
        for value in (secret, "opaque-bearer-value", "hunter2hunter2"):
            assert value not in text
        assert all(redacting_filter() in h.filters for h in logging.getLogger().handlers if getattr(h, "_tradedesk", False))


@pytest.mark.parametrize(("text", "expected"), [
    # httpcore at DEBUG: response header tuples
    ("receive_response_headers.complete return_value=(b'HTTP/1.1', 200, b'OK', [(b'Content-Type', b'application/json'), "
     "(b'Set-Cookie', b'x-sess-uuid=0a1b2c3d4e5f; Path=/; Secure; HttpOnly'), (b'Content-Length', b'12')])",
     "receive_response_headers.complete return_value=(b'HTTP/1.1', 200, b'OK', [(b'Content-Type', b'application/json'), "
     "(b'Set-Cookie', b'[REDACTED]'), (b'Content-Length', b'12')])"),
    # the request side, with headers (any case, either quote)
    ("send_request_headers.started request=<Request [b'GET']> headers=[(b'Host', b'127.0.0.1'), "
     "(b'cookie', b'x-sess-uuid=0a1b2c3d4e5f'), (b'Authorization', b\"Bearer it's\")]",
     "send_request_headers.started request=<Request [b'GET']> headers=[(b'Host', b'127.0.0.1'), "
     "(b'cookie', b'[REDACTED]'), (b'Authorization', b\"[REDACTED]\")]"),
    ("[('set-cookie', 'sid=abc123xyz')]", "[('set-cookie', '[REDACTED]')]"),
    # websockets at DEBUG: handshake header lines, both directions
    ('> Cookie: api={"session":"bb66a2c3d4"}', "> Cookie: [REDACTED]"),
    ("< Set-Cookie: x-sess-uuid=0a1b2c3d4e5f; Path=/", "< Set-Cookie: [REDACTED]"),
    # other headers stay
    ("[(b'Content-Type', b'application/json')]", "[(b'Content-Type', b'application/json')]"),
])
def test_header_tuples_and_lines_as_httpcore_and_websockets_log_them(filt, text, expected):
    assert filt.redact(text) == expected


def test_a_sign_hooks_headers_are_registered_as_secret():
    from desktop.brokers.transport import RestRequest, secret_header, static_headers
    from desktop.brokers.transport.reconnecting_ws import RedactingLogger

    sign = static_headers({"Client-Secret": "cs-0123456789", "User-Id": "user-42"})
    request = RestRequest.build("GET", "/x")
    secret_header(request, "X-Signature", "sig-abcdef0123")
    sign(request)
    assert request.headers == {"X-Signature": "sig-abcdef0123", "Client-Secret": "cs-0123456789", "User-Id": "user-42"}
    filt = redacting_filter()
    for line in ("(b'client-secret', b'some-other-value')", "X-Signature: anything at all",
                 "headers {'User-Id': 'user-42'}"):
        assert REDACTED in filt.redact(line), line
    assert "cs-0123456789" not in filt.redact("sent cs-0123456789 and sig-abcdef0123")
    assert "sig-abcdef0123" not in filt.redact("sent cs-0123456789 and sig-abcdef0123")
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())
    logger = logging.getLogger("test.websockets")
    logger.addHandler(Keep())
    logger.setLevel(logging.DEBUG)
    adapter = RedactingLogger(logger, {})
    adapter.debug("> %s: %s", "X-Signature", "sig-zzz999")
    adapter.debug("> %s: %s", "Host", "127.0.0.1")
    assert records == ["> X-Signature: <redacted>", "> Host: 127.0.0.1"]


@pytest.mark.parametrize(("value", "level"), [("DEBUG", logging.DEBUG), ("warning", logging.WARNING), ("15", 15),
                                             ("", logging.INFO), ("loud", logging.INFO)])
def test_the_log_level_comes_from_tradedesk_log_level(monkeypatch, value, level):
    from desktop.app.logging_setup import LEVEL_VARIABLE, level_from_environment

    monkeypatch.setenv(LEVEL_VARIABLE, value)
    assert level_from_environment() == level
