"""A bodycam recording's GPS track on playback: the player draws the archived positions over a grid (no
map tiles) and marks where the camera was at the played time; a position changed in the bucket is left
out and said so. Real recording (agent with --gps synthetic-track), real SeaweedFS, real Chromium."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from archive.preservation.verify import find_prefix
from archive.store.object_store import ObjectStore
from portal.records.reconciler import reconcile_now
from tests.portal.conftest import CaptureRun, Portal, RecordedBucket, Template, open_portal
from tests.portal.served import ServedApp
from tests.portal.world import STAFF_PASSWORD

pytestmark = pytest.mark.integration

BODYCAM = "rec-bodycam"
TRACK = "synthetic-track#lat=31.2304&lon=121.4737&speed=3&rate=2"


@pytest.fixture(scope="module")
def bodycam_store(recorded_bucket: RecordedBucket) -> ObjectStore:
    camera = "synthetic#size=320x240&fps=15&name=bodycam"
    return recorded_bucket("gps", {BODYCAM: CaptureRun(8, [camera], options=["--gps", TRACK])})


@pytest.fixture
def bodycam_portal(
    sqlite_template: Template, bodycam_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> Iterator[Portal]:
    overrides = {"environment": "development", "portal_cookie_secure": False}
    with open_portal(sqlite_template, bodycam_store, session_now, tmp_path, **overrides) as portal:
        reconcile_now(portal.app.state.portal, "test")
        yield portal


def test_the_player_offers_the_track_and_it_matches_the_archive(bodycam_portal: Portal) -> None:
    judge = bodycam_portal.staff("judge-a")
    page = judge.get(f"/staff/recordings/{BODYCAM}")
    assert page.status_code == 200, page.text
    assert f'data-track="/staff/recordings/{BODYCAM}/track.json?stream=bodycam"' in page.text
    assert 'href="/staff/recordings/rec-bodycam?stream=gps"' not in page.text  # the track is no camera
    trace = judge.get(f"/staff/recordings/{BODYCAM}/track.json", params={"stream": "bodycam"}).json()
    assert trace["stream"] == "gps" and trace["problems"] == []
    points = trace["points"]
    assert len(points) >= 12  # two fixes a second for about 8 s
    assert points[0][:2] == [31.2304, 121.4737]
    assert len({(lat, lon) for lat, lon, _ in points}) == len(points)
    seconds = [t for _, _, t in points]
    assert seconds == sorted(seconds) and -1.0 < seconds[0] < 1.5 and seconds[-1] > 5
    other = bodycam_portal.staff("clerk-b")
    assert other.get(f"/staff/recordings/{BODYCAM}/track.json").status_code == 404
    listing = judge.get("/staff/recordings").text
    assert "2 路画面/声音" in listing  # bodycam and bodycam.audio; the GPS track is beside them


def test_chromium_draws_the_track_and_follows_the_playback(bodycam_portal: Portal, chromium: Any) -> None:
    with ServedApp(bodycam_portal.app) as server:
        page = chromium.new_page()
        page.goto(f"{server.url}/login")
        page.fill("input[name=identifier]", "judge-a")
        page.fill("input[name=password]", STAFF_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/staff")
        page.goto(f"{server.url}/staff/recordings/{BODYCAM}")
        page.wait_for_function(
            "() => Number(document.getElementById('trace').dataset.points) > 1", timeout=20000
        )
        path = page.get_attribute("#trace polyline.trace-path", "points") or ""
        assert len(set(path.split())) > 1, path  # a path, not a dot
        assert page.locator("#trace line.trace-grid").count() >= 4
        assert page.get_attribute("#trace", "data-current") == "0"
        page.evaluate("() => document.getElementById('video').play()")
        page.wait_for_function("() => document.getElementById('video').currentTime > 3", timeout=45000)
        page.wait_for_function(
            "() => Number(document.getElementById('trace').dataset.current) >= 4", timeout=5000
        )


def test_a_position_changed_in_the_bucket_is_left_out(
    bodycam_portal: Portal, bodycam_store: ObjectStore
) -> None:
    prefix = find_prefix(bodycam_store, BODYCAM)
    key = f"{prefix}/gps/00000002.geojsonl"
    original = bodycam_store.read_bytes(key)
    first, _, rest = original.partition(b"\n")
    feature = json.loads(first)
    feature["geometry"]["coordinates"][1] += 0.01  # about 1.1 km north
    changed = json.dumps(feature, sort_keys=True, separators=(",", ":")).encode() + b"\n" + rest
    bodycam_store.delete(key)
    bodycam_store.put_bytes(key, changed, hashlib.sha256(changed).hexdigest())
    try:
        judge = bodycam_portal.staff("judge-a")
        trace = judge.get(f"/staff/recordings/{BODYCAM}/track.json").json()
        assert len(trace["problems"]) == 1 and "gps/00000002.geojsonl" in trace["problems"][0]
        assert all(lat < 31.2304 + 0.005 for lat, _, _ in trace["points"])  # the moved fix is not drawn
    finally:
        bodycam_store.delete(key)
        bodycam_store.put_bytes(key, original, hashlib.sha256(original).hexdigest())
