"""Enforcement cases on the staff pages and for their parties (issue 15, items 5 and 6).

Staff of the case's court record its enforcement actions (kind, time, place, the devices that film
it), end an action under way, and link the recordings its devices made during it. Each action's
page shows whether enough devices recorded throughout (the coverage rule: two for 查封, 搜查, 强制迁出
and the actions configured in COURTREC_PORTAL_TWO_RECORDER_ACTIONS), and raises an alarm when not;
``/api/enforcement/coverage`` gives the same for the command-centre wall. A party of the case sees
its actions, and applies to review their linked recordings on its case page like a hearing's.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import transaction
from portal.devices.fleet import devices_in_scope
from portal.enforcement.actions import (
    ACTION_KINDS,
    ActionDraft,
    action_coverage,
    action_devices,
    action_in_scope,
    actions_of_case,
    candidate_recordings,
    create_action,
    end_action,
    link_recordings,
    linked_recordings,
)
from portal.enforcement.coverage import Coverage
from portal.errors import InvalidInputError, NotFoundError
from portal.identity.actor import Actor
from portal.identity.principal import Principal
from portal.identity.staff_scope import in_court_scope, require_case_in_scope
from portal.models import Case, EnforcementAction, FleetDevice
from portal.web.context import PortalContext
from portal.web.csrf import check_session_token
from portal.web.deps import ContextDep, CurrentParty, DeciderDep, IdPath, StaffDep
from portal.web.forms.form_steps import step_and_return
from portal.web.forms.form_values import local_time, text
from portal.web.http_errors import audit_denial, status_of
from portal.web.templates import render

router = APIRouter()
API: list[str | Enum] = ["enforcement"]
PAGES: list[str | Enum] = ["staff pages"]
FormText = Annotated[str, Form(max_length=500)]
RECENT = timedelta(hours=24)  # the wall lists actions under way and those ended within a day


class ShortfallOut(BaseModel):
    """A stretch with fewer devices recording than required."""

    start: datetime
    end: datetime
    recording: int


class ActionOut(BaseModel):
    """An enforcement action, its devices and linked recordings, and its coverage."""

    id: int
    case_id: int
    case_number: str
    kind: str
    place: str
    starts_at: datetime
    ends_at: datetime | None
    devices: list[str]
    recordings: list[str]
    required_recorders: int
    recording_now: int
    covered_throughout: bool
    shortfalls: list[ShortfallOut]


class PartyActionOut(BaseModel):
    """An enforcement action as the case's party sees it (its facts and linked recordings)."""

    kind: str
    place: str
    starts_at: datetime
    ends_at: datetime | None
    recordings: list[str]


def _coverage(context: PortalContext, db: Session, action: EnforcementAction) -> Coverage:
    offline = timedelta(seconds=context.settings.portal_device_offline_seconds)
    return action_coverage(db, action, offline=offline, now=context.clock.now())


def _action_out(context: PortalContext, db: Session, action: EnforcementAction, case: Case) -> ActionOut:
    covered = _coverage(context, db, action)
    return ActionOut(
        id=action.id,
        case_id=case.id,
        case_number=case.number,
        kind=action.kind,
        place=action.place,
        starts_at=action.starts_at,
        ends_at=action.ends_at,
        devices=[d.device_id for d in action_devices(db, action.id)],
        recordings=[r.id for r in linked_recordings(db, action.id)],
        required_recorders=covered.required,
        recording_now=covered.recording_now,
        covered_throughout=covered.satisfied,
        shortfalls=[
            ShortfallOut(start=s.start, end=s.end, recording=s.recording) for s in covered.shortfalls
        ],
    )


@router.get("/api/actions/{action_id}", response_model=ActionOut, summary="An enforcement action", tags=API)
def api_action(context: ContextDep, staff: StaffDep, action_id: IdPath) -> ActionOut:
    """An action of the caller's court with its coverage."""
    with context.readonly_sessions() as db:
        action, case = action_in_scope(db, staff.actor, action_id)
        return _action_out(context, db, action, case)


@router.get(
    "/api/enforcement/coverage", response_model=list[ActionOut], summary="Actions under way (wall)", tags=API
)
def api_coverage(context: ContextDep, staff: StaffDep) -> list[ActionOut]:
    """The caller's courts' actions under way or ended within a day, with their coverage (the wall)."""
    now = context.clock.now()
    with context.readonly_sessions() as db:
        return [_action_out(context, db, a, c) for a, c in _recent_actions(db, staff.actor, now)]


def _recent_actions(db: Session, actor: Actor, now: datetime) -> list[tuple[EnforcementAction, Case]]:
    rows = db.execute(
        select(EnforcementAction, Case)
        .join(Case, Case.id == EnforcementAction.case_id)
        .where(EnforcementAction.starts_at <= now)
        .where((EnforcementAction.ends_at.is_(None)) | (EnforcementAction.ends_at > now - RECENT))
        .order_by(EnforcementAction.starts_at)
    )
    return [(a, c) for a, c in rows if in_court_scope(actor, c.court_id)]


@router.get(
    "/api/my-case/actions", response_model=list[PartyActionOut], summary="My case's enforcement actions"
)
def api_my_actions(context: ContextDep, party: CurrentParty) -> list[PartyActionOut]:
    """The enforcement actions of the party's case and the recordings linked to them."""
    with context.readonly_sessions() as db:
        return party_actions(db, party.actor)


