"""How portal errors become HTTP answers, and the audit of every denial.

API paths (``/api/…``) get JSON ``{"detail": …}``; pages get a short Chinese HTML page, and a
request that needs sign-in is sent to the sign-in page. A denial (403, 404 from an authorization
check, 409 rule violation) by a signed-in caller is written to the audit log.

Errors no portal code raised are answered the same way: Starlette's own (an unknown address is
404, a wrong method 405) and any unexpected exception (500, logged, its details never shown). An
address outside the API gets the HTML page when the caller is a browser (``Accept: text/html``),
else JSON.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from portal.audit.trail import AuditAction, AuditEntry, append
from portal.db import transaction
from portal.errors import (
    AuthenticationError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    PortalError,
    RuleViolationError,
    UnavailableError,
)
from portal.identity.principal import Principal
from portal.web.context import PortalContext
from portal.web.deps import caller_of
from portal.web.templates import render

logger = logging.getLogger(__name__)

_STATUS: list[tuple[type[PortalError], int]] = [
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (RuleViolationError, 409),
    (InvalidInputError, 422),
    (UnavailableError, 503),
]
STAFF_PAGES = ("/staff", "/live/")  # an anonymous caller is sent to the staff sign-in page
_TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "无权访问",
    404: "未找到",
    405: "不支持该操作",
    409: "不符合规定",
    413: "提交的内容过大",
    422: "输入有误",
    429: "操作过于频繁",
    500: "服务器内部错误",
    503: "暂时无法访问录像",
}
# What a page says for errors that carry no Chinese message of our own.
_MESSAGES = {
    400: "请求的格式不正确。",
    403: "您没有访问此页面的权限。",
    404: "您要找的页面不存在，可能已被删除或地址有误。",
    405: "此页面不支持这种操作，请从页面上的按钮或链接进入。",
    413: "提交的内容超过了允许的大小。",
    429: "请稍后再试。",
    500: "服务器处理请求时出错，已记录此问题。请稍后重试；如仍不能解决，请联系法院技术人员。",
}


def status_of(exc: PortalError) -> int:
    """The HTTP status for a portal error (500 for an unmapped one)."""
    return next((status for kind, status in _STATUS if isinstance(exc, kind)), 500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the PortalError handler, and the page variant of request validation errors, on ``app``."""
    app.add_exception_handler(PortalError, _handle)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _handle_invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _handle_http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _handle_unexpected)


def wants_page(request: Request) -> bool:
    """True for a browser asking for a page: an address outside the API that accepts text/html."""
    accept = request.headers.get("accept", "")
    return not machine_readable(request.url.path) and "text/html" in accept


def error_page(request: Request, status: int, message: str | None = None) -> Response:
    """The Chinese error page for ``status`` (``message``, or what that status means)."""
    title = _TITLES.get(status, "出错了")
    text = message or _MESSAGES.get(status, "请求未能完成。")
    return render(request, "error.html", {"title": title, "message": text, "status": status}, status=status)


async def _handle_http(request: Request, exc: StarletteHTTPException) -> Response:
    """Starlette's own errors (unknown address, wrong method, …): the page for a browser, else JSON."""
    if not wants_page(request):
        return await http_exception_handler(request, exc)
    if exc.status_code == 401:
        target = "/login" if request.url.path.startswith(STAFF_PAGES) else "/case-login"
        return RedirectResponse(target, status_code=303)
    detail = exc.detail if isinstance(exc.detail, str) and _is_chinese(exc.detail) else None
    await _know_caller(request)  # no route ran: the page's header should still show who is signed in
    return error_page(request, exc.status_code, detail)


async def _handle_unexpected(request: Request, exc: Exception) -> Response:
    """Any exception no handler took: logged with its traceback, answered 500 without its details."""
    logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    if wants_page(request):
        await _know_caller(request)
        return error_page(request, 500)
    return JSONResponse({"detail": "internal server error"}, status_code=500)


