"""Disposal: destroying a recording on every site once its retention has expired, and recording it.

Only :func:`archive.retention.policy.decide_disposal` says DISPOSE, and it is asked twice: once when
planning and again, from a freshly read compliance log, right before the first deletion (a hold set in
between wins). Disposal deletes every version of every object under the recording's prefix and its
locator on every site (a plain DELETE would only add a delete marker in a versioned bucket), locator
last, then appends a ``disposed`` record holding what was destroyed: the object count, the Merkle
root and the journal head, so the record still proves what existed. The copies made from the
recording that are not evidence (the portal's face-masked replay, ``replays-masked/{id}/``:
:func:`archive.spool.layout.derived_prefixes`) are deleted first, every version, and counted in the
record's ``derived_objects``: a masked replay must not outlive the recording. They are never locked
(the portal writes them with plain PUTs, no retention; courtrec's buckets have Object Lock but no
default retention, so nothing locks them implicitly). A store that refuses a deletion
(its own lock still running, clock skew) makes a ``disposal_failed`` record and an alarm; nothing is
retried blindly, the next run tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from archive.alarms import Alarm, AlarmCondition, AlarmSeverity, AlarmSink, log_alarm
from archive.errors import ArchiveError, StoreUnavailableError
from archive.preservation.compliance_records import DisposalFailed, Disposed
from archive.preservation.manifest import RecordingManifest, load_manifest, recording_ids
from archive.retention.keeper import RetentionKeeper
from archive.retention.policy import DisposalDecision, RetentionBook, RetentionState, decide_disposal
from archive.spool.layout import derived_prefixes, locator_key
from archive.store.sites import Site

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class DisposalReport:
    """What a disposal run did: disposed ids, the decision for every kept one, failures."""

    dry_run: bool
    disposed: list[str] = field(default_factory=list)
    kept: dict[str, DisposalDecision] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def lines(self) -> list[str]:
        """Human-readable lines, one per recording."""
        verb = "would dispose of" if self.dry_run else "disposed of"
        out = [f"{verb} {rid}" for rid in self.disposed]
        out += [f"kept {rid}: {decision}" for rid, decision in sorted(self.kept.items())]
        out += [f"FAILED {failure}" for failure in self.failures]
        return out or ["no recordings"]


def dispose_expired(
    keeper: RetentionKeeper,
    *,
    actor: str,
    now: datetime | None = None,
    dry_run: bool = False,
    alarm: AlarmSink = log_alarm,
) -> DisposalReport:
    """Dispose of every recording whose retention has expired and whose case is not held.

    Raises IntegrityError when the compliance log is damaged (then nothing is disposed),
    StoreUnavailableError when a site cannot be listed.
    """
    moment = now or datetime.now(UTC)
    report = DisposalReport(dry_run=dry_run)
    book = keeper.book()
    for rid in _all_recordings(keeper.sites, book):
        manifest = _manifest_or_none(keeper.sites, rid)
        decision = _decide(book, rid, manifest, moment)
        if decision is not DisposalDecision.DISPOSE:
            report.kept[rid] = decision
            continue
        if dry_run:
            report.disposed.append(rid)
            continue
        fresh = keeper.book()
        decision = _decide(fresh, rid, manifest, moment)
        if decision is not DisposalDecision.DISPOSE:
            report.kept[rid] = decision
            continue
        _dispose_one(keeper, fresh.retention[rid], manifest, actor=actor, report=report, alarm=alarm)
    return report


def _all_recordings(sites: Sequence[Site], book: RetentionBook) -> list[str]:
    ids = set(book.retention)  # a recording whose locator is gone is still found through its record
    for site in sites:
        ids.update(recording_ids(site.store))
    return sorted(ids)


def _manifest_or_none(sites: Sequence[Site], recording_id: str) -> RecordingManifest | None:
    try:
        return load_manifest(sites, recording_id)
    except StoreUnavailableError:
        raise
    except ArchiveError as exc:
        logger.warning(
            "recording %s cannot be read (%s); deciding from the compliance log alone", recording_id, exc
        )
        return None


def _decide(
    book: RetentionBook, recording_id: str, manifest: RecordingManifest | None, now: datetime
) -> DisposalDecision:
    state = book.retention.get(recording_id)
    held = book.is_held(None if manifest is None else manifest.case, None if state is None else state.case)
    return decide_disposal(state, held=held, disposed=recording_id in book.disposed, now=now)


def _dispose_one(
    keeper: RetentionKeeper,
    state: RetentionState,
    manifest: RecordingManifest | None,
    *,
    actor: str,
    report: DisposalReport,
    alarm: AlarmSink,
) -> None:
    rid = state.recording_id
    objects = derived = versions = 0
    try:
        for site in keeper.sites:
            site_derived, derived_versions = _destroy_derived(site, rid)
            site_objects, site_versions = _destroy(site, state)
            objects, derived = max(objects, site_objects), max(derived, site_derived)
            versions += site_versions + derived_versions
    except (ArchiveError, ValueError) as exc:
        detail = f"deletion refused or failed: {exc}"
        report.failures.append(f"{rid}: {detail}")
        keeper.log.append(DisposalFailed(recording_id=rid, case=state.case, detail=detail), actor=actor)
        alarm(Alarm(AlarmSeverity.CRITICAL, AlarmCondition.DISPOSAL_FAILED, rid, detail))
        return
    keeper.log.append(
        Disposed(
            recording_id=rid,
            case=state.case,
            case_type=state.case_type,
            retain_until=None if state.retain_until is None else state.retain_until.isoformat(),
            objects=objects,
            versions_deleted=versions,
            merkle_root=None if manifest is None else manifest.root,
            journal_head=None if manifest is None or not manifest.lines else manifest.lines[-1].digest,
            sites=tuple(site.name for site in keeper.sites),
            derived_objects=derived,
        ),
        actor=actor,
    )
    report.disposed.append(rid)
    logger.info(
        "disposed of recording %s (%d objects, %d masked replay copies, %d versions)",
        rid,
        objects,
        derived,
        versions,
    )


def _destroy_derived(site: Site, recording_id: str) -> tuple[int, int]:
    """Delete every version of the recording's derived copies (the masked replay). (keys, versions)"""
    lock = site.store.object_lock()
    targets = [v for prefix in derived_prefixes(recording_id) for v in lock.versions(prefix)]
    targets = [v for v in targets if any(v.key.startswith(p) for p in derived_prefixes(recording_id))]
    for version in targets:
        lock.delete_version(version.key, version.version_id)
    return len({v.key for v in targets if not v.is_delete_marker}), len(targets)


def _destroy(site: Site, state: RetentionState) -> tuple[int, int]:
    """Delete every version under the recording's prefix, then the locator's. Returns (keys, versions)."""
    lock = site.store.object_lock()
    targets = list(lock.versions(f"{state.prefix}/")) + list(lock.versions(locator_key(state.recording_id)))
    targets = [
        v for v in targets if v.key.startswith(f"{state.prefix}/") or v.key == locator_key(state.recording_id)
    ]
    for version in sorted(targets, key=lambda v: v.key == locator_key(state.recording_id)):
        lock.delete_version(version.key, version.version_id)
    return len({v.key for v in targets if not v.is_delete_marker}), len(targets)
