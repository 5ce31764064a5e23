"""Self-signed TLS certificates for the fake Client Portal Gateway.

The real gateway serves a self-signed certificate for localhost; the fake does the
same, made at test time (never committed), so clients can exercise certificate
pinning: :attr:`ServedCertificate.fingerprint` is the SHA-256 of the leaf
certificate's DER bytes as upper-case hex pairs joined by colons ("AB:CD:...").

The certificate is its own issuer (a trust anchor), valid for ``127.0.0.1``, ``::1``
and ``localhost``, so a client that trusts exactly this PEM (``cadata=``) verifies it
with ordinary hostname checking: no ``verify=False`` anywhere.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import ipaddress
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class ServedCertificate:
    """A certificate and key as PEM bytes, with the pin clients compare against."""

    cert_pem: bytes
    key_pem: bytes
    der: bytes

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER certificate, "AB:CD:..." (upper hex, colon separated)."""
        digest = hashlib.sha256(self.der).hexdigest().upper()
        return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))

    def client_context(self) -> ssl.SSLContext:
        """A client SSLContext that trusts exactly this certificate (verification on)."""
        ctx = ssl.create_default_context(cadata=self.cert_pem.decode("ascii"))
        return ctx


def make_certificate(common_name: str = "localhost") -> ServedCertificate:
    """A fresh self-signed P-256 certificate for loopback, valid for 30 days."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tradedesk fake IBKR gateway")])
    now = _dt.datetime.now(_dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5))
        .not_valid_after(now + _dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return ServedCertificate(cert_pem=cert.public_bytes(serialization.Encoding.PEM), key_pem=key_pem,
                             der=cert.public_bytes(serialization.Encoding.DER))


def load_into(ctx: ssl.SSLContext, served: ServedCertificate, workdir: Path | None = None) -> None:
    """Make ``ctx`` (a server context) serve ``served`` to every new handshake.

    ``load_cert_chain`` only reads files, so the PEMs go to a temporary directory
    under ``workdir`` that is removed right after loading.
    """
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        cert_file, key_file = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
        cert_file.write_bytes(served.cert_pem)
        key_file.write_bytes(served.key_pem)
        ctx.load_cert_chain(cert_file, key_file)


def server_context(served: ServedCertificate, workdir: Path | None = None) -> ssl.SSLContext:
    """A TLS server context serving ``served`` (TLS 1.2+)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    load_into(ctx, served, workdir)
    return ctx
