"""Who may use the clerk's console, and that a request really comes from the console's own page.

* Bound to loopback (the default) the console needs no token: only this PC reaches it. Its ``Host``
  header must then name the loopback address (or ``localhost``) and the console's port, so a web page
  that rebinds its own domain name to 127.0.0.1 (DNS rebinding) is refused.
* Bound elsewhere it needs the token (``--console-token`` / COURTREC_CONSOLE_TOKEN), compared in
  constant time: opening ``/?token=…`` once sets an HttpOnly, SameSite=Strict session cookie; scripts
  may send ``Authorization: Bearer …`` instead. Starting without a token is refused.
* Every state-changing request (POST) must carry the page's CSRF token in ``X-Console-CSRF`` (a
  header another site cannot set without a CORS preflight the console never grants), a JSON body, and,
  when the browser sends one, an ``Origin`` equal to the console's own.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from dataclasses import dataclass, field

from capture.errors import CaptureError

SESSION_COOKIE = "courtrec_console"
CSRF_HEADER = "x-console-csrf"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class AccessRefused(CaptureError):
    """A request the console refuses: ``status`` 401 (no or wrong token) or 403 (forged or foreign)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class ConsoleAccess:
    """The console's access rules for its bind address ``host:port`` and ``token`` (None: loopback)."""

    host: str
    port: int
    token: str | None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    _sessions: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.token is not None and len(self.token) < 16:
            raise CaptureError("the console token must be at least 16 characters")
        if self.token is None and not is_loopback(self.host):
            raise CaptureError(
                f"the clerk's console is bound to {self.host}, not loopback: give it a token"
                " (COURTREC_CONSOLE_TOKEN or --console-token) or bind it to 127.0.0.1"
            )

    def login(self, presented: str) -> str | None:
        """A new session id when ``presented`` is the token, else None."""
        if not self.token_matches(presented):
            return None
        session = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions.add(session)
        return session

    def token_matches(self, presented: str | None) -> bool:
        if self.token is None or not presented:
            return False
        return hmac.compare_digest(presented.encode(), self.token.encode())

    def check_reader(self, host_header: str | None, cookie: str | None, authorization: str | None) -> None:
        """Refuse a request from outside (AccessRefused): a foreign Host on loopback, no or a wrong
        token or session when a token is required."""
        if self.token is None:
            if host_header not in self._loopback_hosts():
                raise AccessRefused(f"控制台只接受本机地址访问（Host: {host_header!r}）", 403)
            return
        bearer = (authorization or "").removeprefix("Bearer ").strip()
        if self.token_matches(bearer):
            return
        with self._lock:
            sessions = list(self._sessions)
        presented = (cookie or "").encode()
        if not any(hmac.compare_digest(presented, s.encode()) for s in sessions):
            raise AccessRefused("需要令牌：请用带 ?token= 的控制台地址打开本页", 401)

    def check_writer(
        self, host_header: str | None, origin: str | None, csrf: str | None, content_type: str | None
    ) -> None:
        """Refuse a state-changing request another site could have made (AccessRefused, 403)."""
        if origin is not None and origin not in {f"http://{host_header}", f"https://{host_header}"}:
            raise AccessRefused(f"拒绝来自其他网站的操作请求（Origin: {origin}）", 403)
        if not csrf or not hmac.compare_digest(csrf.encode(), self.csrf.encode()):
            raise AccessRefused("操作请求缺少本页的校验码（请刷新控制台页面）", 403)
        if (content_type or "").split(";")[0].strip().lower() != "application/json":
            raise AccessRefused("操作请求须为 JSON", 403)

    def _loopback_hosts(self) -> set[str]:
        names = {"127.0.0.1", "localhost", "[::1]", self.host}
        return {f"{name}:{self.port}" for name in names}
