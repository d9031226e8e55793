"""Which device may publish which feed: the binding seam, deny by default.

Each device is bound to the feeds it may publish: ``room/stream`` exactly, or ``room/*`` (every
stream of the room). A device with no binding publishes nothing. Standalone, the bindings come from
``COURTREC_STREAMING_DEVICE_ROOMS`` (:class:`SettingsBindings`); a host app may pass any
:class:`DeviceBindings` (e.g. its device registry).

A refused publication is a security event: it is logged here and handed to an optional
:data:`RefusalSink` (the portal writes it to its audit log).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger(__name__)

ANY_STREAM = "*"


class DeviceBindings(Protocol):
    """Decides whether a device may publish a feed."""

    def may_publish(self, device_id: str, room: str, stream: str) -> bool:
        """True when ``device_id`` is bound to ``room/stream`` (False for unknown devices)."""
        ...


class SettingsBindings:
    """Bindings from a mapping ``device -> ["room/stream" | "room/*", …]`` (the settings' form)."""

    def __init__(self, bindings: Mapping[str, Sequence[str]]) -> None:
        self._exact: dict[str, frozenset[tuple[str, str]]] = {}
        self._rooms: dict[str, frozenset[str]] = {}
        for device, patterns in bindings.items():
            pairs = [pattern.split("/", 1) for pattern in patterns]
            if any(len(pair) != 2 or not all(pair) for pair in pairs):
                raise ValueError(f"bindings of {device!r} must be room/stream or room/* (got {patterns!r})")
            self._rooms[device] = frozenset(room for room, stream in pairs if stream == ANY_STREAM)
            self._exact[device] = frozenset((room, stream) for room, stream in pairs if stream != ANY_STREAM)

    def may_publish(self, device_id: str, room: str, stream: str) -> bool:
        """True when ``device_id`` has ``room/stream`` or ``room/*`` among its bindings."""
        return room in self._rooms.get(device_id, frozenset()) or (room, stream) in self._exact.get(
            device_id, frozenset()
        )


@dataclass(frozen=True, slots=True)
class PublishRefusal:
    """A WHIP publication refused: by whom (device, client address), for which feed, and why."""

    device_id: str
    feed_id: str
    reason: str
    client: str = ""


RefusalSink = Callable[[PublishRefusal], Awaitable[None]]
"""Receives every refused publication (the portal appends it to its audit log)."""


async def report_refusal(refusal: PublishRefusal, sink: RefusalSink | None) -> None:
    """Log ``refusal`` as a security event and hand it to ``sink``; a failing sink is logged, never
    raised (the publication is refused either way)."""
    logger.warning(
        "security: WHIP publish refused: device=%s feed=%s client=%s: %s",
        refusal.device_id,
        refusal.feed_id,
        refusal.client,
        refusal.reason,
    )
    if sink is None:
        return
    try:
        await sink(refusal)
    except Exception:  # the sink's boundary: the publication stays refused whatever it does
        logger.exception("could not record the refused publication of %s", refusal.feed_id)
