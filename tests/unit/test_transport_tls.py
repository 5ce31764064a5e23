"""Certificate pinning over real loopback TLS servers (trustme certificates)."""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

import pytest
import trustme

from desktop.brokers.transport import fingerprint, normalize_fingerprint, pinned_ssl_context, probe_certificate
from desktop.brokers.transport.tls_pinning import X509_V_FLAG_NO_CHECK_TIME


def _der(cert: trustme.LeafCert) -> bytes:
    return ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode())


@asynccontextmanager
async def tls_server(cert: trustme.LeafCert):
    """A TLS echo-less server on 127.0.0.1 that records any bytes it receives."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    received: list[bytes] = []
    handled = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            data = await reader.read(100)
            received.append(data)
        except (OSError, ssl.SSLError):
            pass
        finally:
            writer.close()
            handled.set()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port, received, handled
    finally:
        server.close()
        await server.wait_closed()


def test_fingerprint_format():
    fp = fingerprint(b"abc")
    assert fp == ":".join(f"{b:02X}" for b in hashlib.sha256(b"abc").digest())
    assert normalize_fingerprint(fp.lower().replace(":", "")) == fp
    with pytest.raises(ValueError):
        normalize_fingerprint("AB:CD")


def test_pinned_context_settings():
    ca = trustme.CA()
    context = pinned_ssl_context(_der(ca.issue_cert("127.0.0.1")))
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is False
    assert context.verify_flags & X509_V_FLAG_NO_CHECK_TIME


def test_probe_reads_certificate_without_sending_data(arun):
    cert = trustme.CA().issue_cert("127.0.0.1")

    async def main():
        async with tls_server(cert) as (port, received, handled):
            der, fp = await probe_certificate("127.0.0.1", port, timeout=5)
            await asyncio.wait_for(handled.wait(), 5)  # the server's read ended (EOF)
            return der, fp, received

    der, fp, received = arun(main())
    assert der == _der(cert)
    assert fp == fingerprint(_der(cert))
    assert received in ([], [b""])  # no application data reached the server


def test_pinned_context_accepts_pinned_cert_and_refuses_another(arun):
    pinned = trustme.CA().issue_cert("127.0.0.1")
    other = trustme.CA().issue_cert("127.0.0.1")
    context = pinned_ssl_context(_der(pinned))

    async def connect(port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname="localhost")
        writer.close()

    async def main():
        async with tls_server(pinned) as (port, _, _):
            await connect(port)  # handshake succeeds although the name is not checked
        async with tls_server(other) as (port, _, _):
            with pytest.raises(ssl.SSLCertVerificationError):
                await connect(port)

    arun(main())


def test_pinned_context_accepts_an_expired_pinned_cert(arun):
    past = datetime.now(timezone.utc) - timedelta(days=400)
    expired = trustme.CA().issue_cert("127.0.0.1", not_before=past, not_after=past + timedelta(days=30))
    context = pinned_ssl_context(_der(expired))

    async def main():
        async with tls_server(expired) as (port, _, _):
            reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
            writer.close()

    arun(main())


def test_probe_unreachable_raises_oserror(arun):
    async def main():
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        with pytest.raises(OSError):
            await probe_certificate("127.0.0.1", port, timeout=2)

    arun(main())


def test_fingerprint_check_refuses_a_certificate_the_pinned_one_issued(arun):
    """Pinning a CA certificate must not admit the leaves it signs: OpenSSL alone would
    accept them (the pin is a trust anchor), the fingerprint check in the handshake does
    not. Checked on both TLS paths: asyncio streams (websockets) and httpx (anyio)."""
    import httpx

    ca = trustme.CA()
    ca_der = ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode())
    leaf = ca.issue_cert("127.0.0.1")
    context = pinned_ssl_context(ca_der)

    async def main():
        async with tls_server(leaf) as (port, received, _):
            with pytest.raises(ssl.SSLCertVerificationError, match="not the pinned"):
                await asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname="localhost")
            async with httpx.AsyncClient(verify=context) as client:
                with pytest.raises(httpx.ConnectError, match="not the pinned"):
                    await client.get(f"https://127.0.0.1:{port}/secret")
            return received

    received = arun(main())
    assert all(b"secret" not in data for data in received)  # nothing was sent to the server
