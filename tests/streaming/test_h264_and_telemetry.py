"""Keyframe detection on Annex-B access units; telemetry validation."""

from __future__ import annotations

from fractions import Fraction

import av

from capture.recording.stream.encoder import VideoEncoderConfig, open_video_encoder
from devices.generated.pattern import MovingPattern
from streaming.h264 import is_keyframe, starts_with_parameter_sets
from streaming.server.telemetry_board import TelemetryBoard
from streaming.telemetry import parse_report


def test_keyframes_of_the_recorder_encoder_are_recognised() -> None:
    encoder = open_video_encoder(
        VideoEncoderConfig(width=320, height=240, fps=Fraction(15), preset="ultrafast")
    )
    pattern = MovingPattern(320, 240)
    packets: list[av.Packet] = []
    for index in range(20):
        frame = pattern.render(index)
        frame.pts = index
        frame.time_base = Fraction(1, 15)
        packets.extend(encoder.encode(frame))
    packets.extend(encoder.encode(None))
    flags = [is_keyframe(bytes(p)) for p in packets]
    assert flags == [p.is_keyframe for p in packets]
    assert flags[0] and flags[15] and sum(flags) == 2
    assert starts_with_parameter_sets(bytes(packets[0]))
    assert not is_keyframe(b"") and not is_keyframe(b"\x00\x00\x01")


def test_telemetry_reports_are_validated_and_kept_per_feed() -> None:
    board = TelemetryBoard()
    good = parse_report(
        '{"device_id": "bc-7", "officer": "Li", "gps": {"lat": 31.2, "lon": 121.4},'
        ' "battery_percent": 80, "recording": "recording", "at": "2026-01-01T00:00:00Z"}'
    )
    assert good is not None
    board.update("bodycam-7/cam", good)
    assert board.snapshot()["bodycam-7/cam"]["officer"] == "Li"
    assert (
        parse_report('{"device_id": "bc-7", "gps": {"lat": 123, "lon": 0}, "at": "2026-01-01T00:00:00Z"}')
        is None
    )
    assert parse_report('{"device_id": "bc-7", "at": "2026-01-01T00:00:00Z", "extra": 1}') is None
    assert parse_report("x" * 5000) is None
