"""Fault injection for crash tests: die like ``kill -9`` at a named step of sealing or journaling.

Inert unless the environment variable ``COURTREC_FAULT_CRASH_AT`` names a step; then the process
SIGKILLs itself the first time it reaches that step (no cleanup, no flush, no ``finally``), so a
test can restart the recorder from exactly that point. Never set it in production. The steps are
listed in :data:`CRASH_STEPS`; a name that is not one of them is refused at the first check, so a
typo cannot make a crash test pass by never crashing.
"""

from __future__ import annotations

import os
import signal

CRASH_AT_ENV = "COURTREC_FAULT_CRASH_AT"

CRASH_STEPS = frozenset(
    {
        "durable_write.linked",  # a durable write (init, descriptor) linked, temp name not yet dropped
        "init.written",  # init segment durable on disk, its journal line not yet written
        "init.journaled",  # init segment journaled, not yet queued for upload
        "origin.journaled",  # a stream's media origin journaled, no media written yet
        "seal.linked",  # a segment linked to its final name, its temporary name not yet dropped
        "segment.sealed",  # a segment sealed under its final name, not yet journaled
        "segment.journaled",  # a segment journaled, not yet queued for upload
        "salvage.written",  # a torn segment's decodable prefix written, not yet sealed
        "salvage.sealed",  # that prefix sealed under the segment's name, raw bytes not yet quarantined
        "salvage.quarantined",  # raw bytes quarantined, the salvaged segment not yet journaled
        "checkpoint.written",  # a checkpoint closed a journal chunk, the chunk not yet queued
    }
)


def crash_point(step: str, detail: str = "") -> None:
    """SIGKILL this process if ``COURTREC_FAULT_CRASH_AT`` names ``step`` (``step@detail`` narrows
    it to one file, e.g. ``durable_write.linked@init.mp4``); otherwise do nothing.

    Raises ValueError when the variable names a step that does not exist.
    """
    wanted = os.environ.get(CRASH_AT_ENV)
    if not wanted:
        return
    wanted_step, _, wanted_detail = wanted.partition("@")
    if wanted_step not in CRASH_STEPS:
        known = ", ".join(sorted(CRASH_STEPS))
        raise ValueError(f"{CRASH_AT_ENV}={wanted!r} is not a crash step (known: {known})")
    if step == wanted_step and (not wanted_detail or wanted_detail == detail):
        os.kill(os.getpid(), signal.SIGKILL)
