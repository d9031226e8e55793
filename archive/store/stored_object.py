"""What an evidence object carries in its headers, and how we read and write them (no minio here).

Every evidence PUT carries the object's SHA-256 twice: ``x-amz-checksum-sha256`` (checked by the
server) and user metadata ``sha256`` (readable on every HEAD/GET); these helpers build those headers
and turn a HEAD/GET answer back into a :class:`StoredObject`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from archive.errors import ChecksumMismatchError
from archive.store.s3_client import Headers

logger = logging.getLogger(__name__)

SHA256_METADATA_KEY = "sha256"
SHA256_HEX_PATTERN = re.compile(r"[0-9a-f]{64}")
METADATA_KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")  # no "_": proxies drop such headers


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What the store reports about one object.

    ``sha256`` is our user metadata ``sha256`` when present, else the server's full-object checksum;
    ``server_sha256`` is the checksum the server itself reports (None when it reports none, and always
    None in listings). ``metadata`` holds the user metadata with lower-case keys, ``x-amz-meta-`` removed.
    """

    key: str
    size: int
    sha256: str | None
    server_sha256: str | None
    metadata: Mapping[str, str]


class PutOutcome(StrEnum):
    """What a put did: wrote the object, or found the identical object already there."""

    STORED = "stored"
    ALREADY_PRESENT = "already_present"


def require_sha256_hex(value: str) -> str:
    normalized = value.lower()
    if not SHA256_HEX_PATTERN.fullmatch(normalized):
        raise ValueError(f"'sha256_hex' must be 64 hex digits (got {value!r})")
    return normalized


def put_headers(sha256_hex: str, metadata: Mapping[str, str], content_type: str) -> Headers:
    headers: Headers = {
        "Content-Type": content_type,
        "x-amz-checksum-sha256": base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii"),
        f"x-amz-meta-{SHA256_METADATA_KEY}": sha256_hex,
        "If-None-Match": "*",
    }
    for raw_key, value in metadata.items():
        key = raw_key.lower()
        if not METADATA_KEY_PATTERN.fullmatch(key) or key == SHA256_METADATA_KEY:
            raise ValueError(
                f"metadata keys must match [a-z0-9][a-z0-9-]* and not be {SHA256_METADATA_KEY!r}"
                f" (got {raw_key!r})"
            )
        if not value.isascii() or not value.isprintable():
            raise ValueError(f"metadata values must be printable ASCII (got {value!r} for {raw_key!r})")
        headers[f"x-amz-meta-{key}"] = value
    return headers


def user_metadata(headers: Mapping[str, str]) -> dict[str, str]:
    prefix = "x-amz-meta-"
    return {
        name.lower()[len(prefix) :]: value
        for name, value in headers.items()
        if name.lower().startswith(prefix)
    }


def server_sha256(headers: Mapping[str, str]) -> str | None:
    """Hex of the server's full-object ``x-amz-checksum-sha256``; None if absent or composite."""
    lowered = {name.lower(): value for name, value in headers.items()}
    value = lowered.get("x-amz-checksum-sha256")
    if value is None or lowered.get("x-amz-checksum-type", "FULL_OBJECT").upper() == "COMPOSITE":
        return None
    try:
        digest = base64.b64decode(value, validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != hashlib.sha256().digest_size:
        logger.warning("ignoring a malformed x-amz-checksum-sha256 %r", value)
        return None
    return digest.hex()


def stored_object_from_headers(key: str, size: int, headers: Mapping[str, str]) -> StoredObject:
    metadata = user_metadata(headers)
    server = server_sha256(headers)
    ours = metadata.get(SHA256_METADATA_KEY)
    return StoredObject(
        key=key,
        size=size,
        sha256=ours.lower() if ours is not None else server,
        server_sha256=server,
        metadata=MappingProxyType(metadata),
    )


def verify_digest(
    key: str, actual: str, expected: str | None, *, expected_from: str = "its metadata"
) -> None:
    """ChecksumMismatchError when ``actual`` is not ``expected``; ``expected_from`` names where the
    expected hash came from (the object's metadata, or the record the caller checks it against)."""
    if expected is not None and actual != expected.lower():
        raise ChecksumMismatchError(f"{key} read back with sha256 {actual}, {expected_from} says {expected}")
