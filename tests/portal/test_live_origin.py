"""Public live media in the public origin bucket (a real SeaweedFS): the page comes from us, the playlist
and segments from the bucket; a non-public feed puts nothing there; a cut stops new segments; closing
withdraws; hls.js in Chromium plays from the bucket under the portal's CSP."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import av
import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from starlette.types import ASGIApp

from archive.errors import PublicOriginError
from archive.settings import ArchiveSettings
from archive.store import ObjectStore, StoreConfig
from archive.store.public_origin import PublicOrigin
from archive.store.public_origin_config import PublicOriginConfig
from portal.broadcasting.live_origin import OriginPublisher, live_on_origin, open_public_origin
from portal.web.app import create_app
from portal.web.security_headers import SecurityHeadersMiddleware, content_security_policy, origin_of
from streaming.errors import HlsError
from streaming.public.broadcast_id import new_broadcast_id
from streaming.public.broadcasts import PublicBroadcasts
from streaming.public.packager import VideoTransform
from streaming.publisher.live_input import LiveInput
from streaming.publisher.live_publisher import LivePublisher
from streaming.publisher.whip_client import WhipClient
from streaming.server.service import LiveService
from streaming.server.web.app import create_app as create_live_app
from streaming.settings import StreamingSettings
from tests.conftest import MakeEmbeddedStore, empty_and_delete_bucket
from tests.portal.conftest import portal_settings
from tests.streaming.browser import chromium
from tests.streaming.conftest import (
    DEVICE_TOKEN,
    LOOPBACK,
    OPERATOR_TOKEN,
    EncodedTestFeed,
    loopback_settings,
)
from tests.streaming.publishers import eventually
from tests.uvicorn_signals import without_signal_handlers
from tests.waiting import wait_until_async
from timebase.backoff import Backoff

DELAY = 2.0
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


@pytest.fixture
def public_origin(store_config: StoreConfig) -> Iterator[PublicOrigin]:
    """A public origin on a fresh, anonymously readable bucket of the session's store."""
    config = PublicOriginConfig(
        dataclasses.replace(store_config, bucket=f"test-live-{uuid.uuid4().hex[:12]}"), prefix="hls"
    )
    origin = PublicOrigin(config, evidence_buckets={store_config.bucket})
    origin.ensure_bucket()
    yield origin
    empty_and_delete_bucket(ObjectStore(config.store))


@pytest.fixture
def encoded_feed() -> Iterator[EncodedTestFeed]:
    feed = EncodedTestFeed().start()
    yield feed
    feed.stop()


def _keys(origin: PublicOrigin, prefix: str) -> set[str]:
    """Object names under ``prefix`` of the origin (with credentials: what the bucket really holds)."""
    store = ObjectStore(origin.config.store)
    return {
        o.key.removeprefix(origin.config.prefix) for o in store.list_objects(origin.config.prefix + prefix)
    }


@contextlib.asynccontextmanager
async def _serve(app: ASGIApp) -> AsyncIterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    without_signal_handlers(server)
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def _live_on(origin: PublicOrigin, tmp_path: Path) -> AsyncIterator[tuple[str, LiveService]]:
    """The live app publishing to ``origin``, behind the portal's security headers (CSP included)."""
    settings = loopback_settings(tmp_path, broadcast_delay_seconds=DELAY, hls_segment_seconds=1.0)
    settings, publisher = live_on_origin(settings, origin)
    service = LiveService(settings, segment_publisher=publisher)
    assert settings.public_base_url is not None
    csp = content_security_policy([origin_of(settings.public_base_url)])
    app = SecurityHeadersMiddleware(create_live_app(service, own_service=True), csp=csp, hsts=False)
    async with _serve(app) as url:
        yield url, service


def _publisher(url: str, name: str, feed: EncodedTestFeed) -> LivePublisher:
    return LivePublisher(
        name,
        WhipClient(f"{url}/whip/court-1/{name}", DEVICE_TOKEN),
        LOOPBACK,
        LiveInput(video=feed.tap.subscribe(60), audio=None, request_keyframe=feed.request_keyframe),
    )


