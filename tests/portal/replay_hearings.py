"""A public hearing around an archived recording, for the replay tests: the hearing of case A in room A
from a minute before the recording to a minute after, its notice (published five days before), and the
recording linked to it."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal.db import transaction
from portal.models import Hearing, Notice, Recording
from tests.portal.conftest import Portal


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
