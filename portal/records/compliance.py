"""The compliance report for court staff: hearings without a complete, verified recording (art. 9,
"every hearing recorded in full"), hearings that should be recording now and are not (the
courtroom recorders' alarm), recordings whose verification failed, recordings the index left
for a person to link (link alarms), and notices published late under an exception (art. 8), each
listed with what a clerk needs to follow it up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.identity.actor import Actor
from portal.identity.staff_scope import in_court_scope
from portal.models import Case, Court, Hearing, HearingStatus, Notice, Recording, Verification
from portal.records.agent_alarms import AgentAlarm, agent_alarms
from portal.records.recorder_watch import UnrecordedHearing, unrecorded_hearings


@dataclass(frozen=True, slots=True)
class HearingGap:
    """A held hearing without a complete, verified recording, and why."""

    hearing_id: int
    case_number: str
    starts_at: datetime
    recordings: int
    problem: str


@dataclass(frozen=True, slots=True)
class FailedRecording:
    """A recording whose last verification failed, with the problems found."""

    recording_id: str
    case_number: str | None
    verified_at: datetime | None
    problems: str


@dataclass(frozen=True, slots=True)
class RecordingAlarm:
    """A recording with a link alarm: why the index did not link it (or did not apply a report)."""

    recording_id: str
    court_code: str
    case_number: str | None
    alarm: str
    detail: str
    raised_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeviceAlarms:
    """A recording whose capture agent last reported alarms active (disk full, …)."""

    recording_id: str
    case_number: str | None
    alarms: list[AgentAlarm]
    reported_at: datetime | None


@dataclass(frozen=True, slots=True)
class LateNotice:
    """A notice published less than three days ahead under a recorded exception."""

    notice_id: int
    hearing_id: int
    case_number: str
    published_at: datetime
    starts_at: datetime
    exception_basis: str


@dataclass(slots=True)
class ComplianceReport:
    """Everything the compliance page lists, as of ``generated_at``."""

    generated_at: datetime
    hearings_without_verified_recording: list[HearingGap] = field(default_factory=list)
    failed_recordings: list[FailedRecording] = field(default_factory=list)
    recording_alarms: list[RecordingAlarm] = field(default_factory=list)
    device_alarms: list[DeviceAlarms] = field(default_factory=list)
    late_notices: list[LateNotice] = field(default_factory=list)
    hearings_not_recording: list[UnrecordedHearing] = field(default_factory=list)


def build_report(db: Session, staff: Actor, *, now: datetime) -> ComplianceReport:
    """The report over every court within ``staff``'s scope, as of ``now``."""
    report = ComplianceReport(generated_at=now)
    courts = {c.id for c in db.scalars(select(Court)) if in_court_scope(staff, c.id)}
    report.hearings_not_recording = unrecorded_hearings(db, courts, now=now)
    cases = {c.id: c for c in db.scalars(select(Case).where(Case.court_id.in_(courts)))}
    hearings = db.scalars(
        select(Hearing)
        .where(
            Hearing.case_id.in_(cases), Hearing.starts_at <= now, Hearing.status != HearingStatus.CANCELLED
        )
        .order_by(Hearing.starts_at)
    )
    for hearing in hearings:
        gap = _hearing_gap(db, hearing, cases[hearing.case_id].number)
        if gap is not None:
            report.hearings_without_verified_recording.append(gap)
    for recording in db.scalars(select(Recording).where(Recording.verification == Verification.FAILED)):
        case = _case_of(recording, cases)
        if case is None and (recording.case_id is not None or not in_court_scope(staff, recording.court_id)):
            continue  # another court's recording
        report.failed_recordings.append(
            FailedRecording(
                recording.id,
                case.number if case else None,
                recording.verified_at,
                recording.verification_problems,
            )
        )
    alarmed = db.scalars(
        select(Recording).where(Recording.link_alarm.is_not(None)).order_by(Recording.link_alarm_at)
    )
    for recording in alarmed:
        case = _case_of(recording, cases)
        if case is None and not in_court_scope(staff, recording.court_id):
            continue  # another court's (an unknown court's: administrators only)
        report.recording_alarms.append(
            RecordingAlarm(
                recording.id,
                recording.court_code,
                case.number if case else None,
                recording.link_alarm.value if recording.link_alarm else "",
                recording.link_alarm_detail,
                recording.link_alarm_at,
            )
        )
    _add_device_alarms(db, staff, cases, report)
    rows = db.execute(
        select(Notice, Hearing)
        .join(Hearing, Notice.hearing_id == Hearing.id)
        .where(Notice.late_exception_basis.is_not(None), Hearing.case_id.in_(cases))
        .order_by(Notice.published_at)
    )
    for notice, hearing in rows:
        report.late_notices.append(
            LateNotice(
                notice.id,
                hearing.id,
                cases[hearing.case_id].number,
                notice.published_at,
                hearing.starts_at,
                notice.late_exception_basis or "",
            )
        )
    return report


def _case_of(recording: Recording, cases: dict[int, Case]) -> Case | None:
    """The recording's case if it is one of ``cases`` (those of the staff member's courts)."""
    return cases.get(recording.case_id) if recording.case_id is not None else None


def _hearing_gap(db: Session, hearing: Hearing, case_number: str) -> HearingGap | None:
    recordings = list(db.scalars(select(Recording).where(Recording.hearing_id == hearing.id)))
    good = [r for r in recordings if r.complete and r.in_bucket and r.verification == Verification.INTACT]
    if good:
        return None
    if not recordings:
        problem = "no recording"
    elif not any(r.complete and r.in_bucket for r in recordings):
        problem = "recording incomplete or not archived"
    else:
        problem = (
            "recording not verified"
            if all(r.verification == Verification.UNVERIFIED for r in recordings)
            else "verification failed"
        )
    return HearingGap(hearing.id, case_number, hearing.starts_at, len(recordings), problem)


def _add_device_alarms(db: Session, staff: Actor, cases: dict[int, Case], report: ComplianceReport) -> None:
    """The recordings of ``staff``'s courts whose agent last reported alarms active."""
    alarmed = db.scalars(
        select(Recording).where(Recording.agent_alarms != "[]").order_by(Recording.agent_alarms_at)
    )
    for recording in alarmed:
        case = _case_of(recording, cases)
        if case is None and not in_court_scope(staff, recording.court_id):
            continue
        alarms = agent_alarms(recording)
        if alarms:
            report.device_alarms.append(
                DeviceAlarms(recording.id, case.number if case else None, alarms, recording.agent_alarms_at)
            )
