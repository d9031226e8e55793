"""Public hearing notices: server-rendered pages, the JSON API and the iCalendar feed. No sign-in."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from portal.hearings.ical import notices_calendar
from portal.hearings.notice_search import MAX_QUERY_LENGTH, notice_matches
from portal.hearings.notices import NoticeView, get_notice, list_notices
from portal.identity.principal import Principal
from portal.models import Court
from portal.replays.policy import hearings_with_replays
from portal.web.context import PortalContext
from portal.web.deps import ContextDep, IdPath, OptionalPrincipal
from portal.web.forms.query_params import DateFilter
from portal.web.routers.public.replay_access import masks_every_broadcast
from portal.web.routers.staff.broadcasts import get_scheduler
from portal.web.templates import render

router = APIRouter(tags=["notices"])

PUBLIC_CACHE = "public, max-age=30"
CourtQuery = Annotated[str | None, Query(alias="court", max_length=64, pattern=r"^[a-z0-9-]*$")]
SearchQuery = Annotated[str | None, Query(alias="q", max_length=MAX_QUERY_LENGTH)]
SOON_SECONDS = 2 * 3600  # "即将开庭": starting within two hours


class NoticeOut(BaseModel):
    """A published hearing notice (no party names for non-public hearings)."""

    id: int
    hearing_id: int
    case_number: str
    case_name: str | None
    cause: str
    parties: list[str]
    court_code: str
    court_name: str
    courtroom: str
    judge: str | None
    starts_at: datetime
    expected_end_at: datetime
    is_public: bool
    non_public_reason: str | None
    published_at: datetime
    published_late_under_exception: bool
    cancelled: bool

    @classmethod
    def of(cls, view: NoticeView) -> NoticeOut:
        return cls(
            id=view.id,
            hearing_id=view.hearing_id,
            case_number=view.case_number,
            case_name=view.case_name,
            cause=view.cause,
            parties=list(view.parties),
            court_code=view.court_code,
            court_name=view.court_name,
            courtroom=view.courtroom_name,
            judge=view.judge_name,
            starts_at=view.starts_at,
            expected_end_at=view.expected_end_at,
            is_public=view.is_public,
            non_public_reason=view.non_public_reason,
            published_at=view.published_at,
            published_late_under_exception=view.late_exception_basis is not None,
            cancelled=view.cancelled,
        )


class NoticeList(BaseModel):
    """Upcoming notices."""

    notices: list[NoticeOut] = Field(description="upcoming notices, soonest first")


@router.get("/api/notices", response_model=NoticeList, summary="List notices")
async def api_notices(context: ContextDep, court: CourtQuery = None, on_date: DateFilter = None) -> Response:
    """Upcoming notices, optionally of one court (``court``=code) or on one local date (``date``)."""

    def build() -> bytes:
        notices = NoticeList(notices=[NoticeOut.of(n) for n in _load(context, court, on_date)])
        return notices.model_dump_json().encode()

    body = await _cached(context, None, f"api:{court}:{on_date}", build)
    return Response(body, media_type="application/json", headers={"Cache-Control": PUBLIC_CACHE})


@router.get("/api/notices/{notice_id}", response_model=NoticeOut, summary="Get one notice")
async def api_notice(context: ContextDep, notice_id: IdPath) -> Response:
    """One notice; 404 when there is none with this id."""

    def build() -> bytes:
        with context.readonly_sessions() as db:
            return NoticeOut.of(get_notice(db, notice_id)).model_dump_json().encode()

    body = await _cached(context, None, f"api-notice:{notice_id}", build)
    return Response(body, media_type="application/json", headers={"Cache-Control": PUBLIC_CACHE})


@router.get("/", include_in_schema=False)
async def home() -> RedirectResponse:
    """The home page is the notice list."""
    return RedirectResponse("/notices", status_code=303)


@router.get("/notices", response_class=HTMLResponse, summary="Notice list page")
async def notices_page(
    request: Request,
    *,
    context: ContextDep,
    principal: OptionalPrincipal,
    court: CourtQuery = None,
    on_date: DateFilter = None,
    query: SearchQuery = None,
) -> Response:
    """Upcoming hearing notices by court, date and words (Chinese, readable on a phone), with the
    public hearings on air now (直播中) and those starting soon (即将开庭) first."""
    words = (query or "").strip()

    def build() -> bytes:
        with context.readonly_sessions() as db:
            courts = list(db.scalars(select(Court).order_by(Court.name)))
        notices = [n for n in _load(context, court, on_date) if not words or notice_matches(n, words)]
        scheduler = get_scheduler(request)
        on_air = {item.notice_id for item in scheduler.on_air()} if scheduler is not None else set()
        now = context.clock.now()
        soon = [
            n
            for n in notices
            if n.id not in on_air
            and not n.cancelled
            and 0 <= (n.starts_at - now).total_seconds() <= SOON_SECONDS
        ]
        values = {
            "notices": notices,
            "replay_ids": _with_replays(context, notices, now, masks_every_broadcast(request)),
            "on_air_ids": on_air,
            "on_air": [n for n in notices if n.id in on_air],
            "soon": soon,
            "courts": courts,
            "court_code": court,
            "on_date": on_date,
            "query": words,
        }
        return bytes(render(request, "notices.html", values).body)

    body = await _cached(context, principal, f"page:{court}:{on_date}:{words}", build)
    return HTMLResponse(body, headers={"Cache-Control": PUBLIC_CACHE})


@router.get("/notices.ics", summary="iCalendar feed of notices", response_class=Response)
async def notices_ics(context: ContextDep, court: CourtQuery = None) -> Response:
    """The upcoming notices as an RFC 5545 calendar (subscribe in any calendar program)."""
    domain = context.settings.portal_domain  # never the request's Host: UIDs stay the same behind proxies

    def build() -> bytes:
        return notices_calendar(_load(context, court, None), generated_at=context.clock.now(), domain=domain)

    body = await _cached(context, None, f"ics:{court}", build)
    headers = {"Cache-Control": PUBLIC_CACHE, "Content-Disposition": 'inline; filename="notices.ics"'}
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


@router.get("/notices/{notice_id}", response_class=HTMLResponse, summary="Notice page")
async def notice_page(
    request: Request, context: ContextDep, principal: OptionalPrincipal, notice_id: IdPath
) -> Response:
    """One notice. 404 when there is none with this id."""

    def build() -> bytes:
        with context.readonly_sessions() as db:
            notice = get_notice(db, notice_id)
        scheduler = get_scheduler(request)
        on_air = scheduler is not None and scheduler.of_hearing(notice.hearing_id) is not None
        replay = bool(_with_replays(context, [notice], context.clock.now(), masks_every_broadcast(request)))
        values = {"n": notice, "on_air": on_air, "replay": replay}
        return bytes(render(request, "notice.html", values).body)

    body = await _cached(context, principal, f"notice:{notice_id}", build)
    return HTMLResponse(body, headers={"Cache-Control": PUBLIC_CACHE})


def _with_replays(
    context: PortalContext, notices: list[NoticeView], now: datetime, mask_all: bool
) -> set[int]:
    """The ids of ``notices`` whose public hearing has ended and has a replay now."""
    started = [n.hearing_id for n in notices if n.is_public and not n.cancelled and n.starts_at <= now]
    if not started:
        return set()
    grace = timedelta(minutes=context.settings.portal_broadcast_grace_minutes)
    with context.readonly_sessions() as db:
        replayable = hearings_with_replays(db, started, now=now, grace=grace, mask_all=mask_all)
    return {n.id for n in notices if n.hearing_id in replayable}


def _load(context: PortalContext, court: str | None, on_date: date | None) -> list[NoticeView]:
    with context.readonly_sessions() as db:
        return list_notices(
            db, now=context.clock.now(), zone=context.display_zone, court_code=court, on_date=on_date
        )


async def _cached(
    context: PortalContext, principal: Principal | None, key: str, build: Callable[[], bytes]
) -> bytes:
    """``build()`` in a worker thread, or its cached bytes for visitors who are not signed in."""
    return await context.public_cache.through(key, build, signed_in=principal is not None)
    body = await asyncio.to_thread(build)
    if principal is None:
        context.public_cache.put(key, body)
    return body
