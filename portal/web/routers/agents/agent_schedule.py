"""The courtroom recorder service's API (``python -m capture serve``, bearer token
COURTREC_PORTAL_AGENT_TOKEN, also checked before any body is read by ``agent_gate``):

* ``GET /api/agent/schedule?court=&room=&days=``: the room's hearings for the next days, with their
  status (held: closed by the clerk; cancelled) and current times (a moved hearing's new times);
* ``POST /api/agent/room-state``: the room's state every few seconds (kept per courtroom), carrying
  the summaries of recordings the portal has not yet taken (indexed like ``/api/agent/recordings``),
  the clerk's last readiness check, the hearings the clerk closed at the console (marked held), and
  whether a sealed span is open (``sealed``: the room's public broadcast is cut while it is).
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, Field

from archive.export import RecordingSummary
from archive.formats.identifiers import IDENTIFIER_PATTERN
from portal.audit.trail import AuditAction, AuditEntry, append
from portal.date_range import BoundedDatetime
from portal.db import transaction
from portal.errors import AuthenticationError, InvalidInputError
from portal.hearings.closing import close_at_console
from portal.hearings.room_schedule import MAX_DAYS, find_courtroom, room_schedule
from portal.models import RecorderState
from portal.records.agent_alarms import store_agent_alarms
from portal.records.recorder_watch import RoomReport, claim_hearing, store_room_state
from portal.records.recordings_index import apply_summary
from portal.web.context import PortalContext
from portal.web.deps import ContextDep, client_ip
from portal.web.routers.agents.recordings import AgentReport
from portal.web.routers.staff.broadcasts import get_scheduler

router = APIRouter(tags=["recorder service"])

Code = Annotated[str, Query(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)]


class ScheduledHearingOut(BaseModel):
    """One hearing of the room."""

    hearing_id: int
    case_number: str
    courtroom: str
    starts_at: datetime
    expected_end_at: datetime
    status: Literal["scheduled", "held", "cancelled"]
    revision: int
    courtroom_name: str


class RoomScheduleOut(BaseModel):
    """The room's schedule as of ``generated_at`` (the portal's time)."""

    court: str
    room: str
    generated_at: datetime
    hearings: list[ScheduledHearingOut]


class SourceIn(BaseModel):
    """One source of the room and its active problems (no_frames, video_black, …; empty: healthy)."""

    name: str = Field(max_length=64)
    problems: list[Annotated[str, Field(max_length=32)]] = Field(default_factory=list, max_length=16)


class ReadinessCheckIn(BaseModel):
    """One item of the clerk's readiness check: a camera, a microphone, the storage or the uploads."""

    item: Literal["camera", "microphone", "storage", "upload"]
    stream: str | None = Field(default=None, max_length=64)
    ok: bool
    detail: str = Field(default="", max_length=300)
    confirmed: bool = False


class ReadinessIn(BaseModel):
    """The clerk's last pre-hearing readiness check of the recording in progress (also journaled)."""

    at: BoundedDatetime
    by: str = Field(max_length=64)
    ready: bool
    checks: list[ReadinessCheckIn] = Field(default_factory=list, max_length=64)


class ClosedHearingIn(BaseModel):
    """A hearing the clerk closed (闭庭) at the courtroom's console, by whom and when."""

    hearing_id: int = Field(ge=1, le=2_147_483_647)
    by: str = Field(min_length=1, max_length=64)
    at: BoundedDatetime


class ServiceRecordingIn(AgentReport):
    """A recording the service made, with the hearing it made it for (its journal names it too)."""

    hearing_id: int | None = Field(default=None, ge=1, le=2_147_483_647)


class RoomStateIn(BaseModel):
    """What the room's recorder reports every few seconds."""

    court: str = Field(max_length=64, pattern=IDENTIFIER_PATTERN)
    room: str = Field(max_length=64, pattern=IDENTIFIER_PATTERN)
    device_id: str = Field(max_length=128)
    state: RecorderState
    agent_time: BoundedDatetime
    hearing_id: int | None = Field(default=None, ge=1)
    recording_id: str | None = Field(default=None, max_length=128, pattern=IDENTIFIER_PATTERN)
    detail: str = Field(default="", max_length=500)
    sources: list[SourceIn] = Field(default_factory=list, max_length=32)
    storage_headroom_hours: float | None = Field(default=None, ge=0, le=1_000_000)
    upload_backlog: int = Field(default=0, ge=0, le=100_000_000)
    schedule_fetched_at: BoundedDatetime | None = None
    recordings: list[ServiceRecordingIn] = Field(default_factory=list, max_length=16)
    readiness: ReadinessIn | None = None
    closed_hearings: list[ClosedHearingIn] = Field(default_factory=list, max_length=16)
    sealed: bool = False  # the clerk has a sealed span open (封存): not for the public broadcast


