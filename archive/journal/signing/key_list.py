"""The signed list of approved device keys: what a journal's signing key is checked against.

A journal announces its own key, so a signature alone proves only that whoever wrote the journal
held *some* key: re-signing a whole edited journal with a new key passes. The portal keeps a registry
of the device keys it has seen and an administrator approved, and exports it as this list, signed
with the portal's own Ed25519 key, for verification offline (``courtrec-device-keys-v1``). A list is
trusted only when its issuer is the portal key the verifier pinned (or was fetched from the portal
itself over its authenticated API).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Self

from archive.errors import JournalError
from archive.journal.fields import FieldReader, JsonObject
from archive.journal.format import encode_line
from archive.journal.signing.device_key import DeviceKey, verify_signature

KEY_LIST_FORMAT = "courtrec-device-keys-v1"
KEY_LIST_DOMAIN = b"courtrec-device-keys-v1\n"


@dataclass(frozen=True, slots=True)
class RegisteredKey:
    """An approved device key: the device it belongs to, when and by whom it was approved."""

    public_key: str
    device_id: str
    approved_at: str
    approved_by: str

    def to_fields(self) -> JsonObject:
        return {
            "public_key": self.public_key,
            "device_id": self.device_id,
            "approved_at": self.approved_at,
            "approved_by": self.approved_by,
        }

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(
            public_key=fields.string("public_key"),
            device_id=fields.string("device_id"),
            approved_at=fields.string("approved_at"),
            approved_by=fields.string("approved_by"),
        )


@dataclass(frozen=True, slots=True)
class SignedKeyList:
    """A verified key list: who issued it (base64 Ed25519), when, and the keys it approves."""

    issuer: str
    issued_at: str
    keys: tuple[RegisteredKey, ...]

    def find(self, public_key: str) -> RegisteredKey | None:
        """The approved entry for ``public_key``, or None when the list does not hold it."""
        return next((key for key in self.keys if key.public_key == public_key), None)


def _signed_body(issuer: str, issued_at: str, keys: Iterable[RegisteredKey]) -> JsonObject:
    return {
        "format": KEY_LIST_FORMAT,
        "issuer": issuer,
        "issued_at": issued_at,
        "keys": [key.to_fields() for key in sorted(keys, key=lambda k: (k.device_id, k.public_key))],
    }


def sign_key_list(keys: Iterable[RegisteredKey], signer: DeviceKey, *, issued_at: datetime) -> bytes:
    """The key list file for ``keys``, signed by ``signer`` (the portal's key)."""
    body = _signed_body(signer.public_key_b64, issued_at.isoformat(), keys)
    signature = signer.sign(KEY_LIST_DOMAIN + encode_line(body))
    return encode_line({**body, "signature": signature}) + b"\n"


def load_key_list(data: bytes, *, trusted_issuer: str | None, where: str) -> SignedKeyList:
    """Parse and verify a key list file.

    ``trusted_issuer``: the portal's base64 public key the list must be signed by (None only for a
    list fetched from the portal over its authenticated API). Raises JournalError naming ``where``
    when the file is malformed, its signature does not verify, or its issuer is not the trusted one.
    """
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JournalError(f"{where}: not a JSON key list ({exc})") from exc
    if not isinstance(body, dict) or body.get("format") != KEY_LIST_FORMAT:
        raise JournalError(f"{where}: not a {KEY_LIST_FORMAT} file")
    fields = FieldReader(body, where)
    issuer, issued_at = fields.string("issuer"), fields.string("issued_at")
    keys = tuple(RegisteredKey.from_fields(item) for item in fields.objects("keys"))
    signed = KEY_LIST_DOMAIN + encode_line(_signed_body(issuer, issued_at, keys))
    if not verify_signature(issuer, signed, fields.string("signature")):
        raise JournalError(f"{where}: the key list's signature does not verify (edited or damaged)")
    if trusted_issuer is not None and issuer != trusted_issuer:
        raise JournalError(
            f"{where}: the key list is signed by {issuer}, not by the portal key {trusted_issuer}"
        )
    return SignedKeyList(issuer=issuer, issued_at=issued_at, keys=keys)
