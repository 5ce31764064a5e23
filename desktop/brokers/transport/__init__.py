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
  every long-running task running and says when one keeps failing (``supervisor``).
"""

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
]
