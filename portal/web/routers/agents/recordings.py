"""The recordings index: capture agents report recordings (bearer token), operators reconcile the
index with the bucket and run verification, staff list recordings of their courts."""

from __future__ import annotations

import asyncio
import hmac
import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from archive.export import RecordingSummary
from archive.formats import STREAM_NAME_MAX_LENGTH
from archive.formats.identifiers import IDENTIFIER_PATTERN
from archive.journal.signing.anchor import CheckpointHead
from portal.audit.trail import AuditAction, AuditEntry, append
from portal.date_range import BoundedDatetime
from portal.db import transaction
from portal.devices.registry import record_head, trust_for
from portal.errors import AuthenticationError, InvalidInputError, NotFoundError, StoreError
from portal.identity.principal import Principal
from portal.identity.staff_scope import require_recording_in_scope
from portal.models import Recording
from portal.records.agent_alarms import store_agent_alarms
from portal.records.reconciler import reconcile_now
from portal.records.recordings_index import apply_summary, record_verification, run_verification
from portal.web.context import PortalContext
from portal.web.deps import ContextDep, CsrfChecked, OperatorDep, RecordingIdPath, StaffDep, client_ip

router = APIRouter(tags=["recordings"])

_ID = IDENTIFIER_PATTERN
_HEX64 = r"^[0-9a-f]{64}$"


class CheckpointHeadIn(BaseModel):
    """The latest signed checkpoint of the recording (``archive.journal.signing.anchor.CheckpointHead``)."""

    seq: int = Field(ge=0, le=10**12)
    prev: str = Field(pattern=_HEX64)
    tree_size: int = Field(ge=0, le=10**12)
    root: str = Field(pattern=_HEX64)
    public_key: str = Field(min_length=1, max_length=64)
    signature: str = Field(min_length=1, max_length=128)
    line_sha256: str = Field(pattern=_HEX64)
    at: str = Field(max_length=64)


class AgentReport(BaseModel):
    """What a capture agent reports about a recording it made (the bucket scan confirms it later),
    with the device that made it and its latest signed checkpoint (anchored here: issue 11)."""

    recording_id: str = Field(pattern=_ID, max_length=128)
    court: str = Field(max_length=64)
    room: str = Field(max_length=64)
    case: str = Field(default="", max_length=128)
    streams: list[Annotated[str, Field(max_length=STREAM_NAME_MAX_LENGTH)]] = Field(
        default_factory=list, max_length=32
    )
    segment_count: int = Field(ge=0, le=10_000_000)
    duration_seconds: float = Field(ge=0, le=10_000_000)
    started_at: BoundedDatetime | None = None
    ended_at: BoundedDatetime | None = None
    complete: bool = False
    device_id: str | None = Field(default=None, pattern=_ID, max_length=64)
    checkpoint: CheckpointHeadIn | None = None
    # the agent's active alarms, one line each (absent: the report says nothing about alarms)
    alarms: list[Annotated[str, Field(max_length=500)]] | None = Field(default=None, max_length=16)


class RecordingOut(BaseModel):
    """A recording in the index."""

    id: str
    court_code: str
    room: str
    journaled_case: str
    case_id: int | None
    hearing_id: int | None
    streams: list[str]
    segment_count: int
    duration_seconds: float
    started_at: datetime | None
    ended_at: datetime | None
    complete: bool
    in_bucket: bool
    verification: str
    verified_at: datetime | None
    link_alarm: str | None = None


class ReconcileOut(BaseModel):
    """What a reconciliation with the bucket found."""

    scanned: int
    reported_not_in_bucket: int


@router.post(
    "/api/agent/recordings", response_model=RecordingOut, summary="Agent report", responses={401: {}}
)
def api_agent_report(
    request: Request,
    context: ContextDep,
    body: AgentReport,
    authorization: Annotated[str | None, Header()] = None,
) -> RecordingOut:
    """A capture agent reports a recording (``Authorization: Bearer`` COURTREC_PORTAL_AGENT_TOKEN)."""
    _require_agent(context, authorization)
    summary = RecordingSummary(
        **body.model_dump(exclude={"streams", "device_id", "checkpoint", "alarms"}),
        streams=tuple(body.streams),
    )
    head = _head(body)
    now = context.clock.now()
    with transaction(context.sessions) as db:
        if head is not None:
            record_head(db, head, body.device_id or "", now=now)
        recording = apply_summary(db, summary, now=now, in_bucket=False)
        if body.alarms is not None:
            store_agent_alarms(recording, body.alarms, now=now)
        append(
            db,
            AuditEntry(
                "agent", AuditAction.RECORDING_REPORTED, f"recording:{recording.id}", ip=client_ip(request)
            ),
            at=now,
        )
        return _out(recording)


