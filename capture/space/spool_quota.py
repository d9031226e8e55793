"""A cap on what the spool may hold (a body camera's offline-first storage).

When the spool reaches its quota, local copies of media the archive has already confirmed (``done``
in the upload queue: init segments of finished recordings, any segment still on disk) are deleted,
the earliest confirmed first, down to a margin under the quota (journals stay); a sealed segment the
archive has not confirmed is never deleted. Reaching the quota raises the CRITICAL ``spool_quota``
alarm (cleared once the spool is back under the margin): the officer and the command centre should
dock the camera or restore its link.

The quota is soft. When nothing (or too little) is confirmed — the store is down, the link is gone —
recording goes on beyond the quota into the disk's free space, and the alarm says so: evidence over a
soft quota beats no evidence, and deleting unconfirmed evidence is never an option. Only the disk
itself stops it: the full-disk handling (:mod:`capture.space.disk_full`) suspends the streams, journals
the hole and resumes when the uploader has freed space.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archive.spool import UploadQueue, UploadState
from timebase import Clock, SystemClock

logger = logging.getLogger(__name__)

QUOTA_CONDITION = "spool_quota"
_CLEAR_FRACTION = 0.9  # freeing aims at, and the alarm clears under, this share of the quota
_BATCH = 200
_MEDIA = frozenset({".m4s", ".mp4"})  # segments and init segments: what a quota may free


@dataclass(frozen=True, slots=True)
class QuotaAlarm:
    """The quota alarm raised (``active``) or cleared, with what was measured and done."""

    active: bool
    detail: str

    def line(self) -> str:
        return f"CRITICAL {QUOTA_CONDITION} {'ALARM' if self.active else 'cleared'}: {self.detail}"


class SpoolQuota:
    """Keeps ``spool`` under ``quota_bytes`` by freeing confirmed copies only; checks every
    ``poll_seconds`` in its own thread (or call :meth:`check`). ``active_recording()`` names the
    recording in progress, whose confirmed files stay (its stream may still need its init segment)."""

    def __init__(
        self,
        spool: Path,
        quota_bytes: int,
        queue: UploadQueue,
        *,
        active_recording: Callable[[], str | None] = lambda: None,
        on_alarm: Callable[[QuotaAlarm], None] = lambda _alarm: None,
        poll_seconds: float = 2.0,
        clock: Clock | None = None,
    ) -> None:
        if quota_bytes <= 0:
            raise ValueError(f"a spool quota must be more than 0 bytes (got {quota_bytes})")
        self._spool = spool
        self.quota_bytes = quota_bytes
        self._queue = queue
        self._active_recording = active_recording
        self._on_alarm = on_alarm
        self._poll = poll_seconds
        self._clock: Clock = clock or SystemClock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._alarm: QuotaAlarm | None = None
        self.freed_bytes = 0
        self.used_bytes = 0

    @property
    def alarm(self) -> QuotaAlarm | None:
        """The active alarm, if any."""
        with self._lock:
            return self._alarm

    def free_bytes(self) -> int:
        """What the quota still allows (0 when reached), as last measured."""
        return max(0, self.quota_bytes - self.used_bytes)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="spool-quota", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _watch(self) -> None:
        while not self._clock.wait(self._stop, self._poll):
            try:
                self.check()
            except OSError as exc:
                logger.error("cannot measure the spool for its quota: %s", exc)

    def check(self) -> None:
        """Measure; at the quota, free confirmed copies and raise the alarm; clear it under the margin."""
        used = self.used_bytes = _disk_usage(self._spool)
        if used < self.quota_bytes:
            if used < self.quota_bytes * _CLEAR_FRACTION:
                under = f"spool {self._spool} holds {used} bytes, under its quota of {self.quota_bytes}"
                self._set(None, under)
            return
        freed, count = self._free(used - int(self.quota_bytes * _CLEAR_FRACTION))
        self.used_bytes = used - freed
        if self.used_bytes >= self.quota_bytes:
            beyond = (
                f"; still {self.used_bytes - self.quota_bytes} bytes over it: recording goes on beyond the"
                f" quota into the disk's free space ({_disk_free(self._spool)} bytes) and is suspended only"
                " if the disk itself fills up (disk_full)"
            )
        else:
            beyond = "; recording goes on"
        self._set(
            QuotaAlarm(
                True,
                f"spool {self._spool} reached its quota of {self.quota_bytes} bytes ({used} used); freed"
                f" {freed} bytes of {count} copies the archive had confirmed; unconfirmed segments are kept"
                f"{beyond}: dock the camera or restore its link",
            ),
            "",
        )
        if self.used_bytes < self.quota_bytes * _CLEAR_FRACTION:
            self._set(None, f"spool {self._spool} is under its quota again ({self.used_bytes} bytes)")

    def _free(self, wanted: int) -> tuple[int, int]:
        """Delete confirmed local copies, earliest confirmed first, until ``wanted`` bytes are freed."""
        freed = count = 0
        spool = self._spool.resolve()
        for item in self._queue.confirmed(limit=_BATCH, exclude_recording=self._active_recording()):
            if freed >= wanted:
                break
            path = item.local_path
            if path.suffix not in _MEDIA or not path.resolve().is_relative_to(spool) or not path.is_file():
                continue  # journals and locators stay: a recording's chain is read from the spool
            if self._queue.states([item.object_key]).get(item.object_key) != UploadState.DONE:
                continue  # confirmed() said done; never delete on a stale answer
            size = path.stat().st_size
            path.unlink()
            freed += size
            count += 1
            logger.info("spool quota: freed %s (%d bytes, confirmed in the archive)", path, size)
        self.freed_bytes += freed
        return freed, count

    def _set(self, alarm: QuotaAlarm | None, cleared: str) -> None:
        with self._lock:
            before = self._alarm
            if (before is None) == (alarm is None):
                return
            self._alarm = alarm
        event = alarm if alarm is not None else QuotaAlarm(False, cleared)
        logger.log(logging.CRITICAL if event.active else logging.WARNING, "%s", event.line())
        try:
            self._on_alarm(event)
        except Exception:  # a sink must never stop the quota watch
            logger.exception("spool quota alarm sink failed")


def _disk_usage(root: Path) -> int:
    """Bytes the files under ``root`` take (apparent sizes)."""
    total = 0
    for directory, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_size
            except FileNotFoundError:
                continue  # deleted while walking (the uploader frees media)
    return total


def _disk_free(root: Path) -> int:
    try:
        return shutil.disk_usage(root).free
    except OSError:
        return 0
