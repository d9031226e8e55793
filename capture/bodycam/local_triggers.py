"""The device's own triggers: SIGUSR1/SIGUSR2, a key on the terminal, and the local control endpoint.

The control endpoint listens on 127.0.0.1 only (``POST /activate``, ``POST /deactivate`` with an
optional JSON body ``{"by": "…"}``, ``GET /status``): the console on the device itself uses it; the
command centre never reaches the device this way (devices accept no inbound connections: see
:mod:`capture.bodycam.portal_link`). Every request must carry ``Authorization: Bearer <token>``
with the token from a file only the agent's user may read (:mod:`capture.bodycam.control_token`):
other local users and processes reach loopback too. Its ``Host`` must name the loopback address, so
a web page rebinding its own name to 127.0.0.1 is refused as well.
"""

from __future__ import annotations

import hmac
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import TextIO

from archive.journal import ActivationTrigger
from capture.bodycam.activation import Action, ActivationInbox, ActivationRequest, Outcome

logger = logging.getLogger(__name__)

_KEYS = {"a": Action.ACTIVATE, "d": Action.DEACTIVATE}
_CONTROL_WAIT_SECONDS = 30.0  # an activation opens sources and the journal: give it time to answer
_MAX_BODY = 4096


def install_signal_triggers(inbox: ActivationInbox) -> None:
    """SIGUSR1 asks to activate, SIGUSR2 to deactivate (main thread only)."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        action = Action.ACTIVATE if signum == signal.SIGUSR1 else Action.DEACTIVATE
        inbox.put(
            ActivationRequest(action=action, trigger=ActivationTrigger.SIGNAL, by=signal.Signals(signum).name)
        )

    signal.signal(signal.SIGUSR1, handler)
    signal.signal(signal.SIGUSR2, handler)


def start_key_trigger(inbox: ActivationInbox, stream: TextIO | None = None) -> threading.Thread | None:
    """When the terminal is interactive, read keys from it ('a' + Enter activates, 'd' + Enter
    deactivates) in a daemon thread, which ends when the terminal goes away; returns that thread,
    or None when there is no terminal."""
    terminal = stream or sys.stdin
    if not terminal.isatty():
        return None

    def read() -> None:
        try:
            for line in terminal:
                action = _KEYS.get(line.strip().lower()[:1])
                if action is None:
                    print("keys: a = activate, d = deactivate", flush=True)
                    continue
                request = ActivationRequest(
                    action=action, trigger=ActivationTrigger.BUTTON, by="terminal key"
                )
                inbox.put(request)
        except (OSError, ValueError) as exc:  # the terminal hung up (EIO) or was closed
            logger.info("terminal keys: the terminal went away (%s)", exc)

    thread = threading.Thread(target=read, name="key-trigger", daemon=True)
    thread.start()
    print("keys: a = activate, d = deactivate (then Enter)", flush=True)
    return thread


class LocalControl:
    """The 127.0.0.1 control endpoint, for callers presenting ``token``; ``status()`` is what
    ``GET /status`` answers."""

    def __init__(
        self, inbox: ActivationInbox, port: int, status: Callable[[], dict[str, object]], *, token: str
    ) -> None:
        self._inbox = inbox
        self._status = status
        self._token = token.encode("utf-8")
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-control", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def refusal(self, host: str | None, authorization: str | None) -> tuple[HTTPStatus, str] | None:
        """Why a request with these headers is refused (None: admitted)."""
        if host not in {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}:
            return HTTPStatus.FORBIDDEN, f"only loopback callers (Host: {host!r})"
        presented = (authorization or "").removeprefix("Bearer ").strip().encode("utf-8")
        if not presented or not hmac.compare_digest(presented, self._token):
            return HTTPStatus.UNAUTHORIZED, "Authorization: Bearer <the token in the control token file>"
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        control = self

        class Handler(BaseHTTPRequestHandler):
            def _admitted(self) -> bool:
                refused = control.refusal(self.headers.get("Host"), self.headers.get("Authorization"))
                if refused is None:
                    return True
                logger.warning("local control: refused %s %s: %s", self.command, self.path, refused[1])
                self._answer(refused[0], {"detail": refused[1]})
                return False

            def do_GET(self) -> None:
                if not self._admitted():
                    return
                if self.path != "/status":
                    self._answer(HTTPStatus.NOT_FOUND, {"detail": "unknown path; GET /status"})
                    return
                self._answer(HTTPStatus.OK, control._status())

            def do_POST(self) -> None:
                if not self._admitted():
                    return
                action = {"/activate": Action.ACTIVATE, "/deactivate": Action.DEACTIVATE}.get(self.path)
                if action is None:
                    self._answer(HTTPStatus.NOT_FOUND, {"detail": "POST /activate or /deactivate"})
                    return
                try:
                    by = _read_by(self)
                except ValueError as exc:
                    self._answer(HTTPStatus.BAD_REQUEST, {"detail": str(exc)})
                    return
                answered = threading.Event()
                outcome: list[Outcome] = []

                def reply(result: Outcome) -> None:
                    outcome.append(result)
                    answered.set()

                request = ActivationRequest(
                    action=action, trigger=ActivationTrigger.CONSOLE, by=by, reply=reply
                )
                control._inbox.put(request)
                if not answered.wait(_CONTROL_WAIT_SECONDS):
                    self._answer(
                        HTTPStatus.ACCEPTED, {"result": "pending", "detail": "asked; not answered yet"}
                    )
                    return
                done = outcome[0]
                status = HTTPStatus.OK if done.done else HTTPStatus.CONFLICT
                self._answer(status, {"result": "done" if done.done else "refused", "detail": done.detail})

            def _answer(self, status: HTTPStatus, body: dict[str, object]) -> None:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                logger.info("local control: " + format, *args)

        return Handler


def _read_by(handler: BaseHTTPRequestHandler) -> str | None:
    """The optional ``by`` of a control request's JSON body; ValueError naming what was wrong."""
    length = int(handler.headers.get("Content-Length") or 0)
    if length > _MAX_BODY:
        raise ValueError(f"the body may be at most {_MAX_BODY} bytes")
    if not length:
        return None
    try:
        body = json.loads(handler.rfile.read(length))
    except ValueError as exc:
        raise ValueError(f'the body must be JSON like {{"by": "name"}} ({exc})') from exc
    by = body.get("by") if isinstance(body, dict) else None
    if by is not None and (not isinstance(by, str) or len(by) > 200):
        raise ValueError("'by' must be a text of at most 200 characters")
    return by
