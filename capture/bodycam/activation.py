"""Activation requests: what the button, a signal, the console or the command centre asked for.

Every trigger puts an :class:`ActivationRequest` into the agent's one :class:`ActivationInbox`; the
agent acts on them in order, in its own thread, and answers each through its ``reply`` callback
(a remote command is acknowledged to the portal with that answer).
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from archive.journal import ActivationTrigger


class Action(StrEnum):
    """What a request asks the body camera to do."""

    ACTIVATE = "activate"
    DEACTIVATE = "deactivate"
    GO_LIVE = "go_live"
    STOP_LIVE = "stop_live"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The agent's answer: ``done`` true when it did it (or it was already so), else why not."""

    done: bool
    detail: str


Reply = Callable[[Outcome], None]


def _ignore(_: Outcome) -> None:
    return None


@dataclass(frozen=True, slots=True)
class ActivationRequest:
    """``action`` asked by ``trigger`` (``by``: who, when known); ``reply`` receives the outcome."""

    action: Action
    trigger: ActivationTrigger
    by: str | None = None
    reply: Reply = field(default=_ignore, compare=False)


class ActivationInbox:
    """A thread-safe queue of requests; :meth:`put` never blocks (signal handlers use it)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[ActivationRequest | None] = queue.SimpleQueue()

    def put(self, request: ActivationRequest) -> None:
        self._queue.put(request)

    def wake(self) -> None:
        """Make a waiting :meth:`get` return None (to look at the stop flag)."""
        self._queue.put(None)

    def get(self, timeout: float) -> ActivationRequest | None:
        """The next request, or None after ``timeout`` seconds (or a wake)."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
