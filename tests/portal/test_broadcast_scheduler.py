"""The public-broadcast scheduler against the hearing schedule, with a moved clock and a fake live server.

The fake is the ``BroadcastControl`` seam (a dict of open broadcasts); everything else — database,
audit log, clock-driven windows — is the portal's own. Face masking per hearing is checked also
against the real in-process live service (``InProcessBroadcasts``). The HTTP side with the real live
service is in test_broadcasts.py.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from portal.broadcasting.control import BroadcastStatus
from portal.broadcasting.scheduler import BroadcastScheduler
from portal.db import transaction
from portal.hearings.changes import cancel_hearing
from portal.identity.accounts import get_or_create_courtroom
from portal.models import Court, Hearing, HearingStatus
from tests.portal.broadcast_schedule_kit import (
    FEED_A,
    FakeLiveServer,
    as_clerk,
    broadcast_audit,
    context_of,
    live,
    make_hearing,
    scheduler,
)
from tests.portal.conftest import Portal

GRACE = timedelta(minutes=30)  # the default portal_broadcast_grace_minutes
__all__ = ["live", "scheduler"]  # the kit's fixtures


async def test_a_public_hearing_is_on_air_only_inside_its_window(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    hearing = make_hearing(portal, starts_in=timedelta(hours=1))
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
    assert broadcast_audit(portal, f"hearing:{hearing}") == [
        ("broadcast_opened", "portal:broadcast-scheduler", "ok"),
        ("broadcast_closed", "portal:broadcast-scheduler", "ok"),
    ]


async def test_a_non_public_hearing_is_never_on_air(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    make_hearing(portal, starts_in=timedelta(hours=1), public=False)
    for _ in range(4):
        portal.clock.advance(timedelta(minutes=40))
        await scheduler.reconcile()
        assert live.broadcasts == {} and live.opened == []


async def test_a_non_public_hearing_takes_the_courtroom_off_air(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    public = make_hearing(portal, starts_in=timedelta(hours=1))
    make_hearing(  # while `public` is still expected to run: the room is double-booked on purpose
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
    assert [a for a, _, _ in broadcast_audit(portal, f"hearing:{public}")] == [
        "broadcast_opened",
        "broadcast_closed",
    ]


async def test_no_broadcast_without_a_published_notice(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    make_hearing(portal, starts_in=timedelta(hours=1), notice=False)
    portal.clock.advance(timedelta(hours=1, minutes=5))
    await scheduler.reconcile()
    assert live.broadcasts == {}


@pytest.mark.parametrize("change", ["made non-public", "cancelled"])
async def test_a_hearing_no_longer_public_goes_off_air(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler, change: str
) -> None:
    hearing = make_hearing(portal, starts_in=timedelta(hours=1))
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
    assert broadcast_audit(portal, "feed:room-b/bench-cam") == [
        ("broadcast_closed", "portal:broadcast-scheduler", "ok")
    ]


async def test_a_room_code_two_courts_use_is_never_on_air(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    with transaction(portal.db_factory) as db:
        get_or_create_courtroom(db, db.get_one(Court, portal.world.court_b), "room-a", "乙院第一法庭")
    make_hearing(portal, starts_in=timedelta(hours=1))
    portal.clock.advance(timedelta(hours=1, minutes=1))
    await scheduler.reconcile()
    assert live.broadcasts == {}  # "room-a/bench-cam" could be court B's camera


async def test_a_cut_survives_a_restart_until_resumed(portal: Portal, live: FakeLiveServer) -> None:
    context = context_of(portal)
    first = BroadcastScheduler(context, live)
    hearing = make_hearing(portal, starts_in=timedelta(hours=1))
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
    assert broadcast_audit(portal, f"hearing:{hearing}") == [
        ("broadcast_opened", "portal:broadcast-scheduler", "ok"),
        ("broadcast_cut", "user:1:clerk", "ok"),
        ("broadcast_opened", "portal:broadcast-scheduler", "ok"),
        ("broadcast_cut", "portal:broadcast-scheduler", "ok"),
        ("broadcast_resumed", "user:1:clerk", "ok"),
    ]


async def test_stopping_closes_what_the_portal_opened(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    hearing = make_hearing(portal, starts_in=timedelta(hours=1))
    portal.clock.advance(timedelta(hours=1))
    scheduler.start()  # the first pass runs at once
    for _ in range(100):
        if live.broadcasts:
            break
        await asyncio.sleep(0.02)
    assert live.states() == {FEED_A: "live"}
    await scheduler.aclose()
    assert live.broadcasts == {}
    assert [a for a, _, _ in broadcast_audit(portal, f"hearing:{hearing}")] == [
        "broadcast_opened",
        "broadcast_closed",
    ]


async def test_a_broadcast_ended_elsewhere_is_recorded_and_reopened(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    hearing = make_hearing(portal, starts_in=timedelta(hours=1))
    portal.clock.advance(timedelta(hours=1))
    await scheduler.reconcile()
    live.broadcasts.clear()  # the live server restarted
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "live"} and len(live.opened) == 2
    assert [a for a, _, _ in broadcast_audit(portal, f"hearing:{hearing}")] == [
        "broadcast_opened",
        "broadcast_closed",
        "broadcast_opened",
    ]


async def test_a_cancelled_hearing_is_never_on_air(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    hearing = make_hearing(portal, starts_in=timedelta(hours=1))
    as_clerk(portal, lambda db, clerk: cancel_hearing(db, clerk, hearing, "原告撤诉", now=portal.clock.now()))
    for _ in range(4):
        portal.clock.advance(timedelta(minutes=40))
        await scheduler.reconcile()
        assert live.broadcasts == {} and live.opened == []


async def test_cancelling_takes_the_hearing_off_air_at_once(
    portal: Portal, live: FakeLiveServer, scheduler: BroadcastScheduler
) -> None:
    hearing = make_hearing(portal, starts_in=timedelta(hours=1))
    portal.clock.advance(timedelta(hours=1))
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "live"}
    as_clerk(
        portal, lambda db, clerk: cancel_hearing(db, clerk, hearing, "当事人和解", now=portal.clock.now())
    )
    await scheduler.follow_change()  # what the cancel endpoints do right after the change is committed
    assert live.broadcasts == {} and scheduler.of_hearing(hearing) is None
    assert [a for a, _, _ in broadcast_audit(portal, f"hearing:{hearing}")] == [
        "broadcast_opened",
        "broadcast_closed",
    ]