async def _bucket_playlist(base: str) -> str | None:
    async with httpx.AsyncClient() as anonymous:
        response = await anonymous.get(f"{base}live.m3u8")
    return response.text if response.status_code == 200 else None


def _segments(playlist: str | None) -> list[str]:
    return [line for line in (playlist or "").splitlines() if line.endswith(".m4s")]


# -- the portal's wiring ------------------------------------------------------------------------------


@pytest.mark.integration
def test_the_portal_serves_the_page_and_points_it_at_the_bucket(
    public_origin: PublicOrigin, tmp_path: Path
) -> None:
    live = StreamingSettings(public_dir=tmp_path / "public-live", public_feeds=["court-1/cam"])
    app = create_app(
        portal_settings(f"sqlite:///{tmp_path / 'portal.sqlite3'}", tmp_path),
        live=live,
        public_origin=public_origin,
    )
    with TestClient(app, base_url="https://testserver") as client:  # its lifespan starts the live service
        page = client.get("/live/public/court-1/cam")
        assert page.status_code == 200
        media = app.state.live_service.public.media_path("court-1/cam")  # court-1/cam/{broadcast id}
        assert f'data-source="{public_origin.config.direct_url}{media}/"' in page.text
        bucket = origin_of(public_origin.config.store.endpoint)
        policy = dict(
            part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";")
        )
        assert bucket in policy["connect-src"].split() and bucket in policy["media-src"].split()
        assert isinstance(app.state.live_service.public._publisher, OriginPublisher)
    assert not (tmp_path / "public-live").exists()  # nothing public is written by the portal


@pytest.mark.integration
def test_relayed_media_keeps_public_live_on_the_portal_unless_a_cdn_is_named(
    public_origin: PublicOrigin, tmp_path: Path
) -> None:
    """COURTREC_PORTAL_MEDIA_DELIVERY=portal (make run --host 0.0.0.0): the bucket's direct URL is the
    store's 127.0.0.1, which a phone on the LAN cannot reach, so the portal serves the live media."""
    settings = portal_settings(f"sqlite:///{tmp_path / 'portal.sqlite3'}", tmp_path).model_copy(
        update={"portal_media_delivery": "portal"}
    )
    live = StreamingSettings(public_dir=tmp_path / "public-live", public_feeds=["court-1/cam"])
    app = create_app(settings, live=live, public_origin=public_origin)
    with TestClient(app, base_url="https://testserver") as client:
        page = client.get("/live/public/court-1/cam")
        assert page.status_code == 200
        media = app.state.live_service.public.media_path("court-1/cam")
        assert f'data-source="../hls/{media}/"' in page.text  # on the portal, whatever its address
        assert public_origin.config.direct_url not in page.text
    cdn = live.model_copy(update={"public_base_url": "https://cdn.example.cn/live"})
    app = create_app(settings, live=cdn, public_origin=public_origin)
    with TestClient(app, base_url="https://testserver") as client:
        page = client.get("/live/public/court-1/cam")
        media = app.state.live_service.public.media_path("court-1/cam")
        assert f'data-source="https://cdn.example.cn/live/{media}/"' in page.text  # the court's choice
        assert isinstance(app.state.live_service.public._publisher, OriginPublisher)


@pytest.mark.integration
def test_open_public_origin_prepares_the_bucket_and_refuses_evidence(store_config: StoreConfig) -> None:
    evidence = ObjectStore(store_config)
    assert open_public_origin(ArchiveSettings(), evidence) is None  # unset: the directory publisher stays
    with pytest.raises(PublicOriginError, match="evidence bucket"):
        open_public_origin(ArchiveSettings(public_s3_bucket=store_config.bucket), evidence)
    bucket = f"test-live-{uuid.uuid4().hex[:12]}"
    origin = open_public_origin(ArchiveSettings(public_s3_bucket=bucket), evidence)
    try:
        assert origin is not None and origin.config.store.endpoint == store_config.endpoint
        OriginPublisher(origin).put("court-1/cam/status.json", b"{}", "application/json")
        assert httpx.get(f"{origin.config.direct_url}court-1/cam/status.json").status_code == 200
        with pytest.raises(HlsError, match="public origin"):
            OriginPublisher(origin).put("../evidence", b"x", "text/plain")
    finally:
        empty_and_delete_bucket(ObjectStore(dataclasses.replace(store_config, bucket=bucket)))


