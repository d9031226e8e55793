"""aiortc's DTLS client context, with and without our cipher hook, against RSA and ECDSA DTLS servers.

The handshakes run in memory (pyOpenSSL memory BIOs, as aiortc itself drives OpenSSL). The RSA
server is configured as GStreamer's dtls plugin configures itself (RSA 2048 certificate, cipher
list ``ALL:!ADH:!LOW:!EXP:!MD5:!RC4:@STRENGTH``); the ECDSA server is an aiortc certificate's own
context, as a Chromium or aiortc peer serves.
"""

from __future__ import annotations

import datetime

import pytest
from aiortc.rtcdtlstransport import SRTP_PROFILES, RTCCertificate
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from OpenSSL import SSL

from streaming.dtls import accept_rsa_dtls_servers

GSTREAMER_CIPHERS = b"ALL:!ADH:!LOW:!EXP:!MD5:!RC4:@STRENGTH"


def rsa_server_context() -> SSL.Context:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "webrtc")])
    now = datetime.datetime.now(tz=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    context = SSL.Context(SSL.DTLS_METHOD)
    context.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, lambda *args: True)
    context.use_certificate(cert)
    context.use_privatekey(key)
    context.set_cipher_list(GSTREAMER_CIPHERS)
    context.set_tlsext_use_srtp(b"SRTP_AES128_CM_SHA1_80")
    return context


def aiortc_client_context(*, hooked: bool) -> SSL.Context:
    certificate = RTCCertificate.generateCertificate()
    create = RTCCertificate._create_ssl_context
    if not hooked:
        create = getattr(create, "__wrapped__", create)  # aiortc's own method
    context: SSL.Context = create(certificate, SRTP_PROFILES)
    return context


def handshake(
    client_context: SSL.Context, server_context: SSL.Context
) -> tuple[SSL.Connection, SSL.Connection]:
    """Run a DTLS handshake in memory; returns both ends, or raises SSL.Error as OpenSSL failed."""
    client = SSL.Connection(client_context)
    client.set_connect_state()
    server = SSL.Connection(server_context)
    server.set_accept_state()
    done = {"client": False, "server": False}
    for _ in range(20):
        for name, end, other in (("client", client, server), ("server", server, client)):
            if not done[name]:
                try:
                    end.do_handshake()
                    done[name] = True
                except SSL.WantReadError:
                    pass
            while True:
                try:
                    other.bio_write(end.bio_read(65536))
                except SSL.WantReadError:
                    break
        if all(done.values()):
            return client, server
    raise AssertionError("the DTLS handshake neither finished nor failed")


@pytest.fixture(autouse=True)
def hook() -> None:
    accept_rsa_dtls_servers()


def test_aiortc_alone_cannot_handshake_with_an_rsa_server() -> None:
    with pytest.raises(SSL.Error, match="no shared cipher"):
        handshake(aiortc_client_context(hooked=False), rsa_server_context())


def test_with_the_hook_an_rsa_server_picks_an_ecdhe_rsa_aead_suite_and_srtp() -> None:
    client, _ = handshake(aiortc_client_context(hooked=True), rsa_server_context())
    assert client.get_cipher_name() == "ECDHE-RSA-AES128-GCM-SHA256"
    assert client.get_selected_srtp_profile() == b"SRTP_AES128_CM_SHA1_80"
    peer = client.get_peer_certificate(as_cryptography=True)
    assert peer is not None and isinstance(peer.public_key(), rsa.RSAPublicKey)


def test_with_the_hook_an_ecdsa_server_negotiates_as_before() -> None:
    server_context = RTCCertificate.generateCertificate()._create_ssl_context(SRTP_PROFILES)
    client, _ = handshake(aiortc_client_context(hooked=True), server_context)
    assert client.get_cipher_name() == "ECDHE-ECDSA-AES128-GCM-SHA256"
    assert client.get_selected_srtp_profile() == SRTP_PROFILES[0].openssl_profile


def test_the_hook_is_installed_once() -> None:
    hooked = RTCCertificate._create_ssl_context
    accept_rsa_dtls_servers()
    assert RTCCertificate._create_ssl_context is hooked
    assert getattr(hooked, "_courtrec_hook", False)
