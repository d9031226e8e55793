"""The recordings index: fed by capture agents' reports, reconciled against the bucket, verified.

The bucket is the authority. An agent's report makes a recording visible at once; the next scan of
``recordings-by-id/`` and the journals confirms or corrects it (segment count, duration, whether the
recording ended) and marks reported recordings that never reached the bucket. Each recording
belongs to the court its device journaled and is linked, within that court, to its case and hearing
(see ``recording_links``); a link never moves, and what cannot be decided is a link alarm.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import ArchiveError
from archive.export import RecordingSummary, summarize_journal
from archive.journal import read_chain
from archive.preservation import VerifyReport, find_prefix, verify_recording
from archive.preservation.verify_trust import TrustAnchors
from archive.progress import ProgressCallback
from archive.store import ObjectStore
from portal.audit.trail import AuditAction, AuditEntry, append
from portal.errors import StoreError
from portal.models import LinkAlarm, Recording, Verification
from portal.records.recording_links import claim_court, conflict_with, link_recording, raise_alarm

__all__ = [
    "LOCATOR_PREFIX",
    "apply_summary",
    "complete_in_bucket",
    "link_recording",
    "reconcile",
    "record_verification",
    "run_verification",
    "scan_bucket",
]

LOCATOR_PREFIX = "recordings-by-id/"


def scan_bucket(
    store: ObjectStore, *, skip: frozenset[str] = frozenset(), on_progress: ProgressCallback | None = None
) -> list[RecordingSummary]:
    """Read every recording's locator and journal from the bucket (blocking; many GETs).

    Recordings in ``skip`` (already complete in the index) are not re-read; ``on_progress(done,
    total)`` counts the recordings looked at. Raises StoreError when
    the bucket cannot be listed; a single unreadable recording is left out (and stays as it was).
    """
    try:
        ids = [
            o.key.removeprefix(LOCATOR_PREFIX).removesuffix(".json")
            for o in store.list_objects(LOCATOR_PREFIX)
        ]
    except ArchiveError as exc:
        raise StoreError(f"the recording archive could not be listed: {exc}") from exc
    summaries = []
    for done, recording_id in enumerate(ids, start=1):
        if recording_id not in skip:
            with contextlib.suppress(ArchiveError):  # an unreadable one stays in the index as it was
                summaries.append(_scan_one(store, recording_id))
        if on_progress is not None:
            on_progress(done, len(ids))
    return summaries


def _scan_one(store: ObjectStore, recording_id: str) -> RecordingSummary:
    prefix = find_prefix(store, recording_id)
    keys = sorted(o.key for o in store.list_objects(f"{prefix}/journal/"))
    chain = read_chain((key.removeprefix(f"{prefix}/"), store.read_bytes(key)) for key in keys)
    return summarize_journal(recording_id, prefix, chain.lines)


def apply_summary(db: Session, summary: RecordingSummary, *, now: datetime, in_bucket: bool) -> Recording:
    """Insert or update the index row of ``summary`` and link it to its case and hearing.

    A summary naming another court, room or case than the recording was first indexed with changes
    nothing but raises a CONFLICTING_REPORT alarm on the recording.
    """
    recording = db.get(Recording, summary.recording_id)
    if recording is None:
        recording = Recording(id=summary.recording_id)
        db.add(recording)
        claim_court(db, recording, summary, now=now)
    elif not recording.court_code and recording.court_id is None:
        claim_court(db, recording, summary, now=now)  # indexed before its journal named a court
    elif (conflict := conflict_with(recording, summary)) is not None:
        raise_alarm(db, recording, LinkAlarm.CONFLICTING_REPORT, conflict, now=now)
        db.flush()
        return recording
    recording.streams = json.dumps(list(summary.streams))
    recording.segment_count = summary.segment_count
    recording.duration_seconds = summary.duration_seconds
    recording.started_at = summary.started_at
    recording.ended_at = summary.ended_at
    recording.complete = summary.complete
    if summary.prefix:
        recording.prefix = summary.prefix
    if in_bucket:
        recording.in_bucket, recording.reconciled_at = True, now
    else:
        recording.reported_at = now
    link_recording(db, recording, now=now)
    db.flush()
    return recording


def reconcile(
    db: Session, scanned: Iterable[RecordingSummary], *, now: datetime, actor: str
) -> dict[str, int]:
    """Apply a bucket scan to the index. Returns counts for the caller and the audit log: recordings
    scanned, and reported recordings still not found in the bucket."""
    seen = set()
    for summary in scanned:
        apply_summary(db, summary, now=now, in_bucket=True)
        seen.add(summary.recording_id)
    for unlinked in db.scalars(select(Recording).where(Recording.hearing_id.is_(None))):
        link_recording(db, unlinked, now=now)  # hearings scheduled after the recording was indexed
    missing = len(list(db.scalars(select(Recording.id).where(Recording.in_bucket.is_(False)))))
    counts = {"scanned": len(seen), "reported_not_in_bucket": missing}
    append(
        db, AuditEntry(actor, AuditAction.RECORDINGS_RECONCILED, "recordings", detail=dict(counts)), at=now
    )
    return counts


def complete_in_bucket(db: Session) -> frozenset[str]:
    """Ids of recordings already known complete in the bucket (a scan need not re-read them)."""
    rows = db.scalars(select(Recording.id).where(Recording.in_bucket.is_(True), Recording.complete.is_(True)))
    return frozenset(rows)


def run_verification(
    store: ObjectStore, recording_id: str, *, trust: TrustAnchors | None = None
) -> VerifyReport:
    """``archive.verify_recording`` for one recording (blocking: re-hashes every object), against the
    portal's approved device keys and anchored heads (``trust``: ``portal.devices.registry.trust_for``).

    Raises StoreError when the recording cannot be found or the store cannot be read.
    """
    try:
        return verify_recording(store, recording_id, trust=trust)
    except ArchiveError as exc:
        raise StoreError(f"recording {recording_id} could not be verified: {exc}") from exc


def record_verification(db: Session, report: VerifyReport, *, now: datetime, actor: str) -> Recording | None:
    """Store a verification outcome on the index row (if the recording is indexed) and audit it."""
    recording = db.get(Recording, report.recording_id)
    if recording is not None:
        recording.verification = Verification.INTACT if report.intact else Verification.FAILED
        lines = [*report.problems, *(f"warning: {w}" for w in report.warnings)]
        recording.verification_problems = "\n".join(lines)[:20000]
        recording.verified_at = now
    entry = AuditEntry(
        actor,
        AuditAction.RECORDING_VERIFIED,
        f"recording:{report.recording_id}",
        outcome="intact" if report.intact else "failed",
        detail={"problems": len(report.problems), "segments": report.segments},
    )
    append(db, entry, at=now)
    return recording
