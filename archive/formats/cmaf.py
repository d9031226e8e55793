"""CMAF track files (ISO/IEC 23000-19): the brands we write and check, and the segment type box.

A CMAF track file holds one track: a CMAF header (``ftyp`` with the ``cmfc`` brand + ``moov`` with
one ``trak``) and CMAF segments, each starting with a ``styp`` that declares ``cmfs`` and made of
``moof``+``mdat`` chunks. The mp4 muxer writes the header's brands (``movflags=cmaf``) but never a
``styp``: the segmenter prepends :data:`SEGMENT_TYPE_BOX` to every segment it writes.

``cmf2`` is not claimed: the mp4 muxer writes an edit list in every track (and AAC needs one for its
priming samples), which the ``cmf2`` constraints leave out (docs/FORMATS.md).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from archive.formats.fmp4_boxes import box_at, iter_boxes

CMAF_HEADER_BRAND = b"cmfc"
CMAF_SEGMENT_BRAND = b"cmfs"
_DASH_MEDIA_SEGMENT_BRAND = b"msdh"
SEGMENT_BRANDS = (CMAF_SEGMENT_BRAND, _DASH_MEDIA_SEGMENT_BRAND)
SEGMENT_HEAD_BYTES = 64
"""Enough of a segment's first bytes to read its ``styp`` (what verification reads of each segment)."""


def _type_box(box_type: bytes, major: bytes, compatible: tuple[bytes, ...]) -> bytes:
    payload = major + struct.pack(">I", 0) + b"".join(compatible)
    return struct.pack(">I", 8 + len(payload)) + box_type + payload


SEGMENT_TYPE_BOX = _type_box(b"styp", CMAF_SEGMENT_BRAND, SEGMENT_BRANDS)
"""The ``styp`` every CMAF segment we write starts with: major brand ``cmfs``, compatible ``cmfs``
and ``msdh`` (a DASH media segment, which a CMAF segment is)."""


@dataclass(frozen=True, slots=True)
class Brands:
    """A file or segment type box: its major brand and compatible brands (four characters each)."""

    major: str
    compatible: tuple[str, ...]

    def declares(self, brand: bytes) -> bool:
        """Whether ``brand`` is the major brand or among the compatible ones."""
        name = brand.decode("ascii")
        return self.major == name or name in self.compatible


def leading_brands(data: bytes, box_type: bytes) -> Brands | None:
    """The brands of the box ``data`` starts with when it is a whole ``box_type`` (``ftyp`` or
    ``styp``) box; else None."""
    box = box_at(data, 0)
    if box is None or box.type != box_type or box.size < box.header_size + 8:
        return None
    payload = data[box.payload_offset : box.end]
    compatible = tuple(
        payload[at : at + 4].decode("latin-1") for at in range(8, len(payload) - len(payload) % 4, 4)
    )
    return Brands(major=payload[:4].decode("latin-1"), compatible=compatible)


def track_count(init_segment: bytes) -> int:
    """How many ``trak`` boxes the init segment's ``moov`` holds (0 without a ``moov``)."""
    for box in iter_boxes(init_segment):
        if box.type == b"moov":
            return sum(
                1 for child in iter_boxes(init_segment, box.payload_offset, box.end) if child.type == b"trak"
            )
    return 0


def header_problems(init_segment: bytes) -> list[str]:
    """What keeps ``init_segment`` from being the CMAF header of a track file (empty when it is)."""
    problems: list[str] = []
    brands = leading_brands(init_segment, b"ftyp")
    if brands is None:
        problems.append("does not start with an ftyp box")
    elif not brands.declares(CMAF_HEADER_BRAND):
        problems.append(f"ftyp ({brands.major}; {', '.join(brands.compatible)}) does not declare 'cmfc'")
    tracks = track_count(init_segment)
    if tracks != 1:
        problems.append(f"holds {tracks} tracks (a CMAF track file holds exactly one)")
    return problems


def segment_problems(segment_head: bytes) -> list[str]:
    """What keeps a media segment starting with ``segment_head`` (at least its first
    :data:`SEGMENT_HEAD_BYTES`) from being a CMAF segment of ours (empty when it is)."""
    brands = leading_brands(segment_head, b"styp")
    if brands is None:
        return ["does not start with a styp box"]
    if not brands.declares(CMAF_SEGMENT_BRAND):
        return [f"styp ({brands.major}; {', '.join(brands.compatible)}) does not declare 'cmfs'"]
    return []
