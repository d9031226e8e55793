"""Waiting in tests for something observable (a journal line, a queue state, an HTTP answer).

Tests do not sleep for a fixed time hoping the system got there: they poll a condition with a
deadline, and fail naming what they waited for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

_POLL_SECONDS = 0.02


def wait_until(
    predicate: Callable[[], object], timeout: float, what: str, *, poll: float = _POLL_SECONDS
) -> None:
    """Return as soon as ``predicate()`` is truthy; raise AssertionError naming ``what`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(poll)


async def wait_until_async(
    predicate: Callable[[], Awaitable[object]], seconds: float, what: str, *, poll: float = _POLL_SECONDS
) -> None:
    """Like :func:`wait_until` for an async predicate (an HTTP request, say), on the event loop."""
    deadline = time.monotonic() + seconds
    while not await predicate():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {seconds:.1f} s waiting for {what}")
        await asyncio.sleep(poll)