def party_actions(db: Session, party: Actor) -> list[PartyActionOut]:
    """What a party sees of its case's enforcement actions."""
    if party.case_id is None or not party.is_party:
        raise NotFoundError()
    return [
        PartyActionOut(
            kind=a.kind,
            place=a.place,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            recordings=[r.id for r in linked_recordings(db, a.id)],
        )
        for a in actions_of_case(db, party.case_id)
    ]


@router.get(
    "/staff/cases/{case_id}/actions",
    response_class=HTMLResponse,
    summary="Enforcement actions page",
    tags=PAGES,
)
def actions_page(request: Request, context: ContextDep, staff: StaffDep, case_id: IdPath) -> HTMLResponse:
    """The case's enforcement actions and the form to record one."""
    return _actions_page(request, context, staff, case_id)


def _actions_page(
    request: Request,
    context: PortalContext,
    staff: Principal,
    case_id: int,
    *,
    error: str | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    now = context.clock.now()
    with context.readonly_sessions() as db:
        case = require_case_in_scope(db, staff.actor, case_id)
        actions = [(a, _coverage(context, db, a)) for a in actions_of_case(db, case.id)]
        devices = [d for d in devices_in_scope(db, staff.actor) if d.court_id == case.court_id]
        if not devices:  # staff other than operators: the devices of the case's court
            devices = list(
                db.scalars(
                    select(FleetDevice)
                    .where(FleetDevice.court_id == case.court_id)
                    .order_by(FleetDevice.device_id)
                )
            )
        values = {
            "case": case,
            "actions": actions,
            "devices": devices,
            "kinds": ACTION_KINDS,
            "two_recorders": sorted(context.settings.two_recorder_actions()),
            "error": error,
            "typed": typed or {},
            "now": now,
        }
        return render(request, "staff_actions.html", values, status=status)


@router.post(
    "/staff/cases/{case_id}/actions",
    summary="Record an enforcement action (form)",
    responses={303: {}},
    tags=PAGES,
)
async def create_form(
    request: Request,
    *,
    context: ContextDep,
    staff: DeciderDep,
    case_id: IdPath,
    csrf_token: FormText = "",
    kind: FormText = "",
    place: FormText = "",
    starts_at: FormText = "",
    ends_at: FormText = "",
    device: Annotated[list[str], Form(max_length=50)] = [],  # noqa: B006 - FastAPI's form list default
) -> Response:
    """Record an action; a refused form comes back with what was typed."""
    check_session_token(staff.csrf_token, csrf_token)
    zone = context.display_zone

    def create() -> int:
        with transaction(context.sessions) as db:
            draft = ActionDraft(
                kind=kind.strip(),
                place=text(place, "执行地点", max_length=300),
                starts_at=local_time(starts_at, "开始时间", zone),
                ends_at=local_time(ends_at, "结束时间", zone) if ends_at.strip() else None,
                device_ids=tuple(d.strip() for d in device if d.strip()),
            )
            action = create_action(
                db,
                staff.actor,
                case_id,
                draft,
                two_recorders=context.settings.two_recorder_actions(),
                now=context.clock.now(),
            )
            return action.id

    try:
        action_id = await asyncio.to_thread(create)
    except InvalidInputError as exc:
        await asyncio.to_thread(audit_denial, request, exc)
        typed = {"kind": kind, "place": place, "starts_at": starts_at, "ends_at": ends_at}
        return await asyncio.to_thread(
            _actions_page,
            request,
            context,
            staff,
            case_id,
            error=str(exc),
            typed=typed,
            status=status_of(exc),
        )
    return RedirectResponse(f"/staff/actions/{action_id}", status_code=303)


@router.get(
    "/staff/actions/{action_id}", response_class=HTMLResponse, summary="Enforcement action page", tags=PAGES
)
def action_page(request: Request, context: ContextDep, staff: StaffDep, action_id: IdPath) -> HTMLResponse:
    """One action: its facts, devices, coverage (with its alarm) and linked recordings."""
    now = context.clock.now()
    with context.readonly_sessions() as db:
        action, case = action_in_scope(db, staff.actor, action_id)
        linked = linked_recordings(db, action.id)
        known = {r.id for r in linked}
        values = {
            "action": action,
            "case": case,
            "devices": action_devices(db, action.id),
            "coverage": _coverage(context, db, action),
            "linked": linked,
            "unlinked": [r for r in candidate_recordings(db, action, case, now=now) if r.id not in known],
            "now": now,
        }
        return render(request, "staff_action.html", values)


@router.post(
    "/staff/actions/{action_id}/end", summary="End an action (form)", responses={303: {}}, tags=PAGES
)
def end_form(
    context: ContextDep,
    staff: DeciderDep,
    action_id: IdPath,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """The action is over now; its recordings are linked."""

    def end(db: Session) -> None:
        end_action(db, staff.actor, action_id, now=context.clock.now())

    return step_and_return(context.sessions, staff, csrf_token, end, f"/staff/actions/{action_id}")


@router.post(
    "/staff/actions/{action_id}/link",
    summary="Link the action's recordings (form)",
    responses={303: {}},
    tags=PAGES,
)
def link_form(
    context: ContextDep,
    staff: DeciderDep,
    action_id: IdPath,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Link the recordings its devices made during it (those indexed since)."""

    def link(db: Session) -> None:
        link_recordings(db, staff.actor, action_id, now=context.clock.now())

    return step_and_return(context.sessions, staff, csrf_token, link, f"/staff/actions/{action_id}")
