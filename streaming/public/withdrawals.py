"""Withdrawing public files reliably: at once when the store answers, else again and again until it does.

A public broadcast that closes must leave nothing at any public URL. When the store fails at that
moment the withdrawal is kept and retried in a background thread with capped exponential backoff
(with jitter) until the store confirms it. At start-up, everything published that belongs to no
broadcast on air (left by a crash, a shutdown, or a withdrawal the previous process never got
through) is withdrawn the same way. This assumes the service is the only writer of its public
directory or prefix: two live servers must not share one.

Logging is bounded: a failing withdrawal is logged on its 1st, 2nd, 4th, 8th … failure, and once
more when it finally succeeds. Pending withdrawals die with the process; the next start's sweep
finds their files again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from streaming.errors import HlsError
from streaming.public.broadcast_id import is_broadcast_id
from streaming.public.segment_publisher import SegmentPublisher
from timebase import Backoff, Clock, SystemClock

logger = logging.getLogger(__name__)

OnAir = Callable[[str], bool]  # is this broadcast directory (``room/stream/id``) on air now?


class _Kind(StrEnum):
    DIRECTORY = "directory"  # a broadcast's directory and everything in it
    FILE = "file"  # one stray file outside any broadcast directory
    SWEEP = "sweep"  # list everything published, then withdraw what is not on air


@dataclass(slots=True)
class _Job:
    kind: _Kind
    target: str
    due: float
    failures: int = 0


class Withdrawals:
    """Withdrawals of public files that are retried until the publisher confirms them.

    ``on_air`` must be safe to call from another thread; a directory on air is never withdrawn.
    Retries are scheduled in monotonic seconds of ``clock``.
    """

    def __init__(
        self,
        publisher: SegmentPublisher,
        on_air: OnAir,
        *,
        retry: Backoff | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._clock: Clock = clock or SystemClock()
        self._publisher = publisher
        self._on_air = on_air
        self._retry = retry or Backoff(first_seconds=1.0, cap_seconds=60.0)
        self._jobs: dict[tuple[_Kind, str], _Job] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def pending(self) -> list[str]:
        """What is still to be withdrawn (directories end in ``/``; ``*`` is the start-up sweep)."""
        with self._wake:
            return sorted(_describe(job) for job in self._jobs.values())

    def withdraw(self, directory: str) -> bool:
        """Withdraw the broadcast directory ``directory`` now (blocks on the store).

        True when it is gone; False when the store failed, and the withdrawal then goes on in the
        background until it succeeds.
        """
        job = _Job(_Kind.DIRECTORY, directory, due=self._clock.monotonic())
        if self._attempt(job):
            return True
        self._queue(job)
        return False

    def withdraw_later(self, directory: str) -> None:
        """Withdraw ``directory`` (again) after the longest backoff: for a broadcast whose thread was
        still running when it was withdrawn, and so may have published one last file since."""
        self._queue(_Job(_Kind.DIRECTORY, directory, due=self._clock.monotonic() + self._retry.cap_seconds))

    def sweep(self) -> None:
        """Withdraw, in the background, everything published that belongs to no broadcast on air."""
        self._queue(_Job(_Kind.SWEEP, "", due=self._clock.monotonic()))

    def close(self, timeout: float = 5.0) -> None:
        """Stop retrying (at shutdown); what is still pending is left to the next start's sweep."""
        with self._wake:
            self._closed = True
            thread, left = self._thread, len(self._jobs)
            self._wake.notify_all()
        if left:
            logger.warning(
                "%d public withdrawals still pending at shutdown; the next start retries them", left
            )
        if thread is not None:
            thread.join(timeout)

    # -- the background thread ----------------------------------------------------------------------

    def _queue(self, job: _Job) -> None:
        with self._wake:
            if self._closed:
                logger.warning(
                    "public withdrawal of %s left to the next start (shutting down)", _describe(job)
                )
                return
            known = self._jobs.get((job.kind, job.target))
            if known is None or job.due < known.due:
                self._jobs[(job.kind, job.target)] = job
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="public-withdrawals", daemon=True)
                self._thread.start()
            self._wake.notify_all()

    def _run(self) -> None:
        while (job := self._next_due()) is not None:
            if self._attempt(job):
                with self._wake:
                    if self._jobs.get((job.kind, job.target)) is job:
                        del self._jobs[(job.kind, job.target)]

    def _next_due(self) -> _Job | None:
        """The next job once it is due; None (and the thread ends) when closed or nothing is left."""
        with self._wake:
            while not self._closed and self._jobs:
                job = min(self._jobs.values(), key=lambda j: j.due)
                wait = job.due - self._clock.monotonic()
                if wait <= 0:
                    return job
                self._clock.wait_notified(self._wake, wait)
            self._thread = None
            return None

    def _attempt(self, job: _Job) -> bool:
        """One try at ``job``; on failure it is rescheduled after the backoff. True when done."""
        try:
            self._carry_out(job)
        except HlsError as exc:
            self._failed(job, str(exc))
            return False
        except Exception:  # the supervisor's top level: never let the retry thread die
            logger.exception("public withdrawal of %s failed unexpectedly", _describe(job))
            self._failed(job, "unexpected error (logged above)")
            return False
        if job.failures:
            logger.warning(
                "public withdrawal of %s succeeded after %d failures", _describe(job), job.failures
            )
        return True

    def _carry_out(self, job: _Job) -> None:
        if job.kind is _Kind.SWEEP:
            directories, files = leftovers(self._publisher.list_names(), self._on_air)
            for directory in directories:
                self._queue(_Job(_Kind.DIRECTORY, directory, due=self._clock.monotonic()))
            for name in files:
                self._queue(_Job(_Kind.FILE, name, due=self._clock.monotonic()))
            if directories or files:
                logger.info(
                    "withdrawing %d leftover public broadcasts and %d stray files",
                    len(directories),
                    len(files),
                )
        elif job.kind is _Kind.FILE:
            self._publisher.delete(job.target)
        elif not self._on_air(job.target):  # a directory on air was re-listed: never withdraw it
            self._publisher.delete_prefix(job.target)

    def _failed(self, job: _Job, reason: str) -> None:
        with self._wake:
            job.failures += 1
            delay = self._retry.delay(job.failures - 1)  # retry 0 follows the 1st failure
            job.due = self._clock.monotonic() + delay
        if job.failures & (job.failures - 1) == 0:  # the 1st, 2nd, 4th, 8th … failure
            logger.error(
                "public withdrawal of %s failed (%d in a row; the files stay public until it succeeds),"
                " retrying in %.0f s: %s",
                _describe(job),
                job.failures,
                delay,
                reason,
            )


def leftovers(names: Iterable[str], on_air: OnAir) -> tuple[list[str], list[str]]:
    """Split published ``names`` into broadcast directories that are not on air and stray files.

    A name ``room/stream/{broadcast id}/file`` belongs to that broadcast's directory; any other name
    (e.g. of the older layout without broadcast ids) is a stray file, withdrawn on its own.
    """
    directories: set[str] = set()
    files: list[str] = []
    for name in names:
        parts = name.split("/")
        if len(parts) >= 4 and is_broadcast_id(parts[2]):
            directory = "/".join(parts[:3])
            if not on_air(directory):
                directories.add(directory)
        else:
            files.append(name)
    return sorted(directories), files


def _describe(job: _Job) -> str:
    if job.kind is _Kind.SWEEP:
        return "*"
    return f"{job.target}/" if job.kind is _Kind.DIRECTORY else job.target
