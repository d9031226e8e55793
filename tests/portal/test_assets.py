"""The portal's own files (stylesheet, scripts, favicon) and those it serves from npm are found where
the routers look for them — a module move once left them all 500s."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from archive.store.object_store import ObjectStore
from tests.portal.conftest import Portal, Template, open_portal


@pytest.fixture
def portal_dev(
    sqlite_template: Template, recording_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> Iterator[Portal]:
    with open_portal(
        sqlite_template, recording_store, session_now, tmp_path, environment="development"
    ) as made:
        yield made


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/static/portal.css", "text/css"),
        ("/static/player.js", "text/javascript"),
        ("/static/replay.js", "text/javascript"),
        ("/static/level.js", "text/javascript"),
        ("/static/live.js", "text/javascript"),
        ("/static/hls.min.js", "text/javascript"),
        ("/static/track_trace.js", "text/javascript"),
        ("/favicon.svg", "image/svg+xml"),
        ("/favicon.ico", "image/svg+xml"),
        ("/docs/assets/swagger-ui.css", "text/css"),
    ],
)
def test_every_asset_is_served(portal_dev: Portal, path: str, kind: str) -> None:
    answer = portal_dev.client().get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    assert answer.headers["content-type"].startswith(kind) and len(answer.content) > 100
