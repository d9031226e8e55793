"""Reading back the public views of a hearing from the audit trail (see ``portal.audit.public_views``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction
from portal.models import AuditRecord

MAX_LISTED = 5000


@dataclass(frozen=True, slots=True)
class PublicView:
    """One audited public view: the audit record's seq and time, and what it says."""

    seq: int
    at: datetime
    kind: str  # live / replay
    viewer: str  # the keyed hash of the client address
    agent: str  # the browser family


def views_of_hearing(db: Session, hearing_id: int, *, limit: int = MAX_LISTED) -> list[PublicView]:
    """The newest ``limit`` audited public views of ``hearing_id``, oldest first."""
    rows = db.scalars(
        select(AuditRecord)
        .where(AuditRecord.action == AuditAction.PUBLIC_VIEWED.value)
        .where(AuditRecord.target == f"hearing:{hearing_id}")
        .order_by(AuditRecord.seq.desc())
        .limit(limit)
    ).all()
    views = []
    for record in reversed(rows):
        detail = json.loads(record.detail)
        kind, viewer, agent = detail.get("kind", ""), detail.get("viewer", ""), detail.get("agent", "")
        views.append(PublicView(record.seq, record.at, str(kind), str(viewer), str(agent)))
    return views
