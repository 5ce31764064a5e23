"""Broker adapters: async, Qt-free. See :class:`desktop.brokers.base.Broker`."""

from .base import Broker
from .capabilities import BrokerCapabilities
from .errors import (
    AuthError,
    BrokerError,
    CertificateChangedError,
    CertificateError,
    CertificateUntrustedError,
    InvalidRequestError,
    NotFoundError,
    OrderRejectedError,
    RateLimitedError,
    UnavailableError,
)

__all__ = [
    "AuthError",
    "Broker",
    "BrokerCapabilities",
    "BrokerError",
    "CertificateChangedError",
    "CertificateError",
    "CertificateUntrustedError",
    "InvalidRequestError",
    "NotFoundError",
    "OrderRejectedError",
    "RateLimitedError",
    "UnavailableError",
]
