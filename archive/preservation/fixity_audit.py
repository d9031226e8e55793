"""Fixity audits: re-hash every copy on every site against the journal, repair, and report.

For each recording (found through its locator on any reachable site) the trusted journal gives every
object's expected SHA-256 (:mod:`archive.preservation.manifest`). Every run checks that every object
exists on every site (one listing per recording and site); the copies in this run's sample (all of
them, or a rotating sample covering everything within a period:
:mod:`archive.preservation.audit_sampling`) are
re-read in full and re-hashed. A copy that is missing, hashes differently, or that the store fails to
return (its own CRC check, for instance) is rewritten from a copy that has just been re-hashed good,
then re-read and re-verified (:func:`archive.preservation.replication.repair_copy`); the compliance log gets a
``repaired`` record. An object with no good copy left on any site, or a recording whose journal
passes on no site, raises a CRITICAL alarm. The compliance log itself is audited the same way.

The report (:mod:`archive.preservation.audit_report`) is stored in the bucket for the portal and
summarised in a ``fixity_audit`` compliance record. The records a run appends (``repaired``,
``fixity_audit``) are copied to every other reachable site at once, verified, so that an unchanged
archive audits clean on the next run too (they are not left for the next backup pass to bring over,
and are never reported missing by the audit that follows).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from archive.alarms import AlarmCondition, AlarmSeverity, AlarmSink, log_alarm
from archive.errors import ArchiveError, ObjectNotFoundError, StoreAuthError, StoreUnavailableError
from archive.preservation.audit_report import AuditReport, FindingStatus, RepairOutcome, save_report
from archive.preservation.audit_sampling import SampleWindow, next_window, ring_position
from archive.preservation.audit_tally import AuditTally
from archive.preservation.compliance_log import COMPLIANCE_LOG_PREFIX, ComplianceLog, ComplianceRecord
from archive.preservation.compliance_records import FixityAudited, Repaired
from archive.preservation.manifest import ManifestEntry, load_manifest, recording_ids
from archive.preservation.replication import (
    Protect,
    compliance_log_entries,
    mirror_compliance_records,
    repair_copy,
)
from archive.progress import ProgressCallback
from archive.spool.layout import locator_key
from archive.store.sites import Site

logger = logging.getLogger(__name__)

LOG_SUBJECT = "(compliance-log)"
_SITE_ERRORS = (StoreUnavailableError, StoreAuthError)


@dataclass(slots=True)
class _Copy:
    """One site's copy of one object; ``status`` None means good (so far)."""

    site: Site
    entry: ManifestEntry
    status: FindingStatus | None = None
    actual: str | None = None
    detail: str = ""
    hashed: bool = False


@dataclass(slots=True)
class _Plan:
    recording_id: str
    case: str | None
    copies: list[_Copy]
    to_hash: list[_Copy]


