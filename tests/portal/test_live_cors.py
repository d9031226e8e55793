"""CORS for the live server mounted in the portal (/live): a browser publisher on an allowed origin can
WHIP (device bearer token); WHEP under the portal needs an operator's session cookie, which no
cross-origin caller may send (credentials are never allowed), so its preflight gets no CORS answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from archive.store.object_store import ObjectStore
from portal.clock import FrozenClock
from portal.web.app import create_app
from streaming.settings import StreamingSettings
from tests.portal.conftest import Portal, Template, portal_settings

ALLOWED = "https://publisher.court.example"
DEVICE_ID = "bodycam-007"
DEVICE_TOKEN = "bodycam-007-token-0123456789abcdef"


@pytest.fixture
def cors_portal(
    template: Template, recording_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> Iterator[Portal]:
    live = StreamingSettings(
        device_tokens={DEVICE_ID: SecretStr(DEVICE_TOKEN)},
        device_rooms={DEVICE_ID: ["room-a/*"]},
        public_dir=tmp_path / "public-live",
        cors_origins=[ALLOWED],
    )
    clock = FrozenClock(session_now)
    app = create_app(
        portal_settings(template.make_url(), tmp_path), store=recording_store, clock=clock, live=live
    )
    made = Portal(app, clock, template.world, app.state.portal.sessions, recording_store, template.backend)
    yield made
    for client in made.clients:
        client.__exit__(None, None, None)
    app.state.portal.engine.dispose()


def _preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }


def test_whip_under_the_portal_answers_an_allowed_origin(cors_portal: Portal) -> None:
    client = cors_portal.client()
    answer = client.options("/live/whip/room-a/cam", headers=_preflight(ALLOWED))
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-credentials" not in answer.headers
    refused = client.options("/live/whip/room-a/cam", headers=_preflight("https://evil.example"))
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers

    posted = client.post(
        "/live/whip/room-a/cam",
        content="not an offer",
        headers={
            "Origin": ALLOWED,
            "Content-Type": "application/sdp",
            "Authorization": f"Bearer {DEVICE_TOKEN}",
        },
    )
    assert posted.status_code == 400  # read by the page: the answer carries CORS
    assert posted.headers["access-control-allow-origin"] == ALLOWED
    assert posted.headers["access-control-expose-headers"] == "Location, Link, ETag"


def test_whep_under_the_portal_stays_same_origin(cors_portal: Portal) -> None:
    answer = cors_portal.client().options("/live/whep/room-a/cam", headers=_preflight(ALLOWED))
    assert answer.status_code == 401
    assert not [name for name in answer.headers if name.startswith("access-control-")]
