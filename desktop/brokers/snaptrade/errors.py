"""SnapTrade's error answers in plain words (specs/snaptrade/NOTES.md section 5).

Both body shapes are read (``default_detail``/``default_code`` and
``detail``/``status_code``/``code``; the kit's :func:`error_message` and
:func:`error_code` know them). This is the RestClient ``map_error`` hook: it says
what the generic mapping cannot know:

- 401 code 1076: the signature was refused -> AuthError about the keys or the clock;
- other 401/403 on a user call -> AuthError; 403 on an order -> OrderRejectedError;
- 402: the brokerage connection is disabled -> InvalidRequestError (reconnect it);
- 410: a retired endpoint -> BrokerError naming it;
- 425 (code 3012): the account is still being populated -> UnavailableError
  "SnapTrade is still loading this account";
- 400/403/409/422 on an order request (place, checked place, impact, cancel,
  replace) -> OrderRejectedError with SnapTrade's reason (404 stays NotFoundError).

429 is left to the pipeline's throttle (X-RateLimit-* and Retry-After), 5xx to the
generic mapping (a 5xx after an order POST is "maybe sent").
"""

from __future__ import annotations

import re

from desktop.brokers.errors import (
    AuthError,
    BrokerError,
    InvalidRequestError,
    OrderRejectedError,
    UnavailableError,
)
from desktop.brokers.transport import error_code, error_message
from desktop.brokers.transport.rest_request import RestResponse

SIGNATURE_CODE = "1076"
POPULATING_CODE = "3012"
STILL_LOADING = "SnapTrade is still loading this account; try again in a minute"
_ORDER_PATH = re.compile(r"/trade/.*|/accounts/[^/]+/trading/.*")


def is_order_path(path: str) -> bool:
    """Whether ``path`` (relative, no prefix) places, checks, cancels or replaces an order."""
    return _ORDER_PATH.fullmatch(path.split("?", 1)[0]) is not None


def map_error(response: RestResponse) -> BrokerError | None:
    """The adapter's error for a SnapTrade answer, or None (see the module docstring)."""
    status, body = response.status, response.body
    if status < 400 or status == 429:
        return None
    message = error_message(body, default=f"HTTP {status}")
    code = error_code(body) or str(status)
    path = response.request.path
    if status == 401 and code == SIGNATURE_CODE or (status == 400 and code == SIGNATURE_CODE):
        return AuthError("SnapTrade could not verify this request's signature: check the client id and the "
                         "consumer key, and that this computer's clock is right (code 1076)", code=code, raw=body)
    if status == 425 or code == POPULATING_CODE:
        return UnavailableError(STILL_LOADING, code=code, raw=body)
    if status == 410:
        return BrokerError(f"SnapTrade no longer offers {response.request.method} {path} for this app: {message}",
                           code="410", raw=body)
    if status == 402:
        return InvalidRequestError(f"This brokerage connection is disabled at SnapTrade ({message}); reconnect it "
                                   "with Link a brokerage…", code=code, raw=body)
    if is_order_path(path) and status in (400, 403, 409, 422):
        return OrderRejectedError(f"SnapTrade refused the order: {message}", code=code, raw=body)
    if status in (401, 403):
        return AuthError(f"SnapTrade refused the credentials: {message}", code=code, raw=body)
    return None
