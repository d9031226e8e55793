"""Just enough ISO BMFF (MP4) box reading for fragmented MP4: split fragments, read their start times.

Used to cut the muxer's byte stream into CMAF segments (the recorder's and the public packager's), to
salvage the complete fragments of a segment cut short by a crash, and to time segments for playlists.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

_HEADER = struct.Struct(">I4s")
_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"moof", b"traf", b"mvex"})


@dataclass(frozen=True, slots=True)
class Box:
    """A box's type, its offset in the buffer and its total size (header included)."""

    type: bytes
    offset: int
    size: int
    header_size: int

    @property
    def end(self) -> int:
        return self.offset + self.size

    @property
    def payload_offset(self) -> int:
        return self.offset + self.header_size


def box_at(data: bytes | bytearray | memoryview, offset: int, end: int | None = None) -> Box | None:
    """The box starting at ``offset`` if its header and whole body lie before ``end`` (default: the end
    of ``data``); else None."""
    limit = len(data) if end is None else min(end, len(data))
    if offset + _HEADER.size > limit:
        return None
    size, box_type = _HEADER.unpack_from(data, offset)
    header = _HEADER.size
    if size == 1:
        if offset + 16 > limit:
            return None
        size = struct.unpack_from(">Q", data, offset + 8)[0]
        header = 16
    if size < header or offset + size > limit:
        return None
    return Box(type=bytes(box_type), offset=offset, size=size, header_size=header)


def iter_boxes(data: bytes | bytearray | memoryview, start: int = 0, end: int | None = None) -> Iterator[Box]:
    """Complete boxes one after another from ``start``; stops at the first incomplete one."""
    limit = len(data) if end is None else end
    offset = start
    while offset < limit:
        box = box_at(data, offset, limit)
        if box is None:
            return
        yield box
        offset = box.end


def complete_fragments_length(data: bytes) -> int:
    """Length of the longest prefix of ``data`` made of whole ``moof``+``mdat`` pairs (and other
    whole top-level boxes, such as a leading ``styp``): what of a torn segment still decodes; 0 when
    it holds no whole fragment (a ``styp`` alone decodes nothing)."""
    good = 0
    pending_moof = False
    fragments = 0
    for box in iter_boxes(data):
        if box.type == b"moof":
            pending_moof = True
            continue
        if box.type == b"mdat" and pending_moof:
            pending_moof = False
            fragments += 1
            good = box.end
        elif not pending_moof:
            good = box.end
    return good if fragments else 0


def track_timescales(init_segment: bytes) -> dict[int, int]:
    """Map each track's ``tkhd`` track id to its ``mdhd`` timescale, from an init segment."""
    scales: dict[int, int] = {}
    for trak in _walk(init_segment, 0, len(init_segment)):
        if trak.type != b"trak":
            continue
        track_id: int | None = None
        timescale: int | None = None
        for box in _walk(init_segment, trak.payload_offset, trak.end):
            version = init_segment[box.payload_offset]
            if box.type == b"tkhd":
                at = box.payload_offset + (20 if version == 1 else 12)
                track_id = struct.unpack_from(">I", init_segment, at)[0]
            elif box.type == b"mdhd":
                at = box.payload_offset + (20 if version == 1 else 12)
                timescale = struct.unpack_from(">I", init_segment, at)[0]
        if track_id is not None and timescale:
            scales[track_id] = timescale
    return scales


def fragment_start_seconds(data: bytes, moof: Box, timescales: dict[int, int]) -> float | None:
    """The earliest ``baseMediaDecodeTime`` among the fragment's tracks, in seconds."""
    starts: list[float] = []
    track_id: int | None = None
    for box in _walk(data, moof.payload_offset, moof.end):
        if box.type == b"tfhd":
            track_id = struct.unpack_from(">I", data, box.payload_offset + 4)[0]
        elif box.type == b"tfdt" and track_id in timescales:
            version = data[box.payload_offset]
            at = box.payload_offset + 4
            ticks = struct.unpack_from(">Q" if version == 1 else ">I", data, at)[0]
            starts.append(ticks / timescales[track_id])
    return min(starts) if starts else None


