"""The identifier grammar: which recording ids, room codes and stream names are safe in a path, an
object key and a URL. One place for archive and streaming alike (streaming may import archive.formats).

An identifier is 1-128 ASCII letters, digits, ``.``, ``_`` or ``-``, starting with a letter or digit and
never containing ``..``; a code (court, device, room, feed) is the same up to 64 characters. A source
name (what ``name=`` gives a recorded source) is 1-32 lower-case letters, digits or ``-``, starting with a
letter or digit. A stream name (one CMAF track file of a recording: its directory and object keys) is a
source name, or a source name followed by ``.audio`` for the sound of a source that also has pictures
(``cam`` is the camera's video track, ``cam.audio`` its sound; docs/FORMATS.md). A source name never
holds a ``.``, so the two never collide. All are matched whole (a trailing newline is not accepted).
"""

from __future__ import annotations

import re

from archive.errors import ArchiveError

# As anchored patterns for pydantic fields and FastAPI parameters, and compiled for matching whole.
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"  # the shorter codes: court, device, room, feed
SOURCE_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,31}$"
AUDIO_TRACK_SUFFIX = ".audio"
STREAM_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,31}(\.audio)?$"
STREAM_NAME_MAX_LENGTH = 32 + len(AUDIO_TRACK_SUFFIX)
IDENTIFIER = re.compile(IDENTIFIER_PATTERN, re.ASCII)
SOURCE_NAME = re.compile(SOURCE_NAME_PATTERN, re.ASCII)
STREAM_NAME = re.compile(STREAM_NAME_PATTERN, re.ASCII)


def is_identifier(value: str) -> bool:
    """True when ``value`` is an identifier (see the module's grammar)."""
    return IDENTIFIER.fullmatch(value) is not None and ".." not in value


def check_identifier(value: str, *, what: str) -> str:
    """Return ``value`` if it is safe in a path and an object key; raise ArchiveError naming ``what``."""
    if not is_identifier(value):
        raise ArchiveError(
            f"{what} {value!r} is not accepted: use 1-128 letters, digits, '.', '_' or '-' (no '..')"
        )
    return value


def check_source_name(value: str) -> str:
    """Return ``value`` if it is a valid source name ([a-z0-9][a-z0-9-]{0,31}); else raise ArchiveError."""
    if SOURCE_NAME.fullmatch(value) is None:
        raise ArchiveError(f"stream name {value!r} is not accepted: use [a-z0-9][a-z0-9-]{{0,31}}")
    return value


def check_stream_name(value: str) -> str:
    """Return ``value`` if it is a valid stream name (a source name, optionally followed by
    ``.audio``); else raise ArchiveError."""
    if STREAM_NAME.fullmatch(value) is None:
        raise ArchiveError(
            f"stream name {value!r} is not accepted: use [a-z0-9][a-z0-9-]{{0,31}}, optionally followed"
            " by '.audio'"
        )
    return value


MIXED_SOUND_STREAM = "mix"
"""The stream of a recording with several microphones that holds their sum (the default sound)."""


def audio_track_name(source: str) -> str:
    """The stream name of the sound of source ``source`` when the source also has pictures."""
    return check_source_name(source) + AUDIO_TRACK_SUFFIX


def source_of(stream: str) -> str:
    """The source a stream was recorded from (``cam`` for ``cam.audio`` and for ``cam``)."""
    return stream.removesuffix(AUDIO_TRACK_SUFFIX)


def track_streams(source: str, *, video: bool, audio: bool) -> tuple[str | None, str | None]:
    """The streams (CMAF track files) source ``source`` is recorded into, as (video, audio): its
    pictures under its own name, its sound under its own name too when it has no pictures, else under
    ``<source>.audio``; None for what the source does not have."""
    video_stream = source if video else None
    audio_stream = (audio_track_name(source) if video else source) if audio else None
    return video_stream, audio_stream
