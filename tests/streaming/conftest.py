"""Live-streaming test kit: an in-process loopback server, test video and tone feeds, an aiortc viewer."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Protocol

import av
import httpx
import numpy as np
import pytest
import uvicorn
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from pydantic import SecretStr

from capture.recording.stream.encoder import VideoEncoderConfig, open_video_encoder
from capture.recording.stream.packet_tap import EncodedVideoPacket, PacketTap
from devices import SyntheticSource, parse_source_spec
from devices.generated.pattern import MovingPattern
from streaming.ice import IcePolicy
from streaming.server.service import LiveService
from streaming.server.web.app import create_app
from streaming.settings import StreamingSettings
from tests.uvicorn_signals import without_signal_handlers

REPO = Path(__file__).resolve().parents[2]
DEVICE_ID = "dev-1"
DEVICE_TOKEN = "device-token-0123456789-abcdefghij"
OPERATOR_TOKEN = "operator-token-0123456789-abcdefgh"
# every room the streaming tests publish to: each test device is bound to all of them
TEST_BINDINGS = ("court-1/*", "court-2/*", "court-3/*", "bodycam-7/*")
LOOPBACK = IcePolicy.loopback()


def loopback_settings(tmp_path: Path, **overrides: object) -> StreamingSettings:
    """Server settings for tests: loopback ICE only, one device, one operator token; every device of
    ``device_tokens`` is bound to ``TEST_BINDINGS`` unless ``device_rooms`` is given."""
    values: dict[str, object] = {
        "ice_host_addresses": ["127.0.0.1"],
        "ice_allowed_networks": ["127.0.0.0/8"],
        "device_tokens": {DEVICE_ID: SecretStr(DEVICE_TOKEN)},
        "operator_token": SecretStr(OPERATOR_TOKEN),
        "public_dir": tmp_path / "public",
        "node_modules": REPO / "node_modules",
    }
    values.update(overrides)
    devices = values["device_tokens"]
    assert isinstance(devices, dict)
    values.setdefault("device_rooms", {device: list(TEST_BINDINGS) for device in devices})
    return StreamingSettings.model_validate(values)


@dataclass
class LiveServer:
    """A running in-process live server."""

    url: str
    service: LiveService

    def url_on(self, address: str) -> str:
        """The server's URL on another address it listens on (``serve``'s ``also_on``)."""
        return self.url.replace("127.0.0.1", address, 1)


@contextlib.asynccontextmanager
async def serve(settings: StreamingSettings, also_on: Sequence[str] = ()) -> AsyncIterator[LiveServer]:
    """Run the live app with uvicorn on a free loopback port of the current event loop (and on the
    same port of each address of ``also_on``)."""
    service = LiveService(settings)
    app = create_app(service, own_service=True)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    without_signal_handlers(server)
    sockets = _listening_sockets(("127.0.0.1", *also_on)) if also_on else None
    task = asyncio.ensure_future(server.serve(sockets=sockets))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", service)
    finally:
        server.should_exit = True
        await task
        for sock in sockets or ():
            sock.close()


def _listening_sockets(addresses: Sequence[str]) -> list[socket.socket]:
    """Bound TCP sockets, one per address, all on one free port (the first address picks it)."""
    sockets: list[socket.socket] = []
    port = 0
    for address in addresses:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        port = sock.getsockname()[1]
        sockets.append(sock)
    return sockets


@pytest.fixture
async def live_server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(loopback_settings(tmp_path)) as server:
        yield server


class FrameSource(Protocol):
    """What EncodedTestFeed encodes: frame ``index`` of a picture sequence (MovingPattern by default)."""

    def render(self, index: int) -> av.VideoFrame: ...


class EncodedTestFeed:
    """A thread encoding the synthetic pattern (or ``source``) once with the recorder's encoder settings."""

    def __init__(
        self, width: int = 320, height: int = 240, fps: int = 15, source: FrameSource | None = None
    ) -> None:
        self.tap = PacketTap()
        self._config = VideoEncoderConfig(width=width, height=height, fps=Fraction(fps), preset="ultrafast")
        self._pattern: FrameSource = source or MovingPattern(width, height)
        self._stop = threading.Event()
        self._force = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-feed", daemon=True)
        self.keyframe_requests = 0

    def request_keyframe(self) -> None:
        self.keyframe_requests += 1
        self._force.set()

    def start(self) -> EncodedTestFeed:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        encoder = open_video_encoder(self._config)
        fps = self._config.fps
        start = time.monotonic()
        index = 0
        while not self._stop.is_set():
            delay = start + index / fps - time.monotonic()
            if delay > 0:
                time.sleep(float(delay))
            frame = self._pattern.render(index)
            frame.pts = index
            frame.time_base = 1 / fps
            if self._force.is_set():
                self._force.clear()
                frame.pict_type = av.video.frame.PictureType.I
            for packet in encoder.encode(frame):
                self.tap.publish(
                    EncodedVideoPacket(
                        bytes(packet), int(packet.pts or 0), packet.time_base, packet.is_keyframe
                    )
                )
            index += 1


