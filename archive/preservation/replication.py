"""Copying objects between sites with the journal's hash as the only judge (backup, restore, repair).

A copy is made only from source bytes whose SHA-256 equals the expected one, with the archive's
single server-verified PUT (``x-amz-checksum-sha256``, confirmed by a HEAD). An object already at the
destination counts as present only when the server's own checksum of it (or, where the server keeps
none, a full re-read) equals the expected hash; our ``sha256`` metadata alone never decides. A
destination copy proven bad is replaced only when the caller allows it (``replace_bad``), and then
re-read in full and re-verified.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum

from archive.errors import (
    ArchiveError,
    IntegrityError,
    ObjectConflictError,
    ObjectNotFoundError,
    StoreAuthError,
    StoreUnavailableError,
)
from archive.formats.hashing import sha256_bytes
from archive.preservation.compliance_log import ComplianceLog, ComplianceRecord
from archive.preservation.manifest import EntryKind, ManifestEntry
from archive.store.sites import Site

logger = logging.getLogger(__name__)

_CONTENT_TYPES = {
    EntryKind.INIT: "video/mp4",
    EntryKind.SEGMENT: "video/iso.segment",
    EntryKind.JOURNAL: "application/x-ndjson",
    EntryKind.LOCATOR: "application/json",
}


class CopyOutcome(StrEnum):
    """What happened to one object."""

    COPIED = "copied"
    PRESENT = "present"
    REPLACED = "replaced"
    SOURCE_MISSING = "source_missing"
    SOURCE_BAD = "source_bad"
    DEST_BAD = "dest_bad"

    @property
    def ok(self) -> bool:
        return self in (CopyOutcome.COPIED, CopyOutcome.PRESENT, CopyOutcome.REPLACED)

    @property
    def wrote(self) -> bool:
        return self in (CopyOutcome.COPIED, CopyOutcome.REPLACED)


@dataclass(frozen=True, slots=True)
class CopyResult:
    """The outcome for one object, with the bytes written (0 unless copied or replaced)."""

    entry: ManifestEntry
    outcome: CopyOutcome
    detail: str = ""
    bytes_written: int = 0

    def line(self, source: Site, dest: Site) -> str:
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.entry.key}: {self.outcome} ({source.name} -> {dest.name}){detail}"


def read_verified(site: Site, entry: ManifestEntry) -> bytes:
    """The object's bytes from ``site``, only if their SHA-256 is the expected one.

    Raises ObjectNotFoundError, IntegrityError (bytes differ from the expected hash, or from the
    object's own metadata), StoreUnavailableError.
    """
    data = site.store.read_bytes(entry.key)
    actual = sha256_bytes(data)
    if actual != entry.sha256:
        raise IntegrityError(f"{site.name}: {entry.key} has sha256 {actual}, the journal says {entry.sha256}")
    return data


def holds_good_copy(site: Site, entry: ManifestEntry) -> bool | None:
    """True when ``site`` holds ``entry`` with the expected hash by the server's own checksum (or a
    full re-read where the server reports none); False when it holds other bytes; None when absent."""
    stored = site.store.stat(entry.key)
    if stored is None:
        return None
    if entry.size is not None and stored.size != entry.size:
        return False
    server = stored.server_sha256 if stored.server_sha256 is not None else site.store.sha256_of(entry.key)
    return server == entry.sha256


def copy_entry(source: Site, dest: Site, entry: ManifestEntry, *, replace_bad: bool) -> CopyResult:
    """Make ``dest`` hold a good copy of ``entry``, from ``source``; see the module docstring.

    Raises StoreUnavailableError when either site cannot be reached (nothing is half-done: a PUT either
    stored verified bytes or nothing).
    """
    present = holds_good_copy(dest, entry)
    if present:
        return CopyResult(entry, CopyOutcome.PRESENT)
    if present is False and not replace_bad:
        return CopyResult(entry, CopyOutcome.DEST_BAD, f"{dest.name} holds other bytes")
    data = _fetch(source, entry)
    if isinstance(data, CopyResult):
        return data
    content_type = _CONTENT_TYPES[entry.kind]
    if present is None:
        try:
            dest.store.put_bytes(entry.key, data, entry.sha256, content_type=content_type)
        except (ObjectConflictError, IntegrityError) as exc:  # another writer, or the store lost our bytes
            return CopyResult(entry, CopyOutcome.DEST_BAD, str(exc))
        return CopyResult(entry, CopyOutcome.COPIED, bytes_written=len(data))
    return _replace(dest, entry, data, content_type)


def _fetch(source: Site, entry: ManifestEntry) -> bytes | CopyResult:
    """The good bytes from ``source``, or the result explaining why there are none."""
    try:
        return read_verified(source, entry)
    except ObjectNotFoundError:
        return CopyResult(entry, CopyOutcome.SOURCE_MISSING, f"missing on {source.name}")
    except IntegrityError as exc:
        return CopyResult(entry, CopyOutcome.SOURCE_BAD, str(exc))


def _replace(dest: Site, entry: ManifestEntry, data: bytes, content_type: str) -> CopyResult:
    try:
        dest.store.replace_bytes(entry.key, data, entry.sha256, content_type=content_type)
        after = dest.store.sha256_of(entry.key)
    except IntegrityError as exc:
        return CopyResult(entry, CopyOutcome.DEST_BAD, f"replacing failed: {exc}")
    except ArchiveError as exc:
        if isinstance(exc, StoreUnavailableError):
            raise
        return CopyResult(entry, CopyOutcome.DEST_BAD, f"replacing refused: {exc}")
    if after != entry.sha256:
        return CopyResult(
            entry, CopyOutcome.DEST_BAD, f"after replacing, {dest.name} reads back sha256 {after}"
        )
    return CopyResult(entry, CopyOutcome.REPLACED, bytes_written=len(data))


def replicate(
    source: Site,
    dest: Site,
    entries: Sequence[ManifestEntry],
    *,
    replace_bad: bool,
    workers: int = 4,
) -> list[CopyResult]:
    """Copy every entry with :func:`copy_entry`, ``workers`` at a time; locators last, once the rest
    is in place (so a recording is findable at the destination only when its objects are there)."""
    first = [e for e in entries if e.kind is not EntryKind.LOCATOR]
    last = [e for e in entries if e.kind is EntryKind.LOCATOR]

    def one(entry: ManifestEntry) -> CopyResult:
        return copy_entry(source, dest, entry, replace_bad=replace_bad)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="replicate") as pool:
        results = list(pool.map(one, first))
    results += [one(entry) for entry in last]
    for result in results:
        if result.outcome.wrote:
            logger.debug("%s", result.line(source, dest))
    return results


def compliance_log_entries(site: Site) -> list[ManifestEntry]:
    """The compliance log's records on ``site`` as entries (expected hash: the bytes that passed the
    chain). Raises IntegrityError when the log's chain is broken there."""
    return [_record_entry(r) for r in ComplianceLog(site.store).records()]


