"""The identifier grammar every package checks names against."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.errors import ArchiveError
from archive.formats.identifiers import (
    CODE_PATTERN,
    IDENTIFIER_PATTERN,
    STREAM_NAME_MAX_LENGTH,
    audio_track_name,
    check_identifier,
    check_source_name,
    check_stream_name,
    is_identifier,
    source_of,
    track_streams,
)


@pytest.mark.parametrize("good", ["a", "rec-20261202T1010Z-1a2b", "Court_7.b", "x" * 128])
def test_identifiers_accepted(good: str) -> None:
    assert check_identifier(good, what="recording id") == good


@pytest.mark.parametrize("bad", ["", "-a", ".a", "a/b", "a..b", "x" * 129, "a\n", "é", "a b"])
def test_identifiers_refused_with_what_was_wrong(bad: str) -> None:
    with pytest.raises(ArchiveError, match=r"recording id .* is not accepted"):
        check_identifier(bad, what="recording id")


def test_stream_names_are_lower_case_and_short() -> None:
    assert check_stream_name("bench-cam") == "bench-cam"
    for bad in ("Bench", "a_b", "a" * 33, "cam\n"):
        with pytest.raises(ArchiveError, match="stream name"):
            check_stream_name(bad)


def test_a_sources_sound_is_its_name_with_audio_and_never_collides_with_a_source() -> None:
    assert track_streams("cam", video=True, audio=True) == ("cam", "cam.audio")
    assert track_streams("cam", video=True, audio=False) == ("cam", None)
    assert track_streams("mic1", video=False, audio=True) == (None, "mic1")  # a microphone keeps its name
    longest = audio_track_name("c" * 32)
    assert check_stream_name(longest) == longest and len(longest) == STREAM_NAME_MAX_LENGTH
    assert source_of("cam.audio") == "cam" and source_of("cam") == "cam"
    with pytest.raises(ArchiveError, match=r"stream name 'cam\.audio'"):
        check_source_name("cam.audio")  # no source may take the name of another source's sound
    for bad in ("cam.video", "cam.audio.audio", ".audio", "cam.Audio"):
        with pytest.raises(ArchiveError, match=r"optionally followed by '\.audio'"):
            check_stream_name(bad)


@settings(max_examples=60, deadline=None)
@given(st.from_regex(IDENTIFIER_PATTERN, fullmatch=True))
def test_the_anchored_pattern_and_the_checker_agree(value: str) -> None:
    assert is_identifier(value) == (".." not in value and not value.endswith("\n"))


def test_a_code_is_an_identifier_of_at_most_64_characters() -> None:
    assert re.fullmatch(CODE_PATTERN, "c" * 64)
    assert not re.fullmatch(CODE_PATTERN, "c" * 65)
