"""The REST client of the Connect Trade adapter, built on the kit: the four headers
through the ``sign`` hook, Connect Trade's limits in the pacer, errors from the
``message`` body in plain words."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from desktop.brokers.errors import AuthError, BrokerError, OrderRejectedError
from desktop.brokers.transport import PaceRule, Pacer, RestClient, RestResponse, dynamic_headers, error_message

from . import wire

USER_RATE = PaceRule(r".*", max_calls=60, per_seconds=60.0)
"""60 requests a minute per user (NOTES.md section 2, C2)."""
TRADE_RATE = PaceRule(r".*", max_calls=30, per_seconds=60.0)
"""30 trading requests (order submissions and cancels) a minute (NOTES.md section 2)."""


def default_pacer() -> Pacer:
    """Every request: at most 60 a minute, 10 a second."""
    return Pacer(10, [USER_RATE], margin=0.05)


def default_trade_pacer() -> Pacer:
    """Order submissions and cancels: at most 30 a minute (on top of :func:`default_pacer`)."""
    return Pacer(None, [TRADE_RATE], margin=0.05)


def map_error(response: RestResponse) -> BrokerError | None:
    """Connect Trade's errors in plain words (the body's ``message``): a refused
    credential names the four headers; an order refused (403, 409, 422 on the order
    paths) is an OrderRejectedError with the broker's reason. None: the kit's
    generic mapping decides."""
    status = response.status
    if status < 400:
        return None
    message = error_message(response.body, default=f"HTTP {status}")
    order_path = response.request.path.startswith((wire.ORDERS, "/accounts/"))
    if status == 401:
        return AuthError(f"Connect Trade refused the credentials: {message}. Check the client ID and secret and "
                         "the user ID and secret of this connection.", code="401", raw=response.body)
    if order_path and response.request.method in ("POST", "DELETE") and status in (403, 409, 422):
        return OrderRejectedError(f"Connect Trade refused: {message}", code=str(status), raw=response.body)
    return None


def make_client(base_url: str, headers: Callable[[], Mapping[str, str]], *, pacer: Pacer | None = None,
                timeout: float = 10.0) -> RestClient:
    """The RestClient of ``base_url`` signing every request with ``headers()`` (the four
    credentials, read afresh each time)."""
    return RestClient(base_url, name="Connect Trade", sign=dynamic_headers(headers), map_error=map_error,
                      pacer=pacer or default_pacer(), timeout=timeout,
                      unreachable_hint="Check the API address and your network.")
