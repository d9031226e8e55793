"""Every way people type a case number comes out as the one official spelling."""

from __future__ import annotations

import pytest

from portal.case_number import canonical_case_number, stored_spellings

OFFICIAL = "（2026）京0105民初1234号"


@pytest.mark.parametrize(
    "typed",
    [
        OFFICIAL,
        "(2026)京0105民初1234号",
        " (2026) 京0105 民初1234号 ",
        # full-width digits
        "（\uff12\uff10\uff12\uff16）京\uff10\uff11\uff10\uff15民初\uff11\uff12\uff13\uff14号",
        "\u30142026\u3015京0105民初1234号",  # tortoise-shell brackets
        "【2026】京0105民初1234号",
        "[2026]京0105民初1234号",
        "（2026）\u3000京0105民初1234号",
        "（2026）京0105\u200b民初1234号\n",
        "(2026）京0105民初1234号",
    ],
)
def test_every_spelling_is_the_official_one(typed: str) -> None:
    assert canonical_case_number(typed) == OFFICIAL


def test_other_text_is_only_cleaned() -> None:
    assert canonical_case_number(" 2026-demo-civ-0001 ") == "2026-demo-civ-0001"
    assert canonical_case_number("京0105民初1234号") == "京0105民初1234号"
    assert canonical_case_number(OFFICIAL) != canonical_case_number("（2026）京0105民初1235号")


def test_stored_spellings_cover_older_half_width_rows() -> None:
    assert stored_spellings("(2026) 京0105民初1234号") == (OFFICIAL, "(2026)京0105民初1234号")