async def _know_caller(request: Request) -> None:
    """Resolve the signed-in caller for an error page's header when no route has (a failure to read
    the session leaves the page signed out rather than failing the error page itself)."""
    try:
        await caller_of(request, request.app.state.portal)
    except (PortalError, SQLAlchemyError, OSError):
        request.state.principal = None


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


async def _handle_invalid_request(request: Request, exc: RequestValidationError) -> Response:
    """API paths keep FastAPI's JSON 422; a page gets the Chinese error page naming what was wrong."""
    if machine_readable(request.url.path):
        return await request_validation_exception_handler(request, exc)
    message = "；".join(_explain(error) for error in exc.errors()) or "请求的格式不正确"
    return render(request, "error.html", {"title": _TITLES[422], "message": message}, status=422)


def _explain(error: object) -> str:
    """One validation error in Chinese: the field, and our own (Chinese) reason where there is one."""
    details = error if isinstance(error, dict) else {}
    location = details.get("loc", ())
    name = str(location[-1]) if location else ""
    field = _FIELD_LABELS.get(name, name or "请求")
    reason = str(details.get("msg", ""))
    if not _is_chinese(reason):
        reason = "格式不正确或超出允许的范围"
    return f"{field}：{reason.removeprefix('Value error, ')}"


# What a person calls the query and form fields of the pages (the names in URLs are English).
_FIELD_LABELS = {
    "date": "日期",
    "court": "法院",
    "room": "法庭",
    "case": "案号",
    "q": "搜索内容",
    "stream": "画面",
    "status": "状态",
    "starts_at": "开庭时间",
    "expected_end_at": "预计结束时间",
    "filing_date": "立案日期",
    "occurred_on": "日期",
    "not_before": "许可开始时间",
    "not_after": "许可结束时间",
    "csrf_token": "表单校验码",
}


async def _handle(request: Request, exc: PortalError) -> Response:
    status = status_of(exc)
    if status >= 500:
        logger.warning("%s %s: %s", request.method, request.url.path, exc)
    if status in (403, 404, 409):
        await asyncio.to_thread(audit_denial, request, exc)  # a write: off the event loop
    if machine_readable(request.url.path):
        detail: object = str(exc)
        if status == 422:  # the same shape as FastAPI's own validation errors
            detail = [{"loc": ["body"], "msg": str(exc), "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=status, headers={"Cache-Control": "no-store"})
    if status == 401:
        target = "/login" if request.url.path.startswith(STAFF_PAGES) else "/case-login"
        return RedirectResponse(target, status_code=303)
    await _know_caller(request)
    return error_page(request, status, str(exc) if _is_chinese(str(exc)) else None)


def machine_readable(path: str) -> bool:
    """API calls, playlists, segments and feeds get JSON errors, never a redirect to a page."""
    return (
        path.startswith(("/api/", "/live/api/", "/live/whep/"))
        or path.endswith((".m3u8", ".ics"))
        or "/objects/" in path
    )


def audit_denial(request: Request, exc: PortalError) -> None:
    """Write a denial (403, 404) or rule refusal (409) of a signed-in caller to the audit log; for
    handlers that answer the error themselves (a form shown again with the message). Blocks: call
    it from a worker thread."""
    principal: Principal | None = getattr(request.state, "principal", None)
    status = status_of(exc)
    if principal is None or status not in (403, 404, 409):
        return
    context: PortalContext = request.app.state.portal
    entry = AuditEntry(
        actor=principal.actor.audit_name,
        action=AuditAction.RULE_REFUSED if status == 409 else AuditAction.ACCESS_DENIED,
        target=f"{request.method} {request.url.path}"[:200],
        outcome=str(status),
        ip=request.client.host if request.client else "",
        detail={"reason": str(exc)[:300]},
    )
    try:
        with transaction(context.sessions) as db:
            append(db, entry, at=context.clock.now())
    except SQLAlchemyError:
        logger.exception("could not audit a denial of %s", request.url.path)
