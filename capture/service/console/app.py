"""The clerk's console as a small ASGI app (FastAPI), served by uvicorn inside ``capture serve``.

Pages and scripts are the console's own (no asset from the portal or a CDN: it works with the portal
unreachable), under a strict Content-Security-Policy. Handlers are plain functions, which Starlette
runs in its worker threads: the journal, JPEG encoding and the service's commands never block the
event loop. Access rules: :mod:`capture.service.console.access`.
"""

from __future__ import annotations

import html
from importlib import resources
from typing import Annotated

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from capture.errors import ClerkActionRefused
from capture.service.clerk_desk import ClerkDesk
from capture.service.console.access import CSRF_HEADER, SESSION_COOKIE, AccessRefused, ConsoleAccess
from capture.service.console.levels import LevelMeters
from capture.service.console.pictures import Thumbnails
from capture.service.console.state_view import ConsoleView

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
    " connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
STATIC_FILES = {"console.js": "text/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8"}
_SHORT = 200
_LONG = 500


class ByIn(BaseModel):
    by: str = Field(default="", max_length=_SHORT)


class StartIn(ByIn):
    case_number: str = Field(default="", max_length=64)


class StopIn(ByIn):
    confirm_early: bool = False


class PauseIn(ByIn):
    code: str | None = Field(default=None, max_length=32)
    text: str = Field(default="", max_length=_LONG)


class NoteIn(ByIn):
    kind: str = Field(default="text", max_length=32)
    text: str = Field(default="", max_length=_LONG)


class SealIn(ByIn):
    reason: str = Field(default="", max_length=_LONG)


class ReadinessIn(ByIn):
    cameras: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=64)
    microphones: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=64)


class _Probe:
    def __init__(self, thumbnails: Thumbnails, meters: LevelMeters) -> None:
        self.picture_age = thumbnails.picture_age
        self.peak_dbfs = meters.peak_dbfs


class _Guard:
    """Applies :class:`ConsoleAccess` to every request before any handler (or body) is reached."""

    def __init__(self, app: ASGIApp, access: ConsoleAccess) -> None:
        self._app = app
        self._access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request = Request(scope)
        path = request.url.path
        try:
            if path.startswith("/static/"):
                pass  # the console's own script and style sheet: no secret in them
            elif path == "/" and "token" in request.query_params:
                pass  # the sign-in with the token: checked by the page handler
            else:
                self._access.check_reader(
                    request.headers.get("host"),
                    request.cookies.get(SESSION_COOKIE),
                    request.headers.get("authorization"),
                )
                if request.method not in {"GET", "HEAD"}:
                    self._access.check_writer(
                        request.headers.get("host"),
                        request.headers.get("origin"),
                        request.headers.get(CSRF_HEADER),
                        request.headers.get("content-type"),
                    )
        except AccessRefused as exc:
            response: Response = JSONResponse({"detail": str(exc)}, exc.status, headers=SECURITY_HEADERS)
            if path == "/":
                response = HTMLResponse(_message_page(str(exc)), exc.status, headers=SECURITY_HEADERS)
            await response(scope, receive, send)
            return
        await self._app(scope, receive, _with_security_headers(send))


def _with_security_headers(send: Send) -> Send:
    """``send`` adding SECURITY_HEADERS to every response the handlers make."""
    extra = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {name.lower() for name, _ in message.get("headers", [])}
            message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in present)]
        await send(message)

    return sending


def _message_page(message: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>书记员控制台</title>'
        f'<link rel="stylesheet" href="/static/console.css"></head><body><main><h1>书记员控制台</h1>'
        f'<p class="refused">{html.escape(message)}</p></main></body></html>'
    )


def _static(name: str) -> str:
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


def create_console_app(
    desk: ClerkDesk, view: ConsoleView, thumbnails: Thumbnails, meters: LevelMeters, access: ConsoleAccess,
    *, room: str, court: str,
) -> ASGIApp:  # fmt: skip
    """The console's ASGI app for the room ``room`` of ``court``."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    probe = _Probe(thumbnails, meters)
    page = (
        _static("console.html")
        .replace("{{csrf}}", html.escape(access.csrf))
        .replace("{{room}}", html.escape(room))
        .replace("{{court}}", html.escape(court))
    )

    @app.exception_handler(ClerkActionRefused)
    def _refused(_request: Request, exc: ClerkActionRefused) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "confirm": exc.confirm}, exc.status)

    @app.exception_handler(RequestValidationError)
    def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = sorted({".".join(str(p) for p in e.get("loc", ())[1:]) or "请求" for e in exc.errors()})
        return JSONResponse({"detail": f"请求内容无效：{'、'.join(fields)}", "confirm": False}, 422)

    @app.get("/", response_class=HTMLResponse)
    def console_page(token: str | None = None) -> Response:
        if token is not None:
            session = access.login(token)
            if session is None:
                return HTMLResponse(_message_page("令牌不正确"), 401)
            response = RedirectResponse("/", 303)  # the token leaves the address bar and history
            response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="strict", path="/")
            return response
        return HTMLResponse(page)

    @app.get("/static/{name}")
    def static_file(name: str) -> Response:
        if name not in STATIC_FILES:
            return JSONResponse({"detail": "没有这个文件"}, 404)
        return Response(_static(name), media_type=STATIC_FILES[name])

    @app.get("/api/state")
    def state() -> dict[str, object]:
        return view.state()

    @app.get("/api/levels")
    def levels() -> dict[str, object]:
        view.follow()
        return {
            name: None if level is None else {"rms_dbfs": level.rms_dbfs, "peak_dbfs": level.peak_dbfs}
            for name, level in meters.levels().items()
        }

    @app.get("/api/picture/{name}")
    def picture(name: str) -> Response:
        view.follow()
        thumbnail = thumbnails.thumbnail(name)
        if thumbnail is None:
            return JSONResponse({"detail": f"摄像机 {name} 暂无画面"}, 404)
        number = {"X-Picture-Number": str(thumbnail.number)}
        return Response(thumbnail.jpeg, media_type="image/jpeg", headers=number)

    @app.post("/api/start")
    def start(body: StartIn) -> dict[str, object]:
        return {"recording_id": desk.start(body.by, body.case_number)}

    @app.post("/api/stop")
    def stop(body: StopIn) -> dict[str, object]:
        desk.stop(body.by, confirm_early=body.confirm_early)
        return {"stopped": True}

    @app.post("/api/pause")
    def pause(body: PauseIn) -> dict[str, object]:
        desk.pause(body.code, body.text, body.by)
        return {"paused": True}

    @app.post("/api/resume")
    def resume(body: ByIn) -> dict[str, object]:
        desk.resume(body.by)
        return {"paused": False}

    @app.post("/api/note")
    def note(body: NoteIn) -> dict[str, object]:
        desk.note(body.kind, body.text, body.by)
        return {"noted": True}

    @app.post("/api/seal/begin")
    def seal_begin(body: SealIn) -> dict[str, object]:
        desk.seal_begin(body.reason, body.by)
        return {"sealed": True}

    @app.post("/api/seal/end")
    def seal_end(body: ByIn) -> dict[str, object]:
        desk.seal_end(body.by)
        return {"sealed": False}

    @app.post("/api/readiness")
    def readiness(body: ReadinessIn) -> dict[str, object]:
        event = desk.readiness(
            body.by,
            cameras=set(body.cameras),
            microphones=set(body.microphones),
            probe=probe,
            streams=view.streams(),
        )
        return {"ready": event.ready, "checks": [c.to_fields() for c in event.checks]}

    return _Guard(app, access)
