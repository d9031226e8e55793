"""Picture and sound together: a courtroom's cameras record pictures only and its microphone records
the sound, as separate streams. Review playback (party and staff) plays a camera with the microphone's
sound through a multivariant playlist; switching camera keeps the position; a recording with only
sound plays as sound with a moving level. Real recordings, real Chromium."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from archive.store.embedded import EmbeddedStore
from archive.store.object_store import ObjectStore
from portal.records.reconciler import reconcile_now
from tests.portal.conftest import Portal, Template, open_portal, run_captures
from tests.portal.served import ServedApp
from tests.portal.sound_checks import assert_plays_sound_and_picture, play_until, wait_for_level_bar
from tests.portal.world import STAFF_PASSWORD

pytestmark = pytest.mark.integration

COURTROOM = "rec-room"
MICROPHONE_ONLY = "rec-mic"
CAMERA_WITH_SOUND = "rec-camsound"
CAMERAS = ("bench", "wide")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def courtroom_store(embedded_store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> ObjectStore:
    """Three recordings of room-a, case-a: two picture-only cameras and a microphone; a microphone
    alone; a camera with its own sound (CMAF track files ``bench`` and ``bench.audio``) and a microphone."""
    config = dataclasses.replace(embedded_store.config, bucket=f"sound-{uuid.uuid4().hex[:12]}")
    store = ObjectStore(config)
    store.ensure_bucket()
    video = "synthetic#size=320x240&fps=15&audio=0"
    recordings = {
        COURTROOM: [f"{video}&name={CAMERAS[0]}", f"{video}&name={CAMERAS[1]}", "synthetic#video=0&name=mic"],
        MICROPHONE_ONLY: ["synthetic#video=0&name=mic"],
        CAMERA_WITH_SOUND: ["synthetic#size=320x240&fps=15&name=bench", "synthetic#video=0&name=mic"],
    }
    runs = []
    for recording_id, sources in recordings.items():
        arguments = ["record", "--room", "room-a", "--case", "case-a", "--recording-id", recording_id]
        arguments += ["--spool", str(tmp_path_factory.mktemp("spool")), "--duration", "6"]
        arguments += ["--segment-seconds", "2"]
        for source in sources:
            arguments += ["--source", source]
        runs.append(arguments)
    run_captures(config, *runs)  # side by side: in the time of one
    return store


@pytest.fixture
def courtroom_portal(
    sqlite_template: Template, courtroom_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> Iterator[Portal]:
    overrides = {"environment": "development", "portal_cookie_secure": False}
    with open_portal(sqlite_template, courtroom_store, session_now, tmp_path, **overrides) as portal:
        reconcile_now(portal.app.state.portal, "test")
        yield portal


def test_a_camera_plays_with_the_microphones_sound(courtroom_portal: Portal) -> None:
    judge = courtroom_portal.staff("judge-a")
    page = judge.get(f"/staff/recordings/{COURTROOM}")
    assert page.status_code == 200, page.text
    assert f'data-playlist="/staff/recordings/{COURTROOM}/master.m3u8?stream={CAMERAS[0]}"' in page.text
    assert '声音：<span title="mic">麦克风</span>' in page.text  # named for people, the code in the tooltip
    assert all(f"?stream={camera}" in page.text for camera in CAMERAS)
    assert 'href="/staff/recordings/rec-room?stream=mic"' not in page.text  # the microphone is no camera
    master = judge.get(f"/staff/recordings/{COURTROOM}/master.m3u8", params={"stream": CAMERAS[1]})
    assert master.status_code == 200
    lines = master.text.splitlines()
    assert any(
        line.startswith('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="sound",NAME="mic"') and "DEFAULT=YES" in line
        for line in lines
    )
    assert any("RESOLUTION=320x240" in line and 'AUDIO="sound"' in line for line in lines)
    assert lines[-1] == f"/staff/recordings/{COURTROOM}/playlist.m3u8?stream={CAMERAS[1]}"
    assert (
        judge.get(f"/staff/recordings/{COURTROOM}/playlist.m3u8", params={"stream": "mic"}).status_code == 200
    )
    solo = judge.get(f"/staff/recordings/{MICROPHONE_ONLY}")  # sound only: its own playlist, a level
    assert f"/staff/recordings/{MICROPHONE_ONLY}/playlist.m3u8?stream=mic" in solo.text
    assert "只有声音" in solo.text and 'class="level"' in solo.text
    other = courtroom_portal.staff("clerk-b")
    assert other.get(f"/staff/recordings/{COURTROOM}/master.m3u8").status_code == 404


def test_a_camera_plays_with_its_own_sound_first(courtroom_portal: Portal) -> None:
    judge = courtroom_portal.staff("judge-a")
    page = judge.get(f"/staff/recordings/{CAMERA_WITH_SOUND}")
    assert page.status_code == 200, page.text
    route = f"/staff/recordings/{CAMERA_WITH_SOUND}"
    assert f'data-playlist="{route}/master.m3u8?stream=bench"' in page.text
    assert '<option value="0" title="bench.audio">审判席摄像机的声音</option>' in page.text
    assert '<option value="1" title="mic">麦克风</option>' in page.text
    assert "?stream=bench.audio" not in page.text.split("<video")[0]  # the sound is no camera to switch to
    master = judge.get(f"{route}/master.m3u8", params={"stream": "bench"})
    renditions = [line for line in master.text.splitlines() if line.startswith("#EXT-X-MEDIA")]
    assert 'NAME="bench.audio"' in renditions[0] and "DEFAULT=YES" in renditions[0]
    assert 'NAME="mic"' in renditions[1] and "DEFAULT=NO" in renditions[1]
    sound = judge.get(f"{route}/playlist.m3u8", params={"stream": "bench.audio"})
    assert sound.status_code == 200 and f"{route}/objects/bench.audio/init.mp4" in sound.text
    fetched = judge.get(f"{route}/objects/bench.audio/00000001.m4s", follow_redirects=False)
    assert fetched.status_code == 302
    assert judge.get(f"{route}/objects/bench.audio/init.mp4", follow_redirects=False).status_code == 302
    assert judge.get(f"{route}/playlist.m3u8", params={"stream": "bench.video"}).status_code == 422


def test_chromium_plays_a_camera_with_its_own_sound(courtroom_portal: Portal, chromium: Any) -> None:
    with ServedApp(courtroom_portal.app) as server:
        page = chromium.new_page()
        page.goto(f"{server.url}/login")
        page.fill("input[name=identifier]", "judge-a")
        page.fill("input[name=password]", STAFF_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/staff")
        page.goto(f"{server.url}/staff/recordings/{CAMERA_WITH_SOUND}")
        play_until(page, 3)
        assert_plays_sound_and_picture(page)  # two track files, one picture


def test_chromium_plays_picture_and_sound_and_a_switch_keeps_the_position(
    courtroom_portal: Portal, chromium: Any
) -> None:
    with ServedApp(courtroom_portal.app) as server:
        page = chromium.new_page()
        page.goto(f"{server.url}/login")
        page.fill("input[name=identifier]", "judge-a")
        page.fill("input[name=password]", STAFF_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/staff")
        page.goto(f"{server.url}/staff/recordings/{COURTROOM}")
        play_until(page, 3)
        assert_plays_sound_and_picture(page)  # sound and pictures together
        page.evaluate("() => document.getElementById('video').pause()")
        position = page.evaluate("() => document.getElementById('video').currentTime")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "portal-staff-player.png"), full_page=True)
        page.click("nav.streams a:has-text('全景摄像机')")  # the wide camera, named as people name it
        page.wait_for_url(f"**stream={CAMERAS[1]}**")
        page.wait_for_function(
            f"() => Math.abs(document.getElementById('video').currentTime - {position}) < 0.6", timeout=30000
        )

        page.goto(f"{server.url}/staff/recordings/{MICROPHONE_ONLY}")
        page.evaluate("() => document.getElementById('video').play()")
        wait_for_level_bar(page, 0.05)