_NON_SYNC_SAMPLE = 0x0001_0000  # sample_is_non_sync_sample in ISO/IEC 14496-12 sample flags
_TFHD_OPTIONAL = ((0x01, 8), (0x02, 4), (0x08, 4), (0x10, 4))  # base offset, description, duration, size
_TRUN_SAMPLE_FIELDS = (0x100, 0x200, 0x400, 0x800)  # duration, size, flags, composition offset


def fragment_starts_with_sync_sample(data: bytes, moof: Box) -> bool | None:
    """Whether the first sample of every track in the fragment is a sync sample (a keyframe), read
    from ``trun``/``tfhd`` sample flags; None when the fragment does not say (flags left to ``trex``).

    A fragment of a few frames (a CMAF chunk) usually starts mid-GOP: only one that starts on a
    keyframe may begin a segment.
    """
    verdicts: list[bool] = []
    for traf in iter_boxes(data, moof.payload_offset, moof.end):
        if traf.type != b"traf":
            continue
        default_flags: int | None = None
        first_flags: int | None = None
        for leaf in iter_boxes(data, traf.payload_offset, traf.end):
            flags = int.from_bytes(data[leaf.payload_offset + 1 : leaf.payload_offset + 4], "big")
            if leaf.type == b"tfhd":
                default_flags = _tfhd_default_sample_flags(data, leaf, flags)
            elif leaf.type == b"trun" and first_flags is None:
                first_flags = _trun_first_sample_flags(data, leaf, flags)
        sample_flags = first_flags if first_flags is not None else default_flags
        if sample_flags is None:
            return None
        verdicts.append(not sample_flags & _NON_SYNC_SAMPLE)
    return all(verdicts) if verdicts else None


def _tfhd_default_sample_flags(data: bytes, tfhd: Box, flags: int) -> int | None:
    if not flags & 0x20:
        return None
    at = tfhd.payload_offset + 8  # version/flags, track_ID
    at += sum(size for bit, size in _TFHD_OPTIONAL if flags & bit)
    value: int = struct.unpack_from(">I", data, at)[0]
    return value


def _trun_first_sample_flags(data: bytes, trun: Box, flags: int) -> int | None:
    at = trun.payload_offset + 4
    sample_count: int = struct.unpack_from(">I", data, at)[0]
    at += 4 + (4 if flags & 0x01 else 0)  # sample_count, data_offset
    if flags & 0x04:  # first_sample_flags
        value: int = struct.unpack_from(">I", data, at)[0]
        return value
    if flags & 0x400 and sample_count:
        at += 4 * sum(1 for bit in _TRUN_SAMPLE_FIELDS[:2] if flags & bit)
        first: int = struct.unpack_from(">I", data, at)[0]
        return first
    return None


def first_track_decode_time(fragment: bytes) -> int | None:
    """``baseMediaDecodeTime`` of the first ``traf`` of the fragment's ``moof`` (in that track's
    timescale), or None when the fragment has no ``moof`` or its first ``traf`` no ``tfdt``."""
    for moof in iter_boxes(fragment):
        if moof.type != b"moof":
            continue
        for traf in iter_boxes(fragment, moof.payload_offset, moof.end):
            if traf.type != b"traf":
                continue
            for leaf in iter_boxes(fragment, traf.payload_offset, traf.end):
                if leaf.type == b"tfdt":
                    version = fragment[leaf.payload_offset]
                    value: int = struct.unpack_from(
                        ">Q" if version == 1 else ">I", fragment, leaf.payload_offset + 4
                    )[0]
                    return value
            return None
    return None


def _walk(data: bytes, start: int, end: int) -> Iterator[Box]:
    for box in iter_boxes(data, start, end):
        yield box
        if box.type in _CONTAINERS:
            yield from _walk(data, box.payload_offset, box.end)
