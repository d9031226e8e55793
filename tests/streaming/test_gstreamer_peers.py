"""A WebRTC stack with an RSA certificate: GStreamer's webrtcbin publishes over WHIP and views over WHEP.

webrtcbin (Debian's gstreamer1.0-plugins-bad, libnice from gstreamer1.0-nice) runs in Debian's own
Python (tests/streaming/gst_peer.py) inside a network namespace made for the test (libnice gathers
no loopback candidates; see tests/streaming/netns.py). The in-process server listens and gathers on
loopback and on its end of the veth pair. Our aiortc peers stay on loopback.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from streaming.errors import FeedNotFoundError
from streaming.publisher.live_input import LiveInput
from streaming.publisher.live_publisher import LivePublisher
from streaming.publisher.whip_client import WhipClient

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
    watch_with_aiortc,
)
from .netns import NamespaceUnavailable, PeerHost, peer_host
from .publishers import eventually

pytestmark = pytest.mark.integration

SYSTEM_PYTHON = "/usr/bin/python3"
GST_PEER = Path(__file__).with_name("gst_peer.py")
PACKAGES = (
    "gstreamer1.0-plugins-bad gstreamer1.0-nice gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly "
    "gstreamer1.0-libav gir1.2-gst-plugins-bad-1.0 python3-gi python3-gst-1.0"
)


@dataclass
class GstPeerReport:
    connected: bool
    states: list[str]
    video_frames: int
    sizes: list[list[int]]
    audio_samples: int
    failure: str | None
    messages: list[str]


@pytest.fixture(scope="module")
def gstreamer() -> None:
    """Skip (naming the packages) unless Debian's Python has PyGObject and GStreamer's WebRTC elements."""
    try:
        result = subprocess.run(
            [SYSTEM_PYTHON, str(GST_PEER), "check"], check=False, capture_output=True, text=True, timeout=60
        )
    except FileNotFoundError:
        pytest.skip(f"{SYSTEM_PYTHON} is missing (apt-get install {PACKAGES})")
    if result.returncode != 0:
        why = result.stdout.strip() or result.stderr.strip()[-500:]
        pytest.skip(f"GStreamer WebRTC is not usable here ({why}): apt-get install {PACKAGES}")


@pytest.fixture
def host() -> Iterator[PeerHost]:
    try:
        with peer_host() as made:
            yield made
    except NamespaceUnavailable as exc:
        pytest.skip(f"cannot make a network namespace for the GStreamer peer (needs root): {exc}")


@pytest.fixture
async def server(tmp_path: Path, host: PeerHost) -> AsyncIterator[LiveServer]:
    settings = loopback_settings(
        tmp_path,
        ice_host_addresses=["127.0.0.1", host.host_address],
        ice_allowed_networks=["127.0.0.0/8", host.network],
    )
    async with serve(settings, also_on=[host.host_address]) as live:
        yield live


async def run_gst_peer(
    host: PeerHost, mode: str, url: str, token: str, seconds: float, stop: asyncio.Event | None = None
) -> GstPeerReport:
    """Run the GStreamer peer for ``seconds`` once connected (less when ``stop`` is set); its report."""
    process = await asyncio.create_subprocess_exec(
        *host.command(SYSTEM_PYTHON, str(GST_PEER), mode, url, token, str(seconds)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    communicating = asyncio.ensure_future(process.communicate())
    try:
        if stop is not None:
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({communicating, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not communicating.done():
                process.terminate()  # the peer quits and reports
        stdout, stderr = await asyncio.wait_for(communicating, seconds + 40)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    lines = stdout.decode().strip().splitlines()
    assert lines, f"the GStreamer peer printed no report: {stderr.decode()[-2000:]}"
    return GstPeerReport(**json.loads(lines[-1]))


def dominant_hz(samples: np.ndarray, rate: int = 48_000) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


async def test_gstreamer_publishes_h264_and_opus_over_whip_and_an_aiortc_viewer_decodes_both(
    gstreamer: None, host: PeerHost, server: LiveServer
) -> None:
    url = f"{server.url_on(host.host_address)}/whip/court-3/gst-cam"
    viewed = asyncio.Event()
    publishing = asyncio.ensure_future(run_gst_peer(host, "publish", url, DEVICE_TOKEN, 20, stop=viewed))
    try:
        await eventually(
            lambda: publishing.done() or _has_packets(server, "court-3/gst-cam"), "GStreamer's feed", 20
        )
        assert not publishing.done(), publishing.result()
        viewer = await watch_with_aiortc(f"{server.url}/whep/court-3/gst-cam", seconds=10.0, until_frames=30)
    finally:
        viewed.set()
        report = await publishing
    assert report.connected and report.failure is None, report
    assert viewer.frames >= 30, viewer
    assert viewer.sizes == {(320, 240)}
    samples = mono_samples(viewer.audio)
    assert len(samples) >= 24_000, f"only {len(samples)} audio samples decoded"
    assert abs(dominant_hz(samples[-24_000:]) - 440) < 10  # audiotestsrc's 440 Hz sine, through Opus


async def test_a_gstreamer_whep_viewer_decodes_what_our_aiortc_publisher_sends(
    gstreamer: None, host: PeerHost, server: LiveServer, test_feed: EncodedTestFeed, tone_feed: ToneFeed
) -> None:
    publisher = LivePublisher(
        "cam",
        WhipClient(f"{server.url}/whip/court-3/cam", DEVICE_TOKEN),
        LOOPBACK,
        LiveInput(
            video=test_feed.tap.subscribe(60),
            audio=tone_feed.tap.subscribe(100),
            request_keyframe=test_feed.request_keyframe,
        ),
    )
    publisher.start()
    try:
        await eventually(lambda: publisher.connected, "our publisher connected", 15)
        report = await run_gst_peer(
            host, "view", f"{server.url_on(host.host_address)}/whep/court-3/cam", OPERATOR_TOKEN, 10
        )
    finally:
        await asyncio.to_thread(publisher.stop)
    assert report.connected and report.failure is None, report
    assert report.video_frames >= 30, report
    assert report.sizes == [[320, 240]]
    assert report.audio_samples >= 48_000, report


def _has_packets(server: LiveServer, feed_id: str) -> bool:
    try:
        return server.service.feed(feed_id).packets > 0
    except FeedNotFoundError:  # not there yet
        return False
