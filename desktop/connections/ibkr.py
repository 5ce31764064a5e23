"""The IBKR Client Portal declaration: the gateway URL and the accepted certificate."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from desktop.brokers import Broker

from .registry import register_broker
from .spec import BrokerSpec, FieldKind, FieldSpec

DEFAULT_BASE_URL = "https://localhost:5000/v1/api"
_HEX64 = re.compile(r"^[0-9A-Fa-f]{64}$")


def normalize_sha256(value: Any) -> str:
    """``"AB:CD:..."`` (upper hex pairs) from 64 hex digits with or without colons/spaces."""
    digits = re.sub(r"[\s:]", "", str(value)).upper()
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))


def _fingerprint_error(value: Any) -> str | None:
    digits = re.sub(r"[\s:]", "", str(value))
    if not _HEX64.match(digits):
        return "Certificate SHA-256 must be 64 hexadecimal digits (colons optional)"
    return None


def _base_url_error(value: Any) -> str | None:
    if urlsplit(str(value)).scheme != "https":
        return "Gateway address must start with https:// (the Client Portal Gateway only speaks HTTPS)"
    return None


def _create(config: dict[str, Any], secrets: dict[str, str]) -> Broker:
    from desktop.brokers.ibkr import IbkrBroker

    pinned = config.get("certificate_sha256")
    return IbkrBroker(config.get("base_url") or DEFAULT_BASE_URL,
                      pinned_sha256=normalize_sha256(pinned) if pinned else None)


IBKR = register_broker(BrokerSpec(
    key="ibkr",
    display_name="Interactive Brokers (Client Portal)",
    description="Trades through IBKR's Client Portal Gateway running on this computer: start the gateway, log in "
                "in your browser, then connect. Advisor logins can trade allocation groups.",
    fields=(
        FieldSpec(
            name="base_url",
            label="Gateway address",
            kind=FieldKind.URL,
            default=DEFAULT_BASE_URL,
            help="The Client Portal Gateway's API address; the gateway listens on https://localhost:5000 by default.",
            validator=_base_url_error,
        ),
        FieldSpec(
            name="certificate_sha256",
            label="Certificate SHA-256",
            kind=FieldKind.TEXT,
            required=False,
            help="Filled in when you accept the gateway's certificate on first connect. Only change it if you "
                 "replaced the gateway's certificate yourself.",
            placeholder="AB:CD:EF:...",
            validator=_fingerprint_error,
        ),
    ),
    factory=_create,
))
