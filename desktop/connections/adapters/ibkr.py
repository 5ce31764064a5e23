"""The IBKR Client Portal declaration: the gateway URL and the accepted certificate,
and the connection form's gateway tools (fetch and trust the certificate, check the
session, open the login page)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from desktop.brokers import Broker

from ..spec import BrokerSpec, FieldKind, FieldSpec
from ..tools import CertificateOffer, ConnectionTool, ToolResult

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


URL_FIELD, PIN_FIELD = "base_url", "certificate_sha256"


def login_page(base_url: str) -> str:
    """The gateway's browser login page: its root, e.g. "https://localhost:5000/"."""
    parts = urlsplit(base_url.strip())
    return f"{parts.scheme}://{parts.netloc}/" if parts.scheme and parts.netloc else ""


async def _fetch_certificate(texts) -> ToolResult:
    """Read the gateway's certificate without sending anything and offer it for trust."""
    from desktop.brokers.transport.tls_pinning import probe_certificate

    url = str(texts.get(URL_FIELD, "")).strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return ToolResult(message="Could not read the certificate: enter the gateway URL first (https://host:port/v1/api)")
    try:
        _der, fingerprint = await probe_certificate(parts.hostname, parts.port or 443, timeout=5.0)
    except (OSError, TimeoutError) as exc:
        return ToolResult(message=f"Could not read the certificate: {exc or type(exc).__name__}")
    return ToolResult(trust=CertificateOffer(url, fingerprint, PIN_FIELD))


async def _check_session(texts) -> ToolResult:
    """Ask the gateway (over the pinned certificate) whether the user is logged in."""
    from desktop.brokers import BrokerError
    from desktop.brokers.ibkr.session_check import session_status_text

    pin = str(texts.get(PIN_FIELD, "")).strip()
    if not pin:
        return ToolResult(message="Session: fetch and trust the certificate first")
    try:
        text = await session_status_text(str(texts.get(URL_FIELD, "")), pin)
    except BrokerError as exc:
        text = f"unavailable: {exc.message}"
    except ValueError as exc:
        text = f"unavailable: {exc}"
    return ToolResult(message=f"Session: {text}")


async def _log_in(texts) -> ToolResult:
    url = login_page(str(texts.get(URL_FIELD, "")))
    return ToolResult(open_url=url) if url else ToolResult(message="Enter the gateway URL first")


TOOLS = (
    ConnectionTool("fetchCertificate", "Fetch certificate", _fetch_certificate, row_label="Gateway:",
                   tip="Read the gateway's certificate and show its fingerprint to trust it"),
    ConnectionTool("checkSession", "Check session", _check_session, row_label="Gateway:",
                   tip="Ask the gateway whether you are logged in (needs a trusted certificate)"),
    ConnectionTool("gatewayLogin", "Log in", _log_in, row_label="Gateway:",
                   tip="Open the gateway's login page in your browser"),
)


SPEC = BrokerSpec(
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
    rank=10,
    tools=TOOLS,
    certificate_field=PIN_FIELD,
)
