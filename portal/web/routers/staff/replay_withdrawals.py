"""The clerk's and judge's replay list (庭审回放管理), and their withdraw and restore of a replay: audited,
and a withdrawn replay stops at its next request (portal.replays.withdrawal)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import transaction
from portal.errors import InvalidInputError, RuleViolationError
from portal.hearings.notices import NoticeView, list_ended_public_notices
from portal.identity.actor import Actor
from portal.identity.principal import Principal
from portal.identity.staff_scope import in_court_scope
from portal.models import Court
from portal.replays.policy import ReplayRefusal, decide_replay
from portal.replays.withdrawal import MAX_REASON, restore_replay, withdraw_replay
from portal.web.context import PortalContext
from portal.web.csrf import check_session_token
from portal.web.deps import ContextDep, DeciderDep, IdPath, client_ip
from portal.web.routers.public.replay_access import NO_STORE, MaskAllDep, grace, masks_every_broadcast
from portal.web.templates import render

router = APIRouter(tags=["replays"])

FormText = Annotated[str, Form(max_length=2000)]
STAFF_LIST_DAYS = 90


@dataclass(frozen=True, slots=True)
class StaffReplay:
    """An ended public hearing of the caller's court, and its replay's state."""

    notice: NoticeView
    state: str  # a ReplayRefusal value, or "available"


@router.get("/staff/replays", response_class=HTMLResponse, summary="Replays (staff)")
async def staff_replays_page(
    request: Request, context: ContextDep, staff: DeciderDep, mask_all: MaskAllDep
) -> HTMLResponse:
    """The replays of the court's public hearings of the last 90 days, each with withdraw or restore."""
    values = await asyncio.to_thread(_staff_values, context, staff.actor, mask_all)
    return render(request, "staff_replays.html", values, headers=NO_STORE)


@router.post("/staff/replays/{hearing_id}/withdraw", summary="Withdraw a replay (form)", responses={303: {}})
async def withdraw_form(
    request: Request,
    *,
    context: ContextDep,
    staff: DeciderDep,
    hearing_id: IdPath,
    csrf_token: FormText = "",
    reason: FormText = "",
) -> Response:
    """Withdraw the replay at once (audited), then back to the list; a refusal shows the list again with
    the reason and what was typed."""
    check_session_token(staff.csrf_token, csrf_token)

    def withdraw(db: Session) -> None:
        withdraw_replay(
            db,
            staff.actor,
            hearing_id,
            reason[: MAX_REASON * 2],
            now=context.clock.now(),
            ip=client_ip(request),
        )

    return await _change(
        request, context=context, staff=staff, hearing_id=hearing_id, apply=withdraw, typed=reason
    )


@router.post("/staff/replays/{hearing_id}/restore", summary="Restore a replay (form)", responses={303: {}})
async def restore_form(
    request: Request, context: ContextDep, staff: DeciderDep, hearing_id: IdPath, csrf_token: FormText = ""
) -> Response:
    """Make a withdrawn replay public again (audited), then back to the list."""
    check_session_token(staff.csrf_token, csrf_token)

    def restore(db: Session) -> None:
        restore_replay(db, staff.actor, hearing_id, now=context.clock.now(), ip=client_ip(request))

    return await _change(
        request, context=context, staff=staff, hearing_id=hearing_id, apply=restore, typed=""
    )


async def _change(
    request: Request,
    *,
    context: PortalContext,
    staff: Principal,
    hearing_id: int,
    apply: Callable[[Session], None],
    typed: str,
) -> Response:
    def run() -> None:
        with transaction(context.sessions) as db:
            apply(db)

    try:
        await asyncio.to_thread(run)
    except (InvalidInputError, RuleViolationError) as exc:
        values = await asyncio.to_thread(_staff_values, context, staff.actor, masks_every_broadcast(request))
        values |= {"error": str(exc), "error_hearing": hearing_id, "typed": typed}
        status = 422 if isinstance(exc, InvalidInputError) else 409
        return render(request, "staff_replays.html", values, status=status, headers=NO_STORE)
    context.public_cache.clear()  # notice pages link to the replay, or stop linking
    return RedirectResponse("/staff/replays", status_code=303)


def _staff_values(context: PortalContext, actor: Actor, mask_all: bool) -> dict[str, object]:
    now = context.clock.now()
    window_grace = grace(context)
    with context.readonly_sessions() as db:
        notices = [
            n
            for n in list_ended_public_notices(db, started_before=now, zone=context.display_zone, limit=500)
            if n.starts_at >= now - timedelta(days=STAFF_LIST_DAYS)
        ]
        courts = {c.code: c.id for c in db.scalars(select(Court))}
        rows = []
        for notice in notices:
            if not in_court_scope(actor, courts.get(notice.court_code, -1)):
                continue
            decision = decide_replay(
                db, notice.hearing_id, now=now, grace=window_grace, delay_seconds=0.0, mask_all=mask_all
            )
            if decision.refusal is ReplayRefusal.NOT_ENDED:
                continue
            state = "available" if decision.window is not None else str(decision.refusal)
            rows.append(StaffReplay(notice, state))
    return {"replays": rows, "error": None, "error_hearing": None, "typed": ""}
