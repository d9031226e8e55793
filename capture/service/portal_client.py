"""The agent side of the portal's agent API: fetch the room's schedule, send the room's state.

Plain HTTP with the agent's bearer token (COURTREC_PORTAL_AGENT_TOKEN). Every failure (refused,
unreachable, a bad answer) raises PortalUnavailableError naming what went wrong: the service then
goes on with what it has, it never waits for the portal.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from capture.errors import CaptureError
from capture.service.schedule.schedule import RoomSchedule, ScheduleError, parse_schedule

SCHEDULE_PATH = "/api/agent/schedule"
STATE_PATH = "/api/agent/room-state"


class PortalUnavailableError(CaptureError):
    """The portal could not be asked (down, refused the token, or answered nonsense)."""


class AgentPortalClient:
    """Talks to ``portal_url`` for the room ``room`` of court ``court``."""

    def __init__(self, portal_url: str, token: str, *, court: str, room: str, timeout: float = 5.0) -> None:
        if not portal_url.startswith(("http://", "https://")):
            raise CaptureError(f"the portal URL must start with http:// or https:// (got {portal_url!r})")
        self._base = portal_url.rstrip("/")
        self._token = token
        self._court = court
        self._room = room
        self._timeout = timeout

    def fetch_schedule(self, days: int) -> RoomSchedule:
        """The room's hearings for the next ``days`` days (and those still running)."""
        query = urllib.parse.urlencode({"court": self._court, "room": self._room, "days": days})
        body = self._call("GET", f"{SCHEDULE_PATH}?{query}", None)
        try:
            schedule = parse_schedule(body, where="the portal's schedule")
        except ScheduleError as exc:
            raise PortalUnavailableError(str(exc)) from exc
        if (schedule.court, schedule.room) != (self._court, self._room):
            raise PortalUnavailableError(
                f"the portal answered with the schedule of {schedule.court}/{schedule.room},"
                f" not {self._court}/{self._room}"
            )
        return schedule

    def send_state(self, state: dict[str, object]) -> None:
        """Post the room's state (see :mod:`capture.service.room_state`)."""
        self._call("POST", STATE_PATH, json.dumps(state, ensure_ascii=False).encode("utf-8"))

    def _call(self, method: str, path: str, data: bytes | None) -> bytes:
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self._base + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                answer: bytes = response.read()
                return answer
        except urllib.error.HTTPError as exc:
            hint = " (check COURTREC_PORTAL_AGENT_TOKEN)" if exc.code in {401, 403} else _detail(exc)
            raise PortalUnavailableError(f"{method} {path}: HTTP {exc.code} {exc.reason}{hint}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PortalUnavailableError(f"{method} {path}: portal unreachable ({reason})") from exc


def _detail(exc: urllib.error.HTTPError) -> str:
    """The portal's own explanation (``{"detail": …}``), e.g. which room it does not know."""
    try:
        detail = json.loads(exc.read(2000)).get("detail")
    except (OSError, ValueError, AttributeError):
        return ""
    return f": {detail}" if isinstance(detail, str) else ""
