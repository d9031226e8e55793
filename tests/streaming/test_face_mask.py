"""Face masking of the public rendition, with OpenCV's real Haar cascade on a real photograph."""

from __future__ import annotations

import asyncio
import io
import time
from fractions import Fraction
from pathlib import Path

import av
import httpx
import numpy as np
import pytest
from numpy.typing import NDArray

from capture.recording.stream.encoder import VideoEncoderConfig, open_video_encoder
from streaming.errors import FaceMaskingError
from streaming.public.face_boxes import Box
from streaming.public.face_detector import Detector, haar_detector_factory, yunet_detector_factory
from streaming.public.face_mask import FaceMaskTransform, blur_boxes
from streaming.publisher.live_input import LiveInput
from streaming.publisher.live_publisher import LivePublisher
from streaming.publisher.whip_client import WhipClient
from streaming.relayed import RelayedPacket

from .conftest import DEVICE_TOKEN, LOOPBACK, OPERATOR_TOKEN, EncodedTestFeed, loopback_settings, serve
from .faces import EYES, FACE, FAR, HEIGHT, MOUTH, WIDTH, FacePicture, detail, face_picture, i420

OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


def _encode(pictures: list[NDArray[np.uint8]]) -> list[RelayedPacket]:
    """yuv420p pictures as the relayed H.264 packets a public broadcast receives (15 fps)."""
    encoder = open_video_encoder(
        VideoEncoderConfig(width=WIDTH, height=HEIGHT, fps=Fraction(15), preset="ultrafast", low_delay=True)
    )
    packets: list[av.Packet] = []  # type: ignore[type-arg]
    for index, planes in enumerate(pictures):
        frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        frame.pts = index
        frame.time_base = Fraction(1, 15)
        packets.extend(encoder.encode(frame))
    packets.extend(encoder.encode(None))
    return [
        RelayedPacket("video", bytes(p), int(p.pts or 0), p.time_base, p.is_keyframe, time.monotonic())
        for p in packets
    ]


def _decode(packets: list[RelayedPacket]) -> list[NDArray[np.uint8]]:
    """The yuv420p pictures of Annex-B packets."""
    decoder = av.CodecContext.create("h264", "r")
    frames = [f for p in packets for f in decoder.decode(av.Packet(p.data))]
    frames += decoder.decode(None)
    return [np.asarray(f.to_ndarray(format="yuv420p"), dtype=np.uint8) for f in frames]


def _masked(transform: FaceMaskTransform, packets: list[RelayedPacket]) -> list[NDArray[np.uint8]]:
    out = [masked for packet in packets for masked in transform.process(packet)]
    return _decode(out + transform.flush())


