"""The legal audit trail: an append-only, hash-chained log in the portal's database.

Each record's ``hash`` is the SHA-256 of the canonical JSON of all its other fields, ``prev`` (the
previous record's hash; 64 zeros for the first) included, so editing, deleting or reordering any
record breaks the chain from there on. Records are appended in the caller's transaction, so an
audited change and its record commit together or not at all. Database triggers (see the initial
migration) refuse UPDATE and DELETE; :func:`verify_chain` catches what a database owner could still do.
A cut tail is caught by comparing with a head (seq and hash) kept elsewhere (``audit head``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Connection, insert, select, text
from sqlalchemy.orm import Session

from portal.models import AuditRecord

GENESIS_PREV = "0" * 64
_ADVISORY_LOCK_ID = 0x636F_7572  # "cour": serialises appends on PostgreSQL
JsonValue = str | int | float | bool | None | list[str] | list[int]


class AuditAction(StrEnum):
    """What happened; one value per audited kind of event."""

    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    ACCESS_DENIED = "access_denied"
    RULE_REFUSED = "rule_refused"
    USER_CREATED = "user_created"
    CASE_CREATED = "case_created"
    PARTY_ADDED = "party_added"
    PASSWORD_ROTATED = "password_rotated"  # noqa: S105 - an event name, not a password
    HEARING_SCHEDULED = "hearing_scheduled"
    HEARING_CANCELLED = "hearing_cancelled"
    HEARING_RESCHEDULED = "hearing_rescheduled"
    HEARING_PUBLICITY_CHANGED = "hearing_publicity_changed"
    HEARING_MASKING_CHANGED = "hearing_masking_changed"
    HEARING_CLOSED = "hearing_closed"
    NOTICE_PUBLISHED = "notice_published"
    NOTICE_REFUSED = "notice_refused"
    RECORDING_REPORTED = "recording_reported"
    RECORDINGS_RECONCILED = "recordings_reconciled"
    RECORDING_VERIFIED = "recording_verified"
    RECORDING_LINK_ALARM = "recording_link_alarm"
    REVIEW_APPLIED = "review_applied"
    REVIEW_APPROVED = "review_approved"
    REVIEW_REJECTED = "review_rejected"
    GRANT_REVOKED = "grant_revoked"
    PLAYBACK_STARTED = "playback_started"
    SEGMENT_ISSUED = "segment_issued"
    BROADCAST_OPENED = "broadcast_opened"
    BROADCAST_CLOSED = "broadcast_closed"
    BROADCAST_CUT = "broadcast_cut"
    BROADCAST_RESUMED = "broadcast_resumed"
    REPLAY_WITHDRAWN = "replay_withdrawn"
    REPLAY_RESTORED = "replay_restored"
    DEVICE_KEY_APPROVED = "device_key_approved"
    DEVICE_REGISTERED = "device_registered"
    ENROLMENT_CODE_CREATED = "enrolment_code_created"
    DEVICE_ENROLLED = "device_enrolled"
    DEVICE_ENROLMENT_REFUSED = "device_enrolment_refused"
    DEVICE_OFFICER_ASSIGNED = "device_officer_assigned"
    DEVICE_COMMAND_REQUESTED = "device_command_requested"
    DEVICE_COMMAND_ACKED = "device_command_acked"
    DEVICE_CLOCK_DRIFT = "device_clock_drift"
    DEVICE_REQUEST_REFUSED = "device_request_refused"
    DEVICE_KEY_REVOKED = "device_key_revoked"
    DEVICE_HEARTBEATS_PRUNED = "device_heartbeats_pruned"
    ENFORCEMENT_ACTION_CREATED = "enforcement_action_created"
    ENFORCEMENT_ACTION_ENDED = "enforcement_action_ended"
    ENFORCEMENT_RECORDINGS_LINKED = "enforcement_recordings_linked"
    GAP_EXPLAINED = "gap_explained"
    PUBLIC_VIEWED = "public_viewed"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What the caller tells the log: who did what to which object, with what outcome, from where."""

    actor: str
    action: AuditAction
    target: str
    outcome: str = "ok"
    ip: str = ""
    detail: Mapping[str, JsonValue] = field(default_factory=dict)