@router.post("/api/recordings/reconcile", response_model=ReconcileOut, summary="Reconcile with the bucket")
async def api_reconcile(context: ContextDep, operator: OperatorDep, _csrf: CsrfChecked) -> ReconcileOut:
    """Scan ``recordings-by-id/`` and the journals, and upsert the index (operator)."""
    counts = await asyncio.to_thread(reconcile_now, context, operator.actor.audit_name)
    return ReconcileOut(**counts)


@router.post(
    "/api/recordings/{recording_id}/verify", response_model=RecordingOut, summary="Verify a recording"
)
async def api_verify(
    context: ContextDep, operator: OperatorDep, _csrf: CsrfChecked, recording_id: RecordingIdPath
) -> RecordingOut:
    """Run ``archive verify`` on one recording and store the outcome (operator)."""
    return _out(await asyncio.to_thread(_verify, context, operator, recording_id))


@router.get("/api/recordings", response_model=list[RecordingOut], summary="Recordings (staff)")
def api_recordings(context: ContextDep, staff: StaffDep) -> list[RecordingOut]:
    """Recordings of the caller's courts, newest first."""
    with transaction(context.sessions) as db:
        rows = list(db.scalars(select(Recording).order_by(Recording.started_at.desc())))
        visible = []
        for recording in rows:
            try:
                visible.append(require_recording_in_scope(db, staff.actor, recording.id))
            except NotFoundError:  # another court's recording
                continue
        return [_out(r) for r in visible]


@router.get("/api/recordings/{recording_id}", response_model=RecordingOut, summary="One recording (staff)")
def api_recording(context: ContextDep, staff: StaffDep, recording_id: RecordingIdPath) -> RecordingOut:
    """One recording of the caller's courts."""
    with transaction(context.sessions) as db:
        return _out(require_recording_in_scope(db, staff.actor, recording_id))


def _out(r: Recording) -> RecordingOut:
    return RecordingOut(
        id=r.id,
        court_code=r.court_code,
        room=r.room,
        journaled_case=r.journaled_case,
        case_id=r.case_id,
        hearing_id=r.hearing_id,
        streams=json.loads(r.streams),
        segment_count=r.segment_count,
        duration_seconds=r.duration_seconds,
        started_at=r.started_at,
        ended_at=r.ended_at,
        complete=r.complete,
        in_bucket=r.in_bucket,
        verification=r.verification.value,
        verified_at=r.verified_at,
        link_alarm=r.link_alarm.value if r.link_alarm else None,
    )


def _head(body: AgentReport) -> CheckpointHead | None:
    if body.checkpoint is None:
        return None
    if not body.device_id:
        raise InvalidInputError("a report with a checkpoint must name its device_id")
    try:
        return CheckpointHead(recording_id=body.recording_id, **body.checkpoint.model_dump())
    except ValueError as exc:
        raise InvalidInputError(f"checkpoint: {exc}") from exc


def _require_agent(context: PortalContext, authorization: str | None) -> None:
    expected = context.agent_token
    presented = (authorization or "").removeprefix("Bearer ").strip()
    if expected is None or not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise AuthenticationError("a capture agent must present its bearer token")


def _verify(context: PortalContext, operator: Principal, recording_id: str) -> Recording:
    with transaction(context.sessions) as db:
        require_recording_in_scope(db, operator.actor, recording_id)
    if context.store is None:
        raise StoreError("no recording archive is configured")
    with context.readonly_sessions() as db:
        trust = trust_for(db, recording_id)
    report = run_verification(context.store, recording_id, trust=trust)
    with transaction(context.sessions) as db:
        recording = record_verification(db, report, now=context.clock.now(), actor=operator.actor.audit_name)
        if recording is None:
            raise StoreError("the recording vanished from the index")
        return recording
