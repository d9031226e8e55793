"""The compliance log: an append-only, hash-chained record of retention, legal holds, disposal and fixity.

Each record is its own immutable object ``compliance-log/{seq:010d}.jsonl`` in the archive's bucket,
holding one line in the journal's canonical format (:mod:`archive.journal.format`): ``v``, ``seq``,
``prev`` (SHA-256 of the previous record's line; 64 zeros for the first), ``type``, ``at`` (UTC),
``actor`` (who caused it: a person's account or ``courtrec-<command>``) and the event's own fields.
A record is written with the archive's write-once PUT, so a concurrent writer that took the same
``seq`` makes the append retry on the next one, and no record is ever overwritten. Removing, editing or
reordering a record breaks the chain, which :meth:`ComplianceLog.records` refuses to read past.

The log is the source of truth for retention and legal holds (:mod:`archive.retention.keeper`) and the legal
trail of disposal. The portal's audit log subscribes through ``on_record`` (called after each append)
and can read the whole log with :meth:`ComplianceLog.records`.

Record types and their fields:

=====================  ===========================================================================
``retention_assigned`` recording_id, case, case_type, policy_years (null: permanent), start,
                       retain_until (null: permanent), locked_sites
``legal_hold_set``     case, reason, recordings, locked_sites
``legal_hold_cleared`` case, reason, recordings
``disposed``           recording_id, case, case_type, retain_until, objects, versions_deleted,
                       merkle_root, journal_head, sites
``disposal_failed``    recording_id, case, detail
``fixity_audit``       report_key, report_sha256, counts, window
``repaired``           site, key, recording_id, source_site, sha256, finding
``alarm``              severity, condition, subject, detail
=====================  ===========================================================================
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive.errors import ArchiveError, IntegrityError, ObjectConflictError
from archive.formats.hashing import sha256_bytes
from archive.journal.chain import ChainReport, read_chain
from archive.journal.fields import JsonObject
from archive.journal.format import FORMAT_VERSION, GENESIS_PREV, JournalLine, encode_line, utc_now_iso
from archive.preservation.compliance_records import ComplianceRecordEvent, parse_record

if TYPE_CHECKING:
    from archive.store.object_store import ObjectStore

logger = logging.getLogger(__name__)

COMPLIANCE_LOG_PREFIX = "compliance-log/"
_MAX_APPEND_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class ComplianceRecord:
    """One record of the log and the object key it is stored under."""

    key: str
    line: JournalLine

    @property
    def seq(self) -> int:
        return self.line.seq

    @property
    def type(self) -> str:
        return self.line.type

    @property
    def actor(self) -> str:
        """Who caused the record (a person's account or ``courtrec-<command>``)."""
        return str(self.line.fields["actor"])

    @property
    def event(self) -> ComplianceRecordEvent:
        """What the record says, typed. Raises JournalError (naming its seq) when it is malformed."""
        return parse_record(self.line)

    @property
    def digest(self) -> str:
        """SHA-256 of the record's line: the next record's ``prev``."""
        return self.line.digest


RecordHook = Callable[[ComplianceRecord], None]
ProtectHook = Callable[[str], None]


def record_key(seq: int) -> str:
    """The object key of record ``seq``."""
    return f"{COMPLIANCE_LOG_PREFIX}{seq:010d}.jsonl"


class ComplianceLog:
    """Append to and read the compliance log kept in ``store``'s bucket.

    ``on_record`` is called with every record appended by this instance (the portal's audit-log hook);
    ``protect`` with every new record's key (used to put it under Object Lock where the store enforces it).
    """

    def __init__(
        self, store: ObjectStore, *, on_record: RecordHook | None = None, protect: ProtectHook | None = None
    ) -> None:
        self._store = store
        self._on_record = on_record
        self._protect = protect
        self._tail: ComplianceRecord | None = None

    @property
    def store(self) -> ObjectStore:
        return self._store

    def append(self, event: ComplianceRecordEvent, *, actor: str) -> ComplianceRecord:
        """Append a record of ``event`` caused by ``actor`` and return it.

        Raises ArchiveError when ``actor`` is empty or the append keeps losing races, IntegrityError
        when the log's last record is unreadable, StoreUnavailableError / StoreAuthError.
        """
        if not actor.strip():
            raise ArchiveError("a compliance record needs an actor (who did this)")
        for _ in range(_MAX_APPEND_ATTEMPTS):
            tail = self._tail if self._tail is not None else self._read_tail()
            line_fields: JsonObject = {
                **event.to_fields(),
                "v": FORMAT_VERSION,
                "seq": 0 if tail is None else tail.seq + 1,
                "prev": GENESIS_PREV if tail is None else tail.digest,
                "type": str(event.TYPE),
                "at": utc_now_iso(),
                "actor": actor,
            }
            raw = encode_line(line_fields)
            record = ComplianceRecord(
                record_key(0 if tail is None else tail.seq + 1), JournalLine(raw, line_fields)
            )
            try:
                self._store.put_bytes(record.key, raw + b"\n", sha256_bytes(raw + b"\n"))
            except ObjectConflictError:
                self._tail = None  # another writer appended first: re-read the tail and retry
                continue
            self._tail = record
            self._after_append(record)
            return record
        raise ArchiveError(f"could not append to the compliance log after {_MAX_APPEND_ATTEMPTS} attempts")

    def records(self) -> list[ComplianceRecord]:
        """Every record, in order. Raises IntegrityError when the chain is broken anywhere."""
        report, records = self._read_all()
        if not report.intact:
            raise IntegrityError("compliance log is damaged: " + "; ".join(report.problems))
        return records

    def check(self) -> ChainReport:
        """Read the whole log and report every break in its chain (nothing raised for breaks)."""
        return self._read_all()[0]

    def _read_all(self) -> tuple[ChainReport, list[ComplianceRecord]]:
        keys = sorted(o.key for o in self._store.list_objects(COMPLIANCE_LOG_PREFIX))
        chunks = [(key, self._store.read_bytes(key)) for key in keys]
        report = read_chain(chunks)
        records = [ComplianceRecord(record_key(line.seq), line) for line in report.lines]
        for expected, key in enumerate(keys):
            if key != record_key(expected):
                report.problems.append(f"{record_key(expected)}: record missing (next stored is {key})")
                break
        if len(report.lines) != len(keys):
            report.problems.append(f"{len(keys)} record objects hold {len(report.lines)} valid lines")
        return report, records

    def _read_tail(self) -> ComplianceRecord | None:
        keys = sorted(o.key for o in self._store.list_objects(COMPLIANCE_LOG_PREFIX))
        if not keys:
            return None
        report = read_chain([(keys[-1], self._store.read_bytes(keys[-1]))])
        if len(report.lines) != 1 or report.lines[0].seq != len(keys) - 1:
            raise IntegrityError(
                f"compliance log: the last record {keys[-1]} is not valid ({report.problems})"
            )
        return ComplianceRecord(keys[-1], report.lines[0])

    def _after_append(self, record: ComplianceRecord) -> None:
        logger.info("compliance log %s: %s", record.seq, record.type)
        if self._protect is not None:
            self._protect(record.key)
        if self._on_record is not None:
            self._on_record(record)
