"""The service's portal client says what went wrong: the portal's own reason, the token, or an
answer for another room (the service then goes on with its cached schedule)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from capture.service.portal_client import AgentPortalClient, PortalUnavailableError


class _Portal(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer: tuple[int, dict[str, object]] = (200, {})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _Portal

    def do_GET(self) -> None:
        status, body = self.server.answer
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def portal() -> Iterator[_Portal]:
    server = _Portal()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_an_unknown_room_is_named_by_the_portals_reason(portal: _Portal) -> None:
    portal.answer = (404, {"detail": "no courtroom 'room-x' in court 'court-a'"})
    client = AgentPortalClient(portal.url, "token", court="court-a", room="room-x")
    with pytest.raises(PortalUnavailableError, match=r"HTTP 404 .*no courtroom 'room-x' in court 'court-a'"):
        client.fetch_schedule(3)


def test_a_refused_token_points_at_the_setting(portal: _Portal) -> None:
    portal.answer = (401, {"detail": "a capture agent must present its bearer token"})
    client = AgentPortalClient(portal.url, "wrong", court="court-a", room="room-a")
    with pytest.raises(PortalUnavailableError, match=r"HTTP 401 .*check COURTREC_PORTAL_AGENT_TOKEN"):
        client.fetch_schedule(3)


def test_a_schedule_for_another_room_is_refused(portal: _Portal) -> None:
    portal.answer = (
        200,
        {"court": "court-a", "room": "room-b", "generated_at": "2026-12-03T01:00:00Z", "hearings": []},
    )
    client = AgentPortalClient(portal.url, "token", court="court-a", room="room-a")
    with pytest.raises(PortalUnavailableError, match="schedule of court-a/room-b, not court-a/room-a"):
        client.fetch_schedule(3)
