"""After a crash: keep every byte, salvage what still decodes.

A segment that was being written when the recorder died is a ``NNNNNNNN.m4s.tmp`` holding whole
fragments (CMAF chunks) and perhaps a torn last one. The longest prefix of whole fragments is sealed
under the segment's own name and flagged ``partial`` (it decodes on its own with the stream's init
segment), then the raw bytes are moved to ``quarantine/`` untouched (never deleted). Each step can
be cut by another crash and is picked up again on the next start.
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import av

from archive.formats import (
    complete_fragments_length,
    crash_point,
    finish_interrupted_link,
    fsync_directory,
    sha256_file,
)
from archive.spool import SealedFile, seal_file
from capture.errors import SalvageError
from capture.recording.stream.segmenter import TEMP_SUFFIX

logger = logging.getLogger(__name__)

QUARANTINE_DIR = "quarantine"
SALVAGE_SUFFIX = ".salvage"


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
    """Seal ``temporary``'s decodable prefix and quarantine its raw bytes (see module docstring).

    Restartable from a crash at any step: the prefix is sealed first (an earlier attempt's sealed
    prefix is taken as it is, after checking it is that prefix), the raw bytes are quarantined under
    a name no earlier salvage used, and only then is the result returned to be journaled.
    Raises SalvageError when the segment's name holds something that is not this prefix.
    """
    seq = int(temporary.name.split(".")[0])
    final = temporary.with_name(temporary.name.removesuffix(TEMP_SUFFIX))
    data = temporary.read_bytes()
    good = complete_fragments_length(data)
    sealed = _seal_prefix(temporary, final, data[:good]) if good else None
    raw = quarantine_name(temporary.parent, final.name)
    raw.parent.mkdir(exist_ok=True)
    os.rename(temporary, raw)
    fsync_directory(temporary.parent)
    fsync_directory(raw.parent)
    crash_point("salvage.quarantined", final.name)
    if sealed is None:
        logger.warning("torn segment %s holds no complete fragment; raw bytes kept in %s", temporary, raw)
        return SalvagedSegment(seq=seq, raw=raw, raw_size=len(data), sealed=None, span=None)
    span = probe_span(init_segment, data[:good]) if init_segment else None
    logger.warning("salvaged %d of %d bytes of torn segment %s", good, len(data), temporary)
    return SalvagedSegment(seq=seq, raw=raw, raw_size=len(data), sealed=sealed, span=span)


def quarantine_name(directory: Path, segment_name: str) -> Path:
    """A name in ``directory``'s quarantine for the raw bytes of torn segment ``segment_name`` that
    no earlier salvage used (a number is reused when its torn segment held nothing decodable)."""
    quarantine = directory / QUARANTINE_DIR
    attempt = 1
    while True:
        raw = quarantine / (f"{segment_name}.raw" if attempt == 1 else f"{segment_name}.{attempt}.raw")
        if not raw.exists():
            return raw
        attempt += 1


def quarantined_raws(directory: Path, segment_name: str) -> list[Path]:
    """Every raw torn segment kept in ``directory``'s quarantine under ``segment_name``, oldest name first."""
    quarantine = directory / QUARANTINE_DIR
    found = [quarantine / f"{segment_name}.raw", *sorted(quarantine.glob(f"{segment_name}.*.raw"))]
    return [path for path in found if path.exists()]


def _seal_prefix(temporary: Path, final: Path, prefix: bytes) -> SealedFile:
    staging = temporary.with_name(temporary.name + SALVAGE_SUFFIX)
    if finish_interrupted_link(staging, final) or final.exists():
        # an earlier salvage of this segment got as far as sealing the prefix
        if final.read_bytes() != prefix:
            raise SalvageError(f"{final} exists but is not the decodable prefix of {temporary}")
        if staging.exists():
            staging.unlink()  # a copy of the prefix that was never linked: the sealed one is kept
            fsync_directory(staging.parent)
        return SealedFile(path=final, sha256=sha256_file(final), size=final.stat().st_size)
    with staging.open("wb") as handle:  # "wb": a staging copy left by a crash was never sealed
        handle.write(prefix)
    crash_point("salvage.written", final.name)
    sealed = seal_file(staging, final)
    crash_point("salvage.sealed", final.name)
    return sealed
