"""Broker-neutral transport helpers shared by the network adapters (IBKR, later
SnapTrade/TradeLocker): request pacing, certificate pinning, HTTP error mapping,
back-off and a reconnecting JSON websocket."""

from .backoff import Backoff
from .http_errors import RequestTimeout, RetryPolicy, error_message, map_response, retry_after_seconds
from .pacing import PaceRule, Pacer
from .reconnecting_ws import ReconnectingWebSocket
from .tls_pinning import fingerprint, is_certificate_failure, normalize_fingerprint, pinned_ssl_context, probe_certificate

__all__ = [
    "Backoff",
    "PaceRule",
    "Pacer",
    "ReconnectingWebSocket",
    "RequestTimeout",
    "RetryPolicy",
    "error_message",
    "fingerprint",
    "is_certificate_failure",
    "map_response",
    "normalize_fingerprint",
    "pinned_ssl_context",
    "probe_certificate",
    "retry_after_seconds",
]