class FixityAudit:
    """Audits ``sites`` (primary first); see the module docstring.

    ``log`` receives ``repaired`` and ``fixity_audit`` records; ``protect`` re-applies retention and
    holds to a repaired copy; ``workers`` objects are re-hashed at a time.
    """

    def __init__(
        self,
        sites: Sequence[Site],
        *,
        log: ComplianceLog | None = None,
        alarm: AlarmSink = log_alarm,
        protect: Protect | None = None,
        workers: int = 4,
        actor: str = "courtrec-audit",
        batch_recordings: int = 32,
    ) -> None:
        if not sites:
            raise ValueError("an audit needs at least one site")
        self._sites = list(sites)
        self._log = log
        self._alarm_sink = alarm
        self._protect = protect
        self._workers = max(1, workers)
        self._actor = actor
        self._batch = max(1, batch_recordings)
        self._tally = AuditTally(alarm)
        self._appended: list[ComplianceRecord] = []

    def run(
        self,
        *,
        sample_period: timedelta | None = None,
        now: datetime | None = None,
        previous_run_at: datetime | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> AuditReport:
        """Audit once and return the report (also stored and logged when a site is reachable).

        ``sample_period``: re-hash only this run's rotating sample (None: everything), continuing from
        the run at ``previous_run_at``. ``on_progress(done, total)`` counts recordings audited.
        Raises nothing for problems found; they are in the report.
        """
        started = now or datetime.now(UTC)
        window = next_window(sample_period, started, previous_run_at) if sample_period else None
        self._tally = AuditTally(self._alarm_sink)
        self._appended = []
        live, ids = self._reachable_sites()
        # the log as it stands now: records this run appends are not yet due at the backup
        log_plan = self._plan_compliance_log(live, window) if live else None
        done = 0
        for batch in _batches(sorted(ids), self._batch):
            plans = [plan for rid in batch if (plan := self._plan_recording(rid, live, ids, window))]
            self._hash_many([copy for plan in plans for copy in plan.to_hash])
            self._settle_all(plans)
            done += len(batch)
            if on_progress is not None:
                on_progress(done, len(ids))
        if log_plan is not None:
            self._hash_many(log_plan.to_hash)
            self._settle_all([log_plan])
        report = self._tally.report(started, window, [str(s) for s in self._sites])
        return self._publish(report, live)

    # -- planning --------------------------------------------------------------------------------

    def _reachable_sites(self) -> tuple[list[Site], dict[str, set[str]]]:
        live: list[Site] = []
        ids: dict[str, set[str]] = {}
        for site in self._sites:
            try:
                found = recording_ids(site.store)
            except _SITE_ERRORS as exc:
                self._tally.finding(site.name, "", "", FindingStatus.SITE_UNAVAILABLE, detail=str(exc))
                self._tally.alarm(AlarmSeverity.WARNING, AlarmCondition.SITE_UNAVAILABLE, str(site), str(exc))
                continue
            live.append(site)
            for rid in found:
                ids.setdefault(rid, set()).add(site.name)
        return live, ids

    def _plan_recording(
        self, rid: str, live: list[Site], ids: dict[str, set[str]], window: SampleWindow | None
    ) -> _Plan | None:
        try:
            manifest = load_manifest(live, rid)
        except _SITE_ERRORS:
            raise
        except ArchiveError as exc:
            self._tally.finding(
                None,
                rid,
                "",
                FindingStatus.JOURNAL_UNTRUSTED,
                detail=str(exc),
                repair=RepairOutcome.NO_GOOD_COPY,
            )
            self._tally.alarm(AlarmSeverity.CRITICAL, AlarmCondition.JOURNAL_UNTRUSTED, rid, str(exc))
            return None
        self._tally.recordings += 1
        for lost in manifest.lost_chunks:
            self._tally.finding(
                None,
                rid,
                lost,
                FindingStatus.CORRUPT,
                detail="no site holds a copy that passes the chain",
                repair=RepairOutcome.NO_GOOD_COPY,
            )
            self._tally.alarm(
                AlarmSeverity.CRITICAL, AlarmCondition.NO_GOOD_COPY, lost, "journal chunk lost on every site"
            )
        present = {site.name: self._listing(site, f"{manifest.prefix}/") for site in live}
        for site in live:
            if site.name in ids.get(rid, set()):
                present[site.name].add(locator_key(rid))
        return _Plan(rid, manifest.case, *self._copies(manifest.entries, live, present, window))

    def _plan_compliance_log(self, live: list[Site], window: SampleWindow | None) -> _Plan | None:
        for site in live:
            try:
                entries = compliance_log_entries(site)
            except _SITE_ERRORS:
                continue
            except ArchiveError as exc:
                self._tally.finding(site.name, LOG_SUBJECT, "", FindingStatus.CORRUPT, detail=str(exc))
                continue
            present = {s.name: self._listing(s, COMPLIANCE_LOG_PREFIX) for s in live}
            return _Plan(LOG_SUBJECT, None, *self._copies(entries, live, present, window))
        return None

    def _listing(self, site: Site, prefix: str) -> set[str]:
        return {stored.key for stored in site.store.list_objects(prefix)}

    def _copies(
        self,
        entries: Sequence[ManifestEntry],
        live: list[Site],
        present: dict[str, set[str]],
        window: SampleWindow | None,
    ) -> tuple[list[_Copy], list[_Copy]]:
        """Every (site, entry) copy, and those of them to re-hash in this run."""
        copies: list[_Copy] = []
        to_hash: list[_Copy] = []
        self._tally.expected += len(entries)
        for entry in entries:
            sampled = window is None or window.contains(ring_position(entry.key))
            self._tally.sampled += int(sampled)
            for site in live:
                copy = _Copy(site, entry)
                if entry.key not in present[site.name]:
                    copy.status = FindingStatus.MISSING
                elif sampled:
                    to_hash.append(copy)
                copies.append(copy)
        return copies, to_hash

    def _hash_many(self, copies: list[_Copy]) -> None:
        with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="fixity") as pool:
            list(pool.map(_hash, copies))
        for copy in copies:
            self._count(copy)

    def _hash_one(self, copy: _Copy) -> None:
        _hash(copy)
        self._count(copy)

    def _count(self, copy: _Copy) -> None:
        if copy.hashed:
            self._tally.hashed += 1
            self._tally.bytes += copy.entry.size or 0

    # -- repairing -------------------------------------------------------------------------------

    def _settle_all(self, plans: list[_Plan]) -> None:
        for plan in plans:
            by_key: dict[str, list[_Copy]] = {}
            for copy in plan.copies:
                by_key.setdefault(copy.entry.key, []).append(copy)
            for copies in by_key.values():
                self._settle(plan, copies)

    def _settle(self, plan: _Plan, copies: list[_Copy]) -> None:
        if all(copy.status is None for copy in copies):
            return
        good = next((c for c in copies if c.status is None and c.hashed), None)
        for candidate in (c for c in copies if c.status is None and not c.hashed):
            if good is not None:
                break
            self._hash_one(candidate)  # not in this run's sample, but needed as a repair source
            good = candidate if candidate.status is None else None
        for bad in (c for c in copies if c.status is not None):
            self._repair(plan, bad, good)

    def _repair(self, plan: _Plan, bad: _Copy, good: _Copy | None) -> None:
        entry = bad.entry
        if good is None:
            self._bad_finding(plan, bad, RepairOutcome.NO_GOOD_COPY, None)
            self._tally.alarm(
                AlarmSeverity.CRITICAL,
                AlarmCondition.NO_GOOD_COPY,
                entry.key,
                f"recording {plan.recording_id}: no site holds a copy matching the journal",
            )
            return
        try:
            result = repair_copy(good.site, bad.site, entry, missing=bad.status is FindingStatus.MISSING)
        except _SITE_ERRORS as exc:
            self._bad_finding(
                plan, bad, RepairOutcome.FAILED, good.site.name, f"{bad.detail} repair failed: {exc}".strip()
            )
            self._tally.alarm(AlarmSeverity.CRITICAL, AlarmCondition.REPAIR_FAILED, entry.key, str(exc))
            return
        if not result.outcome.wrote:
            self._bad_finding(
                plan, bad, RepairOutcome.FAILED, good.site.name, f"repair: {result.outcome}: {result.detail}"
            )
            self._tally.alarm(AlarmSeverity.CRITICAL, AlarmCondition.REPAIR_FAILED, entry.key, result.detail)
            return
        self._bad_finding(plan, bad, RepairOutcome.REPAIRED, good.site.name)
        if self._protect is not None and plan.recording_id != LOG_SUBJECT:
            self._protect(bad.site, plan.recording_id, [entry.key], plan.case)
        if self._log is not None:
            self._append_record(
                Repaired(
                    site=bad.site.name,
                    key=entry.key,
                    recording_id=plan.recording_id,
                    source_site=good.site.name,
                    sha256=entry.sha256,
                    finding=str(bad.status),
                )
            )

    def _bad_finding(
        self, plan: _Plan, bad: _Copy, repair: RepairOutcome, source: str | None, detail: str = ""
    ) -> None:
        self._tally.finding(
            bad.site.name,
            plan.recording_id,
            bad.entry.key,
            bad.status or FindingStatus.CORRUPT,
            expected=bad.entry.sha256,
            actual=bad.actual,
            detail=detail or bad.detail,
            repair=repair,
            source=source,
        )

    def _publish(self, report: AuditReport, live: list[Site]) -> AuditReport:
        if not live:
            return report
        try:
            key, digest = save_report(live[0].store, report)
            if self._log is not None:
                window = None if report.sample is None else report.sample.model_dump()
                self._append_record(
                    FixityAudited(
                        report_key=key,
                        report_sha256=digest,
                        counts=dict(report.counts()),
                        clean=report.clean,
                        window=window,
                    )
                )
        except _SITE_ERRORS as exc:
            logger.error("the audit report could not be stored: %s", exc)
        self._mirror_own_records(live)
        return report

    def _append_record(self, event: Repaired | FixityAudited) -> None:
        if self._log is not None:
            self._appended.append(self._log.append(event, actor=self._actor))

    def _mirror_own_records(self, live: list[Site]) -> None:
        """Copy the records this run appended to every other reachable site (see the module docstring);
        a site that fails gets them from the next backup pass (and the next audit reports them)."""
        if self._log is None or not self._appended:
            return
        home = next((site for site in live if site.store is self._log.store), None)
        if home is not None:
            mirror_compliance_records(home, [site for site in live if site is not home], self._appended)


def _hash(copy: _Copy) -> None:
    """Re-read one copy in full and classify it (runs in a worker thread; touches only ``copy``)."""
    try:
        actual = copy.site.store.sha256_of(copy.entry.key)
    except ObjectNotFoundError:
        copy.status = FindingStatus.MISSING
        return
    except StoreUnavailableError as exc:  # listed, yet not returned: e.g. the store's own CRC check failed
        copy.status, copy.detail = FindingStatus.UNREADABLE, str(exc)
        return
    copy.hashed, copy.actual = True, actual
    if actual != copy.entry.sha256:
        copy.status = FindingStatus.CORRUPT


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
