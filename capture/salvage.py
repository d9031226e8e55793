"""After a crash: keep every byte, salvage what still decodes.

A segment that was being written when the recorder died is a ``NNNNNNNN.m4s.tmp`` holding whole
fragments and perhaps a torn last one. Its raw bytes are moved to ``quarantine/`` untouched (never
deleted), and the longest prefix of whole fragments is sealed under the segment's own name and
flagged ``partial``. It decodes on its own with the stream's init segment.
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import av

from archive.formats import complete_fragments_length, fsync_directory
from archive.spool import SealedFile, seal_file

logger = logging.getLogger(__name__)

QUARANTINE_DIR = "quarantine"


@dataclass(frozen=True, slots=True)
class MediaSpan:
    """Where a segment sits on its stream's timeline, in seconds."""

    start_seconds: float
    end_seconds: float


@dataclass(frozen=True, slots=True)
class SalvagedSegment:
    """The outcome of salvaging one torn segment."""

    seq: int
    raw: Path
    raw_size: int
    sealed: SealedFile | None
    span: MediaSpan | None


def probe_span(init_segment: bytes, segment: bytes) -> MediaSpan | None:
    """Demux ``init_segment`` + ``segment`` with PyAV and return its time span; None if it does not demux."""
    try:
        with av.open(io.BytesIO(init_segment + segment), "r") as container:
            start: float | None = None
            end = 0.0
            for packet in container.demux():
                if packet.pts is None or packet.time_base is None:
                    continue
                begin = float(packet.pts * packet.time_base)
                finish = float((packet.pts + (packet.duration or 0)) * packet.time_base)
                start = begin if start is None else min(start, begin)
                end = max(end, finish)
    except (av.FFmpegError, ValueError) as exc:
        logger.warning("segment does not demux: %s", exc)
        return None
    return None if start is None else MediaSpan(start, end)


def salvage_torn_segment(temporary: Path, init_segment: bytes | None) -> SalvagedSegment:
    """Quarantine ``temporary``'s raw bytes and seal its decodable prefix (see module docstring)."""
    seq = int(temporary.name.split(".")[0])
    quarantine = temporary.parent / QUARANTINE_DIR
    quarantine.mkdir(exist_ok=True)
    data = temporary.read_bytes()
    raw = quarantine / f"{temporary.name.removesuffix('.tmp')}.raw"
    os.rename(temporary, raw)
    fsync_directory(temporary.parent)
    fsync_directory(quarantine)
    good = complete_fragments_length(data)
    if good == 0:
        logger.warning("torn segment %s holds no complete fragment; raw bytes kept in %s", temporary, raw)
        return SalvagedSegment(seq=seq, raw=raw, raw_size=len(data), sealed=None, span=None)
    prefix = temporary.with_name(temporary.name + ".salvage")
    with prefix.open("xb") as handle:
        handle.write(data[:good])
    sealed = seal_file(prefix, temporary.parent / temporary.name.removesuffix(".tmp"))
    span = probe_span(init_segment, data[:good]) if init_segment else None
    logger.warning("salvaged %d of %d bytes of torn segment %s", good, len(data), temporary)
    return SalvagedSegment(seq=seq, raw=raw, raw_size=len(data), sealed=sealed, span=span)
