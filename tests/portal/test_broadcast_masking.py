"""Face masking per hearing through the broadcast scheduler: the hearing's mask flag goes with its
broadcast to a fake live server and to the real in-process live service (``InProcessBroadcasts``);
where masking is unavailable a masked hearing stays off air."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from portal.broadcasting.control import InProcessBroadcasts
from portal.broadcasting.scheduler import BroadcastScheduler
from portal.hearings.changes import Openness, change_openness
from portal.models import AuditRecord
from streaming.server.service import LiveService
from streaming.settings import StreamingSettings
from tests.portal.broadcast_schedule_kit import (
    FEED_A,
    FakeLiveServer,
    as_clerk,
    broadcast_audit,
    context_of,
    live,
    make_hearing,
    room_of,
    scheduler,
)
from tests.portal.conftest import Portal

__all__ = ["live", "scheduler"]  # the kit's fixtures


async def test_the_hearings_mask_flag_goes_with_the_broadcast(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    hearing = make_hearing(portal, starts_in=timedelta(hours=1), mask=True)
    portal.clock.advance(timedelta(hours=1))
    await scheduler.reconcile()
    assert live.masked == {FEED_A: True}
    unmasked = Openness(is_public=True, mask_faces=False)
    as_clerk(portal, lambda db, clerk: change_openness(db, clerk, hearing, unmasked, now=portal.clock.now()))
    await scheduler.reconcile()  # the next pass: reopened as a new broadcast, without masking
    assert live.states() == {FEED_A: "live"} and live.masked == {FEED_A: False} and len(live.opened) == 2
    with portal.db_factory() as db:
        opened = db.scalars(
            select(AuditRecord.detail)
            .where(AuditRecord.target == f"hearing:{hearing}", AuditRecord.action == "broadcast_opened")
            .order_by(AuditRecord.seq)
        ).all()
    assert ['"mask_faces":true' in d for d in opened] == [True, False]


class SpyLiveService(LiveService):
    """The real in-process live service, noting the mask of every public broadcast it is asked to open."""

    def __init__(self, settings: StreamingSettings) -> None:
        super().__init__(settings)
        self.opened: list[tuple[str, bool | None]] = []
        self.sounds: list[str | None] = []

    def open_public(
        self,
        feed_id: str,
        *,
        mask: bool | None = None,
        delay: float | None = None,
        sound_feed_id: str | None = None,
        cut: bool = False,
    ) -> None:
        self.opened.append((feed_id, mask))
        self.sounds.append(sound_feed_id)
        super().open_public(feed_id, mask=mask, delay=delay, sound_feed_id=sound_feed_id, cut=cut)


async def test_the_mask_flag_reaches_the_live_services_open_call(portal: Portal, tmp_path: Path) -> None:
    service = SpyLiveService(StreamingSettings(public_dir=tmp_path / "public-live"))
    scheduler = BroadcastScheduler(context_of(portal), InProcessBroadcasts(service, local_prefix="/live"))
    try:
        masked = make_hearing(portal, starts_in=timedelta(hours=1), mask=True)
        portal.clock.advance(timedelta(hours=1))
        await scheduler.reconcile()
        assert service.opened == [(FEED_A, True)] and service.public.feed_ids() == [FEED_A]
        # the courtroom's sound is its microphone's stream (portal_broadcast_sound_stream, mic-1)
        assert service.sounds == ["room-a/mic-1"] and service.public.sound_feed_id(FEED_A) == "room-a/mic-1"
        room_c = room_of(portal, "room-c")
        make_hearing(portal, starts_in=timedelta(minutes=30), room_id=room_c)
        portal.clock.advance(timedelta(minutes=30))
        await scheduler.reconcile()
        assert service.opened == [(FEED_A, True), ("room-c/bench-cam", False)]
        assert scheduler.of_hearing(masked) is not None
    finally:
        await scheduler.aclose()
        await service.aclose()


async def test_a_masked_hearing_stays_off_air_where_masking_is_unavailable(
    portal: Portal, tmp_path: Path
) -> None:
    settings = StreamingSettings(public_dir=tmp_path / "public-live", face_model=tmp_path / "missing.onnx")
    service = LiveService(settings)
    scheduler = BroadcastScheduler(context_of(portal), InProcessBroadcasts(service, local_prefix="/live"))
    try:
        hearing = make_hearing(portal, starts_in=timedelta(hours=1), mask=True)
        portal.clock.advance(timedelta(hours=1))
        await scheduler.reconcile()
        assert service.public.feed_ids() == [] and scheduler.of_hearing(hearing) is None  # never unmasked
        assert broadcast_audit(portal, f"hearing:{hearing}")[-1] == (
            "broadcast_opened",
            "portal:broadcast-scheduler",
            "failed",
        )
    finally:
        await scheduler.aclose()
        await service.aclose()
