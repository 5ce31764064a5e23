"""Certificate pinning for self-signed local servers (e.g. the IBKR Client Portal Gateway).

The gateway serves a self-signed (and often expired) certificate. Instead of turning
verification off, the user accepts the certificate's SHA-256 fingerprint once; from
then on :func:`pinned_ssl_context` trusts exactly that certificate and refuses any other.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl

# OpenSSL X509_V_FLAG_NO_CHECK_TIME: do not check notBefore/notAfter. The IBKR
# gateway's bundled certificate is known to be expired; the pin is what we trust.
X509_V_FLAG_NO_CHECK_TIME = 0x200000
# OpenSSL X509_V_FLAG_PARTIAL_CHAIN: accept the pinned certificate as the trust anchor
# even when it is not self-signed (a leaf issued by some CA we do not know).
X509_V_FLAG_PARTIAL_CHAIN = 0x80000


def fingerprint(der: bytes) -> str:
    """SHA-256 of a DER certificate as upper-case hex pairs joined by colons ("AB:CD:...")."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def normalize_fingerprint(value: str) -> str:
    """``value`` ("ab:cd..", "ABCD..", with spaces) in the canonical "AB:CD:..." form.

    Raises ValueError unless it holds exactly 64 hex digits.
    """
    digits = "".join(ch for ch in value if ch not in ": \t\n").upper()
    if len(digits) != 64 or any(ch not in "0123456789ABCDEF" for ch in digits):
        raise ValueError("a SHA-256 fingerprint has 64 hex digits")
    return ":".join(digits[i : i + 2] for i in range(0, 64, 2))


class _PinnedSSLObject(ssl.SSLObject):
    """An SSLObject that, once the handshake completes, compares the peer certificate's
    SHA-256 fingerprint with the pin and fails the handshake on any difference, before
    a single byte of application data is exchanged. asyncio (websockets) and anyio
    (httpx) both create their TLS objects through ``SSLContext.sslobject_class``."""

    pinned_fingerprint: str = ""

    def do_handshake(self) -> None:
        super().do_handshake()  # SSLWantReadError etc. propagate until the handshake is done
        der = self.getpeercert(binary_form=True)
        presented = fingerprint(der) if der else "no certificate"
        if presented != self.pinned_fingerprint:
            raise ssl.SSLCertVerificationError(
                f"CERTIFICATE_VERIFY_FAILED: certificate fingerprint {presented} is not the pinned {self.pinned_fingerprint}"
            )


def pinned_ssl_context(der: bytes) -> ssl.SSLContext:
    """A client SSLContext that accepts exactly the certificate ``der`` and nothing else.

    Two checks, both before any application data: OpenSSL verification stays on
    (CERT_REQUIRED) with ``der`` as the only trust anchor, and every completed handshake
    compares the presented certificate's SHA-256 fingerprint with ``der``'s
    (:class:`_PinnedSSLObject`). Host-name checking is off because the fingerprint
    check replaces it (the gateway's certificate names "localhost" whatever address we
    use), and certificate dates are not checked (X509_V_FLAG_NO_CHECK_TIME) because the
    gateway's bundled certificate is expired. Any other certificate fails the handshake
    with ssl.SSLCertVerificationError.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False  # the fingerprint check below replaces the name check
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=ssl.DER_cert_to_PEM_cert(der))
    context.verify_flags |= X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN
    context.sslobject_class = type("PinnedSSLObject", (_PinnedSSLObject,), {"pinned_fingerprint": fingerprint(der)})
    return context


def _probe_context() -> ssl.SSLContext:
    """The ONLY non-verifying context in Tradedesk: used by :func:`probe_certificate`
    to read a server's certificate so it can be shown to the user or compared with the
    pin. No application data is ever sent over a connection made with it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def probe_certificate(host: str, port: int, timeout: float = 5.0) -> tuple[bytes, str]:
    """Connect to ``host:port``, complete the TLS handshake and return the server's
    certificate as ``(der_bytes, fingerprint)``, then close WITHOUT sending any
    application data (so nothing, e.g. a cookie, can leak to an impostor).

    Raises OSError (ConnectionRefusedError, ssl.SSLError, ...) when the server cannot
    be reached or speaks no TLS, TimeoutError after ``timeout`` seconds.
    """
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(
            host, port, ssl=_probe_context(), server_hostname=host if not _is_ip(host) else None
        )
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if not der:
            raise ssl.SSLError(f"{host}:{port} presented no certificate")
        return der, fingerprint(der)
    finally:
        writer.close()
        try:
            async with asyncio.timeout(timeout):
                await writer.wait_closed()
        except (OSError, TimeoutError, ssl.SSLError):
            pass


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def is_certificate_failure(exc: BaseException) -> bool:
    """True when ``exc`` (or an exception in its cause/context chain) is a failed
    certificate verification, e.g. an httpx.ConnectError after the server's pinned
    certificate was replaced."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False
