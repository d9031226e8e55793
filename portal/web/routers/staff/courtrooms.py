"""The courtroom recorders for court staff: the courtrooms page (each room's recorder state and the
hearings that should be recording and are not), its JSON, and the clerk's close of a hearing (闭庭),
which the room's recorder service follows by stopping the hearing's recording."""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import transaction
from portal.hearings.closing import close_hearing
from portal.models import Notice
from portal.records.room_views import alarms_in_scope, room_views
from portal.web.deps import ClerkDep, ContextDep, CsrfChecked, IdPath, StaffDep
from portal.web.routers.staff.hearings import HearingOut, change_from_form, followed, hearing_out
from portal.web.templates import render

router = APIRouter()
API: list[str | Enum] = ["courtrooms"]
PAGES: list[str | Enum] = ["staff pages"]

FormText = Annotated[str, Form(max_length=2000)]


class SourceOut(BaseModel):
    """A source of the room and its active problems (in Chinese)."""

    name: str
    problems: list[str]


class RoomOut(BaseModel):
    """A courtroom and its recorder's latest state (``state`` None: never reported)."""

    courtroom_id: int
    code: str
    name: str
    state: str | None
    fresh: bool
    hearing_id: int | None
    recording_id: str | None
    detail: str
    sources: list[SourceOut]
    storage_headroom_hours: float | None
    upload_backlog: int | None
    reported_at: datetime | None
    sealed: bool = False  # the recorder last reported a sealed span (封存) open: the broadcast is cut


class AlarmOut(BaseModel):
    """A hearing that should be recording and is not."""

    hearing_id: int
    case_number: str
    courtroom: str
    starts_at: datetime
    reason: str


class CourtroomsOut(BaseModel):
    """Every courtroom of the caller's courts and the recording alarms."""

    rooms: list[RoomOut]
    alarms: list[AlarmOut]


@router.get("/api/courtrooms", response_model=CourtroomsOut, summary="Courtroom recorders (staff)", tags=API)
def api_courtrooms(context: ContextDep, staff: StaffDep) -> CourtroomsOut:
    """Each courtroom's recorder state, and the hearings not recording within 30 s of their start."""
    now = context.clock.now()
    with context.readonly_sessions() as db:
        rooms, alarms = room_views(db, staff.actor, now=now), alarms_in_scope(db, staff.actor, now=now)
        return CourtroomsOut(
            rooms=[
                RoomOut(
                    courtroom_id=r.courtroom_id,
                    code=r.code,
                    name=r.name,
                    state=r.state.state.value if r.state else None,
                    fresh=r.fresh,
                    hearing_id=r.state.hearing_id if r.state else None,
                    recording_id=r.state.recording_id if r.state else None,
                    detail=r.state.detail if r.state else "",
                    sources=[SourceOut(name=n, problems=p) for n, p in r.sources],
                    storage_headroom_hours=r.state.storage_headroom_hours if r.state else None,
                    upload_backlog=r.state.upload_backlog if r.state else None,
                    reported_at=r.state.reported_at if r.state else None,
                    sealed=r.state.sealed if r.state else False,
                )
                for r in rooms
            ],
            alarms=[AlarmOut.model_validate(a, from_attributes=True) for a in alarms],
        )


@router.get("/staff/courtrooms", response_class=HTMLResponse, summary="Courtrooms page", tags=PAGES)
def courtrooms_page(request: Request, context: ContextDep, staff: StaffDep) -> HTMLResponse:
    """The same as a page (it reloads itself every 10 seconds)."""
    now = context.clock.now()
    with context.readonly_sessions() as db:
        values = {
            "rooms": room_views(db, staff.actor, now=now),
            "alarms": alarms_in_scope(db, staff.actor, now=now),
            "now": now,
        }
        return render(request, "staff_courtrooms.html", values)


@router.post(
    "/api/hearings/{hearing_id}/close", response_model=HearingOut, summary="Close a hearing", tags=API
)
async def api_close(
    request: Request, context: ContextDep, clerk: ClerkDep, _csrf: CsrfChecked, hearing_id: IdPath
) -> HearingOut:
    """The clerk's close (闭庭): the hearing is held; its room's recorder stops its recording."""

    def close() -> HearingOut:
        with transaction(context.sessions) as db:
            hearing = close_hearing(db, clerk.actor, hearing_id, now=context.clock.now())
            notice_id = db.scalar(select(Notice.id).where(Notice.hearing_id == hearing.id))
            return hearing_out(hearing, notice_id)

    closed = await asyncio.to_thread(close)
    await followed(request, context)
    return closed


@router.post(
    "/staff/hearings/{hearing_id}/close", summary="Close a hearing (form)", responses={303: {}}, tags=PAGES
)
async def close_form(
    request: Request, *, context: ContextDep, clerk: ClerkDep, hearing_id: IdPath, csrf_token: FormText = ""
) -> Response:
    """The clerk's close from the hearing page."""

    def close(db: Session) -> None:
        close_hearing(db, clerk.actor, hearing_id, now=context.clock.now())

    return await change_from_form(
        request, context, clerk, hearing_id, csrf_token=csrf_token, form="close", apply=close
    )
