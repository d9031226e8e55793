"""Which replays need a masked rendition, and the portal's background worker that makes them.

A pass looks at the public hearings of the last ``LOOK_BACK`` that have ended and whose faces are to
be masked (or all of them, while the live server masks every broadcast), decides each one's replay
as a visitor would get it (policy.py, replay_tracks.py: broadcast window, cuts and sealed spans
left out), and runs masking_job.py for every recording whose allowed picture segments are not all in
a complete and intact rendition yet (an object replaced since is masked again). The worker runs
passes on the portal's event loop, every ``interval`` seconds, each in a worker thread (one at a
time: masking takes most of a core).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from archive.export import RecordingTracks, StreamTrack
from archive.store.object_store import ObjectStore
from portal.clock import Clock
from portal.errors import NotFoundError, PortalError
from portal.models import Hearing, HearingStatus
from portal.replays.masked_rendition import load_manifest, rendition_intact
from portal.replays.masking_job import MaskingOutcome, make_masked_rendition, needs_rendition
from portal.replays.policy import decide_replay
from portal.replays.replay_tracks import replay_tracks, without_sealed
from portal.review.track_cache import TrackCache
from streaming.public.masked_segments import TransformFactory

logger = logging.getLogger(__name__)

LOOK_BACK = timedelta(days=30)
INTERVAL_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class ReplaySources:
    """What a pass reads: the database, the archive, the clock and the broadcast settings."""

    sessions: sessionmaker[Session]
    store: ObjectStore
    tracks: TrackCache
    clock: Clock
    grace: timedelta
    delay_seconds: float
    picture_stream: str
    sound_stream: str
    mask_all: bool


def pending_renditions(
    sources: ReplaySources, complete: set[str] | None = None
) -> list[tuple[RecordingTracks, StreamTrack]]:
    """The recordings (and their allowed broadcast-camera track) whose masked rendition is missing
    or incomplete. Blocking. ``complete`` remembers the tracks found complete (their fingerprints),
    so later passes do not read their manifests again."""
    now = sources.clock.now()
    with sources.sessions() as db:
        query = select(Hearing.id).where(
            Hearing.is_public,
            Hearing.status != HearingStatus.CANCELLED,
            Hearing.expected_end_at >= now - LOOK_BACK,
            Hearing.starts_at <= now,
        )
        if not sources.mask_all:
            query = query.where(Hearing.mask_faces)
        windows = []
        for hearing_id in db.scalars(query.order_by(Hearing.starts_at)):
            decision = decide_replay(
                db,
                hearing_id,
                now=now,
                grace=sources.grace,
                delay_seconds=sources.delay_seconds,
                mask_all=sources.mask_all,
            )
            if decision.window is not None and decision.window.masked:
                windows.append(decision.window)
    pending = []
    for window in windows:
        for recording_id in window.recording_ids:
            try:
                tracks, marks = sources.tracks.get_loaded(recording_id)
            except NotFoundError:
                continue  # not (yet) in the archive
            replay = replay_tracks(
                without_sealed(tracks, marks),
                window,
                picture_stream=sources.picture_stream,
                sound_stream=sources.sound_stream,
            )
            picture = replay.picture
            if picture is None:
                continue
            fingerprint = _fingerprint(recording_id, picture)
            if complete is not None and fingerprint in complete:
                continue
            manifest = load_manifest(sources.store, recording_id, picture.stream)
            if (
                manifest is None
                or needs_rendition(manifest, picture)
                or not rendition_intact(sources.store, manifest)
            ):
                pending.append((tracks, picture))  # missing, incomplete, or an object replaced since
            elif complete is not None:
                complete.add(fingerprint)
    return pending


def _fingerprint(recording_id: str, picture: StreamTrack) -> str:
    """What a rendition must cover: the recording, the stream, and each allowed segment's hash."""
    text = "\n".join([recording_id, picture.stream, *(f"{s.object} {s.sha256}" for s in picture.segments)])
    return hashlib.sha256(text.encode()).hexdigest()


def mask_pending(
    sources: ReplaySources,
    transforms: TransformFactory,
    *,
    stop: threading.Event | None = None,
    complete: set[str] | None = None,
) -> list[MaskingOutcome]:
    """One pass: make every missing masked rendition (see the module docstring). Blocking.

    A recording that fails is logged and left for the next pass; the others go on."""
    outcomes = []
    for tracks, picture in pending_renditions(sources, complete):
        if stop is not None and stop.is_set():
            break
        try:
            outcomes.append(make_masked_rendition(sources.store, tracks, picture, transforms, stop=stop))
        except PortalError as exc:
            logger.error("masked replay of %s: %s", tracks.recording_id, exc)
    return outcomes


class MaskedReplayWorker:
    """Runs :func:`mask_pending` every ``interval`` seconds (first after one interval) until
    :meth:`aclose`; the masker is made
    (``masker()``: its face model read) at the first pass that needs one. ``written`` is told each
    recording whose rendition a pass wrote (the portal's manifest cache forgets it)."""

    def __init__(
        self,
        sources: ReplaySources,
        masker: Callable[[], TransformFactory],
        interval: float = INTERVAL_SECONDS,
        written: Callable[[str], None] | None = None,
    ) -> None:
        self._sources = sources
        self._written = written
        self._masker = masker
        self._transforms: TransformFactory | None = None
        self._interval = interval
        self._stop = threading.Event()
        self._complete: set[str] = set()  # fingerprints of tracks whose rendition was found complete
        self._task: asyncio.Task[None] | None = None
        self.passes = 0

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._stop.clear()
            self._task = asyncio.ensure_future(self._run())

    async def aclose(self) -> None:
        self._stop.set()  # a pass in its thread stops after the segment it is masking
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def run_pass(self) -> list[MaskingOutcome]:
        """One pass now (blocking)."""
        if self._transforms is None:
            self._transforms = self._masker()
        outcomes = mask_pending(self._sources, self._transforms, stop=self._stop, complete=self._complete)
        if self._written is not None:
            for outcome in outcomes:  # its manifest was (re)written: readers must not keep the old one
                self._written(outcome.recording_id)
        return outcomes

    async def _run(self) -> None:
        while True:
            # the first pass one interval after start: a portal starting up serves requests first
            await asyncio.sleep(self._interval)
            try:
                await asyncio.to_thread(self.run_pass)
            except PortalError as exc:
                logger.warning("masked replays: a pass failed: %s", exc)
            except Exception:  # supervisor top level: log, try again next pass
                logger.exception("masked replays: a pass crashed; retrying in %.0f s", self._interval)
            self.passes += 1
