"""Free text people type (names, reasons, legal bases, purposes, descriptions), made safe to store.

Text is NFKC-normalised (full-width letters and digits become plain ones, so look-alike names are one
name), except for full-width punctuation (，：；（）), which is how Chinese text is written and is kept
as typed, and loses its format characters (Unicode category Cf: zero-width spaces and joiners, the byte
order mark, bidirectional overrides and isolates that make text read differently from how it is
stored) and control characters other than line breaks and tabs. Text with nothing left is refused.
Identifiers with their own grammar (case numbers, codes) do not go through here.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import BeforeValidator

_KEPT_CONTROLS = frozenset("\n\r\t")
# full-width punctuation and symbols of the Halfwidth and Fullwidth Forms block (not its letters/digits)
_FULL_WIDTH_PUNCTUATION = re.compile("([\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+)")
EMPTY_MESSAGE = "内容为空或只含不可见字符"


def normalised(value: str) -> str:
    """``value`` in NFKC (full-width punctuation kept) without format and control characters (line
    breaks and tabs kept), stripped."""
    folded = "".join(
        run if _FULL_WIDTH_PUNCTUATION.fullmatch(run) else unicodedata.normalize("NFKC", run)
        for run in _FULL_WIDTH_PUNCTUATION.split(value)
    )
    return "".join(
        character
        for character in folded
        if character in _KEPT_CONTROLS or unicodedata.category(character) not in ("Cf", "Cc")
    ).strip()


def _normalised_field(value: object) -> object:
    """For pydantic: text normalised (then length-checked by the field); ValueError when text that
    was given is empty after normalisation."""
    if not isinstance(value, str):
        return value  # pydantic refuses it with its own message
    cleaned = normalised(value)
    if value and not cleaned:
        raise ValueError(EMPTY_MESSAGE)
    return cleaned


FreeText = Annotated[str, BeforeValidator(_normalised_field)]
"""A str field of an HTTP body or form: normalised before its length limits are checked."""
