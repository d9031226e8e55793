"""The signed form of a device's fleet request (issue 15): what a body camera signs with its enrolled
Ed25519 key, and the portal verifies against the key it approved, so a device speaks only for itself.

The shared agent token only says "some agent of this court"; the device's identity comes from this
signature. The signed message binds the method, the API path (from ``/api/…``, without the portal's
base URL) and query, the SHA-256 of the exact body bytes, the device id, a timestamp (Unix
milliseconds) and a random nonce, so a request cannot be moved to another device or path, edited, or
replayed (the portal refuses a timestamp outside a short window and a nonce it has seen).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

DEVICE_REQUEST_DOMAIN = b"courtrec-device-request-v1\n"
DEVICE_HEADER = "X-Courtrec-Device"
TIMESTAMP_HEADER = "X-Courtrec-Timestamp"
NONCE_HEADER = "X-Courtrec-Nonce"
SIGNATURE_HEADER = "X-Courtrec-Signature"
_NONCE_PATTERN = re.compile(r"[0-9a-f]{32}")
_TIMESTAMP_PATTERN = re.compile(r"[0-9]{1,15}")


class DeviceRequestFormatError(ValueError):
    """The signature headers are missing or malformed (the message names which)."""


@dataclass(frozen=True, slots=True)
class RequestSignature:
    """The signature headers of one request."""

    device_id: str
    timestamp_ms: int
    nonce: str
    signature: str

    def headers(self) -> dict[str, str]:
        """The HTTP headers that carry this signature."""
        return {
            DEVICE_HEADER: self.device_id,
            TIMESTAMP_HEADER: str(self.timestamp_ms),
            NONCE_HEADER: self.nonce,
            SIGNATURE_HEADER: self.signature,
        }

    @classmethod
    def from_headers(cls, get: dict[str, str]) -> RequestSignature:
        """Parse the headers (keys lower case); DeviceRequestFormatError naming what is wrong."""
        missing = [
            name
            for name in (DEVICE_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)
            if not get.get(name.lower())
        ]
        if missing:
            raise DeviceRequestFormatError(
                f"the request is not signed by a device (missing {', '.join(missing)})"
            )
        timestamp, nonce = get[TIMESTAMP_HEADER.lower()], get[NONCE_HEADER.lower()]
        if not _TIMESTAMP_PATTERN.fullmatch(timestamp):
            raise DeviceRequestFormatError(
                f"{TIMESTAMP_HEADER} must be Unix milliseconds (got {timestamp[:40]!r})"
            )
        if not _NONCE_PATTERN.fullmatch(nonce):
            raise DeviceRequestFormatError(
                f"{NONCE_HEADER} must be 32 lower-case hex digits (got {nonce[:40]!r})"
            )
        signature = get[SIGNATURE_HEADER.lower()]
        if len(signature) > 128:
            raise DeviceRequestFormatError(f"{SIGNATURE_HEADER} is too long for an Ed25519 signature")
        return cls(get[DEVICE_HEADER.lower()][:64], int(timestamp), nonce, signature)


def request_message(
    *, method: str, path: str, query: str, body: bytes, device_id: str, timestamp_ms: int, nonce: str
) -> bytes:
    """The bytes a device signs for one request (``path`` from ``/api/``; ``query`` without ``?``)."""
    lines = [
        method.upper(),
        path,
        query,
        hashlib.sha256(body).hexdigest(),
        device_id,
        str(timestamp_ms),
        nonce,
    ]
    return DEVICE_REQUEST_DOMAIN + "\n".join(lines).encode("utf-8")


def new_nonce() -> str:
    """A fresh random nonce (128 bits, hex)."""
    return secrets.token_hex(16)
