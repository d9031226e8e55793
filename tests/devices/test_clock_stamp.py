"""The wall-clock stamp survives H.264 and is read back exactly."""

from __future__ import annotations

import time
from fractions import Fraction

import av

from devices import parse_source_spec, read_clock_stamp
from devices.generated.synthetic import SyntheticSource


def test_stamped_frames_decode_back_to_their_delivery_time() -> None:
    source = SyntheticSource(parse_source_spec("synthetic#size=320x240&fps=30&audio=0&clock=1&end_after=0.5"))
    encoder = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = 320, 240, "yuv420p"
    encoder.time_base = Fraction(1, 30)
    encoder.options = {"preset": "ultrafast", "crf": "35"}  # poor quality on purpose
    decoder = av.CodecContext.create("h264", "r")
    before = time.time_ns() // 1_000_000
    stamps = []
    for frame in source.frames():
        for packet in encoder.encode(frame):
            for decoded in decoder.decode(packet):
                stamps.append(read_clock_stamp(decoded.to_ndarray(format="gray")))
    after = time.time_ns() // 1_000_000
    assert len(stamps) >= 5
    assert all(s is not None and (before & 0xFFFFFFFF) <= s <= (after & 0xFFFFFFFF) for s in stamps), stamps
    assert stamps == sorted(stamps)


def test_an_unstamped_picture_reads_as_none() -> None:
    source = SyntheticSource(parse_source_spec("synthetic#size=320x240&audio=0&end_after=0.1&realtime=0"))
    frame = next(iter(source.frames()))
    assert read_clock_stamp(frame.to_ndarray(format="gray")) is None
