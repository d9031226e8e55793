"""Whether a hearing's replay may be shown, and which span of its recordings.

A replay shows what the public broadcast could show, and nothing more:

* only a public hearing with a published notice, not cancelled, and after it ended (the clerk closed
  it, or its expected end plus the broadcast grace period passed); a hearing made non-public
  afterwards (sealed) has none;
* of a hearing whose faces are to be masked (art. 12), or of any hearing while the live server masks
  every broadcast, only from a masked rendition (``masked``: see masking_job.py), never the archive's
  unmasked picture;
* never once a clerk or judge of the court withdrew it (until they restore it) — read from the audit
  log, whose last withdraw-or-restore record of the hearing decides;
* only the part of the recordings inside the hearing's broadcast window, and none of what the clerk
  cut: from a cut back by the broadcast delay (what was then still held back) to the resume.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction
from portal.broadcasting.schedule import hearing_target
from portal.models import AuditRecord, Courtroom, Hearing, HearingStatus, Notice, Recording

_FOREVER = datetime.max.replace(tzinfo=UTC)


class ReplayRefusal(StrEnum):
    """Why a hearing has no replay now."""

    NOT_PUBLIC = "not_public"  # not public, or no longer (sealed): as if there were none
    CANCELLED = "cancelled"
    NOT_ENDED = "not_ended"
    PREPARING = "preparing"  # to be masked, and the masked rendition is not complete yet
    WITHDRAWN = "withdrawn"
    NO_RECORDING = "no_recording"


@dataclass(frozen=True, slots=True)
class Span:
    """A span of wall-clock time (timezone-aware UTC), ``start`` included, ``end`` excluded."""

    start: datetime
    end: datetime

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return start < self.end and self.start < end


@dataclass(frozen=True, slots=True)
class ReplayWindow:
    """What a hearing's replay may show: its recordings (oldest first) inside ``shown``, outside
    every span in ``withheld``; ``masked``: the picture only from its masked rendition."""

    hearing_id: int
    court_id: int
    recording_ids: tuple[str, ...]
    shown: Span
    withheld: tuple[Span, ...]
    masked: bool = False

    def may_show(self, start: datetime | None, end: datetime | None) -> bool:
        """Whether a segment recorded from ``start`` to ``end`` may be shown (never one whose times
        the journal does not know)."""
        if start is None or end is None:
            return False
        if start < self.shown.start or end > self.shown.end:
            return False
        return not any(span.overlaps(start, end) for span in self.withheld)


@dataclass(frozen=True, slots=True)
class ReplayDecision:
    """The replay of one hearing: a window to show, or the reason there is none."""

    window: ReplayWindow | None
    refusal: ReplayRefusal | None


def decide_replay(
    db: Session,
    hearing_id: int,
    *,
    now: datetime,
    grace: timedelta,
    delay_seconds: float,
    mask_all: bool = False,
) -> ReplayDecision:
    """The replay of ``hearing_id`` at ``now`` (see the module docstring). ``grace`` and
    ``delay_seconds`` are the broadcast settings (a larger delay journaled when a broadcast of the
    hearing opened is used instead); ``mask_all`` says the live server masks every broadcast."""
    hearing = db.get(Hearing, hearing_id)
    refusal = _refusal(db, hearing, now=now, grace=grace)
    if hearing is None or refusal is not None:
        return ReplayDecision(None, refusal or ReplayRefusal.NOT_PUBLIC)
    court_id = _court_of(db, hearing)
    recordings = tuple(
        db.scalars(
            select(Recording.id)
            .where(Recording.hearing_id == hearing_id, Recording.court_id == court_id)
            .where(Recording.segment_count > 0)
            .order_by(Recording.started_at, Recording.id)
        )
    )
    if not recordings:
        return ReplayDecision(None, ReplayRefusal.NO_RECORDING)
    ended_at = _ended_at(db, hearing, grace)
    assert ended_at is not None  # _refusal said it ended
    delay = max([delay_seconds, *_journaled_delays(db, hearing_id)])
    withheld = tuple(withheld_spans(db, hearing_id, timedelta(seconds=delay)))
    shown = Span(hearing.starts_at, ended_at)
    masked = hearing.mask_faces or mask_all
    window = ReplayWindow(hearing_id, court_id, recordings, shown, withheld, masked=masked)
    return ReplayDecision(window, None)


def _refusal(
    db: Session, hearing: Hearing | None, *, now: datetime, grace: timedelta
) -> ReplayRefusal | None:
    """Why ``hearing`` has no replay now, whatever its recordings (None: it may have one)."""
    notice = db.scalar(select(Notice.id).where(Notice.hearing_id == hearing.id)) if hearing else None
    if hearing is None or not hearing.is_public or notice is None:
        return ReplayRefusal.NOT_PUBLIC
    if hearing.status == HearingStatus.CANCELLED:
        return ReplayRefusal.CANCELLED
    ended_at = _ended_at(db, hearing, grace)
    if ended_at is None or now < ended_at:
        return ReplayRefusal.NOT_ENDED
    if hearing.id in withdrawn_replays(db, [hearing.id]):
        return ReplayRefusal.WITHDRAWN
    return None


def withdrawn_replays(db: Session, hearing_ids: Collection[int]) -> set[int]:
    """The hearings among ``hearing_ids`` whose last replay withdraw-or-restore record is a withdrawal."""
    if not hearing_ids:
        return set()
    targets = {hearing_target(hearing_id): hearing_id for hearing_id in hearing_ids}
    actions = [AuditAction.REPLAY_WITHDRAWN.value, AuditAction.REPLAY_RESTORED.value]
    rows = db.execute(
        select(AuditRecord.target, AuditRecord.action)
        .where(AuditRecord.action.in_(actions), AuditRecord.target.in_(list(targets)))
        .where(AuditRecord.outcome == "ok")
        .order_by(AuditRecord.seq)
    )
    last = {target: action for target, action in rows}
    return {targets[t] for t, action in last.items() if action == AuditAction.REPLAY_WITHDRAWN.value}


def withheld_spans(db: Session, hearing_id: int, delay: timedelta) -> list[Span]:
    """What the clerk's cuts of ``hearing_id`` withheld: from each cut back by ``delay`` (segments
    still held back then were never published) to the resume that followed (or for ever)."""
    rows = db.execute(
        select(AuditRecord.action, AuditRecord.at)
        .where(
            AuditRecord.target == hearing_target(hearing_id),
            AuditRecord.action.in_([AuditAction.BROADCAST_CUT.value, AuditAction.BROADCAST_RESUMED.value]),
        )
        .order_by(AuditRecord.seq)
    )
    spans: list[Span] = []
    cut_from: datetime | None = None
    for action, at in rows:
        if action == AuditAction.BROADCAST_CUT.value and cut_from is None:
            cut_from = at - delay
        elif action == AuditAction.BROADCAST_RESUMED.value and cut_from is not None:
            spans.append(Span(cut_from, at))
            cut_from = None
    if cut_from is not None:
        spans.append(Span(cut_from, _FOREVER))
    return spans


def hearings_with_replays(
    db: Session, hearing_ids: Collection[int], *, now: datetime, grace: timedelta, mask_all: bool = False
) -> set[int]:
    """The hearings among ``hearing_ids`` that have a replay now (for lists: one query per need)."""
    return {
        hearing_id
        for hearing_id in hearing_ids
        if decide_replay(db, hearing_id, now=now, grace=grace, delay_seconds=0.0, mask_all=mask_all).window
        is not None
    }


def _ended_at(db: Session, hearing: Hearing, grace: timedelta) -> datetime | None:
    """When the hearing's broadcast window ended: the clerk's close, else its expected end plus the
    grace period (None for a cancelled hearing)."""
    if hearing.status == HearingStatus.HELD:
        closed = db.scalar(
            select(AuditRecord.at)
            .where(
                AuditRecord.target == hearing_target(hearing.id),
                AuditRecord.action == AuditAction.HEARING_CLOSED.value,
            )
            .order_by(AuditRecord.seq.desc())
            .limit(1)
        )
        if closed is not None:
            return min(closed, hearing.expected_end_at + grace)
    if hearing.status == HearingStatus.CANCELLED:
        return None
    return hearing.expected_end_at + grace


def _journaled_delays(db: Session, hearing_id: int) -> list[float]:
    details = db.scalars(
        select(AuditRecord.detail).where(
            AuditRecord.target == hearing_target(hearing_id),
            AuditRecord.action == AuditAction.BROADCAST_OPENED.value,
        )
    )
    delays: list[float] = []
    for detail in details:
        try:
            value = json.loads(detail).get("delay_seconds")
        except (ValueError, AttributeError):
            continue
        if isinstance(value, int | float):
            delays.append(float(value))
    return delays


def _court_of(db: Session, hearing: Hearing) -> int:
    room = db.get(Courtroom, hearing.courtroom_id)
    return room.court_id if room is not None else -1
