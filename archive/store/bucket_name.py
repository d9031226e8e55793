"""S3 bucket naming rules (AWS general-purpose buckets; MinIO and SeaweedFS follow them), checked
before any request, so a bad name is refused with its rule instead of an SDK error mid-run."""

from __future__ import annotations

import ipaddress
import re

_SHAPE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3")
BUCKET_RULE = (
    "3-63 characters: lower-case letters, digits, '.' and '-', starting and ending with a letter or digit"
)


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid S3 bucket name, or None when it is one."""
    if not _SHAPE.fullmatch(name):
        return f"must be {BUCKET_RULE}"
    if ".." in name or ".-" in name or "-." in name:
        return "must not hold '..', '.-' or '-.'"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        return "must not look like an IP address"
    if name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        return "uses a prefix or suffix S3 reserves (xn--, sthree-, -s3alias, --ol-s3, …)"
    return None
