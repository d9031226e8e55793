"""Retention and legal hold: recorded in the compliance log, enforced by courtrec, locked by S3 where real.

Assigning a retention (per case type, see :mod:`archive.retention.policy`) or a legal hold always
writes the compliance log first, which is what courtrec's own disposal obeys on every store. On top
of that, on every site whose bucket passed the WORM probe (:mod:`archive.store.worm_probe`), each object of
the recording gets an S3 Object Lock in COMPLIANCE mode until the retention ends (permanent: for
``permanent_lock_years``), and each object of a held case an S3 legal hold, so the store itself refuses
deletion too. A site that failed the probe gets no lock calls and is reported as protected by courtrec
only, never as WORM.

Retention can be extended, never shortened (COMPLIANCE semantics, applied by courtrec everywhere).
Objects written after the assignment (a resumed recording, a backup copy, a repair) are locked by
:meth:`RetentionKeeper.protect`, which backup, audit and restore call after writing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from archive.errors import ArchiveError, ObjectNotFoundError
from archive.preservation.compliance_log import ComplianceLog
from archive.preservation.compliance_records import LegalHoldCleared, LegalHoldSet, RetentionAssigned
from archive.preservation.manifest import RecordingManifest, load_manifest, recording_ids
from archive.retention.policy import RetentionBook, RetentionPolicy, RetentionState, add_years
from archive.store.lock_values import LockMode
from archive.store.sites import Site
from archive.store.worm_probe import WormReport

logger = logging.getLogger(__name__)

PERMANENT_LOCK_YEARS = 100  # S3 has no "forever": permanent evidence is locked this long, then relocked


class RetentionKeeper:
    """Applies retention and legal holds to a recording's copies on every site."""

    def __init__(
        self,
        sites: Sequence[Site],
        log: ComplianceLog,
        policies: Mapping[str, RetentionPolicy],
        *,
        worm: Mapping[str, WormReport],
        permanent_lock_years: int = PERMANENT_LOCK_YEARS,
    ) -> None:
        self._sites = list(sites)
        self._log = log
        self._policies = dict(policies)
        self._worm = dict(worm)
        self._permanent_lock_years = permanent_lock_years

    @property
    def sites(self) -> list[Site]:
        return list(self._sites)

    @property
    def log(self) -> ComplianceLog:
        return self._log

    def worm_sites(self) -> list[Site]:
        """The sites whose bucket passed the WORM probe."""
        return [
            site
            for site in self._sites
            if self._worm.get(site.name) is not None and self._worm[site.name].capable
        ]

    def book(self) -> RetentionBook:
        """The current retention state, folded from the compliance log (IntegrityError if it is damaged)."""
        return RetentionBook.from_records(self._log.records())

    def assign(
        self, recording_id: str, case_type: str, *, actor: str, start: datetime | None = None
    ) -> RetentionState:
        """Give ``recording_id`` the retention of ``case_type``, counted from ``start`` (default: the
        recording's first journal line), and lock its objects on the WORM sites.

        Raises ArchiveError for an unknown case type or an attempt to shorten an assigned retention;
        JournalError / ArchiveError when the recording cannot be read from any site.
        """
        policy = self._policies.get(case_type)
        if policy is None:
            raise ArchiveError(
                f"unknown case type {case_type!r}; configured: {', '.join(sorted(self._policies))}"
            )
        manifest = load_manifest(self._sites, recording_id)
        begin = start or datetime.fromisoformat(str(manifest.started_at))
        if begin.tzinfo is None:
            raise ArchiveError("the retention start must carry a timezone (UTC)")
        state = RetentionState(
            recording_id, manifest.prefix, manifest.case, case_type, policy.retain_until(begin)
        )
        current = self.book().retention.get(recording_id)
        if current is not None and current.is_longer_than(state.retain_until):
            raise ArchiveError(
                f"recording {recording_id} is retained until {_until_text(current.retain_until)};"
                f" retention can be extended, never shortened (asked: {_until_text(state.retain_until)})"
            )
        self._log.append(
            RetentionAssigned(
                recording_id=recording_id,
                prefix=manifest.prefix,
                case=manifest.case,
                case_type=case_type,
                policy_years=policy.years,
                start=begin.isoformat(),
                retain_until=None if state.retain_until is None else state.retain_until.isoformat(),
                locked_sites=tuple(site.name for site in self.worm_sites()),
            ),
            actor=actor,
        )
        for site in self.worm_sites():
            self._lock_retention(site, [e.key for e in manifest.entries], state.retain_until)
        return state

    def set_legal_hold(self, case: str, *, actor: str, reason: str) -> list[str]:
        """Put ``case`` under legal hold: recorded first (courtrec stops disposing at once), then an S3
        legal hold on every object of its recordings on the WORM sites. Returns the recording ids."""
        if not reason.strip():
            raise ArchiveError("a legal hold needs a reason")
        manifests = self._manifests_of_case(case)
        self._log.append(
            LegalHoldSet(
                case=case,
                reason=reason,
                recordings=tuple(m.recording_id for m in manifests),
                locked_sites=tuple(site.name for site in self.worm_sites()),
            ),
            actor=actor,
        )
        for site in self.worm_sites():
            for manifest in manifests:
                self._set_holds(site, [e.key for e in manifest.entries], on=True)
        return [m.recording_id for m in manifests]

    def clear_legal_hold(self, case: str, *, actor: str, reason: str) -> list[str]:
        """Release the hold on ``case``: S3 holds off first, then the release is recorded (so a failure
        half way leaves the case held). Raises ArchiveError when the case is not held."""
        if not self.book().is_held(case):
            raise ArchiveError(f"case {case!r} is not under legal hold")
        if not reason.strip():
            raise ArchiveError("releasing a legal hold needs a reason")
        manifests = self._manifests_of_case(case)
        for site in self.worm_sites():
            for manifest in manifests:
                self._set_holds(site, [e.key for e in manifest.entries], on=False)
        self._log.append(
            LegalHoldCleared(case=case, reason=reason, recordings=tuple(m.recording_id for m in manifests)),
            actor=actor,
        )
        return [m.recording_id for m in manifests]

    def protect(
        self,
        site: Site,
        recording_id: str,
        keys: Iterable[str],
        *,
        case: str | None = None,
        book: RetentionBook | None = None,
    ) -> None:
        """Lock freshly written ``keys`` of ``recording_id`` (of ``case``) on ``site`` as its retention
        and legal holds require; a no-op on a site that is not WORM-capable or when neither applies."""
        if site.name not in {s.name for s in self.worm_sites()}:
            return
        book = book or self.book()
        keys = list(keys)
        state = book.retention.get(recording_id)
        if state is not None:
            self._lock_retention(site, keys, state.retain_until)
        if book.is_held(case, None if state is None else state.case):
            self._set_holds(site, keys, on=True)

    def _lock_retention(self, site: Site, keys: Sequence[str], until: datetime | None) -> None:
        now = datetime.now(UTC)
        lock_until = until if until is not None else add_years(now, self._permanent_lock_years)
        if lock_until <= now + timedelta(seconds=1):
            return  # already expired: there is nothing left for the store to enforce
        lock = site.store.object_lock()
        locked = 0
        for key in keys:
            try:
                current = lock.retention(key)
                if (
                    current is None
                    or current.mode is not LockMode.COMPLIANCE
                    or current.retain_until < lock_until
                ):
                    lock.set_retention(key, LockMode.COMPLIANCE, lock_until)  # never shortens: see the check
                    locked += 1
            except ObjectNotFoundError:  # not copied there yet: backup / audit lock it when they write it
                logger.warning("%s: %s is not there yet; it is locked when it is copied", site, key)
        logger.info("locked %d objects on %s until %s", locked, site, lock_until.isoformat())

    def _set_holds(self, site: Site, keys: Sequence[str], *, on: bool) -> None:
        lock = site.store.object_lock()
        for key in keys:
            # checked first: SeaweedFS 4.48 answers a hold on a missing key with 500, not 404
            if site.store.stat(key) is None:
                logger.warning("%s: %s is not there; it gets the hold when it is copied", site, key)
                continue
            lock.set_legal_hold(key, on)

    def _manifests_of_case(self, case: str) -> list[RecordingManifest]:
        ids: set[str] = set()
        for site in self._sites:
            ids.update(recording_ids(site.store))
        found = []
        for rid in sorted(ids):
            try:
                manifest = load_manifest(self._sites, rid)
            except ArchiveError as exc:  # the hold is recorded anyway; the audit raises this one
                logger.warning("recording %s cannot be read to check its case: %s", rid, exc)
                continue
            if manifest.case == case:
                found.append(manifest)
        return found


def _until_text(until: datetime | None) -> str:
    return "permanently" if until is None else until.isoformat()
