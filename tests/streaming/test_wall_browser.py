"""The wall in a real headless Chromium: feeds appear with labels, play, enlarge, and disappear."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from portal.web.security_headers import content_security_policy
from streaming.publisher.live_input import LiveInput
from streaming.publisher.live_publisher import LivePublisher
from streaming.publisher.whip_client import WhipClient
from streaming.telemetry import GpsFix, TelemetryReport

from .browser import chromium
from .conftest import (
    DEVICE_ID,
    DEVICE_TOKEN,
    LOOPBACK,
    OPERATOR_TOKEN,
    EncodedTestFeed,
    LiveServer,
    ToneFeed,
    loopback_settings,
    serve,
)

pytestmark = pytest.mark.integration

TILE = 'figure[data-feed-id="bodycam-7/cam"]'
MIC_TILE = 'figure[data-feed-id="court-3/mic"]'


@pytest.fixture
async def quick_server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(loopback_settings(tmp_path, lost_feed_seconds=2.0)) as server:
        yield server


def _report() -> TelemetryReport:
    return TelemetryReport(
        device_id=DEVICE_ID,
        room="bodycam-7",
        officer="Officer Li",
        case="2026-enf-0042",
        gps=GpsFix(lat=31.2304, lon=121.4737),
        battery_percent=81,
        at=datetime.now(UTC),
    )


def _publisher(
    server: LiveServer, feed: EncodedTestFeed, telemetry: Callable[[], TelemetryReport]
) -> LivePublisher:
    return LivePublisher(
        "cam",
        WhipClient(f"{server.url}/whip/bodycam-7/cam", DEVICE_TOKEN),
        LOOPBACK,
        LiveInput(
            video=feed.tap.subscribe(60),
            audio=None,
            request_keyframe=feed.request_keyframe,
            telemetry=telemetry,
        ),
        telemetry_seconds=0.5,
    )


@contextlib.asynccontextmanager
async def _operator_page() -> AsyncIterator[Any]:
    """A page signed in as the operator, in a Chromium of the test's own (launched on its loop)."""
    async with chromium() as browser:
        context = await browser.new_context(extra_http_headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
        yield await context.new_page()


async def _video_time(page: object) -> float:
    value = await page.evaluate(f"document.querySelector('{TILE} video').currentTime")  # type: ignore[attr-defined]
    return float(value)


async def test_wall_plays_an_aiortc_feed_in_chromium(
    quick_server: LiveServer, test_feed: EncodedTestFeed
) -> None:
    publisher = _publisher(quick_server, test_feed, _report)
    publisher.start()
    try:
        async with _operator_page() as page:
            await page.goto(f"{quick_server.url}/wall")
            await page.wait_for_selector(f"{TILE} video", timeout=15_000)
            await page.wait_for_function(
                f"document.querySelector('{TILE} video').currentTime > 1", timeout=15_000
            )
            first = await _video_time(page)
            await page.wait_for_function(  # the picture keeps advancing
                f"document.querySelector('{TILE} video').currentTime > {first + 0.5}", timeout=10_000
            )
            size = await page.evaluate(
                f"[document.querySelector('{TILE} video').videoWidth, "
                f"document.querySelector('{TILE} video').videoHeight]"
            )
            assert size == [320, 240]
            await page.wait_for_function(
                f"document.querySelector('{TILE} .label').textContent.includes('Officer Li')"
            )
            label = await page.text_content(f"{TILE} .label")
            assert "案号 2026-enf-0042" in label and "位置 31.23040, 121.47370" in label
            assert "录制中" in label and "电量 81%" in label

            await page.click(TILE)  # enlarge with sound
            assert await page.evaluate(f"document.querySelector('{TILE}').classList.contains('enlarged')")
            assert await page.evaluate(f"document.querySelector('{TILE} video').muted") is False

            await asyncio.to_thread(publisher.stop)  # the agent leaves: its tile goes
            started = time.monotonic()
            await page.wait_for_selector(TILE, state="detached", timeout=15_000)
            assert time.monotonic() - started < 10
    finally:
        await asyncio.to_thread(publisher.stop)


async def _under_the_portal_csp(page: Any, wall_url: str) -> list[str]:
    """Serve the wall page with the portal's CSP (as at /live/wall); returns the CSP complaints seen."""
    policy = content_security_policy([])

    async def with_csp(route: Any) -> None:
        response = await route.fetch()
        await route.fulfill(
            response=response, headers={**response.headers, "content-security-policy": policy}
        )

    await page.route(wall_url, with_csp)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    return refused


async def _media_time(page: Any, tile: str, tag: str) -> float:
    return float(await page.evaluate(f"document.querySelector('{tile} {tag}').currentTime"))


async def test_wall_shows_an_audio_only_feed_with_a_level_and_plays_it(
    quick_server: LiveServer, tone_feed: ToneFeed
) -> None:
    publisher = LivePublisher(
        "mic",
        WhipClient(f"{quick_server.url}/whip/court-3/mic", DEVICE_TOKEN),
        LOOPBACK,
        LiveInput(video=None, audio=tone_feed.tap.subscribe(100), request_keyframe=lambda: None),
    )
    publisher.start()
    try:
        async with _operator_page() as page:
            refused = await _under_the_portal_csp(page, f"{quick_server.url}/wall")
            await page.goto(f"{quick_server.url}/wall")
            await page.wait_for_selector(f"{MIC_TILE}.audio-only audio", state="attached", timeout=15_000)
            assert await page.text_content(f"{MIC_TILE} .audio-badge") == "仅音频"
            assert await page.query_selector(f"{MIC_TILE} video") is None
            # before any click the level meter shows the tone (-6 dBFS peak, about -12 dBFS RMS once in
            # stereo Opus), far above its -60 dB floor
            await page.wait_for_function(
                f"() => document.querySelector('{MIC_TILE} meter.level').value > -20", timeout=15_000
            )
            await page.wait_for_function(
                f"() => document.querySelector('{MIC_TILE} .label').textContent.includes('court-3 · 麦克风')"
            )
            assert await page.get_attribute(MIC_TILE, "data-outage") == ""

            await page.click(MIC_TILE)  # enlarge: the click lets it play with sound
            assert await page.evaluate(f"document.querySelector('{MIC_TILE}').classList.contains('enlarged')")
            assert await page.evaluate(f"document.querySelector('{MIC_TILE} audio').muted") is False
            await page.wait_for_function(
                f"() => document.querySelector('{MIC_TILE} audio').currentTime > 1", timeout=10_000
            )
            first = await _media_time(page, MIC_TILE, "audio")
            await page.wait_for_function(  # it keeps playing
                f"() => document.querySelector('{MIC_TILE} audio').currentTime > {first + 0.5}",
                timeout=10_000,
            )
            assert not await page.evaluate(f"document.querySelector('{MIC_TILE} audio').paused")
            assert not refused, refused
    finally:
        await asyncio.to_thread(publisher.stop)
    assert publisher.connections == 1


async def test_wall_refuses_without_operator_sign_in(quick_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=quick_server.url) as client:
        page = await client.get("/wall")
        assert page.status_code == 401 and "值班员口令" in page.text and 'lang="zh-CN"' in page.text
        assert (await client.get("/api/feeds")).status_code == 401
        assert (
            await client.get("/api/feeds", headers={"Authorization": "Bearer wrong-token-0123456789"})
        ).status_code == 401
        offer = await client.post(
            "/whep/bodycam-7/cam", content="v=0\r\n", headers={"Content-Type": "application/sdp"}
        )
        assert offer.status_code == 401
        refused = await client.post(
            "/wall/login",
            content="token=wrong-token-0123456789",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert refused.status_code == 303 and refused.headers["location"].endswith("/wall?signin=refused")
        again = await client.get(refused.headers["location"])
        assert again.status_code == 401 and "口令不正确" in again.text
        assert (await client.get("/api/feeds")).status_code == 401
        login = await client.post(
            "/wall/login",
            content=f"token={OPERATOR_TOKEN}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert login.status_code == 303
        assert (
            await client.get("/api/feeds")
        ).status_code == 200  # the HttpOnly cookie now signs requests in
        config = (await client.get("/api/config")).json()
        assert config["links"] == {"portal": None, "signOut": "wall/logout", "signOutToken": None}
        signed_out = await client.post("/wall/logout")
        assert signed_out.status_code == 303
        assert (await client.get("/api/feeds")).status_code == 401


async def test_a_courtroom_shows_its_cameras_as_tiles_with_its_mix_as_their_sound(
    quick_server: LiveServer, test_feed: EncodedTestFeed, tone_feed: ToneFeed
) -> None:
    """2 cameras + 2 microphones + their mix in court-3: 2 tiles, each with the mix's level (muted) and
    a 开声音 button that plays the mix; the microphones get no tile of their own."""

    def publish(stream: str) -> LivePublisher:
        camera = stream.endswith("cam")
        source = LiveInput(
            video=test_feed.tap.subscribe(60) if camera else None,
            audio=None if camera else tone_feed.tap.subscribe(100),
            request_keyframe=test_feed.request_keyframe if camera else lambda: None,
        )
        url = f"{quick_server.url}/whip/court-3/{stream}"
        return LivePublisher(stream, WhipClient(url, DEVICE_TOKEN), LOOPBACK, source)

    publishers = [publish(s) for s in ("bench-cam", "wide-cam", "mic-1", "mic-2", "mix")]
    for publisher in publishers:
        publisher.start()
    try:
        async with _operator_page() as page:
            await page.goto(f"{quick_server.url}/wall")
            sound = 'figure.tile .room-sound[data-sound-feed="court-3/mix"]'
            await page.wait_for_function(  # every feed listed, the mix chosen as the room's sound
                f"() => document.querySelectorAll('{sound}').length === 2", timeout=20_000
            )
            listed = await page.evaluate("fetch('api/feeds').then(r => r.json()).then(j => j.feeds.length)")
            assert listed == 5
            tiles = await page.eval_on_selector_all("figure.tile", "t => t.map(e => e.dataset.feedId)")
            assert sorted(tiles) == ["court-3/bench-cam", "court-3/wide-cam"]
            assert await page.text_content("#status") == "实时画面 2 路"
            await page.wait_for_function(  # the mix's level moves while muted
                f"() => document.querySelector('{sound} meter').value > -20", timeout=15_000
            )
            mix = 'audio[data-room-sound="court-3/mix"]'
            assert await page.evaluate(f"document.querySelector('{mix}').muted") is True
            await page.click(f"{sound} button")
            assert await page.get_attribute(f"{sound} button", "aria-pressed") == "true"
            assert await page.evaluate(f"document.querySelector('{mix}').muted") is False
            assert await page.query_selector("figure.tile.enlarged") is None
            await page.wait_for_function(
                f"() => document.querySelector('{mix}').currentTime > 0.5", timeout=10_000
            )
    finally:
        for publisher in publishers:
            await asyncio.to_thread(publisher.stop)
