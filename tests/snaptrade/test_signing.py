"""SnapTrade request signing against known vectors.

The expected canonical strings are written out by hand from NOTES.md section 3 (keys
sorted at every level, no whitespace, non-ASCII as \\uXXXX as Python's json.dumps
writes it), and the expected signatures were computed from those literal strings
with openssl (``printf '%s' STRING | openssl dgst -sha256 -hmac KEY -binary |
base64``), not with this code.
"""

from __future__ import annotations

import pytest

from desktop.brokers.snaptrade.signing import SnapTradeSigner, compute_signature, signature_string
from desktop.brokers.transport.rest_request import RestRequest

KEY = "s3cr3t-consumer-key"
TS = 1715123456
ACCOUNT = "917c8734-8470-4a3e-a18f-57c3f2ee6631"

PLAIN = '{"content":null,"path":"/accounts","query":"clientId=PARTNER-1&timestamp=1715123456&userId=u1&userSecret=s1"}'
PLAIN_SIG = "IhRDJoAPBq1kTNU+CTycAhYFgafzIX/CngQhGJLpqs0="
NESTED = ('{"content":{"account_id":"917c8734-8470-4a3e-a18f-57c3f2ee6631","action":"BUY","note":{"a":[1,{"x":'
          '"caf\\u00e9 \\u2603"}],"z":true},"price":180.5,"units":1},"path":"/trade/place","query":"clientId=PARTNER-1'
          '&timestamp=1715123456&userId=u%2B1%40x.com&userSecret=a%2Fb%3Dc"}')
NESTED_SIG = "s2/VyebY7y6T5f3yXnHzk5XU/wVyMzeFNktiLrNYDYw="
LEGACY = ('{"content":null,"path":"/api/v1/accounts/917c8734-8470-4a3e-a18f-57c3f2ee6631/quotes","query":"clientId='
          'PARTNER-1&timestamp=1715123456&userId=u1&userSecret=s1&symbols=AAPL%2CMSFT&use_ticker=true"}')
LEGACY_SIG = "04a3uvx097282asIA2/ycPNTP6VSzE6dWU/Xm4r9G54="


def _signed(method, path, *, params, json=None, base_path=""):
    request = RestRequest.build(method, path, base_path=base_path, params=params, json=json)
    SnapTradeSigner("PARTNER-1", KEY, clock=lambda: TS + 0.9)(request)
    return request


def test_bodyless_get_signs_null_content_and_the_query_as_sent():
    request = _signed("GET", "/accounts", params={"userId": "u1", "userSecret": "s1"})
    assert request.query == "clientId=PARTNER-1&timestamp=1715123456&userId=u1&userSecret=s1"
    assert signature_string(request.json, request.url_path, request.query) == PLAIN
    assert request.headers["Signature"] == PLAIN_SIG


def test_nested_unicode_body_and_encoded_query():
    body = {"units": 1, "price": 180.5, "note": {"z": True, "a": [1, {"x": "café ☃"}]}, "action": "BUY",
            "account_id": ACCOUNT}
    request = _signed("POST", "/trade/place", params={"userId": "u+1@x.com", "userSecret": "a/b=c"}, json=body)
    assert request.target == ("/trade/place?clientId=PARTNER-1&timestamp=1715123456&userId=u%2B1%40x.com"
                              "&userSecret=a%2Fb%3Dc")
    assert signature_string(request.json, request.url_path, request.query) == NESTED
    assert request.headers["Signature"] == NESTED_SIG
    assert "café ☃".encode() in request.body  # the wire body is UTF-8; the signed form escapes it


def test_legacy_prefix_is_part_of_the_signed_path():
    params = {"userId": "u1", "userSecret": "s1", "symbols": "AAPL,MSFT", "use_ticker": True}
    request = _signed("GET", f"/accounts/{ACCOUNT}/quotes", params=params, base_path="/api/v1")
    assert request.url_path == f"/api/v1/accounts/{ACCOUNT}/quotes"
    assert request.headers["Signature"] == LEGACY_SIG
    root = _signed("GET", f"/accounts/{ACCOUNT}/quotes", params=params)
    assert root.headers["Signature"] != LEGACY_SIG  # the same call at the root is another signature


def test_empty_object_body_signs_as_null():
    assert compute_signature(KEY, {}, "/accounts", PLAIN[PLAIN.index("clientId"):-2]) == PLAIN_SIG


def test_a_changed_key_query_or_body_changes_the_signature():
    base = compute_signature(KEY, {"a": 1}, "/trade/place", "clientId=C&timestamp=1")
    assert compute_signature(KEY + "x", {"a": 1}, "/trade/place", "clientId=C&timestamp=1") != base
    assert compute_signature(KEY, {"a": 2}, "/trade/place", "clientId=C&timestamp=1") != base
    assert compute_signature(KEY, {"a": 1}, "/trade/place", "clientId=C&timestamp=2") != base


def test_each_attempt_gets_a_fresh_timestamp():
    times = iter([100.0, 161.0])
    signer = SnapTradeSigner("C", KEY, clock=lambda: next(times))
    base = RestRequest.build("GET", "/accounts")
    first, second = base.copy(), base.copy()
    signer(first)
    signer(second)
    assert first.query == "clientId=C&timestamp=100" and second.query == "clientId=C&timestamp=161"
    assert first.headers["Signature"] != second.headers["Signature"]


def test_missing_credentials_are_refused():
    with pytest.raises(ValueError):
        SnapTradeSigner("", KEY)