@dataclass(slots=True)
class AuditReport:
    """What :func:`verify_chain` found: problems (empty when intact), the count and the head."""

    records: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_PREV
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def record_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    outcome: str,
    ip: str,
    detail: str,
    prev: str,
) -> str:
    """The hex SHA-256 of a record's canonical JSON (sorted keys, no spaces, UTF-8, ISO time)."""
    body = {
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "target": target,
        "outcome": outcome,
        "ip": ip,
        "detail": detail,
        "prev": prev,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(session: Session, entry: AuditEntry, *, at: datetime) -> int:
    """Append ``entry`` at time ``at`` (timezone-aware UTC) in ``session``'s transaction.

    Takes the append lock first (PostgreSQL advisory lock; SQLite transactions are already
    ``BEGIN IMMEDIATE``), so concurrent appends queue rather than fork the chain. Returns the seq.
    """
    return append_all(session, [(entry, at)])[0]


def append_all(session: Session | Connection, entries: Sequence[tuple[AuditEntry, datetime]]) -> list[int]:
    """Append several ``(entry, at)`` in order, in one statement; see :func:`append`. Returns the seqs."""
    if not entries:
        return []
    dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
    if dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
    last = session.execute(
        select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0], last[1]) if last is not None else (0, GENESIS_PREV)
    rows: list[dict[str, object]] = []
    seqs: list[int] = []
    for entry, when in entries:
        seq, at, fields = seq + 1, when.astimezone(UTC), _fields(entry)
        digest = record_hash(seq=seq, at=at, prev=prev, **fields)
        rows.append({"seq": seq, "at": at, "prev": prev, "hash": digest, **fields})
        seqs.append(seq)
        prev = digest
    session.execute(insert(AuditRecord), rows)
    return seqs


def _fields(entry: AuditEntry) -> dict[str, str]:
    return {
        "actor": entry.actor[:200],
        "action": entry.action.value,
        "target": entry.target[:200],
        "outcome": entry.outcome[:16],
        "ip": entry.ip[:64],
        "detail": json.dumps(dict(entry.detail), sort_keys=True, separators=(",", ":"), ensure_ascii=False),
    }


def verify_chain(session: Session, *, expected_head: tuple[int, str] | None = None) -> AuditReport:
    """Re-hash every record in order and check the chain; see the module docstring.

    ``expected_head`` (seq, hash) — a head noted earlier outside the database — must still be in the
    chain, which catches records cut from the end. Never raises for a broken chain: it reports.
    """
    report = AuditReport()
    expected_prev, expected_seq = GENESIS_PREV, 1
    query = select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=1000)
    for record in session.scalars(query):
        _check_record(report, record, expected_seq, expected_prev)
        report.records += 1
        expected_seq, expected_prev = record.seq + 1, record.hash
        report.head_seq, report.head_hash = record.seq, record.hash
        if expected_head is not None and record.seq == expected_head[0] and record.hash != expected_head[1]:
            report.problems.append(f"record {record.seq}: differs from the head noted earlier")
    if expected_head is not None and report.head_seq < expected_head[0]:
        report.problems.append(
            f"the log ends at record {report.head_seq}, but record {expected_head[0]} was noted earlier:"
            " records were deleted from the end"
        )
    return report


def _check_record(report: AuditReport, record: AuditRecord, expected_seq: int, expected_prev: str) -> None:
    if record.seq != expected_seq:
        report.problems.append(f"record {record.seq}: expected record {expected_seq} (records deleted)")
    if record.prev != expected_prev:
        report.problems.append(
            f"record {record.seq}: prev does not match the record before (deleted or reordered)"
        )
    actual = record_hash(
        seq=record.seq,
        at=record.at,
        actor=record.actor,
        action=record.action,
        target=record.target,
        outcome=record.outcome,
        ip=record.ip,
        detail=record.detail,
        prev=record.prev,
    )
    if actual != record.hash:
        report.problems.append(f"record {record.seq}: content does not match its hash (edited)")
