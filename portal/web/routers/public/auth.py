"""Signing in and out: staff (username + password) and parties (case number + access password).

Forms carry a signed double-submit CSRF token; the JSON variants need none (a cross-site page cannot
send ``application/json`` without a CORS preflight, which we never answer). A successful sign-in
always issues a new session token (rotation); failures all look the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction, AuditEntry, append
from portal.db import transaction
from portal.errors import AuthenticationError, PermissionDeniedError
from portal.identity.principal import resolve_principal
from portal.identity.sessions import end_session
from portal.identity.signin import GENERIC_FAILURE, SignInAttempt, SignInResult, sign_in_party, sign_in_staff
from portal.web.context import PortalContext
from portal.web.csrf import (
    PRE_SESSION_COOKIE,
    check_pre_session_token,
    check_session_token,
    form_token,
    new_nonce,
)
from portal.web.deps import ContextDep, CsrfChecked, OptionalPrincipal, client_ip, session_cookie_name
from portal.web.templates import render

router = APIRouter(tags=["session"])

SignIn = Callable[[Session, SignInAttempt], SignInResult]
IdentifierForm = Annotated[str, Form(max_length=64)]  # empty: the form is shown again, saying so
PasswordForm = Annotated[str, Form(max_length=128)]
CsrfForm = Annotated[str, Form(max_length=128)]
EXPIRED_FORM = "登录页面已过期或不是从本站打开的，请重新输入后登录。"
_FORMS = {
    "staff": {
        "heading": "法院工作人员登录",
        "action": "/login",
        "identifier_label": "用户名",
        "password_label": "密码",
        "placeholder": "",
        "next": "/staff",
    },
    "party": {
        "heading": "当事人案件查询",
        "action": "/case-login",
        "identifier_label": "案号",
        "password_label": "查询密码",
        "placeholder": "（2026）京0105民初1234号",
        "next": "/my-case",
    },
}


class Credentials(BaseModel):
    """Sign-in data: a username (staff) or a case number (party), and the password."""

    identifier: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class SessionOut(BaseModel):
    """The signed-in caller, and the CSRF token to send as ``X-CSRF-Token`` on changing calls."""

    kind: Literal["staff", "party"]
    name: str
    role: str
    csrf_token: str


@router.post("/api/session/{kind}", response_model=SessionOut, summary="Sign in (JSON)", responses={401: {}})
def api_sign_in(
    request: Request, context: ContextDep, kind: Literal["staff", "party"], credentials: Credentials
) -> Response:
    """Sign in as staff or as a party; sets the session cookie and returns the CSRF token."""
    result = _sign_in(context, kind, _attempt(request, context, credentials))
    if result.token is None:
        raise AuthenticationError(result.message)
    with transaction(context.sessions) as db:
        principal = resolve_principal(
            db, result.token, now=context.clock.now(), policy=context.session_policy
        )
    if principal is None:
        raise AuthenticationError(GENERIC_FAILURE)
    body = SessionOut(
        kind=kind,
        name=principal.actor.display_name,
        role=principal.actor.role.value,
        csrf_token=principal.csrf_token,
    )
    response = Response(body.model_dump_json(), media_type="application/json")
    set_session_cookie(response, context, result.token)
    return response


@router.get("/api/session", response_model=SessionOut, summary="Who am I", responses={401: {}})
def api_whoami(principal: OptionalPrincipal) -> SessionOut:
    """The signed-in caller; 401 when not signed in."""
    if principal is None:
        raise AuthenticationError("未登录")
    kind: Literal["staff", "party"] = "party" if principal.actor.is_party else "staff"
    return SessionOut(
        kind=kind,
        name=principal.actor.display_name,
        role=principal.actor.role.value,
        csrf_token=principal.csrf_token,
    )


@router.delete("/api/session", status_code=204, summary="Sign out (JSON)", responses={401: {}, 403: {}})
def api_sign_out(request: Request, context: ContextDep, principal: CsrfChecked) -> Response:
    """End the caller's session (needs ``X-CSRF-Token``)."""
    token = request.cookies.get(session_cookie_name(context)) or ""
    with transaction(context.sessions) as db:
        end_session(db, token)
        append(
            db,
            AuditEntry(principal.actor.audit_name, AuditAction.SIGN_OUT, "session", ip=client_ip(request)),
            at=context.clock.now(),
        )
    response = Response(status_code=204)
    response.delete_cookie(
        session_cookie_name(context),
        path="/",
        secure=context.settings.portal_cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/login", response_class=HTMLResponse, summary="Staff sign-in page")
def staff_login_page(request: Request, context: ContextDep) -> HTMLResponse:
    """The staff sign-in form."""
    return _form_page(request, context, "staff")


@router.post("/login", summary="Staff sign-in (form)", responses={303: {}, 401: {}, 403: {}})
def staff_login(
    request: Request,
    context: ContextDep,
    identifier: IdentifierForm = "",
    password: PasswordForm = "",
    csrf_token: CsrfForm = "",
) -> Response:
    """Check the form's CSRF token and the credentials; on success set the session cookie, else the
    form again (401) saying why in Chinese."""
    return _form_sign_in(
        request, context, "staff", identifier=identifier, password=password, csrf_token=csrf_token
    )


@router.get("/case-login", response_class=HTMLResponse, summary="Party sign-in page")
def party_login_page(request: Request, context: ContextDep) -> HTMLResponse:
    """The party sign-in form (case number + access password)."""
    return _form_page(request, context, "party")


@router.post("/case-login", summary="Party sign-in (form)", responses={303: {}, 401: {}, 403: {}})
def party_login(
    request: Request,
    context: ContextDep,
    identifier: IdentifierForm = "",
    password: PasswordForm = "",
    csrf_token: CsrfForm = "",
) -> Response:
    """Check the form's CSRF token and the case number + access password (the form again, 401,
    when they do not hold)."""
    return _form_sign_in(
        request, context, "party", identifier=identifier, password=password, csrf_token=csrf_token
    )


@router.post("/logout", summary="Sign out (form)", responses={303: {}})
def logout(
    request: Request, context: ContextDep, principal: OptionalPrincipal, csrf_token: CsrfForm = ""
) -> Response:
    """End the session (its token becomes worthless) and clear the cookie."""
    response = RedirectResponse("/", status_code=303)
    token = request.cookies.get(session_cookie_name(context))
    if principal is not None and token:
        check_session_token(principal.csrf_token, csrf_token)
        with transaction(context.sessions) as db:
            end_session(db, token)
            append(
                db,
                AuditEntry(
                    principal.actor.audit_name, AuditAction.SIGN_OUT, "session", ip=client_ip(request)
                ),
                at=context.clock.now(),
            )
    response.delete_cookie(
        session_cookie_name(context),
        path="/",
        secure=context.settings.portal_cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response


def _attempt(request: Request, context: PortalContext, credentials: Credentials) -> SignInAttempt:
    return SignInAttempt(
        identifier=credentials.identifier,
        password=credentials.password,
        ip=client_ip(request),
        previous_token=request.cookies.get(session_cookie_name(context)),
    )


def _sign_in(context: PortalContext, kind: str, attempt: SignInAttempt) -> SignInResult:
    now: datetime = context.clock.now()
    with transaction(context.sessions) as db:
        if kind == "staff":
            return sign_in_staff(db, attempt, now=now)
        return sign_in_party(db, attempt, now=now)


def set_session_cookie(response: Response, context: PortalContext, token: str) -> None:
    """Set the session cookie: HttpOnly, SameSite=Strict, Secure (outside development), path /."""
    response.set_cookie(
        session_cookie_name(context),
        token,
        max_age=context.settings.portal_session_absolute_hours * 3600,
        path="/",
        secure=context.settings.portal_cookie_secure,
        httponly=True,
        samesite="strict",
    )


def _form_page(
    request: Request,
    context: PortalContext,
    kind: str,
    *,
    error: str | None = None,
    identifier: str = "",
    status: int = 200,
) -> HTMLResponse:
    nonce = new_nonce()
    values = {
        **_FORMS[kind],
        "csrf_token": form_token(context.secret_key, nonce),
        "error": error,
        "identifier": identifier,
        "party": kind == "party",
    }
    response = render(request, "login.html", values, status=status)
    response.set_cookie(
        f"{context.settings.cookie_prefix}{PRE_SESSION_COOKIE}",
        nonce,
        max_age=3600,
        path="/",
        secure=context.settings.portal_cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response


def _form_sign_in(
    request: Request, context: PortalContext, kind: str, *, identifier: str, password: str, csrf_token: str
) -> Response:
    nonce = request.cookies.get(f"{context.settings.cookie_prefix}{PRE_SESSION_COOKIE}")
    try:
        check_pre_session_token(context.secret_key, nonce, csrf_token)
    except PermissionDeniedError:  # an old tab, or a form posted from elsewhere: refused (403), and
        # a fresh form to sign in with instead of the bare "no permission" page
        return _form_page(request, context, kind, error=EXPIRED_FORM, identifier=identifier, status=403)
    if not identifier.strip() or not password:
        missing = "、".join(
            str(_FORMS[kind][label])
            for label, value in (("identifier_label", identifier.strip()), ("password_label", password))
            if not value
        )
        return _form_page(
            request, context, kind, error=f"请填写{missing}。", identifier=identifier, status=401
        )
    result = _sign_in(
        context,
        kind,
        _attempt(request, context, Credentials.model_construct(identifier=identifier, password=password)),
    )
    if result.token is None:
        return _form_page(request, context, kind, error=result.message, identifier=identifier, status=401)
    response = RedirectResponse(str(_FORMS[kind]["next"]), status_code=303)
    set_session_cookie(response, context, result.token)
    response.delete_cookie(
        f"{context.settings.cookie_prefix}{PRE_SESSION_COOKIE}",
        path="/",
        secure=context.settings.portal_cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response
