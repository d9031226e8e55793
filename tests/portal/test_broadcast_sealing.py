"""A courtroom's sealed span (封存) and its public broadcast, with a moved clock and the fake live
server of broadcast_schedule_kit.py: while the room's recorder reports a seal open the broadcast is
cut (audited as the system's, reason 封存) and no clerk can resume it; when the seal ends it resumes,
unless a clerk cut it meanwhile; the system's cuts are never taken for a clerk's after a restart.
Each seal here is stored as the room-state report stores it (the scheduler goes by the stored value
only), then told to the scheduler as the report's route does. The real room-state report and live
service are in test_broadcasts.py and test_broadcast_seal_stored.py."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.broadcasting.scheduler import BroadcastScheduler
from portal.db import transaction
from portal.errors import RuleViolationError
from portal.models import AuditRecord, Courtroom, RecorderState
from portal.records.recorder_watch import RoomReport, store_room_state
from tests.portal.broadcast_schedule_kit import (
    FEED_A,
    FakeLiveServer,
    broadcast_audit,
    context_of,
    make_hearing,
)
from tests.portal.conftest import Portal

CLERK = "user:1:clerk"


def _on_air(portal: Portal, live: FakeLiveServer) -> tuple[BroadcastScheduler, int]:
    scheduler = BroadcastScheduler(context_of(portal), live)
    hearing = make_hearing(portal, starts_in=timedelta(hours=1))
    portal.clock.advance(timedelta(hours=1))
    return scheduler, hearing


def _seal(portal: Portal, scheduler: BroadcastScheduler, room_id: int, sealed: bool) -> None:
    """The room's recorder reports its seal open (or ended): stored, then told to ``scheduler``."""
    now = portal.clock.now()
    report = RoomReport(
        device_id="pc-1", state=RecorderState.RECORDING, agent_time=now, hearing_id=None,
        recording_id=None, detail="", sources=[], storage_headroom_hours=None, upload_backlog=0,
        schedule_fetched_at=None, sealed=sealed,
    )  # fmt: skip
    with transaction(portal.db_factory) as db:
        store_room_state(db, db.get_one(Courtroom, room_id), report, now=now)
    scheduler.room_sealed(room_id, sealed)


def _reasons(portal: Portal, hearing: int) -> list[object]:
    with portal.db_factory() as db:
        rows = db.scalars(
            select(AuditRecord.detail)
            .where(AuditRecord.target == f"hearing:{hearing}", AuditRecord.actor == "system")
            .order_by(AuditRecord.seq)
        )
        return [json.loads(detail or "{}").get("reason") for detail in rows]


async def test_a_sealed_span_cuts_the_broadcast_until_it_ends(portal: Portal) -> None:
    live = FakeLiveServer()
    scheduler, hearing = _on_air(portal, live)
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "live"}
    _seal(portal, scheduler, portal.world.room_a, True)
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "cut"}
    await scheduler.reconcile()  # a pass during the seal changes nothing (and audits nothing)
    with pytest.raises(RuleViolationError, match="封存"):
        await scheduler.resume(hearing, actor=CLERK, ip="10.0.0.1")
    assert live.states() == {FEED_A: "cut"}
    _seal(portal, scheduler, portal.world.room_a, False)
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "live"}
    assert broadcast_audit(portal, f"hearing:{hearing}") == [
        ("broadcast_opened", "portal:broadcast-scheduler", "ok"),
        ("broadcast_cut", "system", "ok"),
        ("broadcast_resumed", "system", "ok"),
    ]
    assert _reasons(portal, hearing) == ["封存", "封存结束"]

    restarted = FakeLiveServer()  # the system's cut is not the clerk's word: a restart does not re-cut
    await BroadcastScheduler(context_of(portal), restarted).reconcile()
    assert restarted.states() == {FEED_A: "live"}


async def test_another_rooms_seal_leaves_the_broadcast_alone(portal: Portal) -> None:
    live = FakeLiveServer()
    scheduler, _ = _on_air(portal, live)
    _seal(portal, scheduler, portal.world.room_b, True)
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "live"}


async def test_a_clerks_cut_during_the_seal_stands_after_it(portal: Portal) -> None:
    live = FakeLiveServer()
    scheduler, hearing = _on_air(portal, live)
    await scheduler.reconcile()
    _seal(portal, scheduler, portal.world.room_a, True)
    await scheduler.reconcile()
    await scheduler.cut(hearing, actor=CLERK, ip="10.0.0.1")
    _seal(portal, scheduler, portal.world.room_a, False)
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "cut"}  # until a clerk resumes it
    await scheduler.resume(hearing, actor=CLERK, ip="10.0.0.1")
    assert live.states() == {FEED_A: "live"}


async def test_a_seal_open_when_the_broadcast_opens_cuts_it_at_once(portal: Portal) -> None:
    live = FakeLiveServer()
    scheduler, hearing = _on_air(portal, live)
    _seal(portal, scheduler, portal.world.room_a, True)  # reported before the first pass
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "cut"}
    assert [action for action, _, _ in broadcast_audit(portal, f"hearing:{hearing}")] == [
        "broadcast_opened",
        "broadcast_cut",
    ]
