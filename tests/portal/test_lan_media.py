"""Media for browsers on another machine: the store listens on 127.0.0.1, so presigned URLs on its
endpoint reach nobody else. With COURTREC_PORTAL_MEDIA_DELIVERY=portal (``make run --host 0.0.0.0``)
segment routes redirect to short-lived /media/<token> URLs the portal relays.

Checked from a real second host: an HTTP client in its own network namespace, joined by a veth pair,
plays a replay through a portal bound to our end of the pair — and, as the negative, gets nothing
from a portal that hands out store URLs."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from archive.store.object_store import ObjectStore
from portal.web.app import create_app
from portal.web.media.relay_tokens import MediaTokens
from tests.portal import test_replays
from tests.portal.conftest import Template
from tests.portal.replay_hearings import CAMERA, Replay, open_replay
from tests.portal.served import ServedApp
from tests.streaming.netns import NamespaceUnavailable, PeerHost, peer_host

pytestmark = pytest.mark.integration
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
replay_store = test_replays.replay_store  # the replay's recording

# Run inside the namespace: the replay page, its playlists and one segment, redirects followed.
VIEWER = r"""
import hashlib, json, re, sys
import httpx
base, notice = sys.argv[1], sys.argv[2]
out = {}
with httpx.Client(base_url=base, timeout=10, follow_redirects=True) as http:
    page = http.get(f"/notices/{notice}/replay")
    out["page"] = page.status_code
    master = re.search(r'data-playlist="([^"]+)"', page.text)[1]
    text = http.get(master).text
    camera = [line for line in text.splitlines() if line and not line.startswith("#")][-1]
    playlist = http.get(camera).text
    init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', playlist)[1]
    first = [line for line in playlist.splitlines() if line and not line.startswith("#")][0]
    for name, url in (("init", init), ("segment", first)):
        try:
            got = http.get(url)
            out[name] = [got.status_code, str(got.url), hashlib.sha256(got.content).hexdigest()]
        except httpx.HTTPError as exc:
            out[name] = [0, type(exc).__name__, ""]
print(json.dumps(out))
"""


# Chromium inside the namespace plays the replay page: picture decoded and time advancing.
BROWSER = r"""
import json, sys
from playwright.sync_api import sync_playwright
base, notice, shot = sys.argv[1], sys.argv[2], sys.argv[3]
args = ["--headless", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"]
with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=args)
    page = browser.new_page(viewport={"width": 412, "height": 915})
    media = []
    page.on("response", lambda r: media.append([r.status, r.url]) if "/media/" in r.url else None)
    page.goto(f"{base}/notices/{notice}/replay")
    page.wait_for_function("() => document.getElementById('video').readyState >= 2", timeout=30000)
    page.evaluate("() => document.getElementById('video').play()")
    page.wait_for_function("() => document.getElementById('video').currentTime > 1", timeout=30000)
    width = page.evaluate("() => document.getElementById('video').videoWidth")
    page.screenshot(path=shot, full_page=True)
    browser.close()
print(json.dumps({"width": width, "media": media}))
"""


@pytest.fixture(scope="module")
def replay(
    sqlite_template: Template,
    replay_store: ObjectStore,
    session_now: datetime,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Replay]:
    """test_replays' replay, one for the module: its tests only read it (each serves it its own way)."""
    data = tmp_path_factory.mktemp("lan-replay")
    with open_replay(sqlite_template, replay_store, session_now, data) as made:
        yield made


@pytest.fixture(scope="module")
def lan() -> Iterator[PeerHost]:
    """The other host, one for the module (each test serves the portal on it anew)."""
    try:
        with peer_host() as host:
            yield host
    except NamespaceUnavailable as exc:
        pytest.skip(f"no network namespace here: {exc}")


def _app(replay: Replay, delivery: str) -> FastAPI:
    """A second portal process's app on the replay's database."""
    context = replay.portal.app.state.portal
    settings = context.settings.model_copy(update={"portal_media_delivery": delivery})
    return create_app(settings, store=replay.store, clock=replay.portal.clock)


def _served(replay: Replay, host: str, delivery: str) -> ServedApp:
    """That app served on ``host``."""
    return ServedApp(_app(replay, delivery), host=host)


def _view_from(lan: PeerHost, url: str, notice_id: int) -> dict[str, Any]:
    done = subprocess.run(
        lan.command(sys.executable, "-c", VIEWER, url, str(notice_id)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_a_viewer_on_another_host_plays_a_replay_relayed_by_the_portal(replay: Replay, lan: PeerHost) -> None:
    first = replay.kept[0]
    key = f"{CAMERA}/{first}"
    stored = next(o for o in replay.store.list_objects("") if o.key.endswith(f"/{key}"))
    expected = hashlib.sha256(replay.store.read_bytes(stored.key)).hexdigest()
    with _served(replay, lan.host_address, "portal") as served:
        seen = _view_from(lan, served.url, replay.notice_id)
    assert seen["page"] == 200
    status, url, digest = seen["segment"]
    assert status == 200 and url.startswith(f"{served.url}/media/"), seen
    assert digest == expected  # the recorded bytes, relayed unchanged
    assert seen["init"][0] == 200 and seen["init"][1].startswith(f"{served.url}/media/")


def test_store_urls_do_not_reach_a_viewer_on_another_host(replay: Replay, lan: PeerHost) -> None:
    with _served(replay, lan.host_address, "store") as served:
        seen = _view_from(lan, served.url, replay.notice_id)
    assert seen["page"] == 200  # the page loads from the LAN ...
    assert seen["segment"][0] == 0, seen  # ... but its media sits on the store's 127.0.0.1


def test_relay_tokens_grant_one_object_until_they_expire(replay: Replay) -> None:
    app = _app(replay, "portal")
    with ServedApp(app) as served:
        context = app.state.portal
        tokens = MediaTokens(context.secret_key, replay.portal.clock.now)
        stored = next(o for o in replay.store.list_objects("") if o.key.endswith(f"/{CAMERA}/init.mp4"))
        import httpx  # noqa: PLC0415

        with httpx.Client(base_url=served.url, timeout=10) as http:
            good = tokens.url(stored.key, timedelta(seconds=60))
            assert http.get(good).status_code == 200
            payload, signature = good.removeprefix("/media/").split(".")
            other = MediaTokens(context.secret_key, replay.portal.clock.now).url(
                stored.key.replace("init.mp4", replay.kept[0]), timedelta(seconds=60)
            )
            forged = f"/media/{other.removeprefix('/media/').split('.')[0]}.{signature}"
            assert http.get(forged).status_code == 404  # another key under a stolen signature
            stranger = MediaTokens("another portal's secret", replay.portal.clock.now)
            assert http.get(stranger.url(stored.key, timedelta(seconds=60))).status_code == 404
            expired = tokens.url(stored.key, timedelta(seconds=-1))
            assert http.get(expired).status_code == 404
            assert http.get(f"/media/{payload}").status_code in (404, 422)


def test_chromium_on_another_host_plays_the_relayed_replay(replay: Replay, lan: PeerHost) -> None:
    if shutil.which("/usr/bin/chromium") is None:
        pytest.skip("Debian's chromium is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "lan-replay-phone.png"
    with _served(replay, lan.host_address, "portal") as served:
        done = subprocess.run(
            lan.command(sys.executable, "-c", BROWSER, served.url, str(replay.notice_id), str(shot)),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["width"] == 320  # the camera's picture, decoded on the other host
    assert seen["media"] and all(status == 200 for status, _ in seen["media"])
    assert all(url.startswith(f"{served.url}/media/") for _, url in seen["media"])
