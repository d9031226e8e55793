"""Recording what agents report about trust (their signing key, their latest checkpoint head) and
deciding it (an administrator approves a key).

A report's head is accepted only when its Ed25519 signature verifies with the key it names, so the
shared agent token alone cannot plant heads that were never signed by a device key. A key is only
ever *seen* because an agent reported it; it verifies journals once an administrator approved it.
Every head is kept (an older head replayed later changes nothing: verification takes the furthest).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.journal.signing.anchor import CheckpointHead
from archive.journal.signing.key_list import RegisteredKey
from archive.preservation.verify_trust import AnchoredHead, TrustAnchors
from portal.audit.trail import AuditAction, AuditEntry, append
from portal.errors import InvalidInputError, NotFoundError
from portal.models import CheckpointAnchor, DeviceKey, KeyStatus

ANCHOR_SOURCE = "portal"


def record_head(db: Session, head: CheckpointHead, device_id: str, *, now: datetime) -> None:
    """Keep ``head`` (reported by ``device_id``) and note its key as seen.

    Raises InvalidInputError when the head's signature does not verify with its own key.
    """
    if not head.signature_valid():
        raise InvalidInputError("the reported checkpoint head is not signed by the key it names")
    note_key(db, head.public_key, device_id, now=now)
    known = db.scalar(
        select(CheckpointAnchor.id).where(
            CheckpointAnchor.recording_id == head.recording_id,
            CheckpointAnchor.seq == head.seq,
            CheckpointAnchor.line_sha256 == head.line_sha256,
        )
    )
    if known is None:
        db.add(
            CheckpointAnchor(
                recording_id=head.recording_id,
                seq=head.seq,
                prev=head.prev,
                tree_size=head.tree_size,
                root=head.root,
                public_key=head.public_key,
                signature=head.signature,
                line_sha256=head.line_sha256,
                written_at=head.at,
                received_at=now,
            )
        )
    db.flush()


def note_key(db: Session, public_key: str, device_id: str, *, now: datetime) -> DeviceKey:
    """The registry row of ``public_key``, created as seen (with ``device_id``) on first report."""
    row = db.get(DeviceKey, public_key)
    if row is None:
        row = DeviceKey(
            public_key=public_key,
            device_id=device_id,
            status=KeyStatus.SEEN,
            first_seen_at=now,
            last_seen_at=now,
        )
        db.add(row)
    else:
        row.last_seen_at = now
    return row


def approve_key(db: Session, public_key: str, *, actor: str, now: datetime) -> DeviceKey:
    """Approve a seen key (audited). Raises NotFoundError for a key no agent reported,
    InvalidInputError for a revoked one."""
    row = db.get(DeviceKey, public_key)
    if row is None:
        raise NotFoundError(f"no agent has reported the device key {public_key}")
    if row.status is KeyStatus.REVOKED:
        raise InvalidInputError(f"device key {public_key} was revoked; it cannot be approved again")
    row.status, row.approved_at, row.approved_by = KeyStatus.APPROVED, now, actor
    append(
        db,
        AuditEntry(
            actor, AuditAction.DEVICE_KEY_APPROVED, f"device:{row.device_id}", detail={"key": public_key}
        ),
        at=now,
    )
    return row


def device_keys(db: Session) -> list[DeviceKey]:
    """Every key in the registry, by device."""
    return list(db.scalars(select(DeviceKey).order_by(DeviceKey.device_id, DeviceKey.first_seen_at)))


def approved_keys(db: Session) -> list[RegisteredKey]:
    """The approved keys, as listed in the signed export."""
    rows = db.scalars(select(DeviceKey).where(DeviceKey.status == KeyStatus.APPROVED))
    return [
        RegisteredKey(
            public_key=row.public_key,
            device_id=row.device_id,
            approved_at=row.approved_at.isoformat() if row.approved_at else "",
            approved_by=row.approved_by or "",
        )
        for row in rows
    ]


def heads_of(db: Session, recording_id: str | None = None) -> list[CheckpointHead]:
    """Every anchored head (of one recording, or all), in order."""
    query = select(CheckpointAnchor).order_by(CheckpointAnchor.recording_id, CheckpointAnchor.seq)
    if recording_id is not None:
        query = query.where(CheckpointAnchor.recording_id == recording_id)
    return [_head(row) for row in db.scalars(query)]


def _head(row: CheckpointAnchor) -> CheckpointHead:
    return CheckpointHead(
        recording_id=row.recording_id,
        seq=row.seq,
        prev=row.prev,
        tree_size=row.tree_size,
        root=row.root,
        public_key=row.public_key,
        signature=row.signature,
        line_sha256=row.line_sha256,
        at=row.written_at,
    )


@dataclass(frozen=True, slots=True)
class RegistryKeys:
    """The portal's approved keys as a verification registry (``archive.preservation.verify_trust``)."""

    approved: dict[str, str]
    source: str = "the portal's device registry"

    def device_of(self, public_key: str) -> str | None:
        return self.approved.get(public_key)


def trust_for(db: Session, recording_id: str) -> TrustAnchors:
    """What the portal's own verification trusts: its approved keys and its anchored heads.

    A registry with no approved key at all is not in use yet (a new installation, or one whose
    administrators have not approved any device): keys are then not checked, and verification says
    so in a warning instead of failing every recording. Once one key is approved, every journal
    signed with any other key fails.
    """
    approved = {k.public_key: k.device_id for k in approved_keys(db)}
    heads: Sequence[CheckpointHead] = heads_of(db, recording_id)
    return TrustAnchors(
        keys=RegistryKeys(approved) if approved else None,
        heads=tuple(AnchoredHead(head, ANCHOR_SOURCE) for head in heads),
        sources_tried=(ANCHOR_SOURCE,),
    )
