"""Restore: rebuild the primary from the backup (every recording or one), then verify every chain.

The backup's trusted journal decides what each recording consists of (the primary's copy of a chunk
is used only where the backup's fails the chain). Every object missing on the primary, or held there
with bytes whose server checksum differs from the journal, is written from the backup after its
bytes are checked against the journal, and replaced copies are re-read in full. Then
:func:`archive.preservation.verify.verify_recording` runs against the primary, exactly as
``archive verify`` does;
a recording counts as restored only when that verification is intact. A whole-archive restore also
brings back the compliance log (retention, holds, disposals).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from archive.errors import ArchiveError, StoreAuthError, StoreUnavailableError
from archive.preservation.manifest import load_manifest, recording_ids
from archive.preservation.replication import CopyOutcome, Protect, compliance_log_entries, replicate
from archive.preservation.verify import VerifyReport, verify_recording
from archive.progress import ProgressCallback
from archive.store.sites import Site

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class RestoreReport:
    """Per recording: its verification on the primary after the restore; and what was written."""

    verified: dict[str, VerifyReport] = field(default_factory=dict)
    counts: dict[CopyOutcome, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(report.intact for report in self.verified.values())

    def lines(self) -> list[str]:
        """One line per recording plus every problem."""
        out = [report.summary() for report in self.verified.values()]
        out += [f"  {problem}" for report in self.verified.values() for problem in report.problems]
        out += [f"problem: {problem}" for problem in self.problems]
        counts = ", ".join(f"{outcome}={n}" for outcome, n in sorted(self.counts.items())) or "nothing"
        return [*out, f"restore {'ok' if self.ok else 'INCOMPLETE'}: {counts}"]


def restore(
    backup: Site,
    primary: Site,
    *,
    recording_id: str | None = None,
    protect: Protect | None = None,
    workers: int = 4,
    create_bucket_with_lock: bool = True,
    on_progress: ProgressCallback | None = None,
) -> RestoreReport:
    """Rebuild ``primary`` from ``backup``; see the module docstring.

    A missing primary bucket is created (with Object Lock unless ``create_bucket_with_lock`` is False).
    ``on_progress(done, total)`` after each recording. Raises StoreUnavailableError /
    StoreAuthError when a site cannot be used; ArchiveError when ``recording_id`` is not on the backup.
    """
    if not primary.store.bucket_exists():
        primary.store.ensure_bucket(object_lock=create_bucket_with_lock)
    ids = [recording_id] if recording_id is not None else list(recording_ids(backup.store))
    report = RestoreReport()
    for done, rid in enumerate(ids, start=1):
        try:
            _restore_recording(backup, primary, rid, report, protect=protect, workers=workers)
        except (StoreUnavailableError, StoreAuthError):
            raise
        except ArchiveError as exc:
            if recording_id is not None:
                raise
            report.problems.append(f"recording {rid}: {exc}")
        if on_progress is not None:
            on_progress(done, len(ids))
    if recording_id is None:
        _restore_compliance_log(backup, primary, report, workers)
    return report


def _restore_recording(
    backup: Site, primary: Site, rid: str, report: RestoreReport, *, protect: Protect | None, workers: int
) -> None:
    manifest = load_manifest([backup, primary], rid)
    results = replicate(backup, primary, manifest.entries, replace_bad=True, workers=workers)
    for result in results:
        report.counts[result.outcome] = report.counts.get(result.outcome, 0) + 1
        if not result.outcome.ok:
            report.problems.append(result.line(backup, primary))
    written = [r.entry.key for r in results if r.outcome.wrote]
    if written and protect is not None:
        protect(primary, rid, written, manifest.case)
    for lost in manifest.lost_chunks:
        report.problems.append(f"recording {rid}: journal chunk {lost} has no trusted copy on any site")
    report.verified[rid] = verify_recording(primary.store, rid)
    logger.info("restored %s: %d objects written; %s", rid, len(written), report.verified[rid].summary())


def _restore_compliance_log(backup: Site, primary: Site, report: RestoreReport, workers: int) -> None:
    try:
        entries = compliance_log_entries(backup)
    except ArchiveError as exc:
        if isinstance(exc, StoreUnavailableError | StoreAuthError):
            raise
        report.problems.append(f"compliance log on {backup.name}: {exc}")
        return
    for result in replicate(backup, primary, entries, replace_bad=True, workers=workers):
        report.counts[result.outcome] = report.counts.get(result.outcome, 0) + 1
        if not result.outcome.ok:
            report.problems.append(result.line(backup, primary))
