"""TLS for the REST pipeline: ordinary verification by default, pinning as an option.

Broker-neutral. :class:`TlsPolicy` says how a server's certificate is trusted:

- default: verified against the system's trust store (``ssl.create_default_context``:
  chain and host name checked), plus certifi's Mozilla bundle, the one httpx uses by
  default, so a bundled app whose OpenSSL finds no system certificates still
  verifies; ``ca_pem`` adds trust anchors (a corporate CA, a test CA);
- ``pinned_sha256``: exactly the certificate with that SHA-256 fingerprint
  (:func:`~desktop.brokers.transport.tls_pinning.pinned_ssl_context`: also checked in
  every handshake), for self-signed local servers such as the IBKR gateway;
- ``require_pin``: the server is known to be self-signed; with nothing pinned yet the
  first contact raises CertificateUntrustedError carrying the fingerprint to show.

Verification is never switched off; the only non-verifying context is the probe's in
tls_pinning, which sends no application data.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from desktop.brokers.errors import (
    BrokerError,
    CertificateChangedError,
    CertificateUntrustedError,
    UnavailableError,
)

from .tls_pinning import normalize_fingerprint, pinned_ssl_context, probe_certificate


@dataclass(frozen=True)
class TlsPolicy:
    """How to trust a server (see the module docstring). ``pinned_sha256``: an
    accepted fingerprint ("AB:CD:...", colons and case optional; ValueError unless 64
    hex digits); ``require_pin``: refuse to connect until one is pinned; ``ca_pem``:
    extra PEM trust anchors for the default verification."""

    pinned_sha256: str | None = None
    require_pin: bool = False
    ca_pem: str | None = None

    def __post_init__(self) -> None:
        if self.pinned_sha256:
            object.__setattr__(self, "pinned_sha256", normalize_fingerprint(self.pinned_sha256))
        else:
            object.__setattr__(self, "pinned_sha256", None)

    @property
    def pins(self) -> bool:
        """Whether the server's certificate is probed and pinned (not CA-verified)."""
        return self.pinned_sha256 is not None or self.require_pin


def system_ssl_context(ca_pem: str | None = None) -> ssl.SSLContext:
    """A verifying client context: the system's trust store, certifi's bundle when
    installed, and ``ca_pem`` when given; CERT_REQUIRED, host names checked, TLS 1.2+."""
    context = ssl.create_default_context()
    try:
        import certifi
    except ImportError:  # pragma: no cover - httpx depends on certifi
        pass
    else:
        context.load_verify_locations(cafile=certifi.where())
    if ca_pem:
        context.load_verify_locations(cadata=ca_pem)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _cap(name: str) -> str:
    return name[:1].upper() + name[1:]


async def probe(host: str, port: int, *, name: str, timeout: float, hint: str = "") -> tuple[bytes, str]:
    """``(der, fingerprint)`` of the certificate ``host:port`` presents (nothing is
    sent). Raises UnavailableError ("Cannot reach <name> at host:port ... <hint>")."""
    try:
        return await probe_certificate(host, port, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise UnavailableError(
            f"Cannot reach {name} at {host}:{port} ({exc.__class__.__name__}).{' ' + hint if hint else ''}") from exc


async def client_context(policy: TlsPolicy, host: str, port: int, *, name: str, timeout: float,
                         hint: str = "") -> tuple[ssl.SSLContext, str | None]:
    """The SSLContext to talk to ``host:port`` under ``policy``, and the presented
    certificate's fingerprint when it was probed (pinning), else None.

    Raises CertificateUntrustedError (``require_pin`` and nothing pinned; its
    ``fingerprint`` is the one to show the user), CertificateChangedError (not the
    pinned certificate), UnavailableError (unreachable).
    """
    if not policy.pins:
        return system_ssl_context(policy.ca_pem), None
    der, presented = await probe(host, port, name=name, timeout=timeout, hint=hint)
    if policy.pinned_sha256 is None:
        raise CertificateUntrustedError(
            f"{_cap(name)} at {host}:{port} uses a self-signed certificate (SHA-256 {presented}). "
            "Check and accept it to connect.", fingerprint=presented)
    if presented != policy.pinned_sha256:
        raise CertificateChangedError(
            f"The certificate of {name} changed since you accepted it (now {presented}, accepted "
            f"{policy.pinned_sha256}); connection refused. Accept the new certificate only if you changed "
            f"{name} yourself.", fingerprint=presented, pinned=policy.pinned_sha256)
    return pinned_ssl_context(der), presented


async def certificate_failure(policy: TlsPolicy, host: str, port: int, *, name: str, timeout: float,
                              hint: str = "") -> BrokerError:
    """The error for a handshake that failed certificate verification (nothing was
    sent): the certificate is probed again so the error names it.
    CertificateChangedError when a pin was set, else CertificateUntrustedError
    (``fingerprint`` to show; the user may pin it); UnavailableError when the probe
    itself fails."""
    try:
        _, presented = await probe(host, port, name=name, timeout=timeout, hint=hint)
    except UnavailableError as exc:
        return exc
    if policy.pinned_sha256 is not None:
        return CertificateChangedError(
            f"The certificate of {name} changed (now {presented}, accepted {policy.pinned_sha256}); "
            "connection refused.", fingerprint=presented, pinned=policy.pinned_sha256)
    return CertificateUntrustedError(
        f"{_cap(name)} at {host}:{port} presented a certificate that is not trusted (SHA-256 {presented}); "
        "connection refused.", fingerprint=presented)