@pytest.fixture
def test_feed() -> Iterator[EncodedTestFeed]:
    feed = EncodedTestFeed().start()
    yield feed
    feed.stop()


class ToneFeed:
    """A thread handing the synthetic source's tone to ``tap`` in real time, as the recorder hands an
    audio-only stream's frames to the live publisher (48 kHz mono fltp, 1024 samples a frame)."""

    def __init__(self, tone_hz: int = 440) -> None:
        self.tone_hz = tone_hz
        self.tap: PacketTap[av.AudioFrame] = PacketTap()
        self._source = SyntheticSource(parse_source_spec(f"synthetic#video=0&tone={tone_hz}"))
        self._thread = threading.Thread(target=self._run, name="test-tone", daemon=True)

    def start(self) -> ToneFeed:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._source.close()
        self._thread.join()

    def _run(self) -> None:
        for frame in self._source.frames():
            if isinstance(frame, av.AudioFrame):
                self.tap.publish(frame)


@pytest.fixture
def tone_feed() -> Iterator[ToneFeed]:
    feed = ToneFeed().start()
    yield feed
    feed.stop()


@dataclass
class ViewerResult:
    frames: int
    first_frame_after: float | None
    sizes: set[tuple[int, int]]
    audio: list[av.AudioFrame] = field(default_factory=list)  # as the viewer decoded them


def mono_samples(frames: Sequence[av.AudioFrame]) -> np.ndarray:
    """The first channel of decoded audio frames, as float samples in -1..1."""
    parts = []
    for frame in frames:
        samples = frame.to_ndarray().astype(np.float64)
        if frame.format.is_packed:  # interleaved channels in one row
            samples = samples.reshape(-1, len(frame.layout.channels)).T
        scale = 32768.0 if frame.format.name.startswith("s16") else 1.0
        parts.append(samples[0] / scale)
    return np.concatenate(parts) if parts else np.zeros(0)


async def watch_with_aiortc(
    url: str,
    seconds: float,
    token: str = OPERATOR_TOKEN,
    kinds: Sequence[str] = ("video", "audio"),
    *,
    until_frames: int | None = None,
) -> ViewerResult:
    """Watch a WHEP URL with an aiortc peer (which decodes) offering ``kinds``; count the video frames
    and keep the audio frames it gets. Watches for ``seconds``, or only until ``until_frames`` video
    frames have arrived when that is given (``seconds`` is then the limit)."""
    pc = RTCPeerConnection(LOOPBACK.configuration())
    for kind in kinds:
        pc.addTransceiver(kind, direction="recvonly")
    frames: list[float] = []
    sizes: set[tuple[int, int]] = set()
    audio: list[av.AudioFrame] = []
    done = asyncio.Event()
    enough = asyncio.Event()

    async def consume(track: object) -> None:
        with contextlib.suppress(MediaStreamError):
            while not done.is_set():
                frame = await track.recv()  # type: ignore[attr-defined]
                if isinstance(frame, av.VideoFrame):
                    frames.append(time.monotonic())
                    sizes.add((frame.width, frame.height))
                    if until_frames is not None and len(frames) >= until_frames:
                        enough.set()
                elif isinstance(frame, av.AudioFrame):
                    audio.append(frame)

    tasks: list[asyncio.Task[None]] = []
    pc.on("track", lambda track: tasks.append(asyncio.ensure_future(consume(track))))
    with LOOPBACK.gathering():
        await pc.setLocalDescription(await pc.createOffer())
    started = time.monotonic()
    async with httpx.AsyncClient() as client:
        response = await client.post(
            url,
            content=pc.localDescription.sdp,
            headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201, response.text
        await pc.setRemoteDescription(RTCSessionDescription(LOOPBACK.filter_sdp(response.text), "answer"))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(enough.wait(), seconds)
        done.set()
        location = response.headers["location"]
        await client.delete(location, headers={"Authorization": f"Bearer {token}"})
    await pc.close()
    for task in tasks:
        task.cancel()
    return ViewerResult(len(frames), frames[0] - started if frames else None, sizes, audio)


def drain(q: queue.Queue[object]) -> None:
    with contextlib.suppress(queue.Empty):
        while True:
            q.get_nowait()
