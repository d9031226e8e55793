"""The uploader: drains the durable queue into the object store, one verified PUT per object.

An upload counts only when the store confirms the SHA-256 the file was sealed with. The local copy
of media is deleted only after that confirmation. When the store is unreachable the uploader backs
off exponentially (with jitter, capped) and keeps everything; a key that already holds other bytes
or a local file that no longer matches its seal is an integrity alarm, never retried blindly.

When the store sees other bytes than we sealed although the local file still matches its seal (a
link or a proxy that corrupts bodies), the upload is retried with its own backoff for a long window
(hours), with an alarm raised at the first mismatch and cleared when the object is stored. Only when
the window passes does the entry wait for a person (``corrupt``; ``python -m archive upload
--retry-failed`` puts it back); its local file stays.

A journal chunk starts only once every object it names is stored (:mod:`archive.spool.upload_order`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from archive.errors import (
    ArchiveError,
    ChecksumMismatchError,
    ObjectConflictError,
    ObjectNotFoundError,
    StoreAuthError,
    StoreUnavailableError,
)
from archive.formats.hashing import sha256_file
from archive.spool.upload_order import ChunkGate
from archive.spool.upload_queue import UploadItem, UploadQueue, UploadState
from archive.spool.upload_rate import UploadMeter, UploadRate
from timebase import Clock
from timebase.backoff import Backoff

if TYPE_CHECKING:
    from archive.store.object_store import ObjectStore

logger = logging.getLogger(__name__)

DEFAULT_MISMATCH_WINDOW_SECONDS = 6 * 3600.0
"""How long checksum mismatches of one object are retried before it waits for a person."""
DEFAULT_MISMATCH_BACKOFF = Backoff(first_seconds=2.0, cap_seconds=300.0)

IntegrityAlarm = Callable[[UploadItem, str], None]
MismatchAlarm = Callable[[UploadItem, bool, str], None]
"""Called with ``active=True`` at an object's first checksum mismatch, ``False`` once it is stored."""


