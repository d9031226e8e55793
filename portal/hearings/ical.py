"""The iCalendar feed of hearing notices (RFC 5545), written with the ``icalendar`` package.

One VEVENT per notice, times in UTC, a stable UID per notice (so calendar programs update events in
place): ``notice-<id>@<domain>`` with the portal's configured domain (COURTREC_PORTAL_DOMAIN), never
the request's Host, so the same notice has the same UID whichever name or proxy it is fetched through;
SEQUENCE is the hearing's revision, bumped by every change. CRLF line ends and 75-octet line folding
as the RFC requires. A cancelled hearing keeps its event with STATUS:CANCELLED so subscribers learn of
the cancellation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from icalendar import Calendar, Event

from portal.hearings.notices import NoticeView

PRODUCT_ID = "-//courtrec//hearing notices//ZH"


def notices_calendar(notices: Iterable[NoticeView], *, generated_at: datetime, domain: str) -> bytes:
    """The VCALENDAR document (UTF-8 bytes) for ``notices``; ``domain`` (the court's, from settings)
    makes the UIDs globally unique."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "开庭公告")
    for notice in notices:
        calendar.add_component(_event(notice, generated_at, domain))
    return bytes(calendar.to_ical())


def notice_uid(notice_id: int, domain: str) -> str:
    """The notice's iCalendar UID: the same for every fetch, host name and proxy."""
    return f"notice-{notice_id}@{domain}"


def _event(notice: NoticeView, generated_at: datetime, domain: str) -> Event:
    event = Event()
    event.add("uid", notice_uid(notice.id, domain))
    event.add("dtstamp", generated_at)
    event.add("created", notice.published_at)
    event.add("dtstart", notice.starts_at)
    event.add("dtend", notice.expected_end_at)
    event.add("summary", f"开庭公告：{notice.case_number} {notice.cause}")
    event.add("location", f"{notice.court_name} {notice.courtroom_name}")
    lines = [f"案号：{notice.case_number}", f"案由：{notice.cause}"]
    if notice.is_public:
        lines.append("公开审理")
        lines.extend(notice.parties)
    else:
        lines.append(f"不公开审理：{notice.non_public_reason or ''}")
    if notice.judge_name:
        lines.append(f"承办法官：{notice.judge_name}")
    event.add("description", "\n".join(lines))
    event.add("sequence", notice.revision)  # bumped by every change, so calendars apply the newest
    event.add("status", "CANCELLED" if notice.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event
