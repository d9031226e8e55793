"""Staff playback: the clerks and judges of a court play the recordings of that court's cases.

Every playlist and segment request checks again that the caller is staff of the recording's court
(another court's recording is "not found", as everywhere in the staff pages) and is audited.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.errors import NotFoundError
from portal.identity.actor import Actor
from portal.identity.staff_scope import in_court_scope
from portal.models import Recording, Role
from portal.review.playback import StaffPlayback
from portal.review.track_cache import TrackCache

PLAYING_ROLES = frozenset({Role.ADMIN, Role.CLERK, Role.JUDGE})


def require_recording_in_scope(db: Session, actor: Actor, recording_id: str) -> Recording:
    """The recording, if ``actor`` is a clerk, judge or administrator of its court; else NotFoundError."""
    recording = db.get(Recording, recording_id)
    if actor.role not in PLAYING_ROLES or recording is None or recording.court_id is None:
        raise NotFoundError("未找到该录像，或您无权查看")
    if not in_court_scope(actor, recording.court_id):
        raise NotFoundError("未找到该录像，或您无权查看")
    return recording


def staff_playback(db: Session, actor: Actor, recording_id: str, tracks: TrackCache) -> StaffPlayback:
    """The recording and its tracks for ``actor`` (blocking: database, and the bucket on a cache miss).

    Raises NotFoundError (not a recording of the caller's court, or not in the bucket), StoreError.
    """
    recording = require_recording_in_scope(db, actor, recording_id)
    db.expunge(recording)  # read after the session closes (the page and the audit detail)
    return StaffPlayback(recording, *tracks.get_loaded(recording.id))
