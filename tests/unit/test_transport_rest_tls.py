"""TLS of the REST pipeline over real loopback TLS servers (trustme certificates):
system-CA verification by default, refusing a self-signed server unless its
certificate is pinned; a pinned client refuses any other certificate, at open() and
in a later handshake, before a byte of the request is sent."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme

from desktop.brokers.errors import CertificateChangedError, CertificateUntrustedError
from desktop.brokers.transport import RestClient, TlsPolicy, fingerprint
from tests.unit.test_transport_loopback import Reply, ScriptedServer


def _server_context(cert: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    return context


def _fp(cert: trustme.LeafCert) -> str:
    return fingerprint(ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode()))


def _server(cert: trustme.LeafCert) -> ScriptedServer:
    return ScriptedServer(_server_context(cert)).on("GET", "/ping", Reply(200, {"pong": True}))


def test_system_cas_refuse_a_self_signed_server_unless_pinned(arun):
    cert = trustme.CA().issue_cert("127.0.0.1")

    async def main():
        async with _server(cert) as server:
            client = RestClient(server.base_url, name="the test server")
            await client.open()  # no probe: ordinary verification happens in the handshake
            with pytest.raises(CertificateUntrustedError) as info:
                await client.request("GET", "/ping")
            await client.close()
            refused = list(server.requests)
            pinned = RestClient(server.base_url, tls=TlsPolicy(pinned_sha256=info.value.fingerprint))
            await pinned.open()
            answer = await pinned.request("GET", "/ping")
            await pinned.close()
            return info.value, refused, answer, pinned.fingerprint

    error, refused, answer, presented = arun(main())
    assert error.fingerprint == _fp(cert) == presented and error.pinned is None
    assert "not trusted" in error.message
    assert refused == []  # nothing was sent to the untrusted server
    assert answer == {"pong": True}


def test_a_trusted_ca_verifies_chain_and_host_name(arun):
    ca = trustme.CA()
    good = ca.issue_cert("127.0.0.1")
    other_name = ca.issue_cert("example.org")
    ca_pem = ca.cert_pem.bytes().decode()

    async def main():
        async with _server(good) as server:
            client = RestClient(server.base_url, tls=TlsPolicy(ca_pem=ca_pem))
            await client.open()
            answer = await client.request("GET", "/ping")
            await client.close()
        async with _server(other_name) as server:
            client = RestClient(server.base_url, tls=TlsPolicy(ca_pem=ca_pem))
            await client.open()
            with pytest.raises(CertificateUntrustedError):  # signed by the CA, but for another host
                await client.request("GET", "/ping")
            await client.close()
            return answer, server.requests

    answer, refused = arun(main())
    assert answer == {"pong": True} and refused == []


def test_a_pinned_server_with_another_certificate_is_refused(arun):
    pinned_cert = trustme.CA().issue_cert("127.0.0.1")
    other = trustme.CA().issue_cert("127.0.0.1")

    async def main():
        async with _server(other) as server:
            client = RestClient(server.base_url, tls=TlsPolicy(pinned_sha256=_fp(pinned_cert)))
            with pytest.raises(CertificateChangedError) as info:
                await client.open()
            return info.value, client.is_open, server.requests

    error, is_open, requests = arun(main())
    assert error.fingerprint == _fp(other) and error.pinned == _fp(pinned_cert)
    assert not is_open and requests == []


def test_a_certificate_replaced_during_the_session_is_refused_in_the_handshake(arun):
    first = trustme.CA().issue_cert("127.0.0.1")
    second = trustme.CA().issue_cert("127.0.0.1")

    async def main():
        server = await _server(first).start()
        client = RestClient(server.base_url, tls=TlsPolicy(pinned_sha256=_fp(first)))
        await client.open()
        assert await client.request("GET", "/ping") == {"pong": True}
        port = server.port
        await server.stop()  # closes the pooled connection too
        impostor = await _server(second).start(port)
        try:
            with pytest.raises(CertificateChangedError) as info:
                await client.request("GET", "/ping")
        finally:
            await client.close()
            await impostor.stop()
        return info.value, impostor.requests

    error, sent = arun(main())
    assert error.fingerprint == _fp(second) and error.pinned == _fp(first)
    assert sent == []


def test_no_verification_is_switched_off_anywhere_but_the_probe():
    """TLS verification stays on: only tls_pinning's probe (which sends nothing) may
    build a non-verifying context."""
    root = Path(__file__).resolve().parents[2] / "desktop"
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p.name != "tls_pinning.py" and any(s in p.read_text() for s in ("verify=False", "CERT_NONE"))]
    assert offenders == []
