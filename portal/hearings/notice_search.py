"""Finding notices by what a visitor types: case number, court, courtroom, party, cause.

A case number is matched however it was typed: half-width or full-width brackets, stray spaces.
Party names are searched only where the notice shows them (public hearings).
"""

from __future__ import annotations

from portal.hearings.notices import NoticeView

_SAME_CHARACTERS = str.maketrans({"(": "（", ")": "）", "[": "（", "]": "）", "\u3014": "（", "\u3015": "）"})
MAX_QUERY_LENGTH = 100


def searchable(text: str) -> str:
    """``text`` in one form for comparing: full-width brackets, no spaces of any width."""
    return "".join(text.translate(_SAME_CHARACTERS).split())


def notice_matches(notice: NoticeView, query: str) -> bool:
    """Whether every word of ``query`` occurs in the notice's public text."""
    haystack = searchable(
        " ".join(
            [
                notice.case_number,
                notice.case_name or "",
                notice.cause,
                notice.court_name,
                notice.courtroom_name,
                *notice.parties,
            ]
        )
    )
    return all(searchable(word) in haystack for word in query.split())
