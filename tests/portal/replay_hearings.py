"""A public hearing around an archived recording, for the replay tests: the hearing of case A in room A
from a minute before the recording to a minute after, its notice (published five days before), and the
recording linked to it; and the replay of such a hearing that the clerk cut (``open_replay``)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from archive.export import load_tracks
from archive.store.object_store import ObjectStore
from portal.audit.trail import AuditAction, AuditEntry, append
from portal.broadcasting.schedule import hearing_target
from portal.db import transaction
from portal.models import Hearing, Notice, Recording
from portal.records.reconciler import reconcile_now
from tests.portal.conftest import Portal, Template, open_portal

RECORDING = "replay-rec"
CAMERA = "bench-cam"
GRACE = timedelta(minutes=30)  # portal_broadcast_grace_minutes


def public_hearing_around(
    portal: Portal, recording_id: str, *, mask_faces: bool = False
) -> tuple[int, int, datetime]:
    """The hearing's id, its notice's id, and when the recording ended."""
    clerk = portal.world.users["clerk-a"]
    with transaction(portal.db_factory) as db:
        recording = db.get_one(Recording, recording_id)
        assert recording.started_at is not None and recording.ended_at is not None
        hearing = Hearing(
            case_id=portal.world.case_a,
            courtroom_id=portal.world.room_a,
            starts_at=recording.started_at - timedelta(minutes=1),
            expected_end_at=recording.ended_at + timedelta(minutes=1),
            is_public=True,
            mask_faces=mask_faces,
            created_by=clerk,
            created_at=recording.started_at - timedelta(days=5),
        )
        db.add(hearing)
        db.flush()
        notice = Notice(hearing_id=hearing.id, published_at=hearing.created_at, published_by=clerk)
        db.add(notice)
        db.flush()
        recording.hearing_id, recording.case_id = hearing.id, portal.world.case_a
        return hearing.id, notice.id, recording.ended_at


@dataclasses.dataclass
class Replay:
    portal: Portal
    hearing_id: int
    notice_id: int
    kept: list[str]  # the camera's segments the replay shows (outside the cut)
    cut: list[str]  # those the clerk's cut withheld
    withheld: tuple[datetime, datetime]  # the cut, from the cut to the resume (no broadcast delay)
    store: ObjectStore


@contextlib.contextmanager
def open_replay(
    sqlite_template: Template, replay_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> Iterator[Replay]:
    """A portal (data in ``tmp_path``) after the hearing of ``replay_store``'s recording: the clerk cut
    its broadcast over the camera's 2nd and 3rd segments."""
    overrides = {
        "environment": "development",
        "portal_cookie_secure": False,
        "portal_broadcast_delay_seconds": 0.0,
    }
    with open_portal(sqlite_template, replay_store, session_now, tmp_path, **overrides) as portal:
        reconcile_now(portal.app.state.portal, "test")
        hearing_id, notice_id, ended = public_hearing_around(portal, RECORDING)
        segments = load_tracks(replay_store, RECORDING).tracks[CAMERA].segments
        assert len(segments) >= 4 and all(s.started_at and s.ended_at for s in segments)
        cut_at = segments[1].started_at + timedelta(seconds=0.1)  # type: ignore[operator]
        resumed_at = segments[2].ended_at - timedelta(seconds=0.1)  # type: ignore[operator]
        with transaction(portal.db_factory) as db:
            target = hearing_target(hearing_id)
            append(db, AuditEntry("clerk-a", AuditAction.BROADCAST_CUT, target), at=cut_at)
            append(db, AuditEntry("clerk-a", AuditAction.BROADCAST_RESUMED, target), at=resumed_at)
        portal.clock.set(max(portal.clock.now(), ended + timedelta(minutes=1) + GRACE))
        names = [s.object.split("/")[-1] for s in segments]
        yield Replay(
            portal,
            hearing_id,
            notice_id,
            [names[0], *names[3:]],
            names[1:3],
            (cut_at, resumed_at),
            replay_store,
        )
