"""A hearing's audited public views (公开观看记录) for its court's clerks and judges, as a page and
as CSV: when, live or replay, the viewer's pseudonym (a keyed hash, never an address) and browser."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portal.audit.view_records import PublicView, views_of_hearing
from portal.identity.principal import Principal
from portal.identity.staff_scope import require_hearing_in_scope
from portal.models import Case, Courtroom
from portal.web.context import PortalContext
from portal.web.deps import ContextDep, DeciderDep, IdPath
from portal.web.templates import render

router = APIRouter(tags=["public views"])
KIND_NAMES = {"live": "直播", "replay": "回放"}
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True, slots=True)
class ViewedHearing:
    """The hearing the views are of, as staff name it."""

    hearing_id: int
    case_number: str
    courtroom: str


@router.get("/staff/hearings/{hearing_id}/views", response_class=HTMLResponse, summary="Public views page")
def public_views_page(
    request: Request, context: ContextDep, staff: DeciderDep, hearing_id: IdPath
) -> Response:
    """Who watched the hearing's public live broadcast and replay (404 for another court's hearing)."""
    hearing, views = _views(context, staff, hearing_id)
    values = {
        "hearing": hearing,
        "views": views,
        "kinds": KIND_NAMES,
        "viewers": len({view.viewer for view in views}),
    }
    return render(request, "staff_public_views.html", values, headers=NO_STORE)


@router.get(
    "/staff/hearings/{hearing_id}/views.csv",
    response_class=Response,
    summary="Public views (CSV)",
    responses={200: {"content": {"text/csv": {}}}},
)
def public_views_csv(context: ContextDep, staff: DeciderDep, hearing_id: IdPath) -> Response:
    """The same as CSV (UTF-8 with a BOM, so spreadsheets read the Chinese), times in the court's zone."""
    _hearing, views = _views(context, staff, hearing_id)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["审计序号", "时间（北京时间）", "类型", "观看者标识", "浏览器"])
    for view in views:
        moment = view.at.astimezone(context.display_zone).strftime("%Y-%m-%d %H:%M:%S")
        writer.writerow([view.seq, moment, KIND_NAMES.get(view.kind, view.kind), view.viewer, view.agent])
    disposition = f'attachment; filename="hearing-{hearing_id}-public-views.csv"'
    headers = {**NO_STORE, "Content-Disposition": disposition}
    return Response("\ufeff" + text.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def _views(
    context: PortalContext, staff: Principal, hearing_id: int
) -> tuple[ViewedHearing, list[PublicView]]:
    with context.readonly_sessions() as db:
        hearing = require_hearing_in_scope(db, staff.actor, hearing_id)
        case = db.get_one(Case, hearing.case_id)
        room = db.get(Courtroom, hearing.courtroom_id)
        named = ViewedHearing(hearing.id, case.number, room.name if room is not None else "")
        return named, views_of_hearing(db, hearing.id)
