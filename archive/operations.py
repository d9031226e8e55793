"""Wiring for the archive's operations commands: sites from settings, WORM probes, log, keeper, alarms.

Composition only (the CLI's helper): every rule lives in the module that owns it. The primary site is
``COURTREC_S3_*``, the backup site ``COURTREC_BACKUP_S3_*``. Every command that writes or deletes
evidence probes each site for WORM first (:mod:`archive.store.worm_probe`) and prints the verdict, so what
is claimed about protection is what was just observed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from archive.alarms import Alarm, AlarmCollector, AlarmCondition, AlarmSeverity, log_alarm
from archive.errors import ArchiveError, StoreUnavailableError
from archive.preservation.compliance_log import ComplianceLog, ComplianceRecord
from archive.preservation.compliance_records import ComplianceAlarm
from archive.preservation.replication import mirror_compliance_records
from archive.retention.keeper import RetentionKeeper
from archive.retention.policy import RetentionBook, add_years, parse_policies
from archive.settings import ArchiveSettings
from archive.store.lock_values import LockMode
from archive.store.sites import Site, require_second_site
from archive.store.worm_probe import WormReport, probe_worm

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

BOOK_MAX_AGE_SECONDS = 30.0
LOG_LOCK_YEARS = 100  # the compliance log is kept at least as long as the evidence it governs


@dataclass(slots=True)
class Operations:
    """The sites, their WORM verdicts, the compliance log and the alarm collector of one command."""

    primary: Site
    backup: Site | None
    actor: str
    settings: ArchiveSettings
    worm: dict[str, WormReport] = field(default_factory=dict)
    alarms: AlarmCollector = field(default_factory=AlarmCollector)
    on_record: Callable[[ComplianceRecord], None] | None = None
    _book: tuple[float, RetentionBook] | None = None

    @property
    def sites(self) -> list[Site]:
        return [self.primary] if self.backup is None else [self.primary, self.backup]

    def backup_site(self) -> Site:
        """The backup site; ArchiveError when COURTREC_BACKUP_S3_ENDPOINT is not set or names the
        primary's own server."""
        if self.backup is None:
            raise ArchiveError(
                "no backup site configured: set COURTREC_BACKUP_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY"
                " and _BUCKET"
            )
        require_second_site(self.primary, self.backup)
        return self.backup

    def probe(self, out: Callable[[str], None] = print) -> None:
        """Probe every reachable site whose bucket exists for WORM and print the verdicts."""
        for site in self.sites:
            self._probe_site(site, out)

    def _probe_site(self, site: Site, out: Callable[[str], None]) -> None:
        try:
            if not site.store.bucket_exists():
                out(f"{site.name}: bucket {site.store.config.bucket} does not exist yet; not probed")
                return
            report = probe_worm(site.store)
        except StoreUnavailableError as exc:  # probed again when something is written there
            out(f"{site.name}: unreachable, not probed for WORM ({exc})")
            return
        self.worm[site.name] = report
        out(f"{site.name}: {report.summary()}")
        if not report.capable:
            detail = f"{report.summary()}; courtrec enforces retention itself"
            self.alarms(Alarm(AlarmSeverity.WARNING, AlarmCondition.NOT_WORM_CAPABLE, str(site), detail))

    def log(self) -> ComplianceLog:
        """The compliance log in the primary bucket; new records are locked where the store enforces it."""
        return ComplianceLog(self.primary.store, on_record=self.on_record, protect=self._lock_log_record)

    def keeper(self) -> RetentionKeeper:
        """Retention and legal holds over every site, with the policies from the settings."""
        return RetentionKeeper(
            self.sites, self.log(), parse_policies(self.settings.retention_policies), worm=self.worm
        )

    def protect(self, site: Site, recording_id: str, keys: list[str], case: str | None) -> None:
        """The hook backup, audit and restore call after writing: re-lock per retention and holds
        (probing the site first if it was unreachable or bucketless at start-up)."""
        if site.name not in self.worm:
            self._probe_site(site, logger.info)
        keeper = self.keeper()
        if site.name in {s.name for s in keeper.worm_sites()}:
            keeper.protect(site, recording_id, keys, case=case, book=self._recent_book(keeper))

    def _recent_book(self, keeper: RetentionKeeper) -> RetentionBook:
        """The retention book, re-read at most every BOOK_MAX_AGE_SECONDS (a backup pass protects many
        recordings; a hold set meanwhile puts its own S3 holds on everything already there)."""
        now = time.monotonic()
        if self._book is None or now - self._book[0] > BOOK_MAX_AGE_SECONDS:
            self._book = (now, keeper.book())
        return self._book[1]

    def record_alarm(self, alarm: Alarm) -> None:
        """Alarm sink: append the alarm to the compliance log at once (best effort: the log may be down)."""
        try:
            record = self.log().append(
                ComplianceAlarm(
                    severity=str(alarm.severity),
                    condition=str(alarm.condition),
                    subject=alarm.subject,
                    detail=alarm.detail,
                ),
                actor=self.actor,
            )
        except ArchiveError as exc:
            logger.error("alarm not recorded in the compliance log (%s): %s", exc, alarm.line())
            return
        if self.backup is not None:  # at once, so the next audit does not find it missing there
            mirror_compliance_records(self.primary, [self.backup], [record])

    def _lock_log_record(self, key: str) -> None:
        report = self.worm.get(self.primary.name)
        if report is not None and report.capable:
            until = add_years(datetime.now(UTC), LOG_LOCK_YEARS)
            self.primary.store.object_lock().set_retention(key, LockMode.COMPLIANCE, until)


def operations_from_settings(actor: str, *, need_backup: bool = False) -> Operations:
    """Build the command's wiring from COURTREC_* settings; ArchiveError when a store is not configured."""
    settings = ArchiveSettings()
    primary = settings.primary_store()
    if primary is None:
        raise ArchiveError(
            "no object store configured: set COURTREC_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY, _BUCKET"
        )
    backup = settings.backup_store()
    from archive.store.object_store import ObjectStore  # noqa: PLC0415 - minio: loaded when a store is opened, not at start-up

    ops = Operations(
        primary=Site("primary", ObjectStore(primary)),
        backup=None if backup is None else Site("backup", ObjectStore(backup)),
        actor=actor,
        settings=settings,
    )
    ops.alarms = AlarmCollector(log_alarm, ops.record_alarm)
    if need_backup:
        ops.backup_site()
    return ops
