"""Backup: copy every archived object from the primary to the backup site, verified, incrementally.

One pass (:meth:`Backup.run_once`) walks every recording on the primary, reads its trusted journal
(:mod:`archive.preservation.manifest`) and makes the backup hold a good copy of every object the journal
names (:mod:`archive.preservation.replication`), then the compliance log. A backup copy proven bad
by the server's
checksum is replaced from the primary and re-verified; a primary copy that fails its journal hash is
never copied, and is reported (the audit repairs it from the backup).

Incremental and resumable: journal chunks are immutable and numbered, so once every object named by
chunks 1..n of a recording is verified at the backup, a mark ``_courtrec/backup-marks/{id}/{n}.json``
is written there (with the journal's last checkpoint head under ``_courtrec/anchors/``, which
``archive verify`` compares the primary's journal with), and later passes skip the recording until a
chunk n+1 appears. An interrupted pass
leaves no mark, and the next one re-checks each object (present ones by HEAD, without copying).

:meth:`Backup.watch` repeats passes every ``interval_seconds``, so the backup lags the primary by at
most one pass plus the recorder's checkpoint interval (a chunk is uploaded when its checkpoint closes
it, and only journaled objects are copied). While the backup site is down, passes fail and are
retried; once it has failed longer than ``max_lag_seconds`` a BACKUP_LAG alarm is raised.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from archive.alarms import Alarm, AlarmCondition, AlarmSeverity, AlarmSink, log_alarm
from archive.errors import ArchiveError, ObjectConflictError, StoreAuthError, StoreUnavailableError
from archive.formats.hashing import sha256_bytes
from archive.journal.signing.anchor import last_head
from archive.preservation.anchor_store import write_head
from archive.preservation.manifest import load_manifest, recording_ids
from archive.preservation.replication import (
    CopyOutcome,
    CopyResult,
    Protect,
    compliance_log_entries,
    replicate,
)
from archive.preservation.verify import find_prefix
from archive.progress import ProgressCallback
from archive.stop_request import StopRequest
from archive.store.sites import Site
from timebase import Clock, SystemClock

logger = logging.getLogger(__name__)

MARK_PREFIX = "_courtrec/backup-marks/"


@dataclass(slots=True)
class BackupReport:
    """What one backup pass did."""

    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    recordings: int = 0
    unchanged: int = 0
    counts: dict[CopyOutcome, int] = field(default_factory=dict)
    bytes_copied: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, results: list[CopyResult], primary: Site, backup: Site) -> None:
        for result in results:
            self.counts[result.outcome] = self.counts.get(result.outcome, 0) + 1
            self.bytes_copied += result.bytes_written
            if not result.outcome.ok:
                self.problems.append(result.line(primary, backup))

    def summary(self) -> str:
        counts = (
            ", ".join(f"{outcome}={n}" for outcome, n in sorted(self.counts.items())) or "nothing to copy"
        )
        state = "ok" if self.ok else f"{len(self.problems)} problem(s)"
        return (
            f"backup pass {state}: {self.recordings} recordings ({self.unchanged} unchanged since the last"
            f" verified pass), {counts}, {self.bytes_copied} bytes copied"
        )


class Backup:
    """Copies the primary site to the backup site; see the module docstring."""

    def __init__(
        self,
        primary: Site,
        backup: Site,
        *,
        workers: int = 4,
        protect: Protect | None = None,
        alarm: AlarmSink = log_alarm,
        clock: Clock | None = None,
    ) -> None:
        self._clock: Clock = clock or SystemClock()
        self._primary = primary
        self._backup = backup
        self._workers = workers
        self._protect = protect
        self._alarm = alarm

    def run_once(self, on_progress: ProgressCallback | None = None) -> BackupReport:
        """One pass over every recording and the compliance log; ``on_progress(done, total)`` after
        each recording.

        Raises StoreUnavailableError / StoreAuthError when a site cannot be used (the pass stops; the
        next one resumes); problems with single recordings are reported, not raised.
        """
        report = BackupReport(started_at=self._clock.now())
        if not self._backup.store.bucket_exists():  # replication targets must be lock-enabled too (R7)
            self._backup.store.ensure_bucket(object_lock=True)
        ids = list(recording_ids(self._primary.store))
        for done, rid in enumerate(ids, start=1):
            report.recordings += 1
            try:
                self._backup_recording(rid, report)
            except (StoreUnavailableError, StoreAuthError):
                raise
            except ArchiveError as exc:
                report.problems.append(f"recording {rid}: {exc}")
            if on_progress is not None:
                on_progress(done, len(ids))
        self._backup_compliance_log(report)
        for problem in report.problems:
            self._alarm(
                Alarm(AlarmSeverity.WARNING, AlarmCondition.BACKUP_PROBLEM, str(self._backup), problem)
            )
        logger.info("%s", report.summary())
        return report

    def watch(
        self,
        *,
        interval_seconds: float,
        stop: StopRequest | threading.Event,
        max_lag_seconds: float = 3600.0,
        on_pass: Callable[[BackupReport], None] | None = None,
    ) -> None:
        """Run passes every ``interval_seconds`` until ``stop`` is set; outages are retried. A critical
        alarm is raised once no pass has been complete and verified for ``max_lag_seconds``
        (monotonic time, from the clock)."""
        last_good = self._clock.monotonic()
        lag_alarmed = False
        while not stop.is_set():
            try:
                report = self.run_once()
            except (StoreUnavailableError, StoreAuthError) as exc:
                logger.warning("backup pass failed (%s); retrying in %.0f s", exc, interval_seconds)
            else:
                if report.ok:
                    last_good, lag_alarmed = self._clock.monotonic(), False
                if on_pass is not None:
                    on_pass(report)
            behind = self._clock.monotonic() - last_good
            if behind > max_lag_seconds and not lag_alarmed:
                lag_alarmed = True
                detail = f"no complete verified pass for {behind:.0f} s (limit {max_lag_seconds:.0f} s)"
                self._alarm(
                    Alarm(AlarmSeverity.CRITICAL, AlarmCondition.BACKUP_LAG, str(self._backup), detail)
                )
            if isinstance(stop, threading.Event):
                self._clock.wait(stop, interval_seconds)
            else:  # a signal-safe flag polls in real time
                stop.wait(interval_seconds)

    def _backup_recording(self, rid: str, report: BackupReport) -> None:
        prefix = find_prefix(self._primary.store, rid)
        chunks = sum(
            1 for o in self._primary.store.list_objects(f"{prefix}/journal/") if o.key.endswith(".jsonl")
        )
        mark = f"{MARK_PREFIX}{rid}/{chunks:06d}.json"
        if chunks and self._backup.store.stat(mark) is not None:
            report.unchanged += 1
            return
        manifest = load_manifest([self._primary, self._backup], rid)
        results = replicate(
            self._primary, self._backup, manifest.entries, replace_bad=True, workers=self._workers
        )
        report.add(results, self._primary, self._backup)
        written = [r.entry.key for r in results if r.outcome.wrote]
        if written and self._protect is not None:
            self._protect(self._backup, rid, written, manifest.case)
        for lost in manifest.lost_chunks:
            report.problems.append(f"recording {rid}: journal chunk {lost} has no trusted copy on any site")
        if all(r.outcome.ok for r in results) and not manifest.lost_chunks and len(manifest.chunks) == chunks:
            head = last_head(rid, manifest.lines)
            if head is not None:  # the head the backup saw, kept there: the primary cannot be cut back
                write_head(self._backup.store, head)
            self._write_mark(mark, rid, manifest.root, len(results))

    def _write_mark(self, key: str, rid: str, root: str, objects: int) -> None:
        body = json.dumps(
            {
                "recording_id": rid,
                "merkle_root": root,
                "objects": objects,
                "verified_at": self._clock.now().isoformat(),
            },
            sort_keys=True,
        ).encode()
        with contextlib.suppress(ObjectConflictError):  # a concurrent pass marked it first: same meaning
            self._backup.store.put_bytes(key, body, sha256_bytes(body), content_type="application/json")

    def _backup_compliance_log(self, report: BackupReport) -> None:
        try:
            entries = compliance_log_entries(self._primary)
        except ArchiveError as exc:
            if isinstance(exc, StoreUnavailableError | StoreAuthError):
                raise
            report.problems.append(f"compliance log on {self._primary.name}: {exc}")
            return
        results = replicate(self._primary, self._backup, entries, replace_bad=True, workers=self._workers)
        report.add(results, self._primary, self._backup)
