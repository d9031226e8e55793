"""Several microphones in review playback (issue 14 item 4, issue 13 item 1): a courtroom recorded with
two cameras and two microphones (different tones) has the microphones' mix too; the player plays the
camera with the mix by default (what simple players get), and offers each microphone with 静音/独听.
Muting every microphone silences what is heard, soloing one makes what is heard follow it, the picture
keeps playing, and a camera switch keeps the position and the mute/solo. Real recordings, real Chromium."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from archive.preservation.verify import verify_recording
from archive.store.embedded import EmbeddedStore
from archive.store.object_store import ObjectStore
from tests.portal.clerk_recording import index_recording
from tests.portal.conftest import Portal, Template, open_portal, run_captures
from tests.portal.served import ServedApp
from tests.portal.sound_checks import play_until, wait_for_channels, wait_for_level_bar, wait_for_peak
from tests.portal.test_accessibility import AXE, violations
from tests.portal.world import CASE_A, STAFF_PASSWORD

pytestmark = pytest.mark.integration

RECORDING = "rec-two-mics"
MICROPHONES_ONLY = "rec-mics-only"
TONES = {"mic-1": 440, "mic-2": 1000}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def two_mic_store(embedded_store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> ObjectStore:
    config = dataclasses.replace(embedded_store.config, bucket=f"mics-{uuid.uuid4().hex[:12]}")
    store = ObjectStore(config)
    store.ensure_bucket()
    video = "synthetic#size=320x240&fps=15&audio=0"
    arguments = ["record", "--room", "room-a", "--case", "case-a", "--recording-id", RECORDING]
    arguments += ["--spool", str(tmp_path_factory.mktemp("spool")), "--duration", "14"]
    arguments += [
        "--segment-seconds",
        "2",
        "--source",
        f"{video}&name=bench",
        "--source",
        f"{video}&name=wide",
    ]
    for name, hz in TONES.items():
        arguments += ["--source", f"synthetic#video=0&audio=1&tone={hz}&name={name}"]
    only = ["record", "--room", "room-a", "--case", "case-a", "--recording-id", MICROPHONES_ONLY]
    only += [
        "--spool",
        str(tmp_path_factory.mktemp("spool")),
        "--duration",
        "8",
        "--segment-seconds",
        "2",
    ]
    for name, hz in TONES.items():
        only += ["--source", f"synthetic#video=0&audio=1&tone={hz}&name={name}"]
    run_captures(config, arguments, only)  # side by side: in the time of the longer
    return store


@pytest.fixture
def mic_portal(
    sqlite_template: Template, two_mic_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> Iterator[Portal]:
    overrides = {"environment": "development", "portal_cookie_secure": False}
    with open_portal(sqlite_template, two_mic_store, session_now, tmp_path, **overrides) as portal:
        index_recording(
            portal.db_factory, portal.store, RECORDING, now=session_now, hearing_id=portal.world.hearing_a
        )
        yield portal


def _grant(portal: Portal) -> int:
    party = portal.party(CASE_A, portal.world.password_a)
    applied = party.post("/api/my-case/reviews", json={"recording_id": RECORDING, "purpose": "核对庭审笔录"})
    assert applied.status_code == 201, applied.text
    now = portal.clock.now()
    window = {"not_before": now.isoformat(), "not_after": (now + timedelta(hours=2)).isoformat()}
    granted = portal.staff("judge-a").post(f"/api/reviews/{applied.json()['id']}/approve", json=window)
    assert granted.status_code == 201, granted.text
    grant: int = granted.json()["id"]
    return grant


def test_the_mix_is_recorded_verified_and_the_default_sound(
    mic_portal: Portal, two_mic_store: ObjectStore
) -> None:
    report = verify_recording(two_mic_store, RECORDING)
    assert report.intact, report.problems
    assert report.streams == {"bench", "wide", "mic-1", "mic-2", "mix"}
    grant = _grant(mic_portal)
    party = mic_portal.party(CASE_A, mic_portal.world.password_a)
    route = f"/review/grants/{grant}"
    page = party.get(route)
    assert page.status_code == 200, page.text
    for name in TONES:  # each microphone by its label, with its own playlist through the grant's route
        assert f'data-playlist="{route}/playlist.m3u8?stream={name}"' in page.text
    assert '<span class="channel-name" title="mic-2">麦克风 2</span>' in page.text
    assert page.text.count('class="secondary channel-mute" aria-pressed="false" aria-label="麦克风') == 2
    assert page.text.count('class="secondary channel-solo" aria-pressed="false" aria-label="麦克风') == 2
    assert 'id="sound"' not in page.text  # no one-at-a-time choice where the mix is there
    master = party.get(f"{route}/master.m3u8", params={"stream": "bench"})
    renditions = [line for line in master.text.splitlines() if line.startswith("#EXT-X-MEDIA")]
    assert 'NAME="mix"' in renditions[0] and "DEFAULT=YES" in renditions[0]  # simple players: the mix
    assert all("DEFAULT=NO" in line for line in renditions[1:]) and len(renditions) == 3
    assert party.get(f"{route}/playlist.m3u8", params={"stream": "mic-2"}).status_code == 200
    outsider = mic_portal.staff("clerk-b")
    assert (
        outsider.get(f"/staff/recordings/{RECORDING}/playlist.m3u8", params={"stream": "mic-2"}).status_code
        == 404
    )


def test_chromium_mutes_and_solos_each_microphone(mic_portal: Portal, chromium: Any) -> None:
    grant = _grant(mic_portal)
    with ServedApp(mic_portal.app) as server:
        page = chromium.new_page(viewport={"width": 1280, "height": 1000})
        try:
            page.goto(f"{server.url}/case-login")
            page.fill("input[name=identifier]", CASE_A)
            page.fill("input[name=password]", mic_portal.world.password_a)
            page.click("button[type=submit]")
            page.wait_for_url(f"{server.url}/my-case")
            page.goto(f"{server.url}/review/grants/{grant}")
            play_until(page, 0.5)
            page.click("#channels-mix")  # the mix, measured: both tones
            wait_for_channels(page, "level > 0.2", "the mix to sound")
            mute = page.locator("#channels .channel-mute")
            solo = page.locator("#channels .channel-solo")
            mute.nth(0).click()
            mute.nth(1).press("Enter")  # keyboard-usable
            assert mute.nth(1).get_attribute("aria-pressed") == "true"
            wait_for_channels(page, "level < 0.01", "silence with every microphone muted")
            assert "全部麦克风已静音" in page.inner_text("#channel-state")
            mute.nth(0).click()
            mute.nth(1).click()
            solo.nth(1).click()  # mic-2 alone: its 1000 Hz tone
            wait_for_peak(page, 1000, "mic-2's tone")
            assert page.inner_text("#channel-state") == "正在播放：麦克风 2"
            solo.nth(1).click()
            solo.nth(0).click()  # mic-1 alone: its 440 Hz tone
            wait_for_peak(page, 440, "mic-1's tone")
            state = page.evaluate(
                "() => { const v = document.getElementById('video');"
                " return [v.paused, v.currentTime, v.webkitVideoDecodedByteCount, v.videoWidth]; }"
            )
            assert state[0] is False and state[2] > 0 and state[3] == 320  # the picture keeps playing
            page.wait_for_function(
                f"() => document.getElementById('video').currentTime > {state[1] + 0.5}", timeout=10000
            )
            drift = page.evaluate(
                "() => Array.from(document.querySelectorAll('audio')).map("
                "a => Math.abs(a.currentTime - document.getElementById('video').currentTime))"
            )
            assert len(drift) == 2 and max(drift) < 0.3, drift  # the microphones follow the picture
            solo.nth(0).click()
            solo.nth(1).click()  # mic-2 alone again, then a camera switch while playing
            wait_for_peak(page, 1000, "mic-2's tone")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "portal-microphone-channels.png"), full_page=True)
            if AXE.is_file():  # the panel, buttons pressed and not, passes WCAG 2.1 AA (contrast included)
                assert violations(page) == []
            position = page.evaluate("() => document.getElementById('video').currentTime")
            page.click("nav.streams a:has-text('全景摄像机')")
            page.wait_for_url("**stream=wide**")
            page.wait_for_function("() => document.getElementById('video').currentTime > 0", timeout=30000)
            resumed = page.evaluate("() => document.getElementById('video').currentTime")
            assert abs(resumed - position) < 1, (resumed, position)  # the position is kept
            solo = page.locator("#channels .channel-solo")
            assert solo.nth(1).get_attribute("aria-pressed") == "true"
            assert solo.nth(0).get_attribute("aria-pressed") == "false"
            assert page.inner_text("#channel-state") == "正在播放：麦克风 2"
            # the solo is in force on the new camera: only mic-2's tone is heard, and it plays on
            wait_for_peak(page, 1000, "mic-2's tone after the switch")
            assert page.evaluate("() => document.getElementById('video').paused") is False
            assert page.evaluate(  # heard through mic-2's own element, not the mix
                "() => !document.querySelector('#channels audio[data-stream=\"mic-2\"]').paused"
            )
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "portal-microphone-channels-FAILED.png"), full_page=True)
            raise


def test_chromium_plays_microphones_only_as_their_mix_and_solos_one(
    mic_portal: Portal, chromium: Any
) -> None:
    index_recording(
        mic_portal.db_factory,
        mic_portal.store,
        MICROPHONES_ONLY,
        now=mic_portal.clock.now(),
        hearing_id=mic_portal.world.hearing_a,
    )
    with ServedApp(mic_portal.app) as server:
        page = chromium.new_page()
        page.goto(f"{server.url}/login")
        page.fill("input[name=identifier]", "judge-a")
        page.fill("input[name=password]", STAFF_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/staff")
        page.goto(f"{server.url}/staff/recordings/{MICROPHONES_ONLY}")
        route = f"/staff/recordings/{MICROPHONES_ONLY}"
        assert page.get_attribute("#player", "data-playlist") == f"{route}/playlist.m3u8?stream=mix"
        page.evaluate("() => document.getElementById('video').play()")
        wait_for_level_bar(page, 0.2)  # the level bar moves with the mix (both tones)
        page.locator("#channels .channel-solo").nth(1).click()
        wait_for_peak(page, 1000, "mic-2's tone")
