"""An audio-only stream (a courtroom microphone): publisher → server → viewers as Opus, never decoded
on the server; the viewer hears the tone that was sent."""

from __future__ import annotations

import asyncio
import time

import httpx
import numpy as np
import pytest
from aiortc import RTCPeerConnection

from streaming.publisher.live_input import LiveInput
from streaming.publisher.live_publisher import LivePublisher
from streaming.publisher.whip_client import WhipClient

from .conftest import (
    DEVICE_TOKEN,
    LOOPBACK,
    OPERATOR_TOKEN,
    LiveServer,
    ToneFeed,
    ViewerResult,
    mono_samples,
    watch_with_aiortc,
)

FEED = "court-1/mic"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


def test_a_live_input_needs_some_media() -> None:
    with pytest.raises(ValueError, match="'video', 'audio' or both"):
        LiveInput(video=None, audio=None, request_keyframe=lambda: None)


def _dominant_hz(samples: np.ndarray, rate: int = 48_000) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def _assert_hears_the_tone(result: ViewerResult, tone_hz: int) -> None:
    assert result.frames == 0  # no picture: the feed has none
    assert len(result.audio) >= 200, len(result.audio)  # 20 ms frames over 4 of the 6 s at least
    assert {frame.sample_rate for frame in result.audio} == {48_000}
    last_second = mono_samples(result.audio)[-48_000:]
    rms = float(np.sqrt(np.mean(last_second**2)))
    assert rms > 0.1, rms  # the source's tone is about -9 dBFS RMS (0.35); silence would be ~0
    assert abs(_dominant_hz(last_second) - tone_hz) < 5


async def _offer(kind: str) -> tuple[RTCPeerConnection, str]:
    pc = RTCPeerConnection(LOOPBACK.configuration())
    pc.addTransceiver(kind, direction="recvonly")
    with LOOPBACK.gathering():
        await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


@pytest.mark.integration
async def test_audio_only_feed_reaches_viewers_as_opus_without_server_decoding(
    live_server: LiveServer, tone_feed: ToneFeed
) -> None:
    publisher = LivePublisher(
        "mic",
        WhipClient(f"{live_server.url}/whip/{FEED}", DEVICE_TOKEN),
        LOOPBACK,
        LiveInput(video=None, audio=tone_feed.tap.subscribe(100), request_keyframe=lambda: None),
    )
    publisher.start()
    try:
        deadline = time.monotonic() + 15
        while not publisher.connected:
            assert time.monotonic() < deadline, "the audio-only publisher did not connect"
            await asyncio.sleep(0.05)
        feed = live_server.service.feed(FEED)
        assert feed.kinds == {"audio"} and feed.main_kind == "audio"

        whep = f"{live_server.url}/whep/{FEED}"
        # the wall offers audio only; another WHEP player may offer video too (answered inactive).
        # Watching for longer than the publisher's 5 s dead-link limit also shows that the server's
        # RTCP on the audio sender keeps an audio-only link judged alive.
        audio_only, both = await asyncio.gather(
            watch_with_aiortc(whep, seconds=6.0, kinds=("audio",)),
            watch_with_aiortc(whep, seconds=6.0, kinds=("video", "audio")),
        )
        async with httpx.AsyncClient(base_url=live_server.url, headers=OPERATOR) as client:
            listed = (await client.get("/api/feeds")).json()["feeds"]
            pc, video_offer = await _offer("video")
            refused = await client.post(
                f"/whep/{FEED}", content=video_offer, headers={"Content-Type": "application/sdp"}
            )
            await pc.close()
        packets = feed.packets
        connections = publisher.connections
    finally:
        await asyncio.to_thread(publisher.stop)
    _assert_hears_the_tone(audio_only, tone_feed.tone_hz)
    _assert_hears_the_tone(both, tone_feed.tone_hz)
    # the ingest hands on only av.Packet objects taken before aiortc's decoder: frames counted here
    # were relayed as Opus packets, never decoded on the server (20 ms each)
    assert packets >= 250, packets
    assert connections == 1
    (item,) = [f for f in listed if f["id"] == FEED]
    assert item["kinds"] == ["audio"] and item["connected"] is True
    assert isinstance(item["seconds_since_frame"], float) and item["seconds_since_frame"] < 1
    assert refused.status_code == 400 and "no audio m-line" in refused.text


@pytest.mark.integration
async def test_whip_offer_without_audio_or_video_is_refused(live_server: LiveServer) -> None:
    pc = RTCPeerConnection(LOOPBACK.configuration())
    pc.createDataChannel("telemetry")
    with LOOPBACK.gathering():
        await pc.setLocalDescription(await pc.createOffer())
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        response = await client.post(
            f"/whip/{FEED}",
            content=pc.localDescription.sdp,
            headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {DEVICE_TOKEN}"},
        )
    await pc.close()
    assert response.status_code == 400 and "neither a video nor an audio m-line" in response.text
