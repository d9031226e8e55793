"""Checkpoint heads kept at a site, outside the recordings they anchor (``_courtrec/anchors/``).

The backup writes the head of every recording it has copied to the backup site, one write-once object
per head (``_courtrec/anchors/{recording_id}/{seq:010d}.json``), so that a primary whose journal is
later cut back still meets the head the backup saw (:mod:`archive.journal.signing.anchor`). Heads are never
overwritten or deleted by courtrec; a head object that is not valid is skipped (and logged), never
trusted.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from archive.errors import IntegrityError, JournalError, ObjectConflictError
from archive.formats.hashing import sha256_bytes
from archive.journal.fields import FieldReader
from archive.journal.format import encode_line
from archive.journal.signing.anchor import CheckpointHead

if TYPE_CHECKING:
    from archive.store.object_store import ObjectStore

logger = logging.getLogger(__name__)

ANCHOR_PREFIX = "_courtrec/anchors/"


def anchor_key(head: CheckpointHead) -> str:
    """The object key of ``head``."""
    return f"{ANCHOR_PREFIX}{head.recording_id}/{head.seq:010d}.json"


def write_head(store: ObjectStore, head: CheckpointHead) -> None:
    """Keep ``head`` in ``store``'s bucket (write-once; a head already kept is left as it is).

    Raises StoreUnavailableError / StoreAuthError.
    """
    body = encode_line(head.to_fields()) + b"\n"
    try:
        store.put_bytes(anchor_key(head), body, sha256_bytes(body), content_type="application/json")
    except ObjectConflictError:
        logger.warning(
            "%s already holds another head for seq %d; kept as it was", store.config.bucket, head.seq
        )


def read_heads(store: ObjectStore, recording_id: str) -> list[CheckpointHead]:
    """Every valid head kept for ``recording_id`` in ``store``'s bucket (invalid ones are logged).

    Raises StoreUnavailableError / StoreAuthError.
    """
    heads: list[CheckpointHead] = []
    for stored in store.list_objects(f"{ANCHOR_PREFIX}{recording_id}/"):
        try:
            body = json.loads(store.read_bytes(stored.key))
            if not isinstance(body, dict):
                raise JournalError("not a JSON object")
            head = CheckpointHead.from_fields(FieldReader(body, stored.key))
        except (JournalError, IntegrityError, ValueError) as exc:  # JSON errors are ValueErrors
            logger.warning("anchor %s is not a valid checkpoint head: %s", stored.key, exc)
            continue
        if head.recording_id == recording_id:
            heads.append(head)
    return heads
