"""What archive and streaming both need, and the lowest layer of the archive: fMP4 box reading, the
identifier grammar, the canonical SHA-256 and the POSIX steps of a durable write. Imports no S3 code.
"""

from archive.formats.cmaf import (
    SEGMENT_HEAD_BYTES,
    SEGMENT_TYPE_BOX,
    header_problems,
    leading_brands,
    segment_problems,
    track_count,
)
from archive.formats.crash_points import CRASH_AT_ENV, CRASH_STEPS, crash_point
from archive.formats.durable_io import (
    append_durably,
    durable_temporary,
    finish_interrupted_link,
    fsync_directory,
    write_file_durably,
)
from archive.formats.fmp4_boxes import (
    Box,
    complete_fragments_length,
    fragment_start_seconds,
    fragment_starts_with_sync_sample,
    iter_boxes,
    track_timescales,
)
from archive.formats.hashing import sha256_bytes, sha256_file
from archive.formats.identifiers import (
    IDENTIFIER,
    MIXED_SOUND_STREAM,
    STREAM_NAME,
    STREAM_NAME_MAX_LENGTH,
    audio_track_name,
    check_identifier,
    check_source_name,
    check_stream_name,
    is_identifier,
    source_of,
    track_streams,
)
from archive.formats.position_lines import (
    POSITION_FORMAT,
    POSITION_KIND,
    POSITION_SEGMENT_SUFFIX,
    PositionRecord,
    encode_position_lines,
    parse_position_lines,
    position_segment_name,
)

__all__ = [
    "CRASH_AT_ENV",
    "CRASH_STEPS",
    "IDENTIFIER",
    "MIXED_SOUND_STREAM",
    "POSITION_FORMAT",
    "POSITION_KIND",
    "POSITION_SEGMENT_SUFFIX",
    "SEGMENT_HEAD_BYTES",
    "SEGMENT_TYPE_BOX",
    "STREAM_NAME",
    "STREAM_NAME_MAX_LENGTH",
    "Box",
    "PositionRecord",
    "append_durably",
    "audio_track_name",
    "check_identifier",
    "check_source_name",
    "check_stream_name",
    "complete_fragments_length",
    "crash_point",
    "durable_temporary",
    "encode_position_lines",
    "finish_interrupted_link",
    "fragment_start_seconds",
    "fragment_starts_with_sync_sample",
    "fsync_directory",
    "header_problems",
    "is_identifier",
    "iter_boxes",
    "leading_brands",
    "parse_position_lines",
    "position_segment_name",
    "segment_problems",
    "sha256_bytes",
    "sha256_file",
    "source_of",
    "track_count",
    "track_streams",
    "track_timescales",
    "write_file_durably",
]
