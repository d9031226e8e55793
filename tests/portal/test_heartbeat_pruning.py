"""The heartbeat history keeps its last N days (``portal_heartbeat_keep_days``), each device's latest
heartbeat and the first one naming each recording; the portal prunes it by itself while it runs."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select

from portal.db import transaction
from portal.devices.fleet import register_device
from portal.devices.heartbeat_pruning import prune_heartbeats
from portal.devices.heartbeats import Heartbeat, record_heartbeat
from portal.models import AuditRecord, DeviceHeartbeat, FleetDevice
from tests.portal.conftest import Portal
from tests.waiting import wait_until


def _beat(portal: Portal, device_id: str, at: datetime, recording_id: str | None = None) -> None:
    beat = Heartbeat(
        battery_percent=90,
        free_bytes=10**10,
        backlog_segments=0,
        backlog_bytes=0,
        agent_version="1",
        recording="recording" if recording_id else "standby",
        recording_id=recording_id,
        position=None,
        device_time=at,
    )
    with transaction(portal.db_factory) as db:
        record_heartbeat(db, db.get_one(FleetDevice, device_id), beat, now=at)


def _history(portal: Portal) -> list[tuple[str, datetime, str | None]]:
    with portal.db_factory() as db:
        rows = db.scalars(select(DeviceHeartbeat).order_by(DeviceHeartbeat.device_id, DeviceHeartbeat.id))
        return [(row.device_id, row.received_at, row.recording_id) for row in rows]


def _seed(portal: Portal) -> datetime:
    """bodycam-1: five heartbeats 40 days ago (two naming recording r-1), one yesterday;
    bodycam-2: two 40 days ago, nothing since. Returns now."""
    now = portal.clock.now()
    with transaction(portal.db_factory) as db:
        for device_id in ("bodycam-1", "bodycam-2"):
            register_device(db, device_id, "court-a", "赵执行", actor="test", now=now)
    old = now - timedelta(days=40)
    for offset, recording in enumerate([None, "r-1", "r-1", None, None]):
        _beat(portal, "bodycam-1", old + timedelta(seconds=30 * offset), recording)
    _beat(portal, "bodycam-1", now - timedelta(days=1))
    _beat(portal, "bodycam-2", old)
    _beat(portal, "bodycam-2", old + timedelta(seconds=30))
    return now


def test_old_heartbeats_go_but_the_latest_and_each_recording_s_first_stay(portal: Portal) -> None:
    now = _seed(portal)
    old = now - timedelta(days=40)
    with transaction(portal.db_factory) as db:
        assert prune_heartbeats(db, now=now, keep=timedelta(days=30)) == 5
    assert _history(portal) == [
        ("bodycam-1", old + timedelta(seconds=30), "r-1"),  # the first naming r-1
        ("bodycam-1", now - timedelta(days=1), None),  # within 30 days
        ("bodycam-2", old + timedelta(seconds=30), None),  # its latest, however old
    ]
    with transaction(portal.db_factory) as db:
        assert prune_heartbeats(db, now=now, keep=timedelta(days=30)) == 0  # nothing more to prune
        assert prune_heartbeats(db, now=now, keep=timedelta(hours=1)) == 0  # yesterday's is the latest
    _beat(portal, "bodycam-1", now)
    with transaction(portal.db_factory) as db:
        assert prune_heartbeats(db, now=now, keep=timedelta(hours=1)) == 1  # now it is not
    with portal.db_factory() as db:
        audited = list(
            db.scalars(select(AuditRecord).where(AuditRecord.action == "device_heartbeats_pruned"))
        )
    assert len(audited) == 2 and json.loads(audited[0].detail)["deleted"] == 5


def test_the_running_portal_prunes_by_itself(portal: Portal) -> None:
    _seed(portal)
    assert len(_history(portal)) == 8
    portal.client()  # the app starts (its lifespan): the first pruning pass runs at once
    wait_until(lambda: len(_history(portal)) == 3, 30, "the portal's own pruning pass")
