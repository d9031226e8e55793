"""The public-broadcast scheduler against the hearing schedule, with a moved clock and a fake live server.

The fake is the ``BroadcastControl`` seam (a dict of open broadcasts); everything else — database,
audit log, clock-driven windows — is the portal's own. Face masking per hearing is checked also
against the real in-process live service (``InProcessBroadcasts``). The HTTP side with the real live
service is in test_broadcasts.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.broadcasting.control import BroadcastStatus, InProcessBroadcasts
from portal.broadcasting.scheduler import BroadcastScheduler
from portal.db import transaction
from portal.errors import NotFoundError
from portal.hearings.changes import Openness, cancel_hearing, change_openness
from portal.hearings.notices import HearingDraft, publish_notice, schedule_hearing
from portal.identity.accounts import get_or_create_courtroom
from portal.identity.actor import Actor
from portal.models import AuditRecord, Court, Hearing, HearingStatus, User
from portal.web.context import PortalContext
from streaming.server.service import LiveService
from streaming.settings import StreamingSettings
from tests.portal.conftest import Portal
from tests.portal.world import actor_of

FEED_A = "room-a/bench-cam"
BASIS = "依法当日开庭（测试）"
GRACE = timedelta(minutes=30)  # the default portal_broadcast_grace_minutes


class FakeLiveServer:
    """Open broadcasts by feed id, as a live server would keep them."""

    def __init__(self) -> None:
        self.broadcasts: dict[str, BroadcastStatus] = {}
        self.opened: list[tuple[str, float]] = []
        self.masked: dict[str, bool] = {}
        self.sound: dict[str, str | None] = {}
        self.cuts: list[str] = []  # feeds cut after they were opened

    def media_url(self, feed_id: str) -> str:
        return f"/live/public/hls/{feed_id}/"

    async def on_air(self) -> dict[str, BroadcastStatus]:
        return dict(self.broadcasts)

    async def open(
        self,
        feed_id: str,
        *,
        delay_seconds: float,
        mask_faces: bool = False,
        sound_feed_id: str | None = None,
        cut: bool = False,
    ) -> None:
        self.opened.append((feed_id, delay_seconds))
        self.masked[feed_id] = mask_faces
        self.sound[feed_id] = sound_feed_id
        state = "cut" if cut else "live"
        self.broadcasts.setdefault(feed_id, BroadcastStatus(feed_id, state, delay_seconds, 0))

    async def close(self, feed_id: str) -> None:
        if self.broadcasts.pop(feed_id, None) is None:
            raise NotFoundError(f"{feed_id} is not broadcast")

    async def cut(self, feed_id: str) -> int:
        self._set(feed_id, "cut")
        self.cuts.append(feed_id)
        return 2

    async def resume(self, feed_id: str) -> None:
        self._set(feed_id, "live")

    def _set(self, feed_id: str, state: str) -> None:
        if feed_id not in self.broadcasts:
            raise NotFoundError(f"{feed_id} is not broadcast")
        old = self.broadcasts[feed_id]
        self.broadcasts[feed_id] = BroadcastStatus(feed_id, state, old.delay_seconds, old.published_segments)

    def states(self) -> dict[str, str]:
        return {feed_id: status.state for feed_id, status in self.broadcasts.items()}


def _context(portal: Portal) -> PortalContext:
    context: PortalContext = portal.app.state.portal
    return context


def _hearing(
    portal: Portal,
    *,
    starts_in: timedelta,
    length: timedelta = timedelta(hours=2),
    public: bool = True,
    notice: bool = True,
    room_id: int | None = None,
    mask: bool = False,
    double_booking_reason: str | None = None,
) -> int:
    """A hearing of case A (in room A unless ``room_id``), scheduled and (by default) noticed now."""
    now = portal.clock.now()
    with transaction(portal.db_factory) as db:
        clerk = actor_of(db.get_one(User, portal.world.users["clerk-a"]))
        draft = HearingDraft(
            portal.world.case_a,
            room_id or portal.world.room_a,
            now + starts_in,
            now + starts_in + length,
            is_public=public,
            non_public_reason=None if public else "涉及个人隐私，依法不公开审理",
            mask_faces=mask,
            double_booking_reason=double_booking_reason,
        )
        hearing = schedule_hearing(db, clerk, draft, now=now)
        if notice:
            publish_notice(db, clerk, hearing.id, now=now, exception_basis=BASIS)
        return hearing.id


def _as_clerk(portal: Portal, change: Callable[[Session, Actor], object]) -> None:
    with transaction(portal.db_factory) as db:
        change(db, actor_of(db.get_one(User, portal.world.users["clerk-a"])))


def _audit(portal: Portal, target: str) -> list[tuple[str, str, str]]:
    with portal.db_factory() as db:
        rows = db.execute(
            select(AuditRecord.action, AuditRecord.actor, AuditRecord.outcome)
            .where(AuditRecord.target == target, AuditRecord.action.like("broadcast_%"))
            .order_by(AuditRecord.seq)
        )
        return [(action, actor, outcome) for action, actor, outcome in rows]


@pytest.fixture
def live() -> FakeLiveServer:
    return FakeLiveServer()


@pytest.fixture
def scheduler(portal: Portal, live: FakeLiveServer) -> BroadcastScheduler:
    return BroadcastScheduler(_context(portal), live)


async def test_a_public_hearing_is_on_air_only_inside_its_window(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    hearing = _hearing(portal, starts_in=timedelta(hours=1))
    await scheduler.reconcile()
    assert live.broadcasts == {}  # before the start
    portal.clock.advance(timedelta(minutes=59, seconds=59))
    await scheduler.reconcile()
    assert live.broadcasts == {}
    portal.clock.advance(timedelta(seconds=1))  # the start
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "live"}
    assert live.opened == [(FEED_A, 30.0)]  # the configured delay
    on_air = scheduler.of_hearing(hearing)
    assert on_air is not None and on_air.feed_id == FEED_A and on_air.court_id == portal.world.court_a
    portal.clock.advance(timedelta(hours=2) + GRACE - timedelta(seconds=1))  # overrunning, within grace
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "live"} and live.opened == [(FEED_A, 30.0)]
    portal.clock.advance(timedelta(seconds=1))  # expected end + grace
    await scheduler.reconcile()
    assert live.broadcasts == {} and scheduler.of_hearing(hearing) is None
    assert _audit(portal, f"hearing:{hearing}") == [
        ("broadcast_opened", "portal:broadcast-scheduler", "ok"),
        ("broadcast_closed", "portal:broadcast-scheduler", "ok"),
    ]


async def test_a_non_public_hearing_is_never_on_air(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    _hearing(portal, starts_in=timedelta(hours=1), public=False)
    for _ in range(4):
        portal.clock.advance(timedelta(minutes=40))
        await scheduler.reconcile()
        assert live.broadcasts == {} and live.opened == []


async def test_a_non_public_hearing_takes_the_courtroom_off_air(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    public = _hearing(portal, starts_in=timedelta(hours=1))
    _hearing(  # while `public` is still expected to run: the room is double-booked on purpose
        portal,
        starts_in=timedelta(hours=2, minutes=10),
        public=False,
        double_booking_reason="前案可能超时，本案证人当日须返程",
    )
    portal.clock.advance(timedelta(hours=1))
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "live"}
    portal.clock.advance(timedelta(hours=1, minutes=10))  # the non-public one starts
    await scheduler.reconcile()
    assert live.broadcasts == {}
    assert [a for a, _, _ in _audit(portal, f"hearing:{public}")] == ["broadcast_opened", "broadcast_closed"]


async def test_no_broadcast_without_a_published_notice(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    _hearing(portal, starts_in=timedelta(hours=1), notice=False)
    portal.clock.advance(timedelta(hours=1, minutes=5))
    await scheduler.reconcile()
    assert live.broadcasts == {}


@pytest.mark.parametrize("change", ["made non-public", "cancelled"])
async def test_a_hearing_no_longer_public_goes_off_air(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler, change: str
) -> None:
    hearing = _hearing(portal, starts_in=timedelta(hours=1))
    portal.clock.advance(timedelta(hours=1))
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "live"}
    with transaction(portal.db_factory) as db:
        row = db.get_one(Hearing, hearing)
        if change == "cancelled":
            row.status = HearingStatus.CANCELLED
        else:
            row.is_public, row.non_public_reason = False, "涉及未成年人，依法不公开审理"
    await scheduler.reconcile()
    assert live.broadcasts == {}


async def test_broadcasts_the_portal_did_not_open_are_closed(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    live.broadcasts["room-b/bench-cam"] = BroadcastStatus("room-b/bench-cam", "live", 0.0, 3)
    await scheduler.reconcile()
    assert live.broadcasts == {}
    assert _audit(portal, "feed:room-b/bench-cam") == [
        ("broadcast_closed", "portal:broadcast-scheduler", "ok")
    ]


async def test_a_room_code_two_courts_use_is_never_on_air(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    with transaction(portal.db_factory) as db:
        get_or_create_courtroom(db, db.get_one(Court, portal.world.court_b), "room-a", "乙院第一法庭")
    _hearing(portal, starts_in=timedelta(hours=1))
    portal.clock.advance(timedelta(hours=1, minutes=1))
    await scheduler.reconcile()
    assert live.broadcasts == {}  # "room-a/bench-cam" could be court B's camera


async def test_a_cut_survives_a_restart_until_resumed(portal: Portal, live: FakeLiveServer) -> None:
    context = _context(portal)
    first = BroadcastScheduler(context, live)
    hearing = _hearing(portal, starts_in=timedelta(hours=1))
    portal.clock.advance(timedelta(hours=1))
    await first.reconcile()
    assert await first.cut(hearing, actor="user:1:clerk", ip="10.0.0.1") == 2
    assert live.states() == {FEED_A: "cut"}
    await first.reconcile()
    assert live.states() == {FEED_A: "cut"}  # a pass never resumes by itself

    restarted = FakeLiveServer()  # the process restarted: nothing open
    second = BroadcastScheduler(context, restarted)
    await second.reconcile()
    assert restarted.states() == {FEED_A: "cut"}  # reopened, and cut at once
    await second.resume(hearing, actor="user:1:clerk", ip="10.0.0.1")
    assert restarted.states() == {FEED_A: "live"}
    await second.reconcile()
    assert restarted.states() == {FEED_A: "live"}
    assert _audit(portal, f"hearing:{hearing}") == [
        ("broadcast_opened", "portal:broadcast-scheduler", "ok"),
        ("broadcast_cut", "user:1:clerk", "ok"),
        ("broadcast_opened", "portal:broadcast-scheduler", "ok"),
        ("broadcast_cut", "portal:broadcast-scheduler", "ok"),
        ("broadcast_resumed", "user:1:clerk", "ok"),
    ]


async def test_stopping_closes_what_the_portal_opened(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    hearing = _hearing(portal, starts_in=timedelta(hours=1))
    portal.clock.advance(timedelta(hours=1))
    scheduler.start()  # the first pass runs at once
    for _ in range(100):
        if live.broadcasts:
            break
        await asyncio.sleep(0.02)
    assert live.states() == {FEED_A: "live"}
    await scheduler.aclose()
    assert live.broadcasts == {}
    assert [a for a, _, _ in _audit(portal, f"hearing:{hearing}")] == ["broadcast_opened", "broadcast_closed"]


async def test_a_broadcast_ended_elsewhere_is_recorded_and_reopened(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    hearing = _hearing(portal, starts_in=timedelta(hours=1))
    portal.clock.advance(timedelta(hours=1))
    await scheduler.reconcile()
    live.broadcasts.clear()  # the live server restarted
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "live"} and len(live.opened) == 2
    assert [a for a, _, _ in _audit(portal, f"hearing:{hearing}")] == [
        "broadcast_opened",
        "broadcast_closed",
        "broadcast_opened",
    ]


async def test_a_cancelled_hearing_is_never_on_air(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    hearing = _hearing(portal, starts_in=timedelta(hours=1))
    _as_clerk(
        portal, lambda db, clerk: cancel_hearing(db, clerk, hearing, "原告撤诉", now=portal.clock.now())
    )
    for _ in range(4):
        portal.clock.advance(timedelta(minutes=40))
        await scheduler.reconcile()
        assert live.broadcasts == {} and live.opened == []


async def test_cancelling_takes_the_hearing_off_air_at_once(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    hearing = _hearing(portal, starts_in=timedelta(hours=1))
    portal.clock.advance(timedelta(hours=1))
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "live"}
    _as_clerk(
        portal, lambda db, clerk: cancel_hearing(db, clerk, hearing, "当事人和解", now=portal.clock.now())
    )
    await scheduler.follow_change()  # what the cancel endpoints do right after the change is committed
    assert live.broadcasts == {} and scheduler.of_hearing(hearing) is None
    assert [a for a, _, _ in _audit(portal, f"hearing:{hearing}")] == ["broadcast_opened", "broadcast_closed"]


async def test_the_hearings_mask_flag_goes_with_the_broadcast(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    hearing = _hearing(portal, starts_in=timedelta(hours=1), mask=True)
    portal.clock.advance(timedelta(hours=1))
    await scheduler.reconcile()
    assert live.masked == {FEED_A: True}
    unmasked = Openness(is_public=True, mask_faces=False)
    _as_clerk(portal, lambda db, clerk: change_openness(db, clerk, hearing, unmasked, now=portal.clock.now()))
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
    scheduler = BroadcastScheduler(_context(portal), InProcessBroadcasts(service, local_prefix="/live"))
    try:
        masked = _hearing(portal, starts_in=timedelta(hours=1), mask=True)
        portal.clock.advance(timedelta(hours=1))
        await scheduler.reconcile()
        assert service.opened == [(FEED_A, True)] and service.public.feed_ids() == [FEED_A]
        # the courtroom's sound is its microphone's stream (portal_broadcast_sound_stream, mic-1)
        assert service.sounds == ["room-a/mic-1"] and service.public.sound_feed_id(FEED_A) == "room-a/mic-1"
        room_c = _room(portal, "room-c")
        _hearing(portal, starts_in=timedelta(minutes=30), room_id=room_c)
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
    scheduler = BroadcastScheduler(_context(portal), InProcessBroadcasts(service, local_prefix="/live"))
    try:
        hearing = _hearing(portal, starts_in=timedelta(hours=1), mask=True)
        portal.clock.advance(timedelta(hours=1))
        await scheduler.reconcile()
        assert service.public.feed_ids() == [] and scheduler.of_hearing(hearing) is None  # never unmasked
        assert _audit(portal, f"hearing:{hearing}")[-1] == (
            "broadcast_opened",
            "portal:broadcast-scheduler",
            "failed",
        )
    finally:
        await scheduler.aclose()
        await service.aclose()


def _room(portal: Portal, code: str) -> int:
    with transaction(portal.db_factory) as db:
        return get_or_create_courtroom(db, db.get_one(Court, portal.world.court_a), code, "第三法庭").id