def _luma(planes: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return planes[:HEIGHT]


def _luma_of(bgr: NDArray[np.uint8], height: int) -> NDArray[np.uint8]:
    return i420(bgr)[:height]


class _Missing:
    """The real detector, made to miss on the given calls (a head turned, a hand in front)."""

    def __init__(self, detector: Detector, missed_calls: set[int]) -> None:
        self._detector = detector
        self._missed = missed_calls
        self.calls = 0

    def __call__(self, luma: NDArray[np.uint8]) -> list[Box]:
        call, self.calls = self.calls, self.calls + 1
        return [] if call in self._missed else self._detector(luma)


@pytest.mark.parametrize("scale", [1, 4])
def test_the_cascade_finds_the_face_in_a_photograph(scale: int) -> None:
    """At 320x240 and at 1280x960 (detected in a 320-px copy, boxes scaled back)."""
    detect = haar_detector_factory()()
    boxes = detect(_luma_of(face_picture(WIDTH * scale, HEIGHT * scale), HEIGHT * scale))
    assert len(boxes) == 1, boxes
    box = boxes[0]
    for x, y in (*EYES, MOUTH):
        assert box.x < x * scale < box.right and box.y < y * scale < box.bottom, (box, x, y)
    assert 40 * scale <= box.width <= 100 * scale


def test_blur_boxes_removes_the_detail_greys_the_colour_and_touches_nothing_else() -> None:
    planes = i420(face_picture())
    before = planes.copy()
    blur_boxes(planes, WIDTH, HEIGHT, [FACE.grown(0.3)])
    assert detail(_luma(planes), FACE) < detail(_luma(before), FACE) / 50
    u = planes.reshape(-1)[WIDTH * HEIGHT : WIDTH * HEIGHT * 5 // 4].reshape(HEIGHT // 2, WIDTH // 2)
    assert (u[FACE.y // 2 : FACE.bottom // 2, FACE.x // 2 : FACE.right // 2] == 128).all()
    changed = np.argwhere(_luma(planes) != _luma(before))
    grown = FACE.grown(0.3)
    assert changed[:, 0].min() >= grown.y - 1 and changed[:, 0].max() <= grown.bottom
    assert changed[:, 1].min() >= grown.x - 1 and changed[:, 1].max() <= grown.right


def test_the_masked_rendition_has_no_face_detail_and_the_rest_unchanged() -> None:
    original = i420(face_picture())
    packets = _encode([original] * 8)
    transform = FaceMaskTransform(haar_detector_factory()(), detect_every=3)
    masked = _masked(transform, packets)
    unmasked = _decode(packets)
    assert len(masked) == 8 and transform.detections == 3
    coded_detail = detail(_luma(unmasked[-1]), FACE)
    assert coded_detail > 300  # the face survives coding: what masking must remove
    for picture in masked:
        assert detail(_luma(picture), FACE) < coded_detail / 20  # high-frequency energy: gone
        far_difference = np.abs(_luma(picture)[FAR].astype(int) - _luma(original)[FAR].astype(int))
        assert far_difference.mean() < 4  # elsewhere only the second lossy coding shows


def test_held_boxes_cover_frames_where_detection_missed_and_lapse_after_the_hold() -> None:
    """Detections on frames 0, 3, 6, …; frame 0 shows no face; the face appears on frame 1."""
    grey = i420(np.full((HEIGHT, WIDTH, 3), 128, dtype=np.uint8))
    face = i420(face_picture())
    packets = _encode([grey] + [face] * 29)
    # detection 1 (frame 3) finds the face, 2 and 3 (frames 6, 9) miss it, 4 (frame 12) finds it,
    # and from 5 (frame 15) on it is never found again
    detector = _Missing(haar_detector_factory()(), missed_calls={2, 3, *range(5, 10)})
    transform = FaceMaskTransform(detector, detect_every=3, hold_frames=9)
    pictures = _masked(transform, packets)
    unmasked = _decode(packets)
    assert len(pictures) == 30 and detector.calls == 10
    coded_detail = detail(_luma(unmasked[-1]), FACE)
    for index in range(1, 22):  # frames 1-2: before the first sighting; 13-21: held after the last
        assert detail(_luma(pictures[index]), FACE) < coded_detail / 20, index
    for index in range(22, 30):  # the hold is bounded: without a detection the face shows again
        assert detail(_luma(pictures[index]), FACE) > coded_detail / 2, index


def test_a_missing_or_broken_face_file_is_named_in_the_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing-cascade.xml"
    with pytest.raises(FaceMaskingError, match=r"missing-cascade\.xml"):
        haar_detector_factory(missing)
    garbage = tmp_path / "garbage.xml"
    garbage.write_text("<opencv_storage><cascade>not a cascade</cascade></opencv_storage>")
    with pytest.raises(FaceMaskingError, match=r"garbage\.xml is not an OpenCV cascade"):
        haar_detector_factory(garbage)
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"\x00not an onnx model" * 8)
    with pytest.raises(FaceMaskingError, match=r"broken\.onnx is not a YuNet ONNX model"):
        yunet_detector_factory(model)
    with pytest.raises(FaceMaskingError, match=r"absent\.onnx cannot be read"):
        yunet_detector_factory(tmp_path / "absent.onnx")


@pytest.mark.integration
async def test_a_broken_face_model_refuses_masked_broadcasts_with_the_reason(tmp_path: Path) -> None:
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"\x00not an onnx model" * 8)
    async with (
        serve(loopback_settings(tmp_path, face_model=model, mask_faces=True)) as server,
        httpx.AsyncClient(base_url=server.url) as client,
    ):
        for query in ("?mask=true", ""):  # masked as asked, or by the server's default
            response = await client.post(f"/api/public/court-1/cam{query}", headers=OPERATOR)
            assert response.status_code == 409 and "broken.onnx" in response.json()["reason"]
        assert (await client.get("/public/court-1/cam")).status_code == 404
        unmasked = await client.post("/api/public/court-1/cam?mask=false", headers=OPERATOR)
        assert unmasked.status_code == 200  # only masking is unavailable


@pytest.mark.integration
async def test_a_masked_public_broadcast_blurs_the_face_in_its_segments(tmp_path: Path) -> None:
    settings = loopback_settings(tmp_path, broadcast_delay_seconds=0.0, hls_segment_seconds=1.0)
    feed = EncodedTestFeed(source=FacePicture()).start()
    try:
        async with serve(settings) as server, httpx.AsyncClient(base_url=server.url) as client:
            publisher = LivePublisher(
                "cam",
                WhipClient(f"{server.url}/whip/court-1/cam", DEVICE_TOKEN),
                LOOPBACK,
                LiveInput(video=feed.tap.subscribe(60), audio=None, request_keyframe=feed.request_keyframe),
            )
            publisher.start()
            try:
                opened = await client.post("/api/public/court-1/cam?mask=true", headers=OPERATOR)
                assert opened.status_code == 200, opened.text
                data = await _first_segments(client, server.service.public.media_path("court-1/cam"), 2)
            finally:
                await asyncio.to_thread(publisher.stop)
    finally:
        feed.stop()
    with av.open(io.BytesIO(data)) as container:
        pictures = [
            np.asarray(f.to_ndarray(format="yuv420p"), dtype=np.uint8) for f in container.decode(video=0)
        ]
    original = i420(face_picture())
    assert len(pictures) >= 15  # two 1 s segments at 15 fps
    for picture in pictures:
        assert detail(_luma(picture), FACE) < detail(_luma(original), FACE) / 20
        assert np.abs(_luma(picture)[FAR].astype(int) - _luma(original)[FAR].astype(int)).mean() < 6


async def _first_segments(client: httpx.AsyncClient, media: str, count: int) -> bytes:
    """The init segment and the first ``count`` media segments of the public broadcast whose files are
    under ``media`` (``room/stream/{broadcast id}``), concatenated."""
    segments: list[str] = []
    deadline = time.monotonic() + 45  # masking (detection + re-encode) is slow on a loaded 2-core machine
    while len(segments) < count:
        assert time.monotonic() < deadline, "no segments were published"
        await asyncio.sleep(0.2)
        playlist = await client.get(f"/public/hls/{media}/live.m3u8")
        if playlist.status_code == 200:
            segments = [line for line in playlist.text.splitlines() if line.endswith(".m4s")]
    data = (await client.get(f"/public/hls/{media}/init-0001.mp4")).content
    for name in segments[:count]:
        data += (await client.get(f"/public/hls/{media}/{name}")).content
    return data
