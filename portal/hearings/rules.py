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
from zoneinfo import ZoneInfo

from portal.errors import InvalidInputError, RuleViolationError

NOTICE_LEAD_TIME = timedelta(days=3)
MIN_BASIS_LENGTH = 6
MAX_HEARING_LENGTH = timedelta(days=2)
BEIJING = ZoneInfo("Asia/Shanghai")  # the deadline is told in the court's time
LATE_NOTICE_RULE = (
    "开庭公告应当在开庭三日前发布（最高人民法院关于推进司法公开三大平台建设的若干意见第八条）。"
)


def publication_deadline(starts_at: datetime) -> datetime:
    """The latest moment a notice of a hearing starting at ``starts_at`` may be published normally."""
    return starts_at - NOTICE_LEAD_TIME


def check_times(starts_at: datetime, expected_end_at: datetime, *, now: datetime) -> None:
    """Raise InvalidInputError unless the times are zoned, ordered, at most two days apart and ahead."""
    if starts_at.tzinfo is None or expected_end_at.tzinfo is None:
        raise InvalidInputError("时间须带时区（如 2026-05-01T09:00:00+08:00）")
    if not starts_at < expected_end_at <= starts_at + MAX_HEARING_LENGTH:
        raise InvalidInputError("预计结束时间须晚于开庭时间，且在开庭后两天之内")
    if starts_at <= now:
        raise InvalidInputError("只能安排将来的开庭")


def non_public_reason(is_public: bool, reason: str | None) -> str | None:
    """The stored reason: None for a public hearing; the stripped legal reason of a non-public one.

    Raises InvalidInputError when a non-public hearing has no reason of at least 6 characters.
    """
    if is_public:
        return None
    stripped = (reason or "").strip()
    if len(stripped) < MIN_BASIS_LENGTH:
        raise InvalidInputError("不公开审理须填写法定理由（如 涉及个人隐私，依法不公开审理），至少 6 个字")
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
            f"{LATE_NOTICE_RULE}发布期限为"
            f"{publication_deadline(starts_at).astimezone(BEIJING):%Y年%m月%d日 %H:%M}（北京时间）；"
            f"逾期发布须填写例外的法律依据（至少 {MIN_BASIS_LENGTH} 个字）。"
        )
    return basis
