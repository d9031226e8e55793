"""The portal's one case-number spelling (defined in ``archive.formats.case_number``, which the capture
agent's caption shares)."""

from archive.formats.case_number import canonical_case_number, stored_spellings

__all__ = ["canonical_case_number", "stored_spellings"]
