"""The portal's one case-number spelling (defined in ``archive.formats.case_number``, which the capture
agent's caption shares), and which case numbers are execution (enforcement) cases."""

from __future__ import annotations

import re

from archive.formats.case_number import canonical_case_number, stored_spellings

__all__ = ["canonical_case_number", "is_execution_case", "stored_spellings"]

_EXECUTION = re.compile(r"执[\u4e00-\u9fff]{0,2}\d{1,6}号$")


def is_execution_case(number: str) -> bool:
    """True for an execution (enforcement) case number such as ``（2026）京0105执1234号`` (also 执恢, 执保,
    执异, 执复 …), in any spelling :func:`canonical_case_number` accepts."""
    return _EXECUTION.search(canonical_case_number(number)) is not None
