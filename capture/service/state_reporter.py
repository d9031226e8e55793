"""Sends the room's state to the portal every few seconds from its own thread.

Never in the recording's way: a portal that is down is simply tried again at the next report (the
first failure and the recovery are logged once each); recording summaries are sent with every
report until the portal has taken one, so a recording made while the portal was down is reported
as soon as it is back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from capture.service.portal_client import AgentPortalClient, PortalUnavailableError
from capture.service.room_state import RoomStatus
from timebase import Clock

logger = logging.getLogger(__name__)


class StateReporter:
    """Calls ``status()`` every ``interval`` seconds and posts it; ``delivered(status)`` is called
    after the portal took it."""

    def __init__(
        self,
        client: AgentPortalClient,
        status: Callable[[], RoomStatus],
        delivered: Callable[[RoomStatus], None],
        *,
        interval: float,
        clock: Clock,
    ) -> None:
        self._client = client
        self._status = status
        self._delivered = delivered
        self._interval = interval
        self._clock = clock
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="room-state-report", daemon=True)
        self._failing = False

    def start(self) -> None:
        self._thread.start()

    def report_now(self) -> None:
        """Send the next report at once (a recording started or stopped)."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after one last report (bounded by the client's timeout)."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            self.send_once()
            if self._stop.is_set():
                return
            self._clock.wait(self._wake, self._interval)
            self._wake.clear()

    def send_once(self) -> bool:
        """Build and send one report; True when the portal took it."""
        try:
            status = self._status()
            self._client.send_state(status.to_body())
        except PortalUnavailableError as exc:
            if not self._failing:
                logger.warning("room state not delivered to the portal (%s); recording goes on", exc)
            self._failing = True
            return False
        except Exception:  # a supervisor's top level: reporting must never stop the service
            logger.exception("room state report failed")
            return False
        if self._failing:
            logger.info("the portal takes the room's state reports again")
        self._failing = False
        self._delivered(status)
        return True
