"""``Backup.watch`` on a manual clock: passes every interval, and the lag alarm when none succeeds."""

from __future__ import annotations

import threading
from typing import cast

from archive.alarms import Alarm, AlarmCondition, AlarmSeverity
from archive.errors import StoreUnavailableError
from archive.preservation.backup import Backup, BackupReport
from archive.store.sites import Site
from tests.waiting import wait_until
from timebase import ManualClock


class _DownBackup(Backup):
    """A backup whose backup site stays unreachable: every pass fails."""

    def __init__(self, clock: ManualClock, alarms: list[Alarm]) -> None:
        super().__init__(cast(Site, "primary"), cast(Site, "backup"), alarm=alarms.append, clock=clock)
        self.passes = 0

    def run_once(self) -> BackupReport:
        self.passes += 1
        raise StoreUnavailableError("backup site refused the connection")


def test_a_pass_runs_every_interval_and_lag_is_alarmed_once() -> None:
    clock = ManualClock()
    alarms: list[Alarm] = []
    backup = _DownBackup(clock, alarms)
    stop = threading.Event()
    watcher = threading.Thread(
        target=backup.watch,
        kwargs={"interval_seconds": 10.0, "stop": stop, "max_lag_seconds": 25.0},
        daemon=True,
    )
    watcher.start()
    try:
        for passes in range(1, 6):
            wait_until(lambda: clock.waiters == 1, 5, "the watcher to wait for its next pass")
            assert backup.passes == passes  # nothing runs until the interval has passed on the clock
            behind = (passes - 1) * 10.0
            assert bool(alarms) is (behind > 25.0)
            clock.advance(10.0)
            wait_until(lambda p=passes: backup.passes == p + 1, 5, "the next pass")
    finally:
        stop.set()
        watcher.join(5)
    assert not watcher.is_alive()
    assert [(a.severity, a.condition) for a in alarms] == [
        (AlarmSeverity.CRITICAL, AlarmCondition.BACKUP_LAG)
    ]
    assert "no complete verified pass for 30 s" in alarms[0].detail
