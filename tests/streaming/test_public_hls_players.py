"""Live public HLS as third-party players take it (RFC 8216): hls.js in Chromium plays on by itself
across a cut and a resume, a restarted publisher continues the playlist after a discontinuity,
ffmpeg reads the URL, and an audio-only hearing is public HLS too. Every playlist revision served
is checked by the independent checker in hls_rules.py."""

from __future__ import annotations

import asyncio
import contextlib
import io
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import httpx
import imageio_ffmpeg
import m3u8
import numpy as np
import pytest

from streaming.errors import FeedNotFoundError
from streaming.publisher.live_input import LiveInput
from streaming.publisher.live_publisher import LivePublisher
from streaming.publisher.whip_client import WhipClient
from tests.portal.sound_checks import loudest_sound_script
from tests.waiting import wait_until_async

from .browser import chromium
from .conftest import (
    DEVICE_TOKEN,
    LOOPBACK,
    OPERATOR_TOKEN,
    EncodedTestFeed,
    LiveServer,
    ToneFeed,
    loopback_settings,
    mono_samples,
    serve,
)
from .hls_rules import LivePlaylistHistory, check_multivariant

pytestmark = pytest.mark.integration

OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
DELAY = 1.0


@contextlib.asynccontextmanager
async def _server(tmp_path: Path, **overrides: object) -> AsyncIterator[LiveServer]:
    settings = loopback_settings(
        tmp_path, broadcast_delay_seconds=DELAY, hls_segment_seconds=1.0, **overrides
    )
    async with serve(settings) as server:
        yield server


def _publisher(
    server: LiveServer, stream: str, *, video: EncodedTestFeed | None, audio: ToneFeed | None
) -> LivePublisher:
    return LivePublisher(
        stream,
        WhipClient(f"{server.url}/whip/court-1/{stream}", DEVICE_TOKEN),
        LOOPBACK,
        LiveInput(
            video=video.tap.subscribe(60) if video else None,
            audio=audio.tap.subscribe(100) if audio else None,
            request_keyframe=video.request_keyframe if video else lambda: None,
        ),
    )