# -- a public broadcast end to end --------------------------------------------------------------------


@pytest.mark.integration
async def test_a_public_broadcast_advances_in_the_bucket_and_a_cut_stops_it(
    public_origin: PublicOrigin, encoded_feed: EncodedTestFeed, tmp_path: Path
) -> None:
    async with _live_on(public_origin, tmp_path) as (url, service):
        publishers = [_publisher(url, name, encoded_feed) for name in ("cam", "closed-cam")]
        for publisher in publishers:
            publisher.start()
        try:
            async with httpx.AsyncClient(base_url=url) as client:
                for _ in range(300):
                    if all(p.connected for p in publishers):
                        break
                    await asyncio.sleep(0.05)
                assert (await client.post("/api/public/court-1/cam", headers=OPERATOR)).status_code == 200
                base = f"{service.settings.public_base_url}{service.public.media_path('court-1/cam')}/"
                page = await client.get("/public/court-1/cam")
                assert f'data-source="{base}"' in page.text

                deadline = time.monotonic() + DELAY + 15
                while not _segments(playlist := await _bucket_playlist(base)):
                    assert time.monotonic() < deadline, "no segment reached the bucket"
                    await asyncio.sleep(0.2)
                first = _segments(playlist)
                async with httpx.AsyncClient() as anonymous:  # a viewer (or CDN) without credentials
                    init = (await anonymous.get(f"{base}init-0001.mp4")).content
                    media = (await anonymous.get(f"{base}{first[0]}")).content
                with av.open(io.BytesIO(init + media)) as container:
                    frames = list(container.decode(video=0))
                assert frames and frames[0].key_frame and frames[0].width == 320

                async def advanced() -> bool:
                    return bool(set(_segments(await _bucket_playlist(base))) - set(first))

                await wait_until_async(advanced, 10, "the bucket playlist to advance", poll=0.1)
                assert _keys(public_origin, "court-1/closed-cam/") == set()  # not public: nothing there
                assert not (tmp_path / "public").exists()  # the media is not on the live server

                cut = await client.post("/api/public/court-1/cam/cut", headers=OPERATOR)
                assert cut.status_code == 200 and cut.json()["withheld_segments"] >= 1

                async def cut_shown() -> bool:
                    async with httpx.AsyncClient() as anonymous:
                        response = await anonymous.get(f"{base}status.json")
                    return response.status_code == 200 and response.json()["state"] == "cut"

                await wait_until_async(cut_shown, 5, "the cut status in the bucket", poll=0.05)
                # the playlist stays live through a cut: players keep reloading it and see the resume
                assert "#EXT-X-ENDLIST" not in (await _bucket_playlist(base) or "")
                at_cut = {k for k in _keys(public_origin, "court-1/cam/") if k.endswith(".m4s")}
                # a real protocol timer under test: nothing may appear once the broadcast delay (and a
                # segment) has passed, and an absence can only be seen by waiting that long
                await asyncio.sleep(DELAY + 1.5)
                after = {k for k in _keys(public_origin, "court-1/cam/") if k.endswith(".m4s")}
                assert after == at_cut  # nothing was published after the cut

                assert (await client.delete("/api/public/court-1/cam", headers=OPERATOR)).status_code == 200
                assert _keys(public_origin, "court-1/") == set()  # withdrawn from the bucket
                assert await _bucket_playlist(base) is None
        finally:
            for publisher in publishers:
                await asyncio.to_thread(publisher.stop)


