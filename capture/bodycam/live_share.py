"""Live first, the backlog after: while a body camera publishes live, its uploader's rate is capped
so the backlog cannot fill a weak link and starve the live feed; when live stops the usual cap
(``--upload-rate``, or none) is back."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

logger = logging.getLogger(__name__)


class RateCapped(Protocol):
    def set_rate(self, bytes_per_second: float | None) -> None: ...


def capped_while_live(
    uploader: RateCapped | None,
    *,
    live_rate: float,
    usual_rate: float | None,
    start_live: Callable[[], Callable[[], None]],
) -> Callable[[], None]:
    """Cap ``uploader`` at ``live_rate``, start live; returns the stop that ends live and restores
    ``usual_rate``. A live start that fails restores the usual rate before the error goes on."""
    if uploader is None:
        return start_live()
    uploader.set_rate(live_rate if usual_rate is None else min(live_rate, usual_rate))
    try:
        stop_live = start_live()
    except BaseException:
        uploader.set_rate(usual_rate)
        raise
    logger.info("live: the backlog's upload is capped at %d bytes/s", live_rate)

    def stop() -> None:
        try:
            stop_live()
        finally:
            uploader.set_rate(usual_rate)

    return stop
