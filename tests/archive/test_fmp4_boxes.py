"""ISO BMFF box reading shared by the recorder, the archive and the public packager."""

from __future__ import annotations

import struct

from archive.formats.cmaf import SEGMENT_TYPE_BOX
from archive.formats.fmp4_boxes import (
    Box,
    box_at,
    complete_fragments_length,
    first_track_decode_time,
    fragment_starts_with_sync_sample,
    iter_boxes,
)


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def large_box(kind: bytes, payload: bytes) -> bytes:
    """A box with the 64-bit size header (size field 1, then the real size)."""
    return struct.pack(">I4sQ", 1, kind, 16 + len(payload)) + payload


def tfdt(decode_time: int, *, version: int) -> bytes:
    value = struct.pack(">Q" if version == 1 else ">I", decode_time)
    return box(b"tfdt", bytes([version, 0, 0, 0]) + value)


def fragment(decode_time: int, *, version: int = 0, media: bytes = b"x" * 10) -> bytes:
    tfhd = box(b"tfhd", bytes(4) + struct.pack(">I", 1))
    return box(b"moof", box(b"traf", tfhd + tfdt(decode_time, version=version))) + box(b"mdat", media)


def test_boxes_are_read_one_after_another_and_an_incomplete_one_ends_the_walk() -> None:
    data = box(b"ftyp", b"iso6") + box(b"free") + box(b"mdat", b"abc")
    kinds = [b.type for b in iter_boxes(data + data[:5])]
    assert kinds == [b"ftyp", b"free", b"mdat"]


def test_a_box_that_runs_past_the_given_end_is_not_complete() -> None:
    data = box(b"free", b"0123456789")
    assert box_at(data, 0) is not None
    assert box_at(data, 0, end=len(data) - 1) is None
    assert list(iter_boxes(data, 0, len(data) - 1)) == []


def test_64_bit_box_sizes_are_read() -> None:
    data = large_box(b"mdat", b"payload")
    found = box_at(data, 0)
    assert found is not None
    assert (found.type, found.size, found.header_size) == (b"mdat", len(data), 16)


def test_first_track_decode_time_reads_32_and_64_bit_tfdt() -> None:
    assert first_track_decode_time(fragment(90_000)) == 90_000
    assert first_track_decode_time(fragment(2**40, version=1)) == 2**40


def test_first_track_decode_time_is_none_without_moof_or_tfdt() -> None:
    assert first_track_decode_time(box(b"mdat", b"x")) is None
    no_tfdt = box(b"moof", box(b"traf", box(b"tfhd", bytes(8)))) + box(b"mdat")
    assert first_track_decode_time(no_tfdt) is None


def test_complete_fragments_length_keeps_whole_moof_mdat_pairs_only() -> None:
    first, second = fragment(0), fragment(3000)
    torn = first + second[:-3]
    assert complete_fragments_length(torn) == len(first)
    assert complete_fragments_length(first + second) == len(first + second)


def _chunk(*, first_flags: int | None, default_flags: int | None) -> tuple[bytes, Box]:
    """A one-track fragment whose first sample's flags come from trun or tfhd (or nowhere)."""
    tfhd_flags = 0x020000 | (0x20 if default_flags is not None else 0)  # default-base-is-moof
    tfhd_payload = struct.pack(">I", tfhd_flags) + struct.pack(">I", 1)
    if default_flags is not None:
        tfhd_payload += struct.pack(">I", default_flags)
    trun_flags = 0x201 | (0x04 if first_flags is not None else 0)  # data offset, sample sizes
    trun_payload = struct.pack(">II", trun_flags, 2) + struct.pack(">i", 0)
    if first_flags is not None:
        trun_payload += struct.pack(">I", first_flags)
    trun_payload += struct.pack(">II", 5, 5)
    data = box(b"moof", box(b"traf", box(b"tfhd", tfhd_payload) + box(b"trun", trun_payload)))
    moof = box_at(data, 0)
    assert moof is not None
    return data, moof


SYNC, NON_SYNC = 0x0200_0000, 0x0101_0000  # as FFmpeg's mp4 muxer writes them


def test_a_chunk_starts_with_a_keyframe_only_when_its_first_sample_is_a_sync_sample() -> None:
    assert fragment_starts_with_sync_sample(*_chunk(first_flags=SYNC, default_flags=NON_SYNC)) is True
    assert fragment_starts_with_sync_sample(*_chunk(first_flags=None, default_flags=NON_SYNC)) is False
    assert fragment_starts_with_sync_sample(*_chunk(first_flags=None, default_flags=SYNC)) is True
    assert fragment_starts_with_sync_sample(*_chunk(first_flags=None, default_flags=None)) is None


def test_a_leading_styp_is_kept_with_whole_fragments_but_alone_decodes_nothing() -> None:
    first, second = fragment(0), fragment(3000)
    segment = SEGMENT_TYPE_BOX + first + second
    assert complete_fragments_length(segment[:-3]) == len(SEGMENT_TYPE_BOX + first)
    assert complete_fragments_length(SEGMENT_TYPE_BOX + first[:-1]) == 0  # a torn first chunk
    assert complete_fragments_length(SEGMENT_TYPE_BOX) == 0
