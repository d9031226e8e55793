"""The served portal refuses oversized bodies (413) before any parser reads them — JSON for the API,
the Chinese error page for forms — and does not grow while a client streams 50 MiB at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from portal.db import make_engine
from portal.migrate import upgrade
from portal.web.app import create_app
from tests.portal.conftest import AGENT_TOKEN, portal_settings
from tests.portal.served import ServedApp
from tests.streaming.raw_http import post_oversized, resident_bytes

pytestmark = pytest.mark.integration

LIMIT = 64 * 1024  # the default portal_max_body_bytes
MIB = 1024 * 1024


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedApp]:
    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    app = create_app(portal_settings(url, tmp_path))
    with ServedApp(app) as running:
        yield running


def test_an_oversized_json_body_is_refused_before_it_is_sent(served: ServedApp) -> None:
    answer = post_oversized(served.url, "/api/session/staff", 200 * MIB, chunked=False, send_body=False)
    assert answer.status == 413 and answer.sent == 0
    assert json.loads(answer.body) == {"detail": f"请求内容过大：超过 {LIMIT} 字节的上限"}
    assert answer.headers["connection"] == "close"
    assert answer.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def test_an_oversized_chunked_form_gets_the_error_page(served: ServedApp) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = post_oversized(served.url, "/login", 4 * MIB, chunked=True, headers=form)
    assert answer.status == 413
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.body.decode()
    assert "内容过大" in page and "上限 64 KiB" in page


def test_requests_within_the_limit_are_unaffected(served: ServedApp) -> None:
    with httpx.Client(base_url=served.url) as client:
        wrong = client.post("/api/session/staff", json={"identifier": "nobody", "password": "x" * 100})
        assert wrong.status_code == 401
        near = client.post("/api/session/staff", json={"identifier": "n", "password": "x" * (LIMIT - 200)})
        assert near.status_code in (401, 422)  # parsed and judged, not refused for its size
        assert client.get("/", follow_redirects=True).status_code == 200


def test_streaming_50_mib_does_not_grow_the_portal(served: ServedApp) -> None:
    post_oversized(served.url, "/api/session/staff", 2 * MIB, chunked=True)  # warm up the code paths
    before = resident_bytes()
    chunked = post_oversized(served.url, "/api/session/staff", 50 * MIB, chunked=True)
    declared = post_oversized(served.url, "/api/session/staff", 50 * MIB, chunked=False)
    growth = resident_bytes() - before
    assert chunked.status == 413 and declared.status == 413
    print(f"RSS growth {growth / MIB:.2f} MiB; sent {chunked.sent} B chunked, {declared.sent} B declared")
    assert growth < 3 * MIB, f"the portal grew by {growth / MIB:.1f} MiB"


def test_the_agent_api_checks_its_token_before_reading_a_body(served: ServedApp) -> None:
    refused = post_oversized(served.url, "/api/agent/recordings", 32 * 1024, chunked=False, send_body=False)
    assert refused.status == 401 and refused.sent == 0  # answered with the body still unsent
    assert refused.headers["www-authenticate"] == "Bearer"
    wrong = {"Authorization": "Bearer not-the-token"}
    assert (
        post_oversized(served.url, "/api/agent/recordings", 100, chunked=False, headers=wrong).status == 401
    )
    with httpx.Client(base_url=served.url) as client:
        admitted = client.post(
            "/api/agent/recordings", json={"court": "c"}, headers={"Authorization": f"Bearer {AGENT_TOKEN}"}
        )
        assert admitted.status_code == 422  # through the gate: the route parsed the (bad) report
