"""Case numbers as people type them, made into the one spelling the court writes (the portal stores and
looks up numbers in it; the capture agent burns it into the caption).

An official case number reads ``（2026）京0105民初1234号``: the year in full-width brackets. People
type it with half-width brackets ``(2026)``, with tortoise-shell, square or lenticular brackets,
with full-width digits, and with stray spaces (also ideographic spaces and invisible zero-width
characters from copy and paste).
:func:`canonical_case_number` turns every such spelling into the official one; every place that
takes a typed case number (filing, party sign-in and its throttling, staff search, linking a
recording by the case its device named) goes through it, so the same number is the same case
everywhere. Numbers stored before it existed may still carry half-width brackets:
:func:`stored_spellings` gives both forms to look them up by.
"""

from __future__ import annotations

import unicodedata

_OPENING = "([\u3014\u3010"  # ( [ and the tortoise-shell and lenticular brackets
_CLOSING = ")]\u3015\u3011"
_TO_OFFICIAL = str.maketrans({**dict.fromkeys(_OPENING, "（"), **dict.fromkeys(_CLOSING, "）")})


def canonical_case_number(typed: str) -> str:
    """``typed`` in the official spelling: full-width letters and digits made plain (NFKC), every
    space and invisible character removed, every kind of bracket made full-width （）. Text that is no
    case number comes out cleaned the same way (callers check the grammar where they need it)."""
    folded = unicodedata.normalize("NFKC", typed)  # also makes （） half-width: put back below
    kept = (c for c in folded if not c.isspace() and unicodedata.category(c) not in ("Cf", "Cc"))
    return "".join(kept).translate(_TO_OFFICIAL)


def stored_spellings(number: str) -> tuple[str, str]:
    """The official spelling of ``number`` and its half-width-bracket variant (older rows)."""
    official = canonical_case_number(number)
    return official, official.replace("（", "(").replace("）", ")")
