"""A party's access password on the staff pages: issued when the party is added, reset after the
clerk confirms, and shown on a printable slip the POST redirects to (PRG: reloading the slip adds
no party and resets nothing). See ``portal.web.forms.password_slips`` for how long a slip lives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from portal.cases.filing import add_party, rotate_party_password
from portal.cases.staff_views import case_detail
from portal.errors import InvalidInputError, NotFoundError
from portal.identity.principal import Principal
from portal.identity.staff_scope import require_case_in_scope
from portal.models import Case, Party
from portal.web.context import PortalContext
from portal.web.csrf import check_session_token
from portal.web.deps import ClerkDep, ContextDep, IdPath
from portal.web.forms.form_steps import step_and_return
from portal.web.forms.form_values import text
from portal.web.forms.password_slips import PasswordSlip
from portal.web.forms.session_slips import SHOWN, shown_once_page
from portal.web.routers.parties.party import PROCEDURE_NAMES
from portal.web.routers.staff.cases import PAGES, FormText
from portal.web.templates import render

router = APIRouter()
SlipId = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
NO_STORE = {"Cache-Control": "no-store"}


@router.post("/staff/cases/{case_id}/parties", summary="Add a party (form)", responses={303: {}}, tags=PAGES)
def add_party_form(
    request: Request,
    *,
    context: ContextDep,
    clerk: ClerkDep,
    case_id: IdPath,
    csrf_token: FormText = "",
    name: FormText = "",
    role: FormText = "",
) -> Response:
    """Add a party, then redirect to its password slip; a refused form comes back with what was typed."""
    now = context.clock.now()

    def add(db: Session) -> PasswordSlip:
        party, password = add_party(
            db,
            clerk.actor,
            case_id,
            text(name, "当事人姓名或名称", max_length=200),
            text(role, "诉讼地位", max_length=64),
            now=now,
        )
        return _slip(db.get_one(Case, case_id).number, party, password, clerk, rotated=False)

    try:
        return step_and_return(
            context.sessions, clerk, csrf_token, add, lambda slip: _slip_page(context, clerk, slip)
        )
    except InvalidInputError as exc:
        submitted = {"name": name, "role": role}
        return _case_page(request, context, clerk, case_id, error=str(exc), party_form=submitted)


@router.get("/staff/parties/{party_id}/password", response_class=HTMLResponse, tags=PAGES)
def confirm_reset_page(request: Request, context: ContextDep, clerk: ClerkDep, party_id: IdPath) -> Response:
    """Ask the clerk to confirm the reset first: the old password stops working and the party is
    signed out everywhere."""
    with context.readonly_sessions() as db:
        party, case = _party_in_scope(db, clerk, party_id)
        values = {"party": party, "case_number": case.number}
    return render(request, "staff_password_confirm.html", values)


@router.post(
    "/staff/parties/{party_id}/password",
    summary="Reset a party's password (form)",
    responses={303: {}},
    tags=PAGES,
)
def rotate_password_form(
    *,
    context: ContextDep,
    clerk: ClerkDep,
    party_id: IdPath,
    csrf_token: FormText = "",
    confirmed: FormText = "",
) -> Response:
    """Issue a new access password (the party's sessions end), then redirect to its slip. Without the
    confirmation page's ``confirmed`` field the confirmation page is shown instead."""

    def rotate(db: Session) -> PasswordSlip:
        password = rotate_party_password(db, clerk.actor, party_id, now=context.clock.now())
        party = db.get_one(Party, party_id)
        return _slip(db.get_one(Case, party.case_id).number, party, password, clerk, rotated=True)

    if confirmed == "yes":
        return step_and_return(
            context.sessions, clerk, csrf_token, rotate, lambda slip: _slip_page(context, clerk, slip)
        )
    check_session_token(clerk.csrf_token, csrf_token)
    with context.readonly_sessions() as db:
        _party_in_scope(db, clerk, party_id)
    return RedirectResponse(f"/staff/parties/{party_id}/password", status_code=303)


@router.get("/staff/password-slips/{slip_id}", response_class=HTMLResponse, tags=PAGES)
def slip_page(request: Request, context: ContextDep, clerk: ClerkDep, slip_id: SlipId) -> Response:
    """The printable slip, shown once (this session, within a few minutes); 404 once it is gone."""
    slip = context.password_slips.take(context.sessions, slip_id, clerk.token_hash, context.clock.now())
    if slip == SHOWN:
        return shown_once_page(request, "密码条只显示一次，已经显示过；如当事人未拿到密码，请重置查询密码")
    if slip is None:
        raise NotFoundError(
            "密码条只显示一次，这张已显示过、已过期或不是您开具的；如当事人未拿到密码，请重置查询密码"
        )
    return render(request, "staff_password.html", {"slip": slip}, headers=NO_STORE)


def _party_in_scope(db: Session, clerk: Principal, party_id: int) -> tuple[Party, Case]:
    """The party and its case when the case is in the clerk's scope; NotFoundError otherwise."""
    party = db.get(Party, party_id)
    if party is None:
        raise NotFoundError("没有这个当事人")
    return party, require_case_in_scope(db, clerk.actor, party.case_id)


def _slip(number: str, party: Party, password: str, clerk: Principal, *, rotated: bool) -> PasswordSlip:
    return PasswordSlip(
        party_id=party.id,
        case_id=party.case_id,
        case_number=number,
        party_name=party.name,
        party_role=party.role,
        password=password,
        rotated=rotated,
        issued_at=party.password_set_at,
        issued_by=clerk.actor.display_name,
    )


def _slip_page(context: PortalContext, clerk: Principal, slip: PasswordSlip) -> str:
    """Keep ``slip`` for the clerk's session; the page that shows it (once)."""
    slip_id = context.password_slips.keep(context.sessions, clerk.token_hash, slip, now=context.clock.now())
    return f"/staff/password-slips/{slip_id}"


def _case_page(
    request: Request,
    context: PortalContext,
    staff: Principal,
    case_id: int,
    *,
    error: str,
    party_form: dict[str, str],
) -> Response:
    with context.readonly_sessions() as db:
        case = case_detail(db, staff.actor, case_id)
    values = {
        "case": case,
        "kinds": PROCEDURE_NAMES,
        "error": error,
        "now": context.clock.now(),
        "party_form": party_form,
    }
    return render(request, "staff_case.html", values, status=422)