class _PlaylistWatcher:
    """Fetches the live playlist every 0.1 s and checks every new revision."""

    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self._client = client
        self._url = url
        self.history = LivePlaylistHistory()
        self.latest = ""
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> _PlaylistWatcher:
        self._task = asyncio.ensure_future(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        if self._task.done():
            self._task.result()  # a rule broken: raise it
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        while True:
            response = await self._client.get(self._url)
            if response.status_code == 200 and response.text != self.latest:
                self.latest = response.text
                self.history.check(response.text)
            await asyncio.sleep(0.1)

    def segments(self) -> list[str]:
        assert self._task is not None
        if self._task.done():
            self._task.result()
        return [line for line in self.latest.splitlines() if line.endswith(".m4s")]


async def _wait_connected(publisher: LivePublisher) -> None:
    deadline = time.monotonic() + 15
    while not publisher.connected:
        assert time.monotonic() < deadline, "the publisher did not connect"
        await asyncio.sleep(0.05)


def _ffmpeg_reads(url: str, seconds: float) -> str:
    """ffmpeg (imageio-ffmpeg's build) demuxes and decodes ``seconds`` of the HLS URL; its log."""
    done = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-i",
            url,
            "-t",
            str(seconds),
            "-map",
            "0",
            "-f",
            "null",
            "-",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


async def _playing_with_sound(browser: Any, url: str) -> Any:
    """A new page of ``browser`` on the public page ``url``, once its player is past 1 s and has
    decoded sound."""
    page = await browser.new_page()
    await page.goto(url)
    await page.wait_for_function("document.getElementById('player').currentTime > 1", timeout=25_000)
    await page.wait_for_function(
        "document.getElementById('player').webkitAudioDecodedByteCount > 0", timeout=10_000
    )
    return page


async def test_hls_js_plays_with_sound_on_by_itself_across_a_cut_and_resume(
    tmp_path: Path, test_feed: EncodedTestFeed, tone_feed: ToneFeed
) -> None:
    async with _server(tmp_path) as server, httpx.AsyncClient(base_url=server.url) as client:
        # the clerk opens the broadcast before the courtroom's publisher connects
        assert (await client.post("/api/public/court-1/cam", headers=OPERATOR)).status_code == 200
        base = f"/public/hls/{server.service.public.media_path('court-1/cam')}"
        publisher = _publisher(server, "cam", video=test_feed, audio=tone_feed)
        publisher.start()
        try:
            async with chromium() as browser, _PlaylistWatcher(client, f"{base}/live.m3u8") as watcher:
                page = await browser.new_page()
                await page.goto(f"{server.url}/public/court-1/cam")
                await page.wait_for_function(
                    "document.getElementById('player').currentTime > 1", timeout=25_000
                )
                (variant,) = check_multivariant((await client.get(f"{base}/index.m3u8")).text)
                assert variant.uri == "live.m3u8" and variant.resolution == (320, 240)
                assert variant.codecs[0].startswith("avc1.") and variant.codecs[1:] == ["mp4a.40.2"]
                await page.wait_for_function(
                    "document.getElementById('player').webkitAudioDecodedByteCount > 0", timeout=10_000
                )

                assert (await client.post("/api/public/court-1/cam/cut", headers=OPERATOR)).status_code == 200
                buffered_at_cut = await page.evaluate(
                    "(() => { const b = document.getElementById('player').buffered;"
                    " return b.end(b.length - 1); })()"
                )
                # the scenario: a 2 s cut (a real span of time the clerk's cut lasts)
                await asyncio.sleep(2.0)
                assert "#EXT-X-ENDLIST" not in (await client.get(f"{base}/live.m3u8")).text
                assert (
                    await client.post("/api/public/court-1/cam/resume", headers=OPERATOR)
                ).status_code == 200
                # nothing on the page is touched: the player goes past everything it held at the cut
                await page.wait_for_function(
                    f"document.getElementById('player').currentTime > {buffered_at_cut + 2.0}", timeout=20_000
                )
                assert not await page.evaluate("document.getElementById('player').paused")
                await wait_until_async(
                    lambda: _true(len(watcher.history.discontinuities_seen) >= 1),
                    5,
                    "the resume's discontinuity",
                )
                assert watcher.history.revisions >= 5
                assert "直播中" in (await page.text_content("#notice") or "")
                await page.context.close()  # before the server goes
        finally:
            await asyncio.to_thread(publisher.stop)


async def _assert_bandwidth_covers_every_segment(client: httpx.AsyncClient, base: str) -> None:
    """The multivariant playlist's BANDWIDTH is at least every listed segment's bit rate."""
    listed = m3u8.loads((await client.get(f"{base}/live.m3u8")).text).segments
    (variant,) = check_multivariant((await client.get(f"{base}/index.m3u8")).text)
    for segment in listed:
        size = len((await client.get(f"{base}/{segment.uri}")).content)
        assert size * 8 / segment.duration <= variant.bandwidth, (segment.uri, size, segment.duration)


async def _true(value: bool) -> bool:
    return value


async def test_a_restarted_publisher_continues_the_playlist_and_ffmpeg_reads_it(
    tmp_path: Path, test_feed: EncodedTestFeed, tone_feed: ToneFeed
) -> None:
    async with (
        _server(tmp_path, lost_feed_seconds=2.0) as server,
        httpx.AsyncClient(base_url=server.url) as client,
    ):
        assert (await client.post("/api/public/court-1/cam", headers=OPERATOR)).status_code == 200
        base = f"/public/hls/{server.service.public.media_path('court-1/cam')}"
        async with _PlaylistWatcher(client, f"{base}/live.m3u8") as watcher:
            first = _publisher(server, "cam", video=test_feed, audio=tone_feed)
            first.start()
            try:
                await _wait_connected(first)
                await wait_until_async(lambda: _true(len(watcher.segments()) >= 6), 20, "six segments")
            finally:
                await asyncio.to_thread(first.stop)

            def gone() -> bool:
                try:
                    server.service.feed("court-1/cam")
                except FeedNotFoundError:
                    return True
                return False

            await wait_until_async(lambda: _true(gone()), 10, "the lost feed to be removed")
            second = _publisher(server, "cam", video=test_feed, audio=tone_feed)
            second.start()  # a new feed: its timeline starts at zero again
            try:
                await _wait_connected(second)
                reconnected = time.monotonic()
                await wait_until_async(
                    lambda: _true(any(s.startswith("0002-") for s in watcher.segments())),
                    DELAY + 5,
                    "segments of the second publication (not frozen for as long as the first one ran)",
                )
                assert time.monotonic() - reconnected < DELAY + 5
                assert watcher.history.discontinuities_seen
                assert 'URI="init-0002.mp4"' in watcher.latest

                log = await asyncio.to_thread(_ffmpeg_reads, f"{server.url}{base}/index.m3u8", 2.0)
                assert "Video: h264" in log and "320x240" in log and "Audio: aac" in log, log[-2000:]
                await _assert_bandwidth_covers_every_segment(client, base)
            finally:
                await asyncio.to_thread(second.stop)


async def test_public_hls_of_an_audio_only_hearing(tmp_path: Path, tone_feed: ToneFeed) -> None:
    async with _server(tmp_path) as server, httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.post("/api/public/court-1/mic", headers=OPERATOR)).status_code == 200
        base = f"/public/hls/{server.service.public.media_path('court-1/mic')}"
        publisher = _publisher(server, "mic", video=None, audio=tone_feed)
        publisher.start()
        try:
            async with _PlaylistWatcher(client, f"{base}/live.m3u8") as watcher:
                await wait_until_async(
                    lambda: _true(len(watcher.segments()) >= 3), 15, "three audio segments"
                )
                (variant,) = check_multivariant((await client.get(f"{base}/index.m3u8")).text)
                assert variant.codecs == ["mp4a.40.2"] and variant.resolution is None
                init = (await client.get(f"{base}/init-0001.mp4")).content
                segment = (await client.get(f"{base}/{watcher.segments()[-1]}")).content
                log = await asyncio.to_thread(_ffmpeg_reads, f"{server.url}{base}/index.m3u8", 1.0)
                assert "Audio: aac" in log and "Video:" not in log, log[-2000:]
                # the public page plays it with hls.js
                async with chromium() as browser:  # closed before the server goes
                    await _playing_with_sound(browser, f"{server.url}/public/court-1/mic")
        finally:
            await asyncio.to_thread(publisher.stop)
    with av.open(io.BytesIO(init + segment)) as container:
        assert not container.streams.video
        samples = mono_samples(list(container.decode(audio=0)))
    assert len(samples) >= 0.8 * 48_000
    assert float(np.sqrt(np.mean(samples**2))) > 0.1  # the courtroom's tone, not silence


