"""What the broadcast scheduler's tests share: a fake live server (the ``BroadcastControl`` seam) and
hearings, clerk changes and audit rows made in the portal's own database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.broadcasting.control import BroadcastStatus
from portal.broadcasting.scheduler import BroadcastScheduler
from portal.db import transaction
from portal.errors import NotFoundError
from portal.hearings.notices import HearingDraft, publish_notice, schedule_hearing
from portal.identity.accounts import get_or_create_courtroom
from portal.identity.actor import Actor
from portal.models import AuditRecord, Court, User
from portal.web.context import PortalContext
from tests.portal.conftest import Portal
from tests.portal.world import actor_of

FEED_A = "room-a/bench-cam"
BASIS = "依法当日开庭（测试）"


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


def context_of(portal: Portal) -> PortalContext:
    context: PortalContext = portal.app.state.portal
    return context


def make_hearing(
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


def as_clerk(portal: Portal, change: Callable[[Session, Actor], object]) -> None:
    with transaction(portal.db_factory) as db:
        change(db, actor_of(db.get_one(User, portal.world.users["clerk-a"])))


def broadcast_audit(portal: Portal, target: str) -> list[tuple[str, str, str]]:
    with portal.db_factory() as db:
        rows = db.execute(
            select(AuditRecord.action, AuditRecord.actor, AuditRecord.outcome)
            .where(AuditRecord.target == target, AuditRecord.action.like("broadcast_%"))
            .order_by(AuditRecord.seq)
        )
        return [(action, actor, outcome) for action, actor, outcome in rows]


def room_of(portal: Portal, code: str) -> int:
    with transaction(portal.db_factory) as db:
        return get_or_create_courtroom(db, db.get_one(Court, portal.world.court_a), code, "第三法庭").id


@pytest.fixture
def live() -> FakeLiveServer:
    return FakeLiveServer()


@pytest.fixture
def scheduler(portal: Portal, live: FakeLiveServer) -> BroadcastScheduler:
    return BroadcastScheduler(context_of(portal), live)
