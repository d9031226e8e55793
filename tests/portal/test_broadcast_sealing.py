"""A courtroom's sealed span (封存) and its public broadcast, with a moved clock and the fake live
server of test_broadcast_scheduler.py: while the room's recorder reports a seal open the broadcast is
cut (audited as the system's, reason 封存) and no clerk can resume it; when the seal ends it resumes,
unless a clerk cut it meanwhile; the system's cuts are never taken for a clerk's after a restart.
The real room-state report and live service are in test_broadcasts.py."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.broadcasting.scheduler import BroadcastScheduler
from portal.errors import RuleViolationError
from portal.models import AuditRecord
from tests.portal.conftest import Portal
from tests.portal.test_broadcast_scheduler import FEED_A, FakeLiveServer, _audit, _context, _hearing

CLERK = "user:1:clerk"


def _on_air(portal: Portal, live: FakeLiveServer) -> tuple[BroadcastScheduler, int]:
    scheduler = BroadcastScheduler(_context(portal), live)
    hearing = _hearing(portal, starts_in=timedelta(hours=1))
    portal.clock.advance(timedelta(hours=1))
    return scheduler, hearing


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
    scheduler.room_sealed(portal.world.room_a, True)
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "cut"}
    await scheduler.reconcile()  # a pass during the seal changes nothing (and audits nothing)
    with pytest.raises(RuleViolationError, match="封存"):
        await scheduler.resume(hearing, actor=CLERK, ip="10.0.0.1")
    assert live.states() == {FEED_A: "cut"}
    scheduler.room_sealed(portal.world.room_a, False)
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "live"}
    assert _audit(portal, f"hearing:{hearing}") == [
        ("broadcast_opened", "portal:broadcast-scheduler", "ok"),
        ("broadcast_cut", "system", "ok"),
        ("broadcast_resumed", "system", "ok"),
    ]
    assert _reasons(portal, hearing) == ["封存", "封存结束"]

    restarted = FakeLiveServer()  # the system's cut is not the clerk's word: a restart does not re-cut
    await BroadcastScheduler(_context(portal), restarted).reconcile()
    assert restarted.states() == {FEED_A: "live"}


async def test_another_rooms_seal_leaves_the_broadcast_alone(portal: Portal) -> None:
    live = FakeLiveServer()
    scheduler, _ = _on_air(portal, live)
    scheduler.room_sealed(portal.world.room_a + 1000, True)
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "live"}


async def test_a_clerks_cut_during_the_seal_stands_after_it(portal: Portal) -> None:
    live = FakeLiveServer()
    scheduler, hearing = _on_air(portal, live)
    await scheduler.reconcile()
    scheduler.room_sealed(portal.world.room_a, True)
    await scheduler.reconcile()
    await scheduler.cut(hearing, actor=CLERK, ip="10.0.0.1")
    scheduler.room_sealed(portal.world.room_a, False)
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "cut"}  # until a clerk resumes it
    await scheduler.resume(hearing, actor=CLERK, ip="10.0.0.1")
    assert live.states() == {FEED_A: "live"}


async def test_a_seal_open_when_the_broadcast_opens_cuts_it_at_once(portal: Portal) -> None:
    live = FakeLiveServer()
    scheduler, hearing = _on_air(portal, live)
    scheduler.room_sealed(portal.world.room_a, True)  # reported before the first pass
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "cut"}
    assert [action for action, _, _ in _audit(portal, f"hearing:{hearing}")] == [
        "broadcast_opened",
        "broadcast_cut",
    ]