_LEVEL_SCRIPT = loudest_sound_script("player", windows=30)  # the page starts muted (autoplay rules)


async def test_a_courtrooms_broadcast_carries_its_microphones_sound(
    tmp_path: Path, test_feed: EncodedTestFeed, tone_feed: ToneFeed
) -> None:
    """The camera sends pictures only and the microphone is a stream of its own (as the courtroom agent
    publishes them): the public broadcast of the camera carries the microphone's sound, and Chromium
    plays it with a level that is not silence."""
    async with _server(tmp_path) as server, httpx.AsyncClient(base_url=server.url) as client:
        opened = await client.post("/api/public/court-1/cam", params={"sound": "mic"}, headers=OPERATOR)
        assert opened.status_code == 200, opened.text
        base = f"/public/hls/{server.service.public.media_path('court-1/cam')}"
        camera = _publisher(server, "cam", video=test_feed, audio=None)
        microphone = _publisher(server, "mic", video=None, audio=tone_feed)
        camera.start()
        microphone.start()
        try:
            await _wait_connected(camera)
            await _wait_connected(microphone)
            async with _PlaylistWatcher(client, f"{base}/live.m3u8") as watcher:
                await wait_until_async(lambda: _true(len(watcher.segments()) >= 3), 20, "three segments")
                (variant,) = check_multivariant((await client.get(f"{base}/index.m3u8")).text)
                assert variant.codecs[0].startswith("avc1.") and variant.codecs[1:] == ["mp4a.40.2"]
                latest = watcher.segments()[-1]
                init_name = [
                    line.split('"')[1] for line in watcher.latest.splitlines() if "EXT-X-MAP" in line
                ][-1]
                init = (await client.get(f"{base}/{init_name}")).content
                segment = (await client.get(f"{base}/{latest}")).content
                async with chromium("--autoplay-policy=no-user-gesture-required") as browser:
                    page = await _playing_with_sound(browser, f"{server.url}/public/court-1/cam")
                    level = await page.evaluate(_LEVEL_SCRIPT)  # closed before the server goes
        finally:
            await asyncio.to_thread(camera.stop)
            await asyncio.to_thread(microphone.stop)
    assert level > 0.01, f"the public page plays silence (RMS {level})"
    with av.open(io.BytesIO(init + segment)) as container:
        assert container.streams.video and container.streams.audio
        samples = mono_samples(list(container.decode(audio=0)))
    assert float(np.sqrt(np.mean(samples**2))) > 0.1  # the microphone's tone, not the filled-in silence


async def test_without_its_microphone_a_broadcast_keeps_the_cameras_own_sound(
    tmp_path: Path, test_feed: EncodedTestFeed, tone_feed: ToneFeed
) -> None:
    """A broadcast told to take a microphone that never publishes carries the camera's own sound."""
    async with _server(tmp_path) as server, httpx.AsyncClient(base_url=server.url) as client:
        opened = await client.post("/api/public/court-1/cam", params={"sound": "mic"}, headers=OPERATOR)
        assert opened.status_code == 200, opened.text
        base = f"/public/hls/{server.service.public.media_path('court-1/cam')}"
        camera = _publisher(server, "cam", video=test_feed, audio=tone_feed)
        camera.start()
        try:
            async with _PlaylistWatcher(client, f"{base}/live.m3u8") as watcher:
                await wait_until_async(lambda: _true(len(watcher.segments()) >= 3), 20, "three segments")
                init = (await client.get(f"{base}/init-0001.mp4")).content
                segment = (await client.get(f"{base}/{watcher.segments()[-1]}")).content
        finally:
            await asyncio.to_thread(camera.stop)
    with av.open(io.BytesIO(init + segment)) as container:
        samples = mono_samples(list(container.decode(audio=0)))
    assert float(np.sqrt(np.mean(samples**2))) > 0.1