class Uploader:
    """Uploads queued items until stopped, starting them in FIFO order; start() runs ``workers``
    threads so that our reading and hashing overlap the store's (two PUTs in flight keep a
    CPU-bound store and the link busy). A journal chunk is not started before every object it names
    is stored: a chunk in the store never names a segment that is not there yet.

    ``backoff`` paces retries during an outage, ``mismatch_backoff`` retries of checksum mismatches,
    for up to ``mismatch_window_seconds`` after an object's first mismatch. Retry schedules and waits
    follow ``clock`` (by default the queue's). ``max_bytes_per_second`` caps the average upload rate
    (a body camera's weak link keeps room for live); ``paced_store`` makes a store whose connections
    send at most at the given bytes/s (see :meth:`set_rate`)."""

    def __init__(
        self,
        queue: UploadQueue,
        store: ObjectStore,
        *,
        backoff: Backoff | None = None,
        on_integrity_alarm: IntegrityAlarm | None = None,
        on_mismatch_alarm: MismatchAlarm | None = None,
        mismatch_backoff: Backoff = DEFAULT_MISMATCH_BACKOFF,
        mismatch_window_seconds: float = DEFAULT_MISMATCH_WINDOW_SECONDS,
        workers: int = 2,
        clock: Clock | None = None,
        max_bytes_per_second: float | None = None,
        paced_store: Callable[[int], ObjectStore] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"'workers' must be >= 1 (got {workers})")
        if mismatch_window_seconds < 0:
            raise ValueError(f"'mismatch_window_seconds' must be >= 0 (got {mismatch_window_seconds})")
        self._queue = queue
        self._store = self._unpaced = store
        self._paced_store = paced_store
        self._backoff = backoff or Backoff()
        self._on_alarm = on_integrity_alarm
        self._on_mismatch = on_mismatch_alarm
        self._mismatch_backoff = mismatch_backoff
        self._mismatch_window = mismatch_window_seconds
        self._gate = ChunkGate(queue, self._stored)
        self._workers = workers
        self._clock = clock or queue.clock
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._outage_attempts = 0
        self._claim_lock = threading.Lock()
        self._in_flight: set[int] = set()
        self._rate = None if max_bytes_per_second is None else UploadRate(max_bytes_per_second, self._clock)
        self.meter = UploadMeter(self._clock)
        """What the store took lately (bytes/s): the drain-time estimate's rate."""

    def set_rate(self, bytes_per_second: float | None) -> None:
        """Cap the upload rate from the next upload on (None: no cap), e.g. lower while live. With a
        ``paced_store`` the uploads then also go through connections the kernel paces at the cap
        shared among the workers, so that no PUT bursts at the link's full rate."""
        if self._paced_store is not None:
            paced = None if bytes_per_second is None else max(1, int(bytes_per_second / self._workers))
            self._store = self._unpaced if paced is None else self._paced_store(paced)
        if bytes_per_second is None:
            self._rate = None
        elif self._rate is None:
            self._rate = UploadRate(bytes_per_second, self._clock)
        else:
            self._rate.set(bytes_per_second)

    @property
    def rate_cap(self) -> float | None:
        """The cap in force (bytes/s), None when uncapped."""
        rate = self._rate
        return None if rate is None else rate.bytes_per_second

    def start(self) -> None:
        """Start the upload threads."""
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._run, name=f"uploader-{n}", daemon=True)
            for n in range(self._workers)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, *, drain_seconds: float = 0.0) -> None:
        """Stop the thread, first letting it drain the queue for up to ``drain_seconds``."""
        deadline = self._clock.monotonic() + drain_seconds
        while drain_seconds and self._clock.monotonic() < deadline and self._queue.pending_count():
            self._clock.sleep(0.1)
        self._stop.set()
        for _ in self._threads:
            self._queue.wake()
        for thread in self._threads:
            thread.join()
        self._threads = []

    def drain(self, *, timeout_seconds: float) -> bool:
        """Run the upload threads until the queue is empty; True when it emptied in time."""
        self.start()
        deadline = self._clock.monotonic() + timeout_seconds
        try:
            while self._clock.monotonic() < deadline and self._queue.pending_count():
                self._clock.sleep(0.05)
        finally:
            self.stop()
        return not self._queue.pending_count()

    def upload_next(self) -> bool:
        """Try the next item that may start now, once. Returns True when an item was attempted."""
        item = self._claim()
        if item is None:
            return False
        try:
            rate = self._rate
            if rate is not None and not rate.wait_turn(item.size, self._stop):
                return True  # stopping: the item stays pending
            began = self._clock.monotonic()
            if self._attempt(item):
                self.meter.stored(began, item.size)
        finally:
            with self._claim_lock:
                self._in_flight.discard(item.id)
        return True

    def _claim(self) -> UploadItem | None:
        """The oldest due item that may start now (journal chunks wait for what they name)."""
        with self._claim_lock:
            skip = set(self._in_flight)
            while batch := self._queue.due(limit=16, skip=skip):
                for item in batch:
                    if self._gate.may_start(item):
                        self._in_flight.add(item.id)
                        return item
                    skip.add(item.id)
        return None

    def _stored(self, key: str) -> bool:
        try:
            return self._store.stat(key) is not None
        except ArchiveError as exc:
            logger.debug("cannot check whether %s is stored: %s", key, exc)
            return False

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                attempted = self.upload_next()
            except Exception:  # the supervisor of this thread: log and keep the evidence queued
                logger.exception("uploader: unexpected error; will retry")
                self._clock.wait(self._stop, self._backoff.cap_seconds)
                continue
            if not attempted:
                retry_at = self._queue.earliest_retry()
                wait = 1.0 if retry_at is None else max(0.05, min(1.0, retry_at - self._queue.now()))
                self._queue.wait_for_work(wait)

    def _attempt(self, item: UploadItem) -> bool:
        """One upload attempt; every outcome is recorded in the queue. True when sent and confirmed."""
        try:
            if not self._put(item):
                return False
        except ObjectNotFoundError as exc:  # the bucket itself is missing: create it, then retry
            self._postpone_for_outage(item, exc)
            self._try_create_bucket()
        except (StoreUnavailableError, StoreAuthError) as exc:
            self._postpone_for_outage(item, exc)
        except ObjectConflictError as exc:
            self._alarm(item, UploadState.CONFLICT, str(exc))
        except ChecksumMismatchError as exc:
            self._handle_mismatch(item, exc)
        else:
            self._outage_attempts = 0
            if item.delete_after_upload:
                # The store confirmed it: free the spool before recording that in the queue, whose write
                # a full disk may refuse; the retry then finds the object stored and the file gone.
                item.local_path.unlink(missing_ok=True)
            self._finish(item)
            return True
        return False

    def _put(self, item: UploadItem) -> bool:
        """PUT the item's file (True); False when its file is gone (then finished if the store has it,
        else an integrity alarm)."""
        if not item.local_path.exists():
            if self._already_stored(item):  # deleted once stored, before the queue could record it
                self._finish(item)
            else:
                self._alarm(item, UploadState.CORRUPT, f"local file {item.local_path} is missing")
            return False
        self._store.put_file(item.object_key, item.local_path, item.sha256)
        return True

    def _already_stored(self, item: UploadItem) -> bool:
        stored = self._store.stat(item.object_key)
        return stored is not None and stored.sha256 == item.sha256

    def _finish(self, item: UploadItem) -> None:
        self._queue.mark_done(item.id)
        self._gate.forget(item)
        if item.mismatch_attempts and self._on_mismatch is not None:
            self._on_mismatch(item, False, f"stored after {item.mismatch_attempts} checksum mismatches")
        logger.debug("uploaded %s", item.object_key)

    def _postpone_for_outage(self, item: UploadItem, exc: Exception) -> None:
        delay = self._backoff.delay(self._outage_attempts)
        self._outage_attempts += 1
        logger.warning("upload of %s failed (%s); retrying in %.1f s", item.object_key, exc, delay)
        self._queue.postpone(item.id, delay_seconds=delay, error=str(exc))

    def _try_create_bucket(self) -> None:
        try:
            self._store.ensure_bucket()
        except (StoreUnavailableError, StoreAuthError) as exc:
            logger.warning("cannot create bucket %s yet: %s", self._store.config.bucket, exc)

    def _handle_mismatch(self, item: UploadItem, exc: ChecksumMismatchError) -> None:
        actual = sha256_file(item.local_path)
        if actual != item.sha256:
            self._alarm(
                item,
                UploadState.CORRUPT,
                f"local file {item.local_path} changed after sealing: sealed sha256 {item.sha256},"
                f" now {actual}; not uploaded",
            )
            return
        now = self._queue.now()
        first = item.first_mismatch_at if item.first_mismatch_at is not None else now
        if now - first >= self._mismatch_window:
            self._alarm(
                item,
                UploadState.CORRUPT,
                f"the store saw other bytes than ours for {item.object_key} {item.mismatch_attempts + 1}"
                f" times over {now - first:.0f} s although the local file still matches its seal ({exc});"
                " the local file is kept: check the link and the store, then run"
                " 'python -m archive upload --retry-failed'",
            )
            return
        delay = self._mismatch_backoff.delay(item.mismatch_attempts)
        if item.mismatch_attempts == 0:
            message = (
                f"the store saw other bytes than ours ({exc}); retrying with backoff for up to"
                f" {self._mismatch_window:.0f} s"
            )
            logger.error("UPLOAD MISMATCH ALARM %s: %s", item.object_key, message)
            if self._on_mismatch is not None:
                self._on_mismatch(item, True, message)
        else:
            logger.warning(
                "store rejected %s's checksum again (%s, mismatch %d); retrying in %.1f s",
                item.object_key,
                exc,
                item.mismatch_attempts + 1,
                delay,
            )
        self._queue.postpone_mismatch(item.id, delay_seconds=delay, error=str(exc))

    def _alarm(self, item: UploadItem, state: UploadState, message: str) -> None:
        logger.critical("INTEGRITY ALARM %s: %s", item.object_key, message)
        self._queue.mark_failed(item.id, state, message)
        self._gate.forget(item)
        if self._on_alarm is not None:
            self._on_alarm(item, message)
