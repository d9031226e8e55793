"""The rules a hearing's schedule and notice must meet, in one place for every way of setting them
(scheduling, rescheduling, changing publicity, publishing and republishing the notice).

* Times carry a time zone; the expected end is after the start and within two days of it; a hearing
  is scheduled (or moved) only into the future.
* A non-public hearing names its legal reason (SPC 2013 opinion art. 12; at least 6 characters).
* A notice is published at least three days (72 hours) before its hearing (art. 8); later only
  with the recorded legal basis of an exception (at least 6 characters), which flags the notice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from portal.errors import InvalidInputError, RuleViolationError

NOTICE_LEAD_TIME = timedelta(days=3)
MIN_BASIS_LENGTH = 6
MAX_HEARING_LENGTH = timedelta(days=2)
LATE_NOTICE_RULE = (
    "开庭公告应当在开庭三日前发布（最高人民法院关于推进司法公开三大平台建设的若干意见第八条）。"
)


def publication_deadline(starts_at: datetime) -> datetime:
    """The latest moment a notice of a hearing starting at ``starts_at`` may be published normally."""
    return starts_at - NOTICE_LEAD_TIME


def check_times(starts_at: datetime, expected_end_at: datetime, *, now: datetime) -> None:
    """Raise InvalidInputError unless the times are zoned, ordered, at most two days apart and ahead."""
    if starts_at.tzinfo is None or expected_end_at.tzinfo is None:
        raise InvalidInputError("times must carry a time zone (e.g. 2026-05-01T09:00:00+08:00)")
    if not starts_at < expected_end_at <= starts_at + MAX_HEARING_LENGTH:
        raise InvalidInputError("the expected end must be after the start and within two days of it")
    if starts_at <= now:
        raise InvalidInputError("a hearing can only be scheduled in the future")


def non_public_reason(is_public: bool, reason: str | None) -> str | None:
    """The stored reason: None for a public hearing; the stripped legal reason of a non-public one.

    Raises InvalidInputError when a non-public hearing has no reason of at least 6 characters.
    """
    if is_public:
        return None
    stripped = (reason or "").strip()
    if len(stripped) < MIN_BASIS_LENGTH:
        raise InvalidInputError(
            "a non-public hearing needs its legal reason (e.g. 涉及个人隐私，依法不公开审理)"
        )
    return stripped


def late_exception(starts_at: datetime, *, now: datetime, exception_basis: str | None) -> str | None:
    """The exception basis to record for a notice published at ``now``: None when on time.

    Raises RuleViolationError when the publication is late (after :func:`publication_deadline`) and
    ``exception_basis`` does not give a legal basis of at least 6 characters.
    """
    if now <= publication_deadline(starts_at):
        return None
    basis = (exception_basis or "").strip()
    if len(basis) < MIN_BASIS_LENGTH:
        raise RuleViolationError(
            f"{LATE_NOTICE_RULE} The deadline was {publication_deadline(starts_at).isoformat()}; to publish"
            " later, record the legal basis of the exception (exception_basis)."
        )
    return basis
