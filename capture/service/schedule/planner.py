"""Which hearing the room records now: a pure decision from the schedule, the time and what is
being recorded, so that every rule can be tested with a hand-set time.

* A scheduled hearing is due from ``lead`` before its start until its expected end plus ``grace``.
* A hearing closed by the clerk (held) or cancelled is not due; one already finished by this
  service (closed, over its grace, or followed by the next hearing) is never started again.
* When several are due, the latest that has started wins (the next hearing takes over at its start,
  so back-to-back hearings get separate recordings); before any has started, the earliest.
* The hearing being recorded is judged by its last known times when it has dropped out of the
  schedule: a portal that says nothing never stops a recording before expected end plus grace.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from capture.service.schedule.schedule import HearingState, ScheduledHearing


class StopReason(StrEnum):
    """Why the recording of a hearing stops (journaled as the stop event's reason)."""

    CLOSED = "hearing closed by the clerk"
    CANCELLED = "hearing cancelled"
    GRACE_ENDED = "expected end plus grace passed without the clerk's close"
    NEXT_HEARING = "the next hearing in this courtroom started"
    MOVED = "hearing moved to a later time"

    @property
    def finishes_hearing(self) -> bool:
        """Whether the hearing is over for this service (a moved one is recorded again later)."""
        return self is not StopReason.MOVED


@dataclass(frozen=True, slots=True)
class Decision:
    """What to record now (None: nothing), and why the current recording stops if it is not that."""

    record: ScheduledHearing | None
    stop_reason: StopReason | None = None


@dataclass(frozen=True, slots=True)
class Planner:
    """Decides by the lead time before a hearing and the grace after its expected end."""

    lead: timedelta = timedelta(minutes=5)
    grace: timedelta = timedelta(minutes=60)

    def __post_init__(self) -> None:
        if self.lead < timedelta(0) or self.grace < timedelta(0):
            raise ValueError(f"lead and grace must be >= 0 (got {self.lead}, {self.grace})")

    def is_due(self, hearing: ScheduledHearing, now: datetime) -> bool:
        """Whether ``hearing`` should be recording at ``now``."""
        return (
            hearing.state is HearingState.SCHEDULED
            and hearing.starts_at - self.lead <= now < hearing.expected_end_at + self.grace
        )

    def decide(
        self,
        schedule: Iterable[ScheduledHearing],
        now: datetime,
        *,
        current: ScheduledHearing | None = None,
        finished: frozenset[int] = frozenset(),
    ) -> Decision:
        """The hearing to record at ``now`` given the ``current`` one (its last known state)."""
        known = {h.hearing_id: h for h in schedule}
        if current is not None:
            current = known.setdefault(current.hearing_id, current)
        due = [h for h in known.values() if h.hearing_id not in finished and self.is_due(h, now)]
        started = [h for h in due if h.starts_at <= now]
        target: ScheduledHearing | None = None
        if started:
            target = max(started, key=lambda h: (h.starts_at, h.hearing_id))
        elif due:
            target = min(due, key=lambda h: (h.starts_at, h.hearing_id))
        if current is None or (target is not None and target.hearing_id == current.hearing_id):
            return Decision(target)
        if current in due and (target is None or target.starts_at > now):
            return Decision(current)  # the next one has not started yet: keep recording this one
        return Decision(target, self._stop_reason(current, now))

    def _stop_reason(self, hearing: ScheduledHearing, now: datetime) -> StopReason:
        if hearing.state is HearingState.HELD:
            return StopReason.CLOSED
        if hearing.state is HearingState.CANCELLED:
            return StopReason.CANCELLED
        if now >= hearing.expected_end_at + self.grace:
            return StopReason.GRACE_ENDED
        if now < hearing.starts_at - self.lead:
            return StopReason.MOVED
        return StopReason.NEXT_HEARING
