"""The agent's reports to the portal: retried while the portal fails, dropped when refused, and
never holding the agent when the portal is down."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from archive.export import RecordingSummary
from capture.errors import CaptureError
from capture.portal_report import REPORT_PATH, PortalReporter


class _Portal(ThreadingHTTPServer):
    """Answers each POST with the next status of ``statuses`` (the last one repeats)."""

    def __init__(self, statuses: list[int]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.statuses = statuses
        self.requests: list[tuple[str, dict[str, str], dict[str, object]]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _Portal

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, dict(self.headers), body))
        status = self.server.statuses[min(len(self.server.requests), len(self.server.statuses)) - 1]
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def portal(request: pytest.FixtureRequest) -> Iterator[_Portal]:
    server = _Portal(request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _summary(complete: bool) -> RecordingSummary:
    return RecordingSummary(
        recording_id="rec-1",
        court="court-a",
        room="room-a",
        case="(2026)京0105民初1234号",
        streams=("cam-1", "mic-1"),
        segment_count=7,
        duration_seconds=42.0,
        started_at=datetime(2026, 11, 27, 1, 0, tzinfo=UTC),
        ended_at=datetime(2026, 11, 27, 1, 1, tzinfo=UTC) if complete else None,
        complete=complete,
        prefix="court-a/2026/11/27/room-a/rec-1",
    )


@pytest.mark.parametrize("portal", [[503, 502, 201]], indirect=True)
def test_a_failing_portal_is_retried_until_it_takes_the_report(portal: _Portal) -> None:
    reporter = PortalReporter(portal.url, "token-1")
    reporter.report(_summary(complete=True))
    assert reporter.flush(timeout=15)
    reporter.close()
    assert len(portal.requests) == 3
    path, headers, body = portal.requests[-1]
    assert path == REPORT_PATH and headers["Authorization"] == "Bearer token-1"
    assert body["recording_id"] == "rec-1" and body["complete"] is True
    assert body["streams"] == ["cam-1", "mic-1"] and body["segment_count"] == 7
    assert body["ended_at"] == "2026-11-27T01:01:00+00:00" and "prefix" not in body


@pytest.mark.parametrize("portal", [[401]], indirect=True)
def test_a_refused_report_is_not_retried(portal: _Portal, caplog: pytest.LogCaptureFixture) -> None:
    reporter = PortalReporter(portal.url, "wrong-token")
    reporter.report(_summary(complete=False))
    # flush returns only once the sender is idle: a retry (1 s later) would have been made before it
    assert reporter.flush(timeout=5)
    reporter.close()
    assert len(portal.requests) == 1
    assert "refused the report of rec-1: HTTP 401" in caplog.text


@pytest.mark.parametrize("portal", [[503]], indirect=True)
def test_a_newer_report_replaces_one_still_being_retried(portal: _Portal) -> None:
    reporter = PortalReporter(portal.url, "token-1")
    reporter.report(_summary(complete=False))
    deadline = time.monotonic() + 5
    while not portal.requests:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    portal.statuses = [201]
    reporter.report(_summary(complete=True))
    assert reporter.flush(timeout=5)
    reporter.close()
    assert portal.requests[-1][2]["complete"] is True
    assert [r[2]["complete"] for r in portal.requests].count(False) == 1


def test_a_portal_that_is_down_does_not_hold_the_agent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe is closed
    reporter = PortalReporter(f"http://127.0.0.1:{port}", "token-1", timeout=1)
    reporter.report(_summary(complete=True))
    started = time.monotonic()
    assert not reporter.flush(timeout=1.0)
    reporter.close()
    assert time.monotonic() - started < 4


def test_a_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(CaptureError, match="must start with http"):
        PortalReporter("file:///etc/passwd", "token-1")