class RoomStateOut(BaseModel):
    """What the portal took."""

    courtroom_id: int
    reported_at: datetime
    recordings_indexed: int


@router.get("/api/agent/schedule", response_model=RoomScheduleOut, summary="A room's schedule (agent)")
def api_room_schedule(
    context: ContextDep,
    court: Code,
    room: Code,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 3,
    authorization: Annotated[str | None, Header()] = None,
) -> RoomScheduleOut:
    """The room's hearings from 12 hours ago until ``days`` ahead (404 for an unknown room)."""
    _require_agent(context, authorization)
    now = context.clock.now()
    with context.readonly_sessions() as db:
        hearings = room_schedule(db, find_courtroom(db, court, room), now=now, days=days)
    return RoomScheduleOut(
        court=court,
        room=room,
        generated_at=now,
        hearings=[ScheduledHearingOut.model_validate(h, from_attributes=True) for h in hearings],
    )


@router.post("/api/agent/room-state", response_model=RoomStateOut, summary="A room's state (agent)")
def api_room_state(
    request: Request,
    context: ContextDep,
    body: RoomStateIn,
    authorization: Annotated[str | None, Header()] = None,
) -> RoomStateOut:
    """Keep the room's latest state, its sealed span too (stored first, so a restarted portal keeps the
    broadcast cut); index the recordings it carries (each audited as reported); tell the broadcast
    scheduler whether the room has a sealed span open."""
    _require_agent(context, authorization)
    for report in body.recordings:
        if (report.court, report.room) != (body.court, body.room):
            raise InvalidInputError(
                f"recording {report.recording_id} names {report.court}/{report.room}, not the reporting"
                f" room {body.court}/{body.room}"
            )
    now = context.clock.now()
    with transaction(context.sessions) as db:
        room = find_courtroom(db, body.court, body.room)
        state = store_room_state(db, room, _room_report(body), now=now)
        for closed in body.closed_hearings:  # before the state's alarm is read: held is not an alarm
            close_at_console(db, room.id, closed.hearing_id, by=closed.by, at=closed.at, now=now)
        for report in body.recordings:
            if report.hearing_id is not None:
                claim_hearing(db, report.recording_id, report.hearing_id, room)
            fields = report.model_dump(exclude={"streams", "hearing_id", "alarms"})
            summary = RecordingSummary(**fields, streams=tuple(report.streams))
            recording = apply_summary(db, summary, now=now, in_bucket=False)
            if report.alarms is not None:  # as the recordings report keeps them
                store_agent_alarms(recording, report.alarms, now=now)
            entry = AuditEntry(
                "agent", AuditAction.RECORDING_REPORTED, f"recording:{recording.id}", ip=client_ip(request)
            )
            append(db, entry, at=now)
        taken = RoomStateOut(
            courtroom_id=state.courtroom_id,
            reported_at=state.reported_at,
            recordings_indexed=len(body.recordings),
        )
    scheduler = get_scheduler(request)
    if scheduler is not None:
        scheduler.room_sealed(taken.courtroom_id, body.sealed)
    return taken


def _room_report(body: RoomStateIn) -> RoomReport:
    return RoomReport(
        device_id=body.device_id,
        state=body.state,
        agent_time=body.agent_time,
        hearing_id=body.hearing_id,
        recording_id=body.recording_id,
        detail=body.detail,
        sources=[s.model_dump() for s in body.sources],
        storage_headroom_hours=body.storage_headroom_hours,
        upload_backlog=body.upload_backlog,
        schedule_fetched_at=body.schedule_fetched_at,
        readiness=None if body.readiness is None else body.readiness.model_dump(mode="json"),
        sealed=body.sealed,
    )


def _require_agent(context: PortalContext, authorization: str | None) -> None:
    """The same check as the recordings report's: the route checks again what the gate checked."""
    expected = context.agent_token
    presented = (authorization or "").removeprefix("Bearer ").strip()
    if expected is None or not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise AuthenticationError("a capture agent must present its bearer token")
