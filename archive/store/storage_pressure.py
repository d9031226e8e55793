"""Storage pressure: measure how full a bucket (against its quota) or a disk is, and raise an alarm.

Nothing here deletes anything, by design: when space runs short the answer is more capacity or the
ordinary disposal of expired recordings (:mod:`archive.retention.disposal`), never evidence whose
retention runs.
Frigate's habit of dropping recordings under disk pressure is exactly what a court archive must not do.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from archive.alarms import Alarm, AlarmCondition, AlarmSeverity, AlarmSink, log_alarm
from archive.store.sites import Site

DEFAULT_THRESHOLD = 0.9


@dataclass(frozen=True, slots=True)
class StorageReading:
    """Bytes used against a capacity (a bucket quota or a disk size) for one place."""

    place: str
    used_bytes: int
    capacity_bytes: int

    @property
    def ratio(self) -> float:
        return self.used_bytes / self.capacity_bytes if self.capacity_bytes else 1.0

    def line(self) -> str:
        return f"{self.place}: {self.used_bytes} of {self.capacity_bytes} bytes used ({self.ratio:.0%})"


def bucket_usage(site: Site) -> int:
    """Bytes held by every version of every object in the site's bucket (noncurrent ones count too)."""
    return sum(version.size for version in site.store.object_lock().versions(""))


def check_bucket_pressure(
    site: Site, quota_bytes: int, *, threshold: float = DEFAULT_THRESHOLD, alarm: AlarmSink = log_alarm
) -> StorageReading:
    """Measure ``site`` against ``quota_bytes``; alarm at ``threshold`` (CRITICAL when full)."""
    if quota_bytes <= 0 or not 0 < threshold <= 1:
        raise ValueError(f"need quota_bytes > 0 and 0 < threshold <= 1 (got {quota_bytes}, {threshold})")
    reading = StorageReading(str(site), bucket_usage(site), quota_bytes)
    _alarm_if_pressed(reading, threshold, alarm)
    return reading


def check_disk_pressure(
    path: Path, *, threshold: float = DEFAULT_THRESHOLD, alarm: AlarmSink = log_alarm
) -> StorageReading:
    """Measure the file system holding ``path`` (e.g. the embedded store's data); alarm at ``threshold``."""
    usage = shutil.disk_usage(path)
    reading = StorageReading(f"disk of {path}", usage.used, usage.total)
    _alarm_if_pressed(reading, threshold, alarm)
    return reading


def _alarm_if_pressed(reading: StorageReading, threshold: float, alarm: AlarmSink) -> None:
    if reading.ratio < threshold:
        return
    severity = AlarmSeverity.CRITICAL if reading.ratio >= 1 else AlarmSeverity.WARNING
    alarm(
        Alarm(
            severity,
            AlarmCondition.STORAGE_PRESSURE,
            reading.place,
            f"{reading.line()}; nothing whose retention runs is deleted to make room:"
            " add capacity (expired recordings are disposed of by the ordinary disposal run)",
        )
    )
