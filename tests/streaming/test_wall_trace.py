"""A bodycam's moving GPS trace on the wall, in a real headless Chromium: the agent's telemetry carries
positions from a real synthetic track (devices), the server keeps the feed's trace, and the tile draws
it as an SVG path over a grid (no map tiles), under the portal's CSP."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from capture.live import gps_fix
from devices import open_position_source, parse_position_spec
from streaming.publisher.live_input import LiveInput
from streaming.publisher.live_publisher import LivePublisher
from streaming.publisher.whip_client import WhipClient
from streaming.server.telemetry_board import TelemetryBoard
from streaming.telemetry import GpsFix, TelemetryReport

from .browser import chromium
from .conftest import (
    DEVICE_ID,
    DEVICE_TOKEN,
    LOOPBACK,
    OPERATOR_TOKEN,
    EncodedTestFeed,
    LiveServer,
    loopback_settings,
    serve,
)
from .test_wall_browser import _under_the_portal_csp

TILE = 'figure[data-feed-id="bodycam-7/cam"]'


def test_the_board_keeps_distinct_positions_in_order() -> None:
    board = TelemetryBoard()
    for lat in (31.0, 31.0, 31.001, 31.002):
        report = TelemetryReport(device_id="d", gps=GpsFix(lat=lat, lon=121.0), at=datetime.now(UTC))
        board.update("room/cam", report)
    board.update("room/cam", TelemetryReport(device_id="d", at=datetime.now(UTC)))  # no fix: no point
    assert board.snapshot()["room/cam"]["trace"] == [[31.0, 121.0], [31.001, 121.0], [31.002, 121.0]]
    board.forget("room/cam")
    assert board.snapshot() == {}


@pytest.fixture
async def quick_server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(loopback_settings(tmp_path, lost_feed_seconds=2.0)) as server:
        yield server


@pytest.mark.integration
async def test_wall_draws_a_moving_trace_for_a_bodycam(
    quick_server: LiveServer, test_feed: EncodedTestFeed
) -> None:
    track = open_position_source(
        parse_position_spec("synthetic-track#lat=31.2304&lon=121.4737&speed=20&realtime=0")
    )
    fixes = track.fixes()
    lock = threading.Lock()

    def report() -> TelemetryReport:
        with lock:
            fix = next(fixes)  # one step of the track per report: a bodycam on the move
        return TelemetryReport(
            device_id=DEVICE_ID,
            room="bodycam-7",
            officer="Officer Li",
            gps=gps_fix(fix),
            at=datetime.now(UTC),
        )

    publisher = LivePublisher(
        "cam",
        WhipClient(f"{quick_server.url}/whip/bodycam-7/cam", DEVICE_TOKEN),
        LOOPBACK,
        LiveInput(
            video=test_feed.tap.subscribe(60),
            audio=None,
            request_keyframe=test_feed.request_keyframe,
            telemetry=report,
        ),
        telemetry_seconds=0.3,
    )
    publisher.start()
    try:
        async with chromium() as browser:
            context = await browser.new_context(  # type: ignore[attr-defined]
                extra_http_headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}
            )
            page = await context.new_page()
            refused = await _under_the_portal_csp(page, f"{quick_server.url}/wall")
            await page.goto(f"{quick_server.url}/wall")
            await page.wait_for_selector(f"{TILE} svg.trace", timeout=15_000)
            await page.wait_for_function(
                f"() => Number(document.querySelector('{TILE} svg.trace').dataset.points) >= 4",
                timeout=15_000,
            )
            points = await page.evaluate(
                f"document.querySelector('{TILE} svg.trace polyline.trace-path').getAttribute('points')"
            )
            pairs = [tuple(float(v) for v in pair.split(",")) for pair in points.split()]
            assert len(pairs) >= 4 and len(set(pairs)) > 1, points  # a path, not a dot
            for x, y in pairs:  # drawn inside the 240x180 box
                assert 0 <= x <= 240 and 0 <= y <= 180, pairs
            assert await page.locator(f"{TILE} svg.trace line.trace-grid").count() >= 4
            assert "网格" in (await page.text_content(f"{TILE} svg.trace .trace-scale") or "")
            first = len(pairs)
            await page.wait_for_function(  # it keeps growing as the bodycam moves
                f"() => Number(document.querySelector('{TILE} svg.trace').dataset.points) > {first}",
                timeout=10_000,
            )
            assert not refused, refused
    finally:
        await asyncio.to_thread(publisher.stop)
        track.close()
