"""A real browser (Debian's Chromium, driven by Playwright) does what a party does: sign in with the
case number and password, apply to review a recording the capture agent archived, get it approved
by the clerk (in a second browser), play it through hls.js past 3 s with the watermark over the
video, and a screenshot is kept in test-artifacts/.

One ``python -m portal serve`` and one Chromium serve the module's tests: the party's grant is the only
thing a test leaves behind, and the clerk's search and playback do not read grants."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.store.object_store import ObjectStore
from tests.portal.conftest import Template
from tests.portal.world import CASE_A, STAFF_PASSWORD

pytestmark = pytest.mark.integration

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served_portal(
    sqlite_template: Template, recording_store: ObjectStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``python -m portal serve`` on a copy of the seeded database, in development mode (plain HTTP),
    for the module."""
    tmp_path = tmp_path_factory.mktemp("served-portal")
    port = _free_port()
    config = recording_store.config
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTREC_")}
    env |= {
        "COURTREC_ENVIRONMENT": "development",
        "COURTREC_PORTAL_COOKIE_SECURE": "false",
        "COURTREC_DATABASE_URL": sqlite_template.make_url(),
        "COURTREC_S3_ENDPOINT": config.endpoint,
        "COURTREC_S3_ACCESS_KEY": config.access_key,
        "COURTREC_S3_SECRET_KEY": config.secret_key,
        "COURTREC_S3_BUCKET": config.bucket,
    }
    command = [sys.executable, "-m", "portal", "serve", "--port", str(port), "--data", str(tmp_path)]
    log = (tmp_path / "portal.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # its imports alone take tens of seconds on a loaded machine
        while True:
            try:
                with urllib.request.urlopen(f"{base}/notices", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError((tmp_path / "portal.log").read_text()[-3000:]) from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_party_plays_a_granted_recording_with_a_watermark(
    served_portal: str, sqlite_template: Template, chromium: Any
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    password = sqlite_template.world.password_a
    party = chromium.new_page(viewport={"width": 412, "height": 915})  # a phone
    try:
        _party_applies(party, served_portal, password)
        _clerk_approves(chromium.new_page(), served_portal)  # a second browser: a context of its own
        _party_plays(party)
        ARTIFACTS.mkdir(exist_ok=True)
        party.screenshot(path=str(ARTIFACTS / "portal-review-player.png"), full_page=True)
    except (AssertionError, sync_api.Error):
        ARTIFACTS.mkdir(exist_ok=True)
        party.screenshot(path=str(ARTIFACTS / "portal-review-player-FAILED.png"), full_page=True)
        raise


def test_a_clerk_finds_and_plays_a_recording_with_its_timeline(served_portal: str, chromium: Any) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    clerk = chromium.new_page(viewport={"width": 1366, "height": 900})
    try:
        clerk.goto(f"{served_portal}/login")
        clerk.fill("input[name=identifier]", "clerk-a")
        clerk.fill("input[name=password]", STAFF_PASSWORD)
        clerk.click("button[type=submit]")
        clerk.wait_for_url(f"{served_portal}/staff")
        clerk.click("text=庭审录像")
        clerk.fill("input[name=case]", "(2026)京0101民初1号")  # typed with half-width brackets
        clerk.click("text=查找")
        clerk.click(f"text={CASE_A}")
        clerk.wait_for_selector("#player[data-engine]")
        clerk.evaluate("() => { const v = document.getElementById('video'); v.muted = true; v.play(); }")
        clerk.wait_for_function("() => document.getElementById('video').currentTime > 2", timeout=45000)
        width = clerk.evaluate("() => document.querySelector('.timeline .run').offsetWidth")
        assert width > 100  # the run is drawn (its width set from script under the CSP)
        ARTIFACTS.mkdir(exist_ok=True)
        clerk.screenshot(path=str(ARTIFACTS / "portal-staff-player.png"), full_page=True)
    except (AssertionError, sync_api.Error):
        ARTIFACTS.mkdir(exist_ok=True)
        clerk.screenshot(path=str(ARTIFACTS / "portal-staff-player-FAILED.png"), full_page=True)
        raise


def _party_applies(party: Any, base: str, password: str) -> None:
    party.goto(f"{base}/case-login")
    party.fill("input[name=identifier]", CASE_A)
    party.fill("input[name=password]", password)
    party.click("button[type=submit]")
    party.wait_for_url(f"{base}/my-case")
    party.click("text=申请查阅")
    party.wait_for_selector("text=申请审核中")


def _clerk_approves(clerk: Any, base: str) -> None:
    clerk.goto(f"{base}/login")
    clerk.fill("input[name=identifier]", "clerk-a")
    clerk.fill("input[name=password]", STAFF_PASSWORD)
    clerk.click("button[type=submit]")
    clerk.wait_for_url(f"{base}/staff")
    clerk.goto(f"{base}/staff/reviews")
    clerk.click("text=批准")
    clerk.wait_for_selector("text=有效的查阅许可")


def _party_plays(party: Any) -> None:
    party.reload()
    party.click("text=观看录像")
    party.wait_for_selector("#video")
    party.wait_for_selector("#player[data-engine]")  # set by player.js once it has chosen a player
    assert party.get_attribute("#player", "data-engine") == "hls.js"
    party.evaluate("() => { const v = document.getElementById('video'); v.muted = true; v.play(); }")
    party.wait_for_function("() => document.getElementById('video').currentTime > 3", timeout=45000)
    _check_watermark(party)
    assert party.locator("a[download]").count() == 0


def _check_watermark(page: Any) -> None:
    mark = page.locator("#watermark")
    video = page.locator("#video")
    assert mark.is_visible()
    text = mark.inner_text()
    assert "张三" in text and "许可编号 G" in text
    box, frame = mark.bounding_box(), video.bounding_box()
    assert box is not None and frame is not None
    inside_x = frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
    inside_y = frame["y"] <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"] + 1
    assert inside_x and inside_y, (box, frame)
    first = page.locator("#wm-time").inner_text()
    page.wait_for_function(  # the clock runs (it shows seconds)
        "(first) => document.getElementById('wm-time').innerText !== first", arg=first, timeout=5000
    )
