"""Face masking of the public rendition, with a stand-in detector (no face model ships with our packages)."""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import av
import httpx
import numpy as np
import pytest

from capture.encoder import VideoEncoderConfig, open_video_encoder
from devices.pattern import MovingPattern
from streaming.feed import RelayedPacket
from streaming.public.face_mask import FaceMaskTransform, pixelate

from .conftest import OPERATOR_TOKEN, loopback_settings, serve

BOX = (100, 60, 64, 64)


def test_pixelate_greys_the_chroma_and_blocks_the_luma_of_a_box() -> None:
    width, height = 320, 240
    planes = np.random.default_rng(1).integers(0, 255, (height * 3 // 2, width), dtype=np.uint8)
    before = planes.copy()
    pixelate(planes, width, height, [BOX])
    frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
    u = frame.to_ndarray(format="yuv420p")  # round trip keeps the layout
    u_plane = np.frombuffer(bytes(frame.planes[1]), dtype=np.uint8).reshape(height // 2, -1)[:, : width // 2]
    assert (u_plane[60 // 2 + 4 : 124 // 2 - 4, 100 // 2 + 4 : 164 // 2 - 4] == 128).all()
    block = u[44:60, 84:100]  # the box grown by a quarter starts at (84, 44): 16 px tiles from there
    assert block.min() == block.max()  # one mosaic tile
    assert (planes[:40, :] == before[:40, :]).all()  # outside the (grown) box nothing changes


def test_masking_transform_outputs_decodable_masked_video() -> None:
    encoder = open_video_encoder(
        VideoEncoderConfig(width=320, height=240, fps=Fraction(15), preset="ultrafast", low_delay=True)
    )
    pattern = MovingPattern(320, 240)
    transform = FaceMaskTransform(lambda luma: [BOX], keyframe_seconds=1.0)
    out: list[RelayedPacket] = []
    for index in range(30):
        frame = pattern.render(index)
        frame.pts = index
        frame.time_base = Fraction(1, 15)
        for packet in encoder.encode(frame):
            relayed = RelayedPacket(
                "video",
                bytes(packet),
                int(packet.pts or 0),
                packet.time_base,
                packet.is_keyframe,
                time.monotonic(),
            )
            out.extend(transform.process(relayed))
    out.extend(transform.flush())
    assert out and out[0].keyframe and sum(p.keyframe for p in out) >= 2
    decoder = av.CodecContext.create("h264", "r")
    frames = [f for p in out for f in decoder.decode(av.Packet(p.data))]
    assert len(frames) >= 25
    y = frames[-1].to_ndarray(format="gray")
    assert y[64:80, 112:128].std() < 4  # mosaic (after lossy coding) where the face was
    assert transform.faces_masked >= 25


@pytest.mark.integration
async def test_masked_broadcast_is_refused_without_a_face_model(tmp_path: Path) -> None:
    async with serve(loopback_settings(tmp_path)) as server, httpx.AsyncClient(base_url=server.url) as client:
        response = await client.post(
            "/api/public/court-1/cam?mask=true", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}
        )
        assert response.status_code == 409 and "masking" in response.text
        assert (await client.get("/public/court-1/cam")).status_code == 404
