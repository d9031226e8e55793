"""Where a recording belongs: the court of the device that made it, then a case and a hearing of
that court (issue 10, finding 1).

A recording's court is the portal court whose code the device journaled (and, for a bucket scan,
the court its object keys are filed under). Its case is the one case *of that court* whose number or
agent code it journaled, else the case of the one hearing held in its courtroom when it started.
A link, once made, never moves: a later report or scan naming another court, room or case is not
applied. Whatever cannot be decided this way (an unknown court, keys and journal disagreeing, more
than one candidate, a conflicting report) is not guessed: it is raised as a link alarm on the
recording, audited, and listed for the court's staff in the compliance report.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from archive.export import RecordingSummary
from portal.audit.trail import AuditAction, AuditEntry, append
from portal.case_number import stored_spellings
from portal.models import Case, Court, Courtroom, Hearing, HearingStatus, LinkAlarm, Recording

HEARING_MATCH_SLACK = timedelta(hours=1)
ALARM_ACTOR = "portal:recordings-index"
_KEYS_PREFIX = "recordings/"


def journaled_identity(summary: RecordingSummary) -> tuple[str, str, str]:
    """(court code, room, case code) as stored on the index row (truncated to the column widths)."""
    return summary.court[:64], summary.room[:64], summary.case[:128]


def claim_court(db: Session, recording: Recording, summary: RecordingSummary, *, now: datetime) -> None:
    """Set a new index row's journaled identity and its court; raise an alarm when none can be set."""
    recording.court_code, recording.room, recording.journaled_case = journaled_identity(summary)
    if not recording.court_code:
        return  # the journal names no court yet (an agent's first report): a later summary claims it
    filed_under = _court_of_prefix(summary.prefix)
    if filed_under is not None and filed_under != summary.court:
        detail = f"日志记载法院代码 {summary.court}，对象却存放在法院代码 {filed_under} 之下"
        raise_alarm(db, recording, LinkAlarm.COURT_MISMATCH, detail, now=now)
        return
    court = db.scalar(select(Court).where(Court.code == recording.court_code))
    if court is None:
        detail = f"日志记载的法院代码 {recording.court_code} 不是本平台的法院"
        raise_alarm(db, recording, LinkAlarm.UNKNOWN_COURT, detail, now=now)
        return
    recording.court_id = court.id


def conflict_with(recording: Recording, summary: RecordingSummary) -> str | None:
    """Why ``summary`` cannot be applied to the existing ``recording`` (None when it can)."""
    stored = (recording.court_code, recording.room, recording.journaled_case)
    named = journaled_identity(summary)
    if not named[0]:
        return None  # a summary whose journal names nothing yet contradicts nothing
    if named != stored:
        return f"报告所载法院/法庭/案件为 {'/'.join(named)}，录像已登记为 {'/'.join(stored)}"
    filed_under = _court_of_prefix(summary.prefix)
    if filed_under is not None and filed_under != recording.court_code:
        return f"对象存放在法院代码 {filed_under} 之下，录像属于法院代码 {recording.court_code}"
    return None


def raise_alarm(db: Session, recording: Recording, alarm: LinkAlarm, detail: str, *, now: datetime) -> None:
    """Flag ``recording`` for a person and audit it (once: the same alarm again changes nothing)."""
    if recording.link_alarm == alarm and recording.link_alarm_detail == detail:
        return
    recording.link_alarm, recording.link_alarm_detail, recording.link_alarm_at = alarm, detail, now
    entry = AuditEntry(
        ALARM_ACTOR,
        AuditAction.RECORDING_LINK_ALARM,
        f"recording:{recording.id}",
        outcome=alarm.value,
        detail={"detail": detail, "court": recording.court_code, "case_id": recording.case_id},
    )
    append(db, entry, at=now)


def link_recording(db: Session, recording: Recording, *, now: datetime) -> None:
    """Link ``recording`` to its case and hearing within its court, filling only what is missing.

    Nothing happens for a recording without a court or with an alarm raised (a person decides). A
    case code matching several cases of the court, or hearings of several cases in its courtroom at
    its start time (within an hour of their times), raise an AMBIGUOUS alarm instead of a link.
    """
    if recording.link_alarm == LinkAlarm.UNKNOWN_COURT:
        _claim_court_created_since(db, recording, now=now)
    if recording.court_id is None or recording.link_alarm is not None:
        return
    if recording.case_id is None and recording.journaled_case:
        code = recording.journaled_case
        cases = db.scalars(
            select(Case.id)
            .where(Case.court_id == recording.court_id)
            .where(or_(Case.number.in_(stored_spellings(code)), Case.agent_code == code))
            .order_by(Case.id)
        ).all()
        if len(cases) > 1:
            detail = f"案件代码 {code} 对应本院多个案件（{'、'.join(str(c) for c in cases)}）"
            raise_alarm(db, recording, LinkAlarm.AMBIGUOUS, detail, now=now)
            return
        if cases:
            recording.case_id = cases[0]
    if recording.hearing_id is None:
        _link_hearing(db, recording, now=now)


def _claim_court_created_since(db: Session, recording: Recording, *, now: datetime) -> None:
    """A recording of a court unknown when it was indexed belongs to that court once the court is
    created (a court set up after its devices started recording): this fills a missing court, it
    moves nothing. The alarm is cleared and the resolution audited."""
    court = db.scalar(select(Court).where(Court.code == recording.court_code))
    if court is None or recording.court_id is not None:
        return
    recording.court_id = court.id
    recording.link_alarm, recording.link_alarm_detail, recording.link_alarm_at = None, "", None
    entry = AuditEntry(
        ALARM_ACTOR,
        AuditAction.RECORDING_LINK_ALARM,
        f"recording:{recording.id}",
        outcome="resolved",
        detail={"detail": f"法院代码 {court.code} 已建立，录像归入该院", "court": court.code},
    )
    append(db, entry, at=now)


def _link_hearing(db: Session, recording: Recording, *, now: datetime) -> None:
    if recording.started_at is None or not recording.room:
        return
    query = (
        select(Hearing)
        .join(Courtroom, Hearing.courtroom_id == Courtroom.id)
        .where(Courtroom.court_id == recording.court_id, Courtroom.code == recording.room)
        .where(Hearing.status != HearingStatus.CANCELLED)
        .where(Hearing.starts_at <= recording.started_at + HEARING_MATCH_SLACK)
        .where(Hearing.expected_end_at >= recording.started_at - HEARING_MATCH_SLACK)
    )
    if recording.case_id is not None:
        query = query.where(Hearing.case_id == recording.case_id)
    hearings = db.scalars(query.order_by(Hearing.starts_at, Hearing.id)).all()
    if len({h.case_id for h in hearings}) > 1:
        detail = (
            f"录像开始时法庭 {recording.room} 有不同案件的庭审（{'、'.join(str(h.id) for h in hearings)}）"
        )
        raise_alarm(db, recording, LinkAlarm.AMBIGUOUS, detail, now=now)
        return
    if hearings:
        recording.hearing_id, recording.case_id = hearings[0].id, hearings[0].case_id


def _court_of_prefix(prefix: str) -> str | None:
    """The court segment of ``recordings/{court}/…`` (None for no prefix or another layout)."""
    if not prefix.startswith(_KEYS_PREFIX):
        return None
    court, _sep, _rest = prefix.removeprefix(_KEYS_PREFIX).partition("/")
    return court or None
