"""The courtroom recorders' state and the "hearing not recording" alarm (每庭必录: SPC 2013 opinion
art. 9; 2017 hearing-recording rules art. 1, 3, 4).

Each courtroom's recorder service reports its state every few seconds; the latest report is kept
per courtroom. A hearing that should be recording and is not — scheduled, opened at least
``ALARM_AFTER`` ago, not closed by the clerk and not past its expected end, while its room's latest
fresh report does not say "recording this hearing" — is an alarm for the court's staff (the hearing
page, the courtrooms page and the compliance report). The alarm is worked out from the stored state
whenever it is read, so it is raised within ``ALARM_AFTER`` of the start with no background job, and
it clears by itself once the room reports recording.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Case, Courtroom, Hearing, HearingStatus, RecorderState, Recording, RoomState

ALARM_AFTER = timedelta(seconds=30)  # a hearing not recording this long after its start is an alarm
FRESH_FOR = timedelta(seconds=20)  # a room state older than this says nothing about now

STATE_NAMES = {"recording": "录像中", "paused": "暂停录像", "idle": "待机（未录像）", "fault": "故障"}
PROBLEM_NAMES = {
    "no_frames": "无画面",
    "video_black": "黑屏",
    "video_frozen": "画面冻结",
    "audio_silent": "无声音",
    "failed": "采集失败",
}


@dataclass(frozen=True, slots=True)
class RoomReport:
    """What a courtroom's recorder reported (the body of ``POST /api/agent/room-state``)."""

    device_id: str
    state: RecorderState
    agent_time: datetime
    hearing_id: int | None
    recording_id: str | None
    detail: str
    sources: list[dict[str, object]]
    storage_headroom_hours: float | None
    upload_backlog: int
    schedule_fetched_at: datetime | None
    readiness: dict[str, object] | None = None
    sealed: bool = False  # a sealed span (封存) is open: the room's public broadcast stays cut


READINESS_ITEMS = {"camera": "摄像机", "microphone": "麦克风", "storage": "存储", "upload": "上传"}


@dataclass(frozen=True, slots=True)
class ReadinessView:
    """The clerk's last readiness check of the room's recording: when (UTC), by whom, whether all
    passed, and each item as (name in Chinese, passed, what was seen)."""

    at: datetime
    by: str
    ready: bool
    checks: list[tuple[str, bool, str]]


@dataclass(frozen=True, slots=True)
class UnrecordedHearing:
    """A hearing that should be recording and is not, and why (in Chinese, for the staff)."""

    hearing_id: int
    case_number: str
    courtroom: str
    starts_at: datetime
    reason: str


def store_room_state(db: Session, room: Courtroom, report: RoomReport, *, now: datetime) -> RoomState:
    """Keep ``report`` as the room's latest state (reported at ``now``)."""
    state = db.get(RoomState, room.id)
    if state is None:
        state = RoomState(courtroom_id=room.id)
        db.add(state)
    state.device_id = report.device_id
    state.state = report.state
    state.agent_time = report.agent_time
    state.hearing_id = report.hearing_id
    state.recording_id = report.recording_id
    state.detail = report.detail[:500]
    state.sources = json.dumps(report.sources, ensure_ascii=False)
    state.storage_headroom_hours = report.storage_headroom_hours
    state.upload_backlog = report.upload_backlog
    state.schedule_fetched_at = report.schedule_fetched_at
    state.readiness = None if report.readiness is None else json.dumps(report.readiness, ensure_ascii=False)
    state.sealed = report.sealed
    state.reported_at = now
    db.flush()
    return state


def claim_hearing(db: Session, recording_id: str, hearing_id: int, room: Courtroom) -> None:
    """A recording the room's service made for ``hearing_id`` is filed under that hearing when it is
    first indexed (so back-to-back hearings of one case are not confused). Only a new recording, and
    only a hearing of the reporting room; anything else is left to the index's own linking."""
    hearing = db.get(Hearing, hearing_id)
    if db.get(Recording, recording_id) is not None or hearing is None or hearing.courtroom_id != room.id:
        return
    db.add(Recording(id=recording_id, hearing_id=hearing.id, case_id=hearing.case_id))
    db.flush()


def is_fresh(state: RoomState | None, now: datetime) -> bool:
    """Whether ``state`` was reported recently enough to say what the room does now."""
    return state is not None and state.reported_at >= now - FRESH_FOR


def unrecorded_hearings(db: Session, court_ids: Collection[int], *, now: datetime) -> list[UnrecordedHearing]:
    """The hearings of ``court_ids`` that should be recording at ``now`` and are not."""
    rows = db.execute(
        select(Hearing, Case.number, Courtroom)
        .join(Case, Hearing.case_id == Case.id)
        .join(Courtroom, Hearing.courtroom_id == Courtroom.id)
        .where(
            Courtroom.court_id.in_(court_ids),
            Hearing.status == HearingStatus.SCHEDULED,
            Hearing.starts_at <= now - ALARM_AFTER,
            Hearing.expected_end_at > now,
        )
        .order_by(Hearing.starts_at, Hearing.id)
    )
    alarms = []
    for hearing, number, room in rows:
        reason = not_recording_reason(db.get(RoomState, room.id), hearing.id, now=now)
        if reason is not None:
            alarms.append(UnrecordedHearing(hearing.id, number, room.name, hearing.starts_at, reason))
    return alarms


def not_recording_reason(state: RoomState | None, hearing_id: int, *, now: datetime) -> str | None:
    """Why the room of hearing ``hearing_id`` is not recording it (None: it is)."""
    if state is None:
        return "该法庭的录像服务从未上报状态"
    if not is_fresh(state, now):
        return f"该法庭的录像服务自 {state.reported_at.isoformat(timespec='seconds')} 起未上报状态"
    if state.state in {RecorderState.RECORDING, RecorderState.PAUSED} and state.hearing_id == hearing_id:
        return None
    if state.state == RecorderState.FAULT:
        return f"录像故障：{state.detail or '未说明'}"
    if state.state == RecorderState.RECORDING:
        return f"法庭正在为另一场庭审（#{state.hearing_id}）录像"
    return "法庭录像服务未在录像"


def source_problems(state: RoomState) -> list[tuple[str, list[str]]]:
    """Each source of the room and its problems, named in Chinese."""
    named = []
    for source in json.loads(state.sources or "[]"):
        problems = [PROBLEM_NAMES.get(str(p), str(p)) for p in source.get("problems", [])]
        named.append((str(source.get("name", "")), problems))
    return named


def readiness_view(state: RoomState) -> ReadinessView | None:
    """The readiness check ``state`` carries, or None (none reported, or unreadable)."""
    try:
        document = json.loads(state.readiness or "null")
        if not isinstance(document, dict):
            return None
        checks = [
            (
                f"{READINESS_ITEMS.get(str(c['item']), str(c['item']))} {c.get('stream') or ''}".strip(),
                bool(c.get("ok")),
                str(c.get("detail", "")),
            )
            for c in document.get("checks", [])
        ]
        return ReadinessView(
            datetime.fromisoformat(str(document["at"])), str(document["by"]), bool(document["ready"]), checks
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
