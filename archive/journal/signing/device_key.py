"""The device's Ed25519 signing key: generated on first use, stored owner-only (0600)."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from archive.errors import ArchiveError


@dataclass(frozen=True, slots=True)
class DeviceKey:
    """A device's Ed25519 key pair; the private half never leaves the device."""

    private_key: Ed25519PrivateKey

    @property
    def public_key_b64(self) -> str:
        """The raw 32-byte public key, base64-encoded (as written into journals)."""
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return base64.b64encode(raw).decode("ascii")

    def sign(self, message: bytes) -> str:
        """Return the base64 Ed25519 signature of ``message``."""
        return base64.b64encode(self.private_key.sign(message)).decode("ascii")


def load_or_create_device_key(path: Path) -> DeviceKey:
    """Load the PEM key at ``path``, or generate one there (mode 0600) when it does not exist.

    Raises ArchiveError when the file exists but is not an Ed25519 private key, or is readable by
    others (a leaked device key makes every signature worthless).
    """
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise ArchiveError(f"device key {path} has mode {mode:o}; it must be 0600 (chmod 600 {path})")
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except ValueError as exc:
            raise ArchiveError(f"device key {path} is not a PEM private key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ArchiveError(f"device key {path} is not an Ed25519 key")
        return DeviceKey(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(descriptor, pem)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return DeviceKey(key)


def verify_signature(public_key_b64: str, message: bytes, signature_b64: str) -> bool:
    """Return True when ``signature_b64`` is a valid Ed25519 signature of ``message``."""
    try:
        public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64, validate=True))
        public_key.verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True
