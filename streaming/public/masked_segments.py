"""Face masking of archived picture segments, for replays of hearings whose faces must be masked.

The live broadcast masks as it goes (face_mask.py); the archive keeps the unmasked picture, which
stays the evidence. A replay of such a hearing is made from a masked copy: each archived CMAF
segment (init + media segment, starting on a keyframe) is decoded, masked with the very transform
the live broadcast uses (:class:`FaceMaskTransform` and its detector), re-encoded as H.264 at the
same size and frame timing, and muxed again as one CMAF fragment.

Each segment is masked on its own (a fresh transform, so its first picture is a keyframe): a masked
copy can then be made, checked and replaced segment by segment, and a job killed midway resumes at
the next segment. The masked fragment keeps the original's decode time (``tfdt``, rewritten after
muxing), so the masked picture lines up with the archived microphone it is played with. Every
masked segment of one size comes with the same init segment (x264 writes the same parameter sets
for the same settings); a different one raises, as one playlist cannot switch it silently.

Blocking (PyAV, OpenCV): call from a worker thread.
"""

from __future__ import annotations

import io
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import av
from av.bitstream import BitStreamFilterContext

from archive.formats.fmp4_boxes import first_track_decode_time, iter_boxes, track_timescales
from streaming.errors import FaceMaskingError
from streaming.public.fmp4 import FragmentCollector
from streaming.server.feed import RelayedPacket


class PictureTransform(Protocol):
    """What masks the picture (face_mask.FaceMaskTransform): Annex-B H.264 packets in and out, the
    output stamped in 1/90000 s. (The packager's VideoTransform, restated here: importing the packager
    first would run into the server package's import cycle.)"""

    def process(self, packet: RelayedPacket) -> list[RelayedPacket]: ...

    def flush(self) -> list[RelayedPacket]: ...


TransformFactory = Callable[[], PictureTransform]
VIDEO_TIME_BASE = Fraction(1, 90_000)  # what FaceMaskTransform stamps its output in
_MOVFLAGS = "empty_moov+default_base_moof+cmaf"
_BRACKETS = (b"moof", b"traf")


@dataclass(frozen=True, slots=True)
class MaskedSegment:
    """One masked segment: its init segment and its media fragment (moof + mdat)."""

    init: bytes
    fragment: bytes
    frames: int


def mask_segment(init: bytes, segment: bytes, transforms: TransformFactory) -> MaskedSegment:
    """The masked copy of the archived picture ``segment`` (whose init segment is ``init``).

    Raises FaceMaskingError when the segment holds no decodable picture or cannot be muxed again.
    """
    try:
        packets, size = _annex_b_packets(init + segment)
        transform = transforms()
        masked = [out for packet in packets for out in transform.process(packet)]
        masked += transform.flush()
        if not masked:
            raise FaceMaskingError("the segment holds no decodable picture")
        init_out, fragment = _mux(masked, size)
    except (av.FFmpegError, ValueError) as exc:
        raise FaceMaskingError(f"the segment cannot be masked: {exc}") from exc
    return MaskedSegment(init_out, _with_decode_time(fragment, init_out, init, segment), len(masked))


def _annex_b_packets(data: bytes) -> tuple[list[RelayedPacket], tuple[int, int]]:
    """The picture packets of an fMP4 byte string as Annex-B H.264 (parameter sets in-band), and
    the picture size."""
    arrival = time.monotonic()
    out: list[RelayedPacket] = []
    with av.open(io.BytesIO(data), "r", format="mp4") as container:
        if not container.streams.video:
            raise ValueError("no picture track")
        stream = container.streams.video[0]
        size = (stream.codec_context.width, stream.codec_context.height)
        annex_b = BitStreamFilterContext("h264_mp4toannexb", stream)
        for packet in container.demux(stream):
            for filtered in annex_b.filter(packet if packet.size else None):
                if filtered.pts is None or filtered.time_base is None:
                    continue
                out.append(
                    RelayedPacket(
                        "video",
                        bytes(filtered),
                        int(filtered.pts),
                        filtered.time_base,
                        filtered.is_keyframe,
                        arrival,
                    )
                )
    return out, size


def _mux(packets: list[RelayedPacket], size: tuple[int, int]) -> tuple[bytes, bytes]:
    """The init segment and the one fragment of the masked (Annex-B, 1/90000) packets."""
    collector = FragmentCollector()
    container = av.open(collector, "w", format="mp4", options={"movflags": _MOVFLAGS})
    try:
        stream = container.add_mux_stream("h264", width=size[0], height=size[1], time_base=VIDEO_TIME_BASE)
        origin = packets[0].pts
        for relayed in packets:
            packet = av.Packet(relayed.data)
            packet.pts = packet.dts = relayed.pts - origin
            packet.time_base = VIDEO_TIME_BASE
            packet.is_keyframe = relayed.keyframe
            packet.stream = stream
            container.mux(packet)
    finally:
        container.close()
    if collector.init is None or len(collector.fragments) != 1:
        raise ValueError(f"the muxer wrote {len(collector.fragments)} fragments, not one")
    return collector.init, collector.fragments[0]


def _with_decode_time(fragment: bytes, init_out: bytes, init_in: bytes, segment_in: bytes) -> bytes:
    """``fragment`` with its ``tfdt`` set to the original segment's start, in the masked timescale."""
    start = first_track_decode_time(segment_in)
    scales_in, scales_out = track_timescales(init_in), track_timescales(init_out)
    if start is None or len(scales_out) != 1 or not scales_in:
        raise FaceMaskingError("the segment's decode time or timescale is unknown")
    scale_in = next(iter(scales_in.values()))
    ticks = start * next(iter(scales_out.values())) // scale_in
    patched = bytearray(fragment)
    for box in _tfdt_boxes(patched):
        version = patched[box]
        if version == 1:
            struct.pack_into(">Q", patched, box + 4, ticks)
        elif ticks < 2**32:
            struct.pack_into(">I", patched, box + 4, ticks)
        else:
            raise FaceMaskingError("the decode time does not fit a version-0 tfdt")
    return bytes(patched)


def _tfdt_boxes(data: bytearray) -> list[int]:
    """Payload offsets of every ``tfdt`` inside the fragment's ``moof``/``traf`` boxes."""
    found: list[int] = []

    def walk(start: int, end: int) -> None:
        for box in iter_boxes(data, start, end):
            if box.type in _BRACKETS:
                walk(box.payload_offset, box.end)
            elif box.type == b"tfdt":
                found.append(box.payload_offset)

    walk(0, len(data))
    if not found:
        raise FaceMaskingError("the masked fragment has no tfdt")
    return found
