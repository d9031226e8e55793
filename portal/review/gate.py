"""The check in front of every playback request: the caller's own grant, usable now, and the
recording's tracks — answered from memory when both were read a moment ago (see ``read_cache``)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from portal.clock import Clock
from portal.identity.actor import Actor
from portal.identity.read_cache import ReadCache
from portal.review.decisions import GrantRecord, read_grant, usable_grant
from portal.review.playback import GrantPlayback
from portal.review.track_cache import TrackCache


class PlaybackGate:
    """Checks a grant (see ``review.usable_grant``) and finds its recording's tracks."""

    def __init__(
        self,
        readonly_sessions: sessionmaker[Session],
        grants: ReadCache[int, GrantRecord],
        tracks: TrackCache,
        clock: Clock,
    ) -> None:
        self._readonly_sessions = readonly_sessions
        self._grants = grants
        self._tracks = tracks
        self._clock = clock

    def check_from_memory(self, party: Actor, grant_id: int) -> GrantPlayback | None:
        """The playback if grant and tracks are in memory (no I/O), else None: call :meth:`check`.

        Raises NotFoundError, PermissionDeniedError as :meth:`check` does.
        """
        found = self._grants.get(grant_id)
        if found is None:
            return None
        loaded = self._tracks.peek_loaded(found[0].recording_id)
        if loaded is None:
            return None
        grant, recording = usable_grant(found, party, now=self._clock.now())
        return GrantPlayback(grant, recording, *loaded)

    def check(self, party: Actor, grant_id: int) -> GrantPlayback:
        """Read the grant and load the tracks (blocking: database, and the bucket on a cache miss).

        Raises NotFoundError (not the party's grant or recording), PermissionDeniedError (revoked,
        expired, not yet valid), StoreError (the archive cannot be read).
        """
        stamp = self._grants.stamp()
        with self._readonly_sessions() as db, db.begin():
            found = read_grant(db, grant_id)
        if found is not None:
            self._grants.put(grant_id, found, stamp)
        grant, recording = usable_grant(found, party, now=self._clock.now())
        return GrantPlayback(grant, recording, *self._tracks.get_loaded(recording.id))
