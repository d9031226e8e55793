"""Public HLS: only public hearings, after the broadcast delay, cut at once by the clerk, resumable."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path

import av
import httpx
import pytest

from streaming.publisher.live_input import LiveInput
from streaming.publisher.live_publisher import LivePublisher
from streaming.publisher.whip_client import WhipClient
from tests.waiting import wait_until_async

from .browser import chromium
from .conftest import (
    DEVICE_TOKEN,
    LOOPBACK,
    OPERATOR_TOKEN,
    EncodedTestFeed,
    LiveServer,
    loopback_settings,
    serve,
)

pytestmark = pytest.mark.integration

DELAY = 2.0  # well above one 1-s segment, so "after the delay" is told apart from "at once"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


@pytest.fixture
async def hls_server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    settings = loopback_settings(tmp_path, broadcast_delay_seconds=DELAY, hls_segment_seconds=1.0)
    async with serve(settings) as server:
        yield server


async def _segments(client: httpx.AsyncClient, base: str) -> list[str]:
    response = await client.get(f"{base}/live.m3u8")
    if response.status_code != 200:
        return []
    return [line for line in response.text.splitlines() if line.endswith(".m4s")]


async def test_public_playlist_respects_delay_and_cut_and_refuses_private_feeds(
    hls_server: LiveServer, test_feed: EncodedTestFeed
) -> None:
    publishers = [
        LivePublisher(
            name,
            WhipClient(f"{hls_server.url}/whip/court-1/{name}", DEVICE_TOKEN),
            LOOPBACK,
            LiveInput(
                video=test_feed.tap.subscribe(60), audio=None, request_keyframe=test_feed.request_keyframe
            ),
        )
        for name in ("cam", "closed-cam")
    ]
    for publisher in publishers:
        publisher.start()
    try:
        async with httpx.AsyncClient(base_url=hls_server.url) as client:
            for _ in range(300):
                if all(p.connected for p in publishers):
                    break
                await asyncio.sleep(0.05)
            opened = await client.post("/api/public/court-1/cam", headers=OPERATOR)
            assert opened.status_code == 200, opened.text
            assert (await client.post("/api/public/court-1/cam")).status_code == 401  # clerks only
            opened_at = time.monotonic()
            media = hls_server.service.public.media_path("court-1/cam")  # court-1/cam/{broadcast id}
            base = f"/public/hls/{media}"

            # a live feed that is not public is nowhere to be found publicly
            for path in (
                "/public/court-1/closed-cam",
                "/public/hls/court-1/closed-cam/live.m3u8",
                "/public/hls/court-1/closed-cam/status.json",
                "/public/hls/court-1/cam/..%2F..%2Fsecret",
                "/public/hls/court-1/cam/../closed-cam/live.m3u8",
                "/public/hls/court-1/cam/live.m3u8",  # the layout before broadcast ids
                "/public/hls/court-1/cam/20000101T000000Z-000000000000/live.m3u8",  # not its broadcast now
                f"{base}/..%2F..%2Fcam/live.m3u8",
                f"{base}/live.m3u8%2F..%2Fstatus.json",
                "/public/nowhere/cam",
            ):
                assert (await client.get(path)).status_code == 404, path

            # nothing is public before the delay has passed since the first segment was made
            first_seen = None
            while first_seen is None:
                if await _segments(client, base):
                    first_seen = time.monotonic()
                assert time.monotonic() - opened_at < 15
                await asyncio.sleep(0.1)
            assert first_seen - opened_at >= DELAY + 1.0 - 0.2  # >= one 1 s segment + the delay

            page = await client.get("/public/court-1/cam")
            assert page.status_code == 200 and "hls.min.js" in page.text
            assert f'data-source="../hls/{media}/"' in page.text
            segments = await _segments(client, base)
            init = (await client.get(f"{base}/init-0001.mp4")).content
            first_segment = await client.get(f"{base}/{segments[0]}")
            assert first_segment.headers["cache-control"] == "public, max-age=3600, immutable"
            with av.open(io.BytesIO(init + first_segment.content)) as container:
                frames = list(container.decode(video=0))
            assert frames and frames[0].key_frame and (frames[0].width, frames[0].height) == (320, 240)

            async def advanced() -> bool:
                return bool(set(await _segments(client, base)) - set(segments))

            await wait_until_async(advanced, 10, "the playlist to advance", poll=0.1)

            cut = await client.post("/api/public/court-1/cam/cut", headers=OPERATOR)
            assert cut.status_code == 200 and cut.json()["public"]["pending_segments"] == 0
            assert cut.json()["withheld_segments"] >= 1  # the segments still inside the delay

            async def cut_published() -> bool:
                return bool((await client.get(f"{base}/status.json")).json()["state"] == "cut")

            await wait_until_async(cut_published, 5, "the cut status to be published", poll=0.05)
            at_cut = set(await _segments(client, base))
            # the playlist stays live through a cut (players keep reloading it and see the resume)
            assert "#EXT-X-ENDLIST" not in (await client.get(f"{base}/live.m3u8")).text
            # a real protocol timer under test: nothing may appear once the broadcast delay (and a
            # segment) has passed, and an absence can only be seen by waiting that long
            await asyncio.sleep(DELAY + 1.5)
            assert set(await _segments(client, base)) == at_cut  # nothing more was published

            resumed = await client.post("/api/public/court-1/cam/resume", headers=OPERATOR)
            assert resumed.status_code == 200
            deadline = time.monotonic() + DELAY + 8
            while not [s for s in await _segments(client, base) if s.startswith("0002-")]:
                assert time.monotonic() < deadline, await _segments(client, base)
                await asyncio.sleep(0.2)
            playlist = (await client.get(f"{base}/live.m3u8")).text
            assert "#EXT-X-DISCONTINUITY" in playlist and 'URI="init-0002.mp4"' in playlist
            assert "#EXT-X-ENDLIST" not in playlist
            first_broadcast = set(await _segments(client, base)) | {"init-0001.mp4", "init-0002.mp4"}

            closed = await client.delete("/api/public/court-1/cam", headers=OPERATOR)
            assert closed.status_code == 200
            assert (await client.get(f"{base}/live.m3u8")).status_code == 404
            assert not (hls_server.service.settings.public_dir / "court-1" / "cam").exists()

            # the next public hearing in the courtroom: a new broadcast, under URLs never used before
            assert (await client.post("/api/public/court-1/cam", headers=OPERATOR)).status_code == 200
            reopened = f"/public/hls/{hls_server.service.public.media_path('court-1/cam')}"
            assert reopened != base
            deadline = time.monotonic() + DELAY + 8
            while not (second := await _segments(client, reopened)):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.2)
            first_urls = {f"{base}/{name}" for name in first_broadcast}
            assert not first_urls & {f"{reopened}/{name}" for name in [*second, "init-0001.mp4"]}
            for url in first_urls:
                assert (await client.get(url)).status_code == 404, url
            assert (await client.delete("/api/public/court-1/cam", headers=OPERATOR)).status_code == 200
    finally:
        for publisher in publishers:
            await asyncio.to_thread(publisher.stop)


async def test_public_page_plays_with_hls_js_in_chromium(
    hls_server: LiveServer, test_feed: EncodedTestFeed
) -> None:
    if not (hls_server.service.settings.node_modules / "hls.js" / "dist" / "hls.min.js").is_file():
        pytest.skip("hls.js is not installed (npm ci)")
    publisher = LivePublisher(
        "cam",
        WhipClient(f"{hls_server.url}/whip/court-1/cam", DEVICE_TOKEN),
        LOOPBACK,
        LiveInput(video=test_feed.tap.subscribe(60), audio=None, request_keyframe=test_feed.request_keyframe),
    )
    publisher.start()
    try:
        async with httpx.AsyncClient(base_url=hls_server.url) as client:
            assert (await client.post("/api/public/court-1/cam", headers=OPERATOR)).status_code == 200
        async with chromium() as browser:
            page = await browser.new_page()  # type: ignore[attr-defined]  # no operator credentials at all
            await page.goto(f"{hls_server.url}/public/court-1/cam")
            await page.wait_for_function("document.getElementById('player').currentTime > 1", timeout=25_000)
            assert "直播中" in await page.text_content("#notice")
            width = await page.evaluate("document.getElementById('player').videoWidth")
            assert width == 320
    finally:
        await asyncio.to_thread(publisher.stop)
