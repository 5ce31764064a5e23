"""The adapter kit: broker-neutral transport shared by the network adapters (IBKR,
later SnapTrade, TradeLocker, Connect Trade).

- REST pipeline: :class:`RestClient` (``rest``), its request/response as hooks see
  them (``rest_request``), sign hooks and HMAC primitives (``signing``), bearer
  tokens refreshed on 401 (``bearer``), recover-once (``recovery``), error mapping,
  "maybe sent" errors and the retry policy (``http_errors``, ``retry_after``), 429
  handling (``throttle``), one-shot order submission with reconcile (``reconcile``);
- pacing (``pacing``, ``pace_windows``), TLS (``tls``: system CAs by default,
  pinning from ``tls_pinning`` as an option), back-off (``backoff``);
- polling without streams (``poll_schedule``, ``snapshots``, ``poller``) and a
  reconnecting JSON websocket (``reconnecting_ws``, with an ``on_open`` hook for
  authenticate-after-connect streams) and the subscriptions it re-sends after each
  reconnect (``ws_subscriptions``);
- total reading of payloads: JSON depth and size limits, readers that log an
  unreadable item once and skip it (``payloads``), and one supervisor that keeps
  every long-running task running and says when one keeps failing (``supervisor``);
- resting on an event with a timeout without losing a cancellation (``waits``).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

_WHERE = {
    "Backoff": "backoff",
    "BearerAuth": "bearer",
    "MaybeSentError": "http_errors",
    "RequestTimeout": "http_errors",
    "RetryPolicy": "http_errors",
    "error_code": "http_errors",
    "error_message": "http_errors",
    "is_maybe_sent": "http_errors",
    "map_response": "http_errors",
    "PaceRule": "pacing",
    "Pacer": "pacing",
    "PayloadError": "payloads",
    "PayloadLog": "payloads",
    "decode_json": "payloads",
    "shorten": "payloads",
    "PollSchedule": "poll_schedule",
    "ChangePoller": "poller",
    "OrderStateUnknownError": "reconcile",
    "submit_once": "reconcile",
    "ReconnectingWebSocket": "reconnecting_ws",
    "Recovery": "recovery",
    "RecoveryGate": "recovery",
    "IDEMPOTENT_METHODS": "rest",
    "ErrorHook": "rest",
    "RestClient": "rest",
    "RestRequest": "rest_request",
    "RestResponse": "rest_request",
    "rate_limit_reset_seconds": "retry_after",
    "retry_after_seconds": "retry_after",
    "throttle_wait_seconds": "retry_after",
    "Signer": "signing",
    "canonical_json": "signing",
    "chain": "signing",
    "dynamic_headers": "signing",
    "hmac_sha256_base64": "signing",
    "secret_header": "signing",
    "static_headers": "signing",
    "SnapshotCache": "snapshots",
    "Supervisor": "supervisor",
    "Throttle": "throttle",
    "WsSubscriptions": "ws_subscriptions",
    "wait_event": "waits",
    "TlsPolicy": "tls",
    "system_ssl_context": "tls",
    "fingerprint": "tls_pinning",
    "is_certificate_failure": "tls_pinning",
    "normalize_fingerprint": "tls_pinning",
    "pinned_ssl_context": "tls_pinning",
    "probe_certificate": "tls_pinning",
}
"""Each public name and the module of this package that defines it. Imported on first
use (PEP 562), so a process that needs only a part of the kit (the paper broker reads
payloads, nothing else) does not import httpx and websockets: about 18 MiB and 0.1 s
at start-up."""


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


if TYPE_CHECKING:  # static checkers and IDEs see the names as imported
    from .backoff import Backoff
    from .bearer import BearerAuth
    from .http_errors import (
        MaybeSentError,
        RequestTimeout,
        RetryPolicy,
        error_code,
        error_message,
        is_maybe_sent,
        map_response,
    )
    from .pacing import PaceRule, Pacer
    from .payloads import PayloadError, PayloadLog, decode_json, shorten
    from .poll_schedule import PollSchedule
    from .poller import ChangePoller
    from .reconcile import OrderStateUnknownError, submit_once
    from .reconnecting_ws import ReconnectingWebSocket
    from .recovery import Recovery, RecoveryGate
    from .rest import IDEMPOTENT_METHODS, ErrorHook, RestClient
    from .rest_request import RestRequest, RestResponse
    from .retry_after import rate_limit_reset_seconds, retry_after_seconds, throttle_wait_seconds
    from .signing import Signer, canonical_json, chain, dynamic_headers, hmac_sha256_base64, secret_header, static_headers
    from .snapshots import SnapshotCache
    from .supervisor import Supervisor
    from .throttle import Throttle
    from .waits import wait_event
    from .ws_subscriptions import WsSubscriptions
    from .tls import TlsPolicy, system_ssl_context
    from .tls_pinning import fingerprint, is_certificate_failure, normalize_fingerprint, pinned_ssl_context, probe_certificate

__all__ = [
    "Backoff", "BearerAuth", "ChangePoller", "ErrorHook", "IDEMPOTENT_METHODS", "MaybeSentError",
    "OrderStateUnknownError", "PaceRule", "Pacer", "PayloadError", "PayloadLog", "PollSchedule", "ReconnectingWebSocket", "Recovery",
    "RecoveryGate", "RequestTimeout", "RestClient", "RestRequest", "RestResponse", "RetryPolicy", "Signer",
    "SnapshotCache", "Supervisor", "Throttle", "TlsPolicy", "WsSubscriptions", "canonical_json", "chain",
    "decode_json", "dynamic_headers", "error_code",
    "error_message",
    "fingerprint", "hmac_sha256_base64", "is_certificate_failure", "is_maybe_sent", "map_response",
    "normalize_fingerprint", "pinned_ssl_context", "probe_certificate", "rate_limit_reset_seconds",
    "retry_after_seconds", "secret_header", "shorten", "static_headers", "submit_once", "system_ssl_context", "throttle_wait_seconds",
    "wait_event",
]
