"""Backoff delays, HTTP error mapping and the retry policy."""

from __future__ import annotations

from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest

from desktop.brokers.errors import (
    AuthError,
    BrokerError,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
)
from desktop.brokers.transport import Backoff, RetryPolicy, map_response, retry_after_seconds


def test_backoff_grows_caps_and_resets():
    backoff = Backoff(initial=0.5, factor=2, maximum=4, jitter=0.1, rng=lambda: 0.5)
    assert [next(backoff) for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    backoff.reset()
    assert next(backoff) == 0.5


def test_backoff_jitter_stays_within_bounds():
    low = Backoff(initial=1, factor=2, maximum=30, jitter=0.1, rng=lambda: 0.0)
    high = Backoff(initial=1, factor=2, maximum=30, jitter=0.1, rng=lambda: 0.999999)
    assert next(low) == pytest.approx(0.9)
    assert next(high) == pytest.approx(1.1, rel=1e-5)
    with pytest.raises(ValueError):
        Backoff(jitter=1.5)


@pytest.mark.parametrize(
    ("status", "kind"),
    [(401, AuthError), (403, AuthError), (404, NotFoundError), (400, InvalidRequestError),
     (422, InvalidRequestError), (503, UnavailableError), (500, BrokerError)],
)
def test_map_response_kinds(status, kind):
    error = map_response(status, {"error": "Bad thing happened"}, {})
    assert type(error) is kind
    assert error.message == "Bad thing happened"
    assert error.raw == {"error": "Bad thing happened"}
    assert error.code == str(status)


def test_map_response_success_is_none_and_text_bodies():
    assert map_response(200, {"error": "x"}, {}) is None
    assert map_response(500, "Internal Server Error", {}).message == "Internal Server Error"
    assert map_response(500, None, {}).message == "HTTP 500"
    assert map_response(400, {"message": "nested"}, {}).message == "nested"


def test_map_response_429_retry_after_seconds_and_date():
    error = map_response(429, {"error": "Too many requests"}, {"Retry-After": "12"})
    assert isinstance(error, RateLimitedError) and error.retry_after == 12.0
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=100), usegmt=True)
    assert 95 <= retry_after_seconds({"retry-after": later}) <= 100
    assert map_response(429, "", {}).retry_after is None


def test_retry_policy_only_idempotent():
    policy = RetryPolicy()
    assert policy.should_retry(0, idempotent=True, connect_error=True)
    assert policy.should_retry(1, idempotent=True, status=503)
    assert not policy.should_retry(2, idempotent=True, status=503)  # max 2 retries
    assert not policy.should_retry(0, idempotent=False, connect_error=True)
    assert not policy.should_retry(0, idempotent=True, status=500)
    assert policy.delay(0) == 0.25 and policy.delay(5) == 1.0


@pytest.mark.parametrize(("body", "message", "code"), [
    ({"error": "Bad Request", "message": "qty must be positive"}, "qty must be positive", "400"),
    ({"detail": "Brokerage upstream failure", "status_code": 503, "code": 3002}, "Brokerage upstream failure", "3002"),
    ({"default_detail": "Unable to verify signature sent", "default_code": 1076}, "Unable to verify signature sent",
     "1076"),
    ({"detail": "Request was throttled.", "code": "0000"}, "Request was throttled.", "0000"),
    ({"detail": [{"loc": ["body", "qty"], "msg": "field required"}]}, "field required", "400"),
    ({"s": "error", "errmsg": "Market closed"}, "Market closed", "400"),
    ({"error": {"message": "nested"}}, "nested", "400"),
])
def test_error_bodies_of_every_common_shape(body, message, code):
    error = map_response(400, body, {})
    assert error.message == message and error.code == code and error.raw == body


def test_rate_limit_headers():
    from desktop.brokers.transport import rate_limit_reset_seconds, throttle_wait_seconds

    assert throttle_wait_seconds({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "12"}) == 12
    assert throttle_wait_seconds({"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "12"}) is None
    assert throttle_wait_seconds({"Retry-After": "5", "X-RateLimit-Reset": "30"}) == 30  # the longer wait
    assert rate_limit_reset_seconds({"RateLimit-Reset": "4"}) == 4  # IETF draft names, no Remaining
    assert rate_limit_reset_seconds({"X-RateLimit-Reset": str(1_700_000_060)}, now=1_700_000_000) == 60  # epoch s
    assert rate_limit_reset_seconds({"X-RateLimit-Reset": str(1_700_000_030_000)}, now=1_700_000_000) == 30  # ms
    assert rate_limit_reset_seconds({"X-RateLimit-Reset": "soon"}) is None
    error = map_response(429, {"detail": "slow down"}, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "8"})
    assert isinstance(error, RateLimitedError) and error.retry_after == 8


@pytest.mark.parametrize("value", ["1e999999999", "inf", "-inf", "nan", "9" * 5000, "²"])
def test_a_hostile_wait_header_is_unreadable_not_an_endless_pause(value):
    """Retry-After: 1e999999999 would pause an endpoint forever (float inf)."""
    from desktop.brokers.transport.retry_after import rate_limit_reset_seconds, retry_after_seconds

    assert retry_after_seconds({"Retry-After": value}) is None
    assert rate_limit_reset_seconds({"X-RateLimit-Reset": value, "X-RateLimit-Remaining": "0"}) is None


def test_waits_are_capped_to_a_day():
    from desktop.brokers.transport.retry_after import MAX_WAIT_SECONDS, throttle_wait_seconds

    assert MAX_WAIT_SECONDS == 86400
    assert throttle_wait_seconds({"Retry-After": "1e300"}) == MAX_WAIT_SECONDS
    assert throttle_wait_seconds({"Retry-After": "12"}) == 12
