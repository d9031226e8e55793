"""The seam between the portal, which decides public broadcasts, and the live server that runs them.

:class:`BroadcastControl` is all the portal's broadcast scheduler and clerk controls use.
:class:`InProcessBroadcasts` drives the live service mounted in this process (``COURTREC_PORTAL_LIVE``).

A separate live server (``python -m streaming serve``) could be driven over its operator API with the
same interface: ``open`` is ``POST /api/public/{room}/{stream}?delay=S&sound=MIC``, ``close`` is
``DELETE`` on the same path, ``cut`` and ``resume`` are ``POST .../cut`` and ``POST .../resume``,
all with the server's operator token as a bearer token; ``on_air`` needs a listing of open
broadcasts, which that API does not offer yet. That client is not built: ``make run`` mounts the
live service in the portal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from portal.errors import NotFoundError, UnavailableError
from streaming.errors import FaceMaskingError, FeedNotFoundError
from streaming.server.service import LiveService


@dataclass(frozen=True, slots=True)
class BroadcastStatus:
    """What the public sees of one broadcast: ``state`` is ``live``, ``cut`` or ``ended``."""

    feed_id: str
    state: str
    delay_seconds: float
    published_segments: int


class BroadcastControl(Protocol):
    """Opens, closes, cuts and resumes public broadcasts of live feeds (``room/stream``).

    Methods raise NotFoundError for a feed that is not broadcast and UnavailableError when the live
    server cannot do what is asked.
    """

    def media_url(self, feed_id: str) -> str:
        """The directory URL (ending in ``/``) public players fetch ``index.m3u8`` (listing ``live.m3u8``)
        and ``status.json`` of the feed's broadcast now from; each broadcast has its own. NotFoundError
        when not open."""
        ...

    async def on_air(self) -> dict[str, BroadcastStatus]:
        """Every broadcast open now, by feed id."""
        ...

    async def open(
        self,
        feed_id: str,
        *,
        delay_seconds: float,
        mask_faces: bool = False,
        sound_feed_id: str | None = None,
        cut: bool = False,
    ) -> None:
        """Broadcast ``feed_id`` publicly ``delay_seconds`` behind (idempotent; the feed may come later),
        with the sound of ``sound_feed_id`` (the room's microphone) while that feed is published;
        ``cut``: opened already cut (nothing published until :meth:`resume`).

        ``mask_faces`` asks for faces to be masked on this broadcast (the hearing's flag); False leaves
        the live server's own setting, so a hearing can add masking but never remove it. Masking asked
        for but unavailable is UnavailableError: the broadcast is not opened unmasked.
        """
        ...

    async def close(self, feed_id: str) -> None:
        """End the broadcast and withdraw every public file of it; NotFoundError when not open."""
        ...

    async def cut(self, feed_id: str) -> int:
        """Withhold everything not yet published, at once; returns how many segments were withheld."""
        ...

    async def resume(self, feed_id: str) -> None:
        """Publish again after a cut (after the delay)."""
        ...


class InProcessBroadcasts:
    """:class:`BroadcastControl` over the LiveService of this process (call on its event loop, after
    the host app's lifespan has started the service)."""

    def __init__(self, service: LiveService, *, local_prefix: str) -> None:
        """``local_prefix`` is where the live app is mounted (its public files are below it)."""
        self._service = service
        self._local_prefix = local_prefix.rstrip("/")

    def media_url(self, feed_id: str) -> str:
        """The broadcast's directory under the CDN/object-store prefix when ``public_base_url`` is
        set, else under the mounted app's files."""
        try:
            media = self._service.public_media_path(feed_id)
        except FeedNotFoundError as exc:
            raise NotFoundError(str(exc)) from exc
        base = self._service.settings.public_base_url
        if base:
            return f"{base.rstrip('/')}/{media}/"
        return f"{self._local_prefix}/public/hls/{media}/"

    async def on_air(self) -> dict[str, BroadcastStatus]:
        """Every open broadcast and its state."""
        return {
            feed_id: BroadcastStatus(
                feed_id=feed_id,
                state=status.state,
                delay_seconds=status.delay_seconds,
                published_segments=status.published_segments,
            )
            for feed_id, status in self._service.public_broadcasts().items()
        }

    async def open(
        self,
        feed_id: str,
        *,
        delay_seconds: float,
        mask_faces: bool = False,
        sound_feed_id: str | None = None,
        cut: bool = False,
    ) -> None:
        """Open masked when the hearing asks for it or the live server masks every broadcast
        (``mask_faces`` setting); UnavailableError when masking is asked for but not available there."""
        masked = mask_faces or self._service.settings.mask_faces
        try:
            self._service.open_public(
                feed_id, mask=masked, delay=delay_seconds, sound_feed_id=sound_feed_id, cut=cut
            )
        except FaceMaskingError as exc:
            raise UnavailableError(f"the live server cannot broadcast {feed_id}: {exc}") from exc

    async def close(self, feed_id: str) -> None:
        """Close and withdraw (blocks a worker thread briefly while the broadcast's thread ends)."""
        try:
            await self._service.close_public(feed_id)
        except FeedNotFoundError as exc:
            raise NotFoundError(str(exc)) from exc

    async def cut(self, feed_id: str) -> int:
        """Applied before this returns: nothing pending is published afterwards."""
        try:
            return self._service.cut_public(feed_id)
        except FeedNotFoundError as exc:
            raise NotFoundError(str(exc)) from exc

    async def resume(self, feed_id: str) -> None:
        """Resume after a cut."""
        try:
            self._service.resume_public(feed_id)
        except FeedNotFoundError as exc:
            raise NotFoundError(str(exc)) from exc
