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
    check_identifier,
    check_stream_name,
    is_identifier,
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


@settings(max_examples=60, deadline=None)
@given(st.from_regex(IDENTIFIER_PATTERN, fullmatch=True))
def test_the_anchored_pattern_and_the_checker_agree(value: str) -> None:
    assert is_identifier(value) == (".." not in value and not value.endswith("\n"))


def test_a_code_is_an_identifier_of_at_most_64_characters() -> None:
    assert re.fullmatch(CODE_PATTERN, "c" * 64)
    assert not re.fullmatch(CODE_PATTERN, "c" * 65)