def _record_entry(record: ComplianceRecord) -> ManifestEntry:
    raw = record.line.raw + b"\n"
    return ManifestEntry(record.key, sha256_bytes(raw), EntryKind.JOURNAL, len(raw))


def mirror_compliance_records(
    home: Site, others: Sequence[Site], records: Sequence[ComplianceRecord]
) -> None:
    """Copy ``records`` just appended to the log on ``home`` to every site of ``others`` (write-once,
    verified). Best effort: a site that cannot take them now gets them from the next backup pass, and
    a copy that fails is logged (the next audit reports it)."""
    entries = [_record_entry(record) for record in records]
    for site in others if entries else ():
        try:
            results = replicate(home, site, entries, replace_bad=False, workers=1)
        except (StoreUnavailableError, StoreAuthError) as exc:
            logger.warning("compliance records not copied to %s: %s", site, exc)
            continue
        for result in results:
            if not result.outcome.ok:
                logger.warning("compliance record not copied: %s", result.line(home, site))


Protect = Callable[[Site, str, list[str], str | None], None]
"""Hook called after objects of a recording were written to a site: (site, recording id, keys, case)."""


def repair_copy(source: Site, dest: Site, entry: ManifestEntry, *, missing: bool) -> CopyResult:
    """Rewrite ``dest``'s copy of ``entry`` from ``source``'s good one, whatever ``dest``'s server
    checksum says (a bit-rotted copy keeps a correct stored checksum), then re-read it in full.

    ``missing``: the copy is absent, so a write-once PUT is used. Raises StoreUnavailableError.
    """
    data = _fetch(source, entry)
    if isinstance(data, CopyResult):
        return data
    content_type = _CONTENT_TYPES[entry.kind]
    if missing:
        try:
            dest.store.put_bytes(entry.key, data, entry.sha256, content_type=content_type)
        except (ObjectConflictError, IntegrityError):
            pass  # something else appeared there meanwhile: replace it below
        else:
            after = dest.store.sha256_of(entry.key)
            if after == entry.sha256:
                return CopyResult(entry, CopyOutcome.COPIED, bytes_written=len(data))
    return _replace(dest, entry, data, content_type)
