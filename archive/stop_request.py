"""A stop request that signal handlers may set.

``threading.Event.set`` takes a lock. Python runs signal handlers in the main thread between
bytecodes, so when a second signal arrives while the handler of the first is inside ``Event.set``
(Ctrl-C reaches a whole process group, then a parent sends SIGTERM) the second handler waits for a
lock its own thread holds: the process hangs for ever. This flag is a plain attribute (setting it is
atomic under the GIL) and waiting polls it in short slices.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

_POLL_SECONDS = 0.1


class StopRequest:
    """Set once (by a signal handler or any thread); never cleared."""

    def __init__(self) -> None:
        self._requested = False
        self.signum: int | None = None

    def set(self, signum: int | None = None) -> None:
        """Request the stop; safe in a signal handler (takes no lock)."""
        if self.signum is None:
            self.signum = signum
        self._requested = True

    def is_set(self) -> bool:
        return self._requested

    def wait(self, timeout: float | None = None) -> bool:
        """Until set or ``timeout`` seconds passed (None: no limit); returns whether it is set."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._requested:
            remaining = _POLL_SECONDS if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(remaining, _POLL_SECONDS))
        return True

    def install(
        self,
        signums: Iterable[int] = (signal.SIGINT, signal.SIGTERM),
        on_signal: Callable[[int], None] | None = None,
    ) -> Callable[[], None]:
        """Make ``signums`` set this request (``on_signal`` is called first, e.g. to log); returns a
        function that restores the previous handlers. Main thread only."""

        def handle(signum: int, _frame: FrameType | None) -> None:
            if on_signal is not None:
                on_signal(signum)
            self.set(signum)

        previous: dict[int, Any] = {signum: signal.signal(signum, handle) for signum in signums}

        def restore() -> None:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

        return restore
