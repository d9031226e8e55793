"""What the live service reports: typed, immutable snapshots for routes and the portal."""

from __future__ import annotations

from dataclasses import dataclass

from streaming.public.broadcasts import PublicStatus


@dataclass(frozen=True, slots=True)
class SessionAnswer:
    """An accepted WHIP or WHEP offer: the new session's id and the SDP answer."""

    session_id: str
    answer_sdp: str


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """One listed feed, for the wall.

    ``connected`` is True once media from the current publisher has arrived (a publisher still
    negotiating, or one that never completed ICE, is listed but not connected);
    ``kinds`` is sorted (``("audio", "video")``, ``("video",)`` or ``("audio",)``);
    ``seconds_since_frame`` counts from the last packet of the main kind (None before the first);
    ``telemetry`` is the latest report as JSON with ``age_seconds``, None when none came.
    """

    feed_id: str
    room: str
    stream: str
    device_id: str
    kinds: tuple[str, ...]
    connected: bool
    seconds_since_frame: float | None
    viewers: int
    telemetry: dict[str, object] | None
    public: PublicStatus | None
