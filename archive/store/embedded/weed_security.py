"""The embedded weed's ``security.toml``: gRPC mutual TLS and JWT-signed volume and filer access.

Without it every weed port beside S3 (master, volume and filer gRPC; the volume server's HTTP API) is
open to any local process: ``weed shell`` lists, writes and deletes bucket entries with no S3 keys and
no Object Lock. With it, weed's gRPC servers accept only clients presenting a certificate of our
private CA with our common name, and its volume server answers reads and writes only with a JWT signed
by keys in that file. weed reads ``./security.toml`` before ``~/.seaweedfs/`` and ``/etc/seaweedfs/``,
so the store runs weed in its data directory. Layout::

    security.toml        rewritten on every start with fresh JWT keys (0600)
    tls/ca.crt           our private CA (its key is never written: no further certificate can be issued)
    tls/weed.crt, .key   the one certificate every weed component presents and accepts (0600)

All components live in one weed process reading one file, so per-component certificates would separate
nothing; the certificate is regenerated (with a new CA) when missing, unreadable or near expiry.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import logging
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from archive.store.embedded.credentials import write_private

logger = logging.getLogger(__name__)

COMMON_NAME = "courtrec-embedded-weed"
SECURITY_FILE = "security.toml"
_TLS_DIR = "tls"
_CA_CERT = "ca.crt"
_NODE_CERT = "weed.crt"
_NODE_KEY = "weed.key"
_VALIDITY = datetime.timedelta(days=3650)
_RENEW_BEFORE = datetime.timedelta(days=60)
# every gRPC section weed mini reads, server and client side
_GRPC_SECTIONS = ("master", "volume", "filer", "s3", "admin", "worker", "msg_broker", "msg_agent", "mq")
# what reading, parsing or checking a damaged certificate set raises
_UNUSABLE = (OSError, ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm, x509.ExtensionNotFound)
_JWT_SECTIONS = ("jwt.signing", "jwt.signing.read", "jwt.filer_signing", "jwt.filer_signing.read")


def write_security_config(directory: Path, host: str) -> Path:
    """Make sure ``directory`` holds a valid certificate set and write a fresh ``security.toml``.

    Returns the path of ``security.toml``. Files are 0600 and ``tls/`` is 0700. Raises OSError when
    the directory cannot be written.
    """
    tls = directory / _TLS_DIR
    tls.mkdir(mode=0o700, exist_ok=True)
    tls.chmod(0o700)
    if not _certificates_usable(tls, host):
        _issue_certificates(tls, host)
        logger.info("generated a private CA and weed's gRPC certificate in %s", tls)
    path = directory / SECURITY_FILE
    write_private(path, _security_toml(tls))
    return path


def _security_toml(tls: Path) -> str:
    def quoted(value: str) -> str:
        return json.dumps(value)  # a JSON string is a valid TOML basic string

    lines = ["# written by courtrec on every start of the embedded store; edits are lost", ""]
    for section in _JWT_SECTIONS:
        # random per start: tokens live 10 s and only this weed process mints and checks them
        key = quoted(secrets.token_urlsafe(32))
        lines += [f"[{section}]", f"key = {key}", "expires_after_seconds = 10", ""]
    lines += ["[access]", "ui = false", "", "[filer.expose_directory_metadata]", "enabled = false", ""]
    lines += ["[grpc]", f"ca = {quoted(str(tls / _CA_CERT))}", 'allowed_wildcard_domain = ""', ""]
    cert, key = quoted(str(tls / _NODE_CERT)), quoted(str(tls / _NODE_KEY))
    for component in _GRPC_SECTIONS:
        lines += [f"[grpc.{component}]", f"cert = {cert}", f"key = {key}"]
        lines += [f"allowed_commonNames = {quoted(COMMON_NAME)}", ""]
    lines += ["[grpc.client]", f"cert = {cert}", f"key = {key}", ""]
    return "\n".join(lines)


def _certificates_usable(tls: Path, host: str) -> bool:
    try:
        ca = x509.load_pem_x509_certificate((tls / _CA_CERT).read_bytes())
        node = x509.load_pem_x509_certificate((tls / _NODE_CERT).read_bytes())
        key = serialization.load_pem_private_key((tls / _NODE_KEY).read_bytes(), password=None)
        node.verify_directly_issued_by(ca)
        addresses = node.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        ip_addresses = addresses.get_values_for_type(x509.IPAddress)
    except _UNUSABLE as exc:
        if (tls / _NODE_CERT).exists():
            logger.warning("weed's certificate set in %s is unusable (%s); issuing a new one", tls, exc)
        return False
    if key.public_key() != node.public_key():
        logger.warning("weed's key in %s does not match its certificate; issuing a new one", tls)
        return False
    if node.not_valid_after_utc - _RENEW_BEFORE < _now():
        expiry = node.not_valid_after_utc
        logger.info("weed's certificate in %s expires on %s; issuing a new one", tls, expiry)
        return False
    if _host_address(host) not in ip_addresses:
        logger.info("weed's certificate in %s does not name %s; issuing a new one", tls, host)
        return False
    return True


def _issue_certificates(tls: Path, host: str) -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{COMMON_NAME} CA")])
    ca = (
        _builder(ca_name, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    node_key = ec.generate_private_key(ec.SECP256R1())
    node_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME)])
    node = (
        _builder(node_name, ca_name, node_key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(_host_address(host)), x509.DNSName("localhost")]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = node_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # the key first: a certificate without its key is detected and reissued on the next start
    write_private(tls / _NODE_KEY, key_pem.decode("ascii"))
    write_private(tls / _NODE_CERT, node.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    write_private(tls / _CA_CERT, ca.public_bytes(serialization.Encoding.PEM).decode("ascii"))


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # tolerate a little clock skew
        .not_valid_after(now + _VALIDITY)
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=not cert_sign,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _host_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return ipaddress.ip_address("127.0.0.1")  # a host name: weed's gRPC does not check names


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
