"""Cutting the fragmented-MP4 byte stream of one stream into CMAF segments on the spool.

One segmenter per CMAF track file (one track: the video of a source, or its sound). The muxer writes
``ftyp``+``moov`` (the CMAF header, ``cmfc`` brand) and then one ``moof``+``mdat`` pair per CMAF
chunk of a few frames (~200 ms; a new one also starts at every keyframe). Every segment starts with a
``styp`` (``cmfs``, written with its first chunk); we append every complete chunk to the open
segment's temporary file and fdatasync it, so a crash loses at most the chunk being written (plus
what the encoder still holds). Segments are cut on a fixed grid of media time (multiples of the
segment length from the run's origin): when a chunk that starts on a keyframe (every audio chunk
does) starts at or past the next grid point, the open segment is sealed and a new one begins — so
the video and the sound of one source are cut at the same times (within one audio chunk) and never
drift apart. Recordings made with one fragment per GOP cut the same way.
"""

from __future__ import annotations

import io
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from archive.formats import (
    SEGMENT_TYPE_BOX,
    fragment_start_seconds,
    fragment_starts_with_sync_sample,
    iter_boxes,
    track_timescales,
)
from archive.spool import SealedFile, seal_file, segment_name

logger = logging.getLogger(__name__)

TEMP_SUFFIX = ".tmp"
_CUT_TOLERANCE_SECONDS = 0.1
MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof+delay_moov+skip_trailer+cmaf"  # cmaf: the cmfc brand
CHUNK_US = "200000"
"""CMAF chunk length (µs): bytes reach the disk every ~200 ms, so a crash loses little (keyframes,
and so segment starts, stay one GOP apart: ``frag_keyframe`` also starts a chunk at each)."""


def muxer_options() -> dict[str, str]:
    """The MP4 muxer options of every CMAF track file written into a segmenter (each stream's and
    the microphones' mix): a header, then one ``moof``+``mdat`` chunk every ``CHUNK_US``."""
    return {"movflags": MOVFLAGS, "flush_packets": "1", "frag_duration": CHUNK_US}


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """Media times of a sealed segment, in seconds from the stream's first sample."""

    seq: int
    start_seconds: float
    end_seconds: float
    pre_event: bool = False  # holds pictures a body camera buffered before its activation


InitHandler = Callable[[bytes], None]
SegmentHandler = Callable[[SealedFile, SegmentInfo], None]


class CmafSegmenter(io.RawIOBase):
    """A write-only binary sink for PyAV's mp4 muxer that produces sealed CMAF segments."""

    def __init__(
        self,
        stream_dir: Path,
        *,
        first_seq: int,
        segment_seconds: float,
        on_init: InitHandler,
        on_segment: SegmentHandler,
    ) -> None:
        super().__init__()
        self._dir = stream_dir
        self._next_seq = first_seq
        self._segment_seconds = segment_seconds
        self._on_init = on_init
        self._on_segment = on_segment
        self._buffer = bytearray()
        self._init = bytearray()
        self._timescales: dict[int, int] | None = None
        self._open: tuple[int, float, BinaryIO, Path] | None = None
        self._pending_moof: bytes | None = None
        self.last_fragment_start: float | None = None
        self._abandoned = False

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self._abandoned:
            return len(data)  # a failed muxer's last words: the file on disk is what we keep
        self._buffer += data
        consumed = 0
        for box in iter_boxes(self._buffer):
            self._take_box(bytes(self._buffer[box.offset : box.end]), box.type)
            consumed = box.end
        del self._buffer[:consumed]
        return len(data)

    def finish(self, end_seconds: float) -> None:
        """Seal the open segment, ending at media time ``end_seconds``; call after closing the muxer."""
        if self._buffer:
            logger.warning("%d trailing muxer bytes were not a complete box", len(self._buffer))
        self._seal_open(end_seconds)

    def abandon(self) -> None:
        """Stop writing after a failure: the open segment stays on disk under its temporary name
        (salvaged by the caller); later writes are ignored."""
        self._abandoned = True
        if self._open is not None:
            self._open[2].close()
            self._open = None

    def _take_box(self, box: bytes, box_type: bytes) -> None:
        if self._timescales is None and box_type in (b"ftyp", b"moov"):
            self._init += box
            if box_type == b"moov":
                self._timescales = track_timescales(bytes(self._init))
                self._on_init(bytes(self._init))
            return
        if box_type == b"moof":
            self._pending_moof = box
            return
        if box_type == b"mdat" and self._pending_moof is not None:
            self._write_fragment(self._pending_moof, box)
            self._pending_moof = None
            return
        logger.debug("ignoring top-level box %r", box_type)

    def _write_fragment(self, moof: bytes, mdat: bytes) -> None:
        moof_box = next(iter_boxes(moof))
        start = fragment_start_seconds(moof, moof_box, self._timescales or {})
        if start is None:  # no decode time in the fragment: continue from the previous one
            start = self.last_fragment_start or 0.0
        if (
            self._open is not None
            and start >= self._next_cut(self._open[1]) - _CUT_TOLERANCE_SECONDS
            and fragment_starts_with_sync_sample(moof, moof_box) is not False
        ):
            self._seal_open(start)
        if self._open is None:
            self._start_segment(start)
        assert self._open is not None
        handle = self._open[2]
        handle.write(moof)
        handle.write(mdat)
        handle.flush()
        os.fdatasync(handle.fileno())
        self.last_fragment_start = start

    def _next_cut(self, segment_start: float) -> float:
        """The first grid point (a multiple of the segment length) after ``segment_start``."""
        step = self._segment_seconds
        return (math.floor((segment_start + _CUT_TOLERANCE_SECONDS) / step) + 1) * step

    def _start_segment(self, start: float) -> None:
        seq = self._next_seq
        self._next_seq += 1
        temporary = self._dir / (segment_name(seq) + TEMP_SUFFIX)
        handle = temporary.open("xb")
        handle.write(SEGMENT_TYPE_BOX)  # made durable with the segment's first chunk
        self._open = (seq, start, handle, temporary)

    def _seal_open(self, end_seconds: float) -> None:
        if self._open is None:
            return
        seq, start, handle, temporary = self._open
        self._open = None
        handle.close()
        sealed = seal_file(temporary, self._dir / segment_name(seq))
        self._on_segment(
            sealed, SegmentInfo(seq=seq, start_seconds=start, end_seconds=max(end_seconds, start))
        )
