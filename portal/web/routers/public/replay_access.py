"""What the replay routes share: the decision for a notice's hearing, and the tracks a replay plays —
for a hearing whose faces are to be masked, its masked rendition in place of the archive's picture.

A masked replay plays only a complete masked rendition (its manifest written, covering every
picture segment the replay may show); until then it is "being prepared" and nothing of the picture
is played, never the unmasked archive.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from archive.export import StreamTrack
from portal.errors import NotFoundError, PortalError, StoreError
from portal.hearings.notices import NoticeView, get_notice
from portal.replays.masked_rendition import INIT, MaskedManifest
from portal.replays.masking_job import needs_rendition
from portal.replays.policy import ReplayDecision, decide_replay
from portal.replays.replay_tracks import ReplayTracks, replay_tracks, without_sealed
from portal.web.context import PortalContext
from streaming.server.service import LiveService

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def masks_every_broadcast(request: Request) -> bool:
    """Whether the live server mounted in this portal masks faces on every broadcast (then every
    replay plays a masked rendition: the archive's picture is unmasked)."""
    service: LiveService | None = getattr(request.app.state, "live_service", None)
    return service is not None and service.settings.mask_faces


MaskAllDep = Annotated[bool, Depends(masks_every_broadcast)]


@dataclass(frozen=True, slots=True)
class ServedReplay:
    """One part of a replay as it is played: its tracks, and for a masked replay the manifest of the
    masked rendition its picture comes from (None: the archive's own picture, or no picture).
    ``preparing``: masked, and the rendition is not complete yet (nothing to play)."""

    tracks: ReplayTracks
    manifest: MaskedManifest | None = None
    preparing: bool = False
    notice: NoticeView | None = None  # the notice the replay was asked for (set by allowed_replay)

    def masked_stream(self, stream: str) -> bool:
        """Whether ``stream``'s objects are served from the masked rendition (never from the archive)."""
        picture = self.tracks.picture
        return self.manifest is not None and picture is not None and picture.stream == stream


def grace(context: PortalContext) -> timedelta:
    return timedelta(minutes=context.settings.portal_broadcast_grace_minutes)


def decide(context: PortalContext, notice_id: int, mask_all: bool) -> tuple[NoticeView, ReplayDecision]:
    """The notice and its hearing's replay now; NotFoundError when there is no such notice."""
    with context.readonly_sessions() as db:
        notice = get_notice(db, notice_id)
        decision = decide_replay(
            db,
            notice.hearing_id,
            now=context.clock.now(),
            grace=grace(context),
            delay_seconds=context.settings.portal_broadcast_delay_seconds,
            mask_all=mask_all,
        )
    return notice, decision


async def served_replay(context: PortalContext, decision: ReplayDecision, part: int) -> ServedReplay | None:
    """The tracks of ``part`` of an allowed replay (None when nothing of it may be shown)."""
    window = decision.window
    assert window is not None
    recording_id = window.recording_ids[part - 1]
    try:
        tracks, marks = await asyncio.to_thread(context.tracks.get_loaded, recording_id)
    except NotFoundError:
        return None
    settings = context.settings
    replay = replay_tracks(
        without_sealed(tracks, marks),
        window,
        picture_stream=settings.portal_broadcast_stream,
        sound_stream=settings.portal_broadcast_sound_stream,
    )
    if not replay.playable:
        return None
    picture = replay.picture
    if not window.masked or picture is None:
        return ServedReplay(replay)
    if context.store is None:
        raise StoreError("no recording archive is configured")
    manifest = await asyncio.to_thread(
        context.masked_manifests.load,
        context.store,
        recording_id,
        picture.stream,
        lambda m: not needs_rendition(m, picture),
    )
    if manifest is None or needs_rendition(manifest, picture):
        return ServedReplay(replay, preparing=True)
    masked = dataclasses.replace(replay, picture=_masked_track(picture))
    return ServedReplay(masked, manifest)


def _masked_track(picture: StreamTrack) -> StreamTrack:
    """``picture`` as its masked rendition plays it: the same segments, with the rendition's one init
    (a change of the archive's init is still a discontinuity, as it marks a restart)."""
    init = f"{picture.stream}/{INIT}"
    segments = tuple(dataclasses.replace(s, init=init) for s in picture.segments)
    return dataclasses.replace(picture, segments=segments)


async def allowed_replay(context: PortalContext, notice_id: int, part: int, mask_all: bool) -> ServedReplay:
    """The playable replay of ``part``, decided again now; NotFoundError when it may not be shown
    (or, masked, is not ready)."""
    try:
        notice, decision = await asyncio.to_thread(decide, context, notice_id, mask_all)
    except PortalError as exc:
        raise NotFoundError("未找到该回放") from exc
    if decision.window is None or not 1 <= part <= len(decision.window.recording_ids):
        raise NotFoundError("未找到该回放")
    served = await served_replay(context, decision, part)
    if served is None or served.preparing:
        raise NotFoundError("未找到该回放")
    return dataclasses.replace(served, notice=notice)
