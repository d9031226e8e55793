"""The compliance log's records go through the journal's one typed parser: a malformed record is refused
with its ``seq`` named, a good one parses and re-encodes to the same fields."""

from __future__ import annotations

import pytest

from archive.errors import JournalError
from archive.journal.format import JournalLine
from archive.preservation.compliance_records import LegalHoldSet, parse_record

ENVELOPE = {"v": 1, "seq": 12, "prev": "00" * 32, "at": "2026-01-01T09:00:00+00:00", "actor": "it"}
HOLD = {"case": "(2026)test-1", "reason": "appeal", "recordings": ["rec-1"], "locked_sites": ["primary"]}


def _line(type_: str, fields: dict[str, object]) -> JournalLine:
    return JournalLine(raw=b"", fields={**ENVELOPE, "type": type_, **fields})


def test_a_record_parses_to_its_dataclass_and_back() -> None:
    record = parse_record(_line("legal_hold_set", HOLD))
    assert record == LegalHoldSet("(2026)test-1", "appeal", ("rec-1",), ("primary",))
    assert record.to_fields() == HOLD


@pytest.mark.parametrize(
    ("type_", "fields", "message"),
    [
        ("teleport", HOLD, r"^compliance record seq 12: unknown record type 'teleport'$"),
        (
            "legal_hold_set",
            {k: v for k, v in HOLD.items() if k != "reason"},
            r"^compliance record seq 12 \(legal_hold_set\): missing field 'reason'$",
        ),
        (
            "legal_hold_set",
            {**HOLD, "recordings": "rec-1"},
            r"^compliance record seq 12 \(legal_hold_set\): 'recordings' must be",
        ),
    ],
)
def test_a_malformed_record_names_its_seq(type_: str, fields: dict[str, object], message: str) -> None:
    with pytest.raises(JournalError, match=message):
        parse_record(_line(type_, fields))
