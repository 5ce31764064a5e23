"""SnapTrade's two error body shapes mapped to BrokerErrors in plain words
(NOTES.md section 5), through the adapter's ``map_error`` hook."""

from __future__ import annotations

import pytest

from desktop.brokers.errors import AuthError, BrokerError, InvalidRequestError, NotFoundError, OrderRejectedError
from desktop.brokers.errors import UnavailableError
from desktop.brokers.snaptrade.errors import map_error
from desktop.brokers.transport import map_response
from desktop.brokers.transport.rest_request import RestRequest, RestResponse


def answer(status, body, method="GET", path="/accounts"):
    return RestResponse(RestRequest.build(method, path), status, {}, body)


def mapped(status, body, method="GET", path="/accounts"):
    """What the pipeline raises: the hook's error, else the generic mapping's."""
    return map_error(answer(status, body, method, path)) or map_response(status, body)


@pytest.mark.parametrize("status", [400, 401])
def test_signature_refused_is_about_keys_and_clock(status):
    error = mapped(status, {"default_detail": "Unable to verify signature sent", "default_code": 1076})
    assert isinstance(error, AuthError) and error.code == "1076"
    assert "consumer key" in error.message and "clock" in error.message


def test_both_shapes_give_their_message_and_code():
    first = mapped(404, {"default_detail": "Account not found", "default_code": 1011})
    second = mapped(503, {"detail": "Brokerage is down", "status_code": 503, "code": 3002})
    assert isinstance(first, NotFoundError) and (first.message, first.code) == ("Account not found", "1011")
    assert isinstance(second, UnavailableError) and (second.message, second.code) == ("Brokerage is down", "3002")


def test_425_410_402_and_order_refusals():
    loading = mapped(425, {"detail": "The resource is currently being populated", "code": 3012})
    gone = mapped(410, {"detail": "This endpoint is no longer available for your account."},
                  path="/accounts/a/positions")
    disabled = mapped(402, {"detail": "Connection disabled", "status_code": 402, "code": "3003"})
    refused = mapped(403, {"default_detail": "read-only connection", "default_code": 1066}, "POST", "/trade/place")
    bad = mapped(400, {"default_detail": "price is required", "default_code": 1012}, "POST",
                 "/accounts/a/trading/replace")
    other = mapped(403, {"default_detail": "no permission", "default_code": 1066})
    assert isinstance(loading, UnavailableError) and loading.message.startswith("SnapTrade is still loading")
    assert type(gone) is BrokerError and gone.code == "410" and "/accounts/a/positions" in gone.message
    assert isinstance(disabled, InvalidRequestError) and "reconnect" in disabled.message
    assert isinstance(refused, OrderRejectedError) and "read-only connection" in refused.message
    assert isinstance(bad, OrderRejectedError) and "price is required" in bad.message
    assert isinstance(other, AuthError)


def test_string_codes_and_successes():
    assert mapped(429, {"detail": "Request was throttled.", "status_code": 429, "code": "0000"}).code == "0000"
    assert map_error(answer(200, {"detail": "ok"})) is None
