"""Finding notices by what a visitor types: case number, court, courtroom, party, cause.

A case number is matched however it was typed (brackets, widths, stray spaces: every text is compared
in the one spelling of :func:`portal.case_number.canonical_case_number`).
Party names are searched only where the notice shows them (public hearings).
"""

from __future__ import annotations

from portal.case_number import canonical_case_number as searchable
from portal.hearings.notices import NoticeView

MAX_QUERY_LENGTH = 100


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
