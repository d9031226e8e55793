"""Resuming a public broadcast after the clerk's cut never shows again what was already shown, and
never shows what was made during the cut or withheld by it: every picture published is identified
(each frame shows its number in black and white bars) and decoded back from the published files."""

from __future__ import annotations

import io
import threading
from fractions import Fraction

import av
import numpy as np

from capture.recording.stream.encoder import VideoEncoderConfig, open_video_encoder
from streaming.public.broadcast import PublicBroadcast
from streaming.public.delay_line import DelayLine
from streaming.relayed import RelayedPacket
from tests.waiting import wait_until

FPS = 15
FRAMES = 105  # 7 s
# a segment is handed on once the next has begun: after frames 0-44, 0-14 is public, 15-29 done but
# not yet handed on, and 30-44 still in the muxer (both withheld by the cut)
BEFORE_CUT = range(0, 45)
DURING_CUT = range(45, 60)  # made while cut: never public
AFTER_RESUME = range(60, FRAMES)
_BITS = 8  # bars of 40 pixels across a 320-pixel picture


class _StorePublisher:
    """Keeps every file ever published, in order (a SegmentPublisher for one unit test)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.files: dict[str, bytes] = {}
        self.order: list[str] = []

    def put(self, name: str, data: bytes, content_type: str) -> None:
        with self._lock:
            if name.endswith(".m4s"):
                assert name not in self.files, f"{name} published twice"
                self.order.append(name)
            self.files[name] = data

    def delete(self, name: str) -> None:
        """Withdrawn files are kept: the test asks what was ever public."""

    def delete_prefix(self, prefix: str) -> None:
        """As :meth:`delete`."""

    def list_names(self, prefix: str = "") -> list[str]:
        with self._lock:
            return sorted(name for name in self.files if name.startswith(prefix))


def _packets() -> list[RelayedPacket]:
    """Frame n shows n in binary (a white bar for a 1), keyframe every second, as the relay hands them on."""
    encoder = open_video_encoder(
        VideoEncoderConfig(width=320, height=240, fps=Fraction(FPS), preset="ultrafast", gop_seconds=1)
    )
    packets: list[RelayedPacket] = []
    kinds = frozenset({"video"})
    for index in range(FRAMES):
        bars = np.zeros((240, 320, 3), dtype=np.uint8)
        for bit in range(_BITS):
            if index >> bit & 1:
                bars[:, bit * 40 : (bit + 1) * 40] = 255
        frame = av.VideoFrame.from_ndarray(bars, format="rgb24")
        frame.pts, frame.time_base = index, Fraction(1, FPS)
        for packet in encoder.encode(frame):
            at = index / FPS
            packets.append(
                RelayedPacket(
                    "video",
                    bytes(packet),
                    int(packet.pts or 0),
                    packet.time_base,
                    packet.is_keyframe,
                    at,
                    kinds,
                )
            )
    for packet in encoder.encode(None):
        packets.append(
            RelayedPacket("video", bytes(packet), int(packet.pts or 0), packet.time_base, False, 7.0, kinds)
        )
    return packets


def _frame_numbers(init: bytes, segment: bytes) -> list[int]:
    numbers: list[int] = []
    with av.open(io.BytesIO(init + segment)) as container:
        for frame in container.decode(video=0):
            grey = frame.to_ndarray(format="gray")
            bits = [float(grey[:, bit * 40 + 8 : (bit + 1) * 40 - 8].mean()) > 128 for bit in range(_BITS)]
            numbers.append(sum(1 << bit for bit, on in enumerate(bits) if on))
    return numbers


def _feed(broadcast: PublicBroadcast, packets: list[RelayedPacket], frames: range) -> None:
    for packet in packets:
        if round(packet.pts * packet.time_base * FPS) in frames:
            broadcast.accept(packet)
    wait_until(lambda: broadcast.queued_packets == 0, 10, "the broadcast to take the packets")


def test_resuming_after_a_cut_never_replays_what_was_shown() -> None:
    packets = _packets()
    store = _StorePublisher()
    delay = DelayLine(0.0, 60, 2)
    broadcast = PublicBroadcast("court-1/cam", "b1", store, delay, segment_seconds=1.0)
    broadcast.start()
    try:
        _feed(broadcast, packets, BEFORE_CUT)
        wait_until(lambda: broadcast.segments_published >= 1, 10, "the first segment")
        shown_before = broadcast.segments_published
        assert delay.cut() == 0  # no delay: nothing was waiting, but frames 15-44 were being packaged
        _feed(broadcast, packets, DURING_CUT)
        delay.resume()
        _feed(broadcast, packets, AFTER_RESUME)
        wait_until(lambda: broadcast.segments_published >= shown_before + 1, 10, "segments after the resume")
    finally:
        assert broadcast.stop()
    shown: list[list[int]] = []
    for path in store.order:
        directory, _, name = path.rpartition("/")
        init = store.files[f"{directory}/init-{name[:4]}.mp4"]
        shown.append(_frame_numbers(init, store.files[path]))
    numbers = [number for segment in shown for number in segment]
    assert len(numbers) == len(set(numbers)), f"a picture was shown twice: {shown}"
    assert numbers == sorted(numbers), f"the broadcast went back in time: {shown}"
    assert not set(numbers) & set(DURING_CUT), "a picture made during the cut was published"
    before = [n for n in numbers if n in BEFORE_CUT]
    after = [n for n in numbers if n in AFTER_RESUME]
    assert before and after
    assert before == list(range(len(before)))  # shown before the cut: the start, without a hole
    assert max(before) < 15  # what the packager held at the cut (frames 15-44) was withheld
    assert min(after) >= AFTER_RESUME.start
    playlist = store.files["court-1/cam/b1/live.m3u8"].decode()
    assert "#EXT-X-DISCONTINUITY" in playlist and 'URI="init-0002.mp4"' in playlist
