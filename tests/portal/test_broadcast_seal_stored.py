"""A courtroom's sealed span (封存) is stored with its room state, so the public broadcast stays cut
across a portal restart and while the recorder is silent (deny by default), until the recorder
reports the seal ended; the clerk's courtrooms page shows the sealed room. The seal arrives by the
real room-state report; the restart is a new app on the same database (SQLite and PostgreSQL), with
the fake live server of broadcast_schedule_kit.py."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta

from fastapi.testclient import TestClient

from portal.broadcasting.scheduler import BroadcastScheduler
from portal.records.recorder_watch import FRESH_FOR
from portal.web.app import create_app
from portal.web.context import PortalContext
from tests.portal.broadcast_schedule_kit import FEED_A, FakeLiveServer, context_of, make_hearing
from tests.portal.conftest import AGENT_TOKEN, Portal

AGENT = {"Authorization": f"Bearer {AGENT_TOKEN}"}


def _report(portal: Portal, http: TestClient, hearing: int, *, sealed: bool) -> None:
    body = {
        "court": "court-a", "room": "room-a", "device_id": "pc-1", "state": "recording",
        "agent_time": portal.clock.now().isoformat(), "hearing_id": hearing,
        "recording_id": "rec-seal-stored-1", "sealed": sealed,
    }  # fmt: skip
    taken = http.post("/api/agent/room-state", json=body, headers=AGENT)
    assert taken.status_code == 200, taken.text


@contextlib.contextmanager
def _restarted(portal: Portal) -> Iterator[tuple[PortalContext, TestClient]]:
    """A new portal app on the same database and clock (the portal process restarted), and a client."""
    app = create_app(context_of(portal).settings, store=portal.store, clock=portal.clock)
    context: PortalContext = app.state.portal
    try:
        with TestClient(app, base_url="https://testserver", follow_redirects=False) as http:
            yield context, http
    finally:
        context.audit_batch.close()
        context.engine.dispose()


def _on_air(portal: Portal) -> tuple[BroadcastScheduler, FakeLiveServer, int]:
    """Room A's hearing on air (after the scheduler's first pass)."""
    live = FakeLiveServer()
    scheduler = BroadcastScheduler(context_of(portal), live)
    hearing = make_hearing(portal, starts_in=timedelta(hours=1))
    portal.clock.advance(timedelta(hours=1))
    return scheduler, live, hearing


async def test_a_restarted_portal_keeps_the_broadcast_cut_with_no_new_report(portal: Portal) -> None:
    scheduler, live, hearing = _on_air(portal)
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "live"}
    _report(portal, portal.client(), hearing, sealed=True)  # stored; this app runs no scheduler itself
    await scheduler.reconcile()  # the pass reads the stored seal
    assert live.states() == {FEED_A: "cut"}

    portal.clock.advance(timedelta(seconds=5))
    with _restarted(portal) as (context, http):
        restarted = FakeLiveServer()  # the in-process live service restarted with the portal
        after = BroadcastScheduler(context, restarted)
        assert not after.is_sealed(portal.world.room_a)  # nothing known before the first pass
        await after.reconcile()
        assert restarted.states() == {FEED_A: "cut"}  # no new report: the stored seal holds
        assert restarted.cuts == []  # opened already cut in that pass, never opened and then cut
        assert after.is_sealed(portal.world.room_a)
        await after.reconcile()
        assert restarted.states() == {FEED_A: "cut"}

        _report(portal, http, hearing, sealed=False)  # the seal ended, reported to the new portal
        await after.reconcile()
        assert restarted.states() == {FEED_A: "live"}
        assert not after.is_sealed(portal.world.room_a)


async def test_a_live_server_that_kept_running_stays_cut_after_the_restart(portal: Portal) -> None:
    scheduler, live, hearing = _on_air(portal)
    await scheduler.reconcile()
    _report(portal, portal.client(), hearing, sealed=True)
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "cut"}
    cuts = len(live.cuts)
    with _restarted(portal) as (context, _):
        await BroadcastScheduler(context, live).reconcile()  # reopens what it did not open: cut again
        assert live.states() == {FEED_A: "cut"} and len(live.cuts) == cuts  # opened already cut


async def test_a_silent_recorder_while_sealed_leaves_the_broadcast_cut(portal: Portal) -> None:
    scheduler, live, hearing = _on_air(portal)
    await scheduler.reconcile()
    _report(portal, portal.client(), hearing, sealed=True)
    portal.clock.advance(FRESH_FOR * 30)  # the recorder fell silent: its report is long stale
    await scheduler.reconcile()
    assert live.states() == {FEED_A: "cut"}
    with _restarted(portal) as (context, _):
        restarted = FakeLiveServer()
        await BroadcastScheduler(context, restarted).reconcile()
        assert restarted.states() == {FEED_A: "cut"}  # deny by default: a stale seal is still a seal
    clerk = portal.staff("clerk-a")
    page = clerk.get("/staff/courtrooms").text
    assert "失联（上报中断）" in page and "封存中" in page
    room = next(r for r in clerk.get("/api/courtrooms").json()["rooms"] if r["code"] == "room-a")
    assert room["sealed"] is True and room["fresh"] is False


async def test_the_courtrooms_page_shows_the_seal_only_while_it_is_open(portal: Portal) -> None:
    _, _, hearing = _on_air(portal)
    clerk, agent = portal.staff("clerk-a"), portal.client()
    _report(portal, agent, hearing, sealed=False)
    assert "封存中" not in clerk.get("/staff/courtrooms").text
    _report(portal, agent, hearing, sealed=True)
    assert "封存中" in clerk.get("/staff/courtrooms").text
    _report(portal, agent, hearing, sealed=False)
    assert "封存中" not in clerk.get("/staff/courtrooms").text
    assert not any(r["sealed"] for r in clerk.get("/api/courtrooms").json()["rooms"])
