"""Splitting the fragmented-MP4 byte stream of our packager into the init segment and fragments.

Only what the packager needs: top-level box framing, and the first track's ``tfdt`` (base media
decode time) of a ``moof``. (The archive has a fuller reader; streaming may not import it.)
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator

_HEADER = 8


def iter_boxes(
    data: bytes | bytearray, start: int = 0, end: int | None = None
) -> Iterator[tuple[bytes, int, int]]:
    """Complete boxes in ``data[start:end]`` as (type, offset, end offset); stops at an incomplete one."""
    limit = len(data) if end is None else end
    offset = start
    while offset + _HEADER <= limit:
        size, box_type = struct.unpack_from(">I4s", data, offset)
        header = _HEADER
        if size == 1:
            if offset + 16 > limit:
                return
            size = struct.unpack_from(">Q", data, offset + 8)[0]
            header = 16
        if size < header or offset + size > limit:
            return
        yield box_type, offset, offset + size
        offset += size


def first_track_decode_time(moof: bytes) -> int | None:
    """``baseMediaDecodeTime`` of the first ``traf`` in ``moof`` (in that track's timescale)."""
    for box_type, offset, end in iter_boxes(moof):
        if box_type != b"moof":
            continue
        for child, child_offset, child_end in iter_boxes(moof, offset + _HEADER, end):
            if child != b"traf":
                continue
            for leaf, leaf_offset, _ in iter_boxes(moof, child_offset + _HEADER, child_end):
                if leaf == b"tfdt":
                    version = moof[leaf_offset + _HEADER]
                    fmt = ">Q" if version == 1 else ">I"
                    value: int = struct.unpack_from(fmt, moof, leaf_offset + _HEADER + 4)[0]
                    return value
            return None
    return None


class FragmentCollector(io.RawIOBase):
    """A write-only sink for PyAV's mp4 muxer: ``init`` once ftyp+moov arrived, then ``fragments``."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer = bytearray()
        self._init = bytearray()
        self.init: bytes | None = None
        self._moof: bytes | None = None
        self.fragments: list[bytes] = []

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._buffer += data
        consumed = 0
        for box_type, offset, end in iter_boxes(self._buffer):
            self._take(box_type, bytes(self._buffer[offset:end]))
            consumed = end
        del self._buffer[:consumed]
        return len(data)

    def _take(self, box_type: bytes, box: bytes) -> None:
        if self.init is None and box_type in (b"ftyp", b"moov"):
            self._init += box
            if box_type == b"moov":
                self.init = bytes(self._init)
        elif box_type == b"moof":
            self._moof = box
        elif box_type == b"mdat" and self._moof is not None:
            self.fragments.append(self._moof + box)
            self._moof = None

    def take_fragments(self) -> list[bytes]:
        """The fragments completed since the last call."""
        done, self.fragments = self.fragments, []
        return done
