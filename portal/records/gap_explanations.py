"""Gaps in a hearing's recordings and the presiding judge's explanations of them (2017 hearing-recording
rules art. 4: where a hearing could not be recorded in full, the reason is recorded).

The gaps come from each recording's journal (``portal.review.journal_marks``); an explanation is
stored with the judge's account, the time, and the hash of the journal lines of the gap it explains.
Only the judge of the hearing's case explains; an explanation is never edited: a new one supersedes
the last, both are kept, and each is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction, AuditEntry, append
from portal.errors import InvalidInputError, NotFoundError, PermissionDeniedError, StoreError
from portal.identity.actor import Actor
from portal.identity.staff_scope import require_recording_in_scope
from portal.models import Case, GapExplanation, Hearing, Recording, Role, User
from portal.review.journal_marks import GAP_CAUSE_NAMES, GapMark

MIN_TEXT = 4
MAX_TEXT = 2000
PRESIDING_ONLY = "只有本案的承办法官可以说明录像中断的原因。"


@dataclass(frozen=True, slots=True)
class ExplanationView:
    """One stored explanation, as pages show it."""

    id: int
    text: str
    judge: str
    explained_at: datetime
    supersedes_id: int | None
    current: bool
    matches_gap: bool  # the gap's journal lines still hash to what was explained


@dataclass(frozen=True, slots=True)
class GapView:
    """A gap of a recording with its explanations, newest first (``current`` is the one in force)."""

    recording_id: str
    gap: GapMark
    explanations: tuple[ExplanationView, ...]

    @property
    def cause_name(self) -> str:
        return GAP_CAUSE_NAMES[self.gap.cause]

    @property
    def current(self) -> ExplanationView | None:
        return next((e for e in self.explanations if e.current), None)


def gap_views(db: Session, recording_id: str, gaps: Iterable[GapMark]) -> list[GapView]:
    """The gaps of ``recording_id`` with their stored explanations (no access check: callers have
    checked the recording is the viewer's to see)."""
    rows = db.execute(
        select(GapExplanation, User.display_name)
        .join(User, User.id == GapExplanation.judge_id)
        .where(GapExplanation.recording_id == recording_id)
        .order_by(GapExplanation.id.desc())
    ).all()
    views: list[GapView] = []
    for gap in gaps:
        mine = [(row, name) for row, name in rows if row.gap_key == gap.key]
        explanations = tuple(
            ExplanationView(
                row.id,
                row.text,
                name,
                row.explained_at,
                row.supersedes_id,
                current=position == 0,
                matches_gap=row.gap_sha256 == gap.sha256,
            )
            for position, (row, name) in enumerate(mine)
        )
        views.append(GapView(recording_id, gap, explanations))
    return views


def require_presiding_judge(db: Session, actor: Actor, recording_id: str) -> Recording:
    """The recording, if ``actor`` is the judge of its case. Raises NotFoundError (not a recording of
    the actor's court), PermissionDeniedError (staff of the court, but not the case's judge)."""
    recording = require_recording_in_scope(db, actor, recording_id)
    case = db.get(Case, recording.case_id) if recording.case_id is not None else None
    if not _judges(actor, case):
        raise PermissionDeniedError(PRESIDING_ONLY)
    return recording


def _judges(actor: Actor, case: Case | None) -> bool:
    return (
        actor.role == Role.JUDGE
        and case is not None
        and case.judge_id is not None
        and case.judge_id == actor.user_id
    )


def explain_gap(
    db: Session,
    judge: Actor,
    recording_id: str,
    gap: GapMark | None,
    text: str,
    *,
    now: datetime,
    ip: str = "",
) -> GapExplanation:
    """Store the presiding judge's explanation of ``gap`` (None: no such gap in the recording's
    journal), superseding the last one of that gap; audited.

    Raises NotFoundError, PermissionDeniedError (see :func:`require_presiding_judge`), InvalidInputError
    (text too short or too long).
    """
    recording = require_presiding_judge(db, judge, recording_id)
    if gap is None:
        raise NotFoundError("录像日志中没有这一中断。")
    text = text.strip()
    if not MIN_TEXT <= len(text) <= MAX_TEXT:
        raise InvalidInputError(f"说明须写 {MIN_TEXT} 至 {MAX_TEXT} 个字。")
    previous = db.scalar(
        select(GapExplanation.id)
        .where(GapExplanation.recording_id == recording.id, GapExplanation.gap_key == gap.key)
        .order_by(GapExplanation.id.desc())
        .limit(1)
    )
    explanation = GapExplanation(
        recording_id=recording.id,
        gap_key=gap.key,
        gap_sha256=gap.sha256,
        text=text,
        judge_id=judge.user_id,
        explained_at=now,
        supersedes_id=previous,
    )
    db.add(explanation)
    db.flush()
    detail: dict[str, str | int | None] = {
        "explanation": explanation.id,
        "gap": gap.key,
        "gap_sha256": gap.sha256,
        "cause": str(gap.cause),
        "supersedes": previous,
        "text": text,
    }
    append(
        db,
        AuditEntry(
            judge.audit_name, AuditAction.GAP_EXPLAINED, f"recording:{recording.id}", ip=ip, detail=detail
        ),
        at=now,
    )
    return explanation


def current_texts(db: Session, recording_id: str) -> dict[int, str]:
    """The explanation in force of each explained gap of ``recording_id``, by gap key."""
    rows = db.execute(
        select(GapExplanation.gap_key, GapExplanation.text)
        .where(GapExplanation.recording_id == recording_id)
        .order_by(GapExplanation.id)
    )
    return {key: text for key, text in rows}  # the newest of each gap wins


GapsOf = Callable[[str], Sequence[GapMark]]
"""Reads the gaps of a recording from its journal (blocking); raises NotFoundError or StoreError."""


@dataclass(frozen=True, slots=True)
class RecordingGaps:
    """The gaps of one recording of a hearing, or why its journal could not be read."""

    recording_id: str
    started_at: datetime | None
    gaps: tuple[GapView, ...]
    unreadable: str | None = None


def hearing_gaps(db: Session, hearing: Hearing, gaps_of: GapsOf) -> list[RecordingGaps]:
    """The gaps of every recording of ``hearing`` (the caller has checked the hearing is in scope)."""
    recordings = db.scalars(
        select(Recording).where(Recording.hearing_id == hearing.id).order_by(Recording.started_at)
    )
    found: list[RecordingGaps] = []
    for recording in recordings:
        if not recording.in_bucket:
            found.append(RecordingGaps(recording.id, recording.started_at, (), "录像尚未归档"))
            continue
        try:
            gaps = gaps_of(recording.id)
        except (NotFoundError, StoreError):
            found.append(RecordingGaps(recording.id, recording.started_at, (), "暂时无法读取录像日志"))
            continue
        found.append(
            RecordingGaps(recording.id, recording.started_at, tuple(gap_views(db, recording.id, gaps)))
        )
    return found


def is_presiding_judge(db: Session, actor: Actor, hearing: Hearing) -> bool:
    """Whether ``actor`` is the judge of ``hearing``'s case (who explains its gaps)."""
    return _judges(actor, db.get(Case, hearing.case_id))


@dataclass(frozen=True, slots=True)
class GapLine:
    """A gap in a recording of a hearing, for the compliance report."""

    hearing_id: int
    case_number: str
    recording_id: str
    cause: str
    start: datetime
    seconds: float | None
    explained: bool
    explanation: str


def gap_report(db: Session, hearing_ids: Iterable[tuple[int, str]], gaps_of: GapsOf) -> list[GapLine]:
    """Every gap of the recordings of ``hearing_ids`` (hearing id, case number), explained or not;
    a recording whose journal cannot be read is skipped (its hearing is in the report's other lists)."""
    lines: list[GapLine] = []
    for hearing_id, case_number in hearing_ids:
        hearing = db.get(Hearing, hearing_id)
        if hearing is None:
            continue
        for recording in hearing_gaps(db, hearing, gaps_of):
            for view in recording.gaps:
                current = view.current
                lines.append(
                    GapLine(
                        hearing_id,
                        case_number,
                        recording.recording_id,
                        view.cause_name,
                        view.gap.start,
                        view.gap.seconds,
                        current is not None,
                        current.text if current is not None else "",
                    )
                )
    return lines