@pytest.mark.integration
async def test_hls_js_in_chromium_plays_from_the_bucket(
    public_origin: PublicOrigin, encoded_feed: EncodedTestFeed, tmp_path: Path
) -> None:
    async with _live_on(public_origin, tmp_path) as (url, service):
        if not (service.settings.node_modules / "hls.js" / "dist" / "hls.min.js").is_file():
            pytest.skip("hls.js is not installed (npm ci)")
        publisher = _publisher(url, "cam", encoded_feed)
        publisher.start()
        try:
            async with httpx.AsyncClient(base_url=url) as client:
                assert (await client.post("/api/public/court-1/cam", headers=OPERATOR)).status_code == 200
            async with chromium() as browser:
                page = await browser.new_page()  # type: ignore[attr-defined]  # anonymous, no credentials
                media: list[str] = []
                refused: list[str] = []
                page.on(
                    "request", lambda request: media.append(request.url) if ".m4s" in request.url else None
                )
                page.on(
                    "console",
                    lambda message: (
                        refused.append(message.text) if "Content Security" in message.text else None
                    ),
                )
                await page.goto(f"{url}/public/court-1/cam")
                deadline = time.monotonic() + 30  # polled: wait_for_function evals, which the CSP forbids
                while await page.evaluate("document.getElementById('player').currentTime") <= 1:
                    assert time.monotonic() < deadline, await page.text_content("#notice")
                    await asyncio.sleep(0.25)
                assert await page.evaluate("document.getElementById('player').videoWidth") == 320
            bucket = origin_of(public_origin.config.store.endpoint)
            assert media and all(m.startswith(bucket) for m in media)  # every segment from the bucket
            assert refused == []  # the portal's CSP lets hls.js reach the bucket
        finally:
            await asyncio.to_thread(publisher.stop)


# -- withdrawal when the store is down -----------------------------------------------------------------


def _no_masking() -> VideoTransform:
    raise AssertionError("not masked")


def _directories(origin: PublicOrigin) -> set[str]:
    return {name.rsplit("/", 1)[0] for name in origin.list_names()}


@pytest.mark.integration
async def test_leftovers_and_a_withdrawal_the_stopped_store_refused_are_withdrawn_once_it_answers(
    make_embedded_store: MakeEmbeddedStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_embedded_store()
    assert site.public_origin is not None
    origin = PublicOrigin(site.public_origin, evidence_buckets={site.config.bucket})
    origin.ensure_bucket()
    publisher = OriginPublisher(origin)
    crashed = f"court-1/cam/{new_broadcast_id()}"  # an earlier process died while this was on air
    for name in ("live.m3u8", "status.json", "init-0001.mp4"):
        publisher.put(f"{crashed}/{name}", b"left behind", "application/octet-stream")
    publisher.put("court-2/cam/live.m3u8", b"#EXTM3U\n", "application/vnd.apple.mpegurl")  # the older layout

    settings = StreamingSettings(public_dir=tmp_path / "unused", broadcast_delay_seconds=0)
    retry = Backoff(first_seconds=0.2, cap_seconds=1.0)
    public = PublicBroadcasts(settings, publisher, mask_factory=_no_masking, retry=retry)
    try:
        public.open("court-1/cam", None)
        on_air = public.media_path("court-1/cam")
        public.withdraw_leftovers()  # what LiveService does at start
        await eventually(lambda: _directories(origin) == {on_air}, "only the broadcast on air is public")
        status = f"{origin.config.direct_url}{on_air}/status.json"
        async with httpx.AsyncClient() as anonymous:
            assert (await anonymous.get(status)).status_code == 200

        await asyncio.to_thread(site.stop)
        await public.close("court-1/cam")  # the store is down: the files stay public for now
        assert public.pending_withdrawals == [f"{on_air}/"]
        caplog.set_level(logging.ERROR, logger="streaming.public.withdrawals")

        def failed_attempts() -> int:
            return sum("public withdrawal of" in r.getMessage() for r in caplog.records)

        await eventually(lambda: failed_attempts() >= 2, "a retry failing too (logged on the 1st and 2nd)")
        assert public.pending_withdrawals == [f"{on_air}/"]
        await asyncio.to_thread(site.start)
        await eventually(lambda: not public.pending_withdrawals, "the withdrawal went through", seconds=30)
        assert origin.list_names() == []
        async with httpx.AsyncClient() as anonymous:
            assert (await anonymous.get(status)).status_code in (403, 404)
    finally:
        await public.aclose()
