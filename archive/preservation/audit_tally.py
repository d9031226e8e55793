"""What a fixity audit run has found so far, turned into an :class:`AuditReport` at the end."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from archive.alarms import Alarm, AlarmCondition, AlarmSeverity, AlarmSink
from archive.preservation.audit_report import (
    AuditFinding,
    AuditReport,
    FindingStatus,
    RepairOutcome,
    SampleInfo,
)
from archive.preservation.audit_sampling import SampleWindow

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class AuditTally:
    """Counters, findings and alarms of one run; alarms are also passed on to ``sink`` at once."""

    sink: AlarmSink
    recordings: int = 0
    expected: int = 0
    sampled: int = 0
    hashed: int = 0
    bytes: int = 0
    findings: list[AuditFinding] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)

    def finding(
        self,
        site: str | None,
        recording_id: str,
        key: str,
        status: FindingStatus,
        *,
        expected: str | None = None,
        actual: str | None = None,
        detail: str = "",
        repair: RepairOutcome = RepairOutcome.NOT_ATTEMPTED,
        source: str | None = None,
    ) -> None:
        """Record one finding (``site`` None: it concerns every site)."""
        finding = AuditFinding(
            site="all sites" if site is None else site,
            recording_id=recording_id,
            key=key,
            status=status,
            expected_sha256=expected,
            actual_sha256=actual,
            detail=detail,
            repair=repair,
            repaired_from=source,
        )
        logger.warning("fixity: %s %s %s -> %s", finding.site, key or recording_id, status, repair)
        self.findings.append(finding)

    def alarm(self, severity: AlarmSeverity, condition: AlarmCondition, subject: str, detail: str) -> None:
        """Raise an alarm now and keep its line for the report."""
        alarm = Alarm(severity, condition, subject, detail)
        self.alarms.append(alarm.line())
        self.sink(alarm)

    def report(self, started: datetime, window: SampleWindow | None, sites: list[str]) -> AuditReport:
        """The report of the run that started at ``started``."""
        sample = None
        if window is not None:
            sample = SampleInfo(
                period_seconds=window.period_seconds, start=window.start, end=window.end, full=window.full
            )
        return AuditReport(
            started_at=started,
            finished_at=max(datetime.now(UTC), started),
            sites=sites,
            sample=sample,
            recordings=self.recordings,
            objects_expected=self.expected,
            objects_sampled=self.sampled,
            copies_hashed=self.hashed,
            bytes_hashed=self.bytes,
            findings=self.findings,
            alarms=self.alarms,
        )
