"""Splitting the fragmented-MP4 byte stream of our packager into the init segment and fragments.

Box reading is the archive's (:mod:`archive.formats.fmp4_boxes`, which streaming may import).
"""

from __future__ import annotations

import io

from archive.formats.fmp4_boxes import iter_boxes


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
        for box in iter_boxes(self._buffer):
            self._take(box.type, bytes(self._buffer[box.offset : box.end]))
            consumed = box.end
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
