"""The capture agents' API checks its bearer token before any body is read (a pure ASGI middleware).

FastAPI parses a route's JSON body before its dependencies run, so the agent route's own token
check would come after the parse: an anonymous caller could make the portal read and parse up to the
body limit. Here a request to ``/api/agent/`` without the agent token is refused (401, JSON, the
connection closed) before the app sees it. The route checks the token again.
"""

from __future__ import annotations

import hmac

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

AGENT_PREFIX = "/api/agent/"
_REFUSAL = "a capture agent must present its bearer token"


class AgentTokenGate:
    """Refuses ``/api/agent/`` requests whose ``Authorization: Bearer`` is not ``agent_token`` (all
    of them when the portal has no agent token)."""

    def __init__(self, app: ASGIApp, *, agent_token: str | None) -> None:
        self._app = app
        self._expected = agent_token.encode() if agent_token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(AGENT_PREFIX) and not self._admits(scope):
            refusal = JSONResponse(
                {"detail": _REFUSAL},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer", "Connection": "close", "Cache-Control": "no-store"},
            )
            await refusal(scope, receive, send)
            return
        await self._app(scope, receive, send)

    def _admits(self, scope: Scope) -> bool:
        authorization = next((v for k, v in scope.get("headers", []) if k == b"authorization"), b"")
        presented = authorization.removeprefix(b"Bearer ").strip()
        return (
            self._expected is not None and bool(presented) and hmac.compare_digest(presented, self._expected)
        )
