"""What the portal hands to verifiers: its signed list of approved device keys, and anchored heads.

The key list is signed with the portal's own Ed25519 key (kept at
``PortalSettings.signing_key_path()``, generated on first use, mode 0600); a verifier pins that key's
public half (``archive verify --portal-public-key``). Heads need no portal signature: each is signed
by its device (``archive.journal.signing.anchor``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from archive.journal.signing.anchor import encode_heads
from archive.journal.signing.device_key import DeviceKey, load_or_create_device_key
from archive.journal.signing.key_list import sign_key_list
from portal.devices.registry import approved_keys, heads_of
from portal.settings import PortalSettings


def portal_signing_key(settings: PortalSettings) -> DeviceKey:
    """The portal's key-list signing key. Raises ArchiveError when the file is unusable."""
    return load_or_create_device_key(settings.signing_key_path())


def export_key_list(db: Session, signer: DeviceKey, *, now: datetime) -> bytes:
    """The signed list of approved device keys (``courtrec-device-keys-v1``)."""
    return sign_key_list(approved_keys(db), signer, issued_at=now)


def export_heads(db: Session, *, now: datetime, recording_id: str | None = None) -> bytes:
    """Every anchored head (of one recording, or all) as a ``courtrec-anchors-v1`` file."""
    return encode_heads(heads_of(db, recording_id), exported_at=now.isoformat())
