"""Alarms the archive raises about the evidence it keeps (lost copies, backup lag, storage pressure).

An alarm is a value handed to an :data:`AlarmSink`. The archive's own sink logs it; the portal's
alarm board plugs in its own sink. Alarms are for people to act on; the legal record of what happened
is the compliance log (:mod:`archive.preservation.compliance_log`), which callers write to as well.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

logger = logging.getLogger(__name__)


class AlarmSeverity(StrEnum):
    """How urgent: a WARNING needs attention soon, a CRITICAL one means evidence is at risk now."""

    WARNING = "warning"
    CRITICAL = "critical"


class AlarmCondition(StrEnum):
    """What an alarm is about."""

    NO_GOOD_COPY = "no_good_copy"  # every copy of an object is missing or fails its journal hash
    JOURNAL_UNTRUSTED = "journal_untrusted"  # no site holds a journal whose chain and signatures hold
    REPAIR_FAILED = "repair_failed"
    SITE_UNAVAILABLE = "site_unavailable"
    BACKUP_LAG = "backup_lag"
    BACKUP_PROBLEM = "backup_problem"
    STORAGE_PRESSURE = "storage_pressure"
    DISPOSAL_FAILED = "disposal_failed"
    NOT_WORM_CAPABLE = "not_worm_capable"


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm: what, about which subject (a key, a recording, a site), and the details."""

    severity: AlarmSeverity
    condition: AlarmCondition
    subject: str
    detail: str
    raised_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def line(self) -> str:
        """One human-readable line."""
        return f"{self.severity.upper()} {self.condition}: {self.subject}: {self.detail}"


AlarmSink = Callable[[Alarm], None]


def log_alarm(alarm: Alarm) -> None:
    """The default sink: log the alarm (CRITICAL or WARNING level)."""
    level = logging.CRITICAL if alarm.severity is AlarmSeverity.CRITICAL else logging.WARNING
    logger.log(level, "ALARM %s", alarm.line())


class AlarmCollector:
    """A sink that keeps every alarm raised and forwards each to further sinks (default: the log)."""

    def __init__(self, *forward: AlarmSink) -> None:
        self._forward = forward or (log_alarm,)
        self.raised: list[Alarm] = []

    def __call__(self, alarm: Alarm) -> None:
        self.raised.append(alarm)
        for sink in self._forward:
            sink(alarm)

    @property
    def critical(self) -> list[Alarm]:
        """The CRITICAL alarms raised so far."""
        return [alarm for alarm in self.raised if alarm.severity is AlarmSeverity.CRITICAL]
