"""Making the masked rendition of a replay: the broadcast camera's allowed segments, faces masked.

After a public hearing whose faces are to be masked has ended (or any public hearing, while the live
server masks every broadcast), its replay may show only a masked picture. This job reads the
archived segments of the broadcast camera that the replay may show (the same selection as
replay_tracks.py: inside the broadcast window, nothing cut, nothing sealed), checks each against
the SHA-256 its journal recorded, masks it with the live broadcast's own masker
(streaming.public.masked_segments, FaceMaskTransform and its face detector), and stores the masked
copy under its own prefix (masked_rendition.py), never touching the recording's objects.

It lives in the portal because it needs both sides the dependency rules keep apart: the replay
policy, the journal and the object store (portal, archive) and the face masker (streaming.public);
``streaming`` may not read the archive's store, and the portal owns which segments a replay shows.

Idempotent and safe to kill: masked objects are stored one by one (a PUT is whole or absent), the
manifest last; a rerun reuses every masked object the manifest (or, after a kill, the store's own
SHA-256 of it) vouches for, masks the rest again (x264 is deterministic: the same bytes), and only
then writes the manifest. Until then the replay page says the replay is being prepared.

Everything here blocks (PyAV, OpenCV, the minio SDK): run it in a worker thread.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from archive import ArchiveError, ObjectConflictError
from archive.export import PlaylistSegment, RecordingTracks, StreamTrack
from archive.store import StoredObject
from archive.store.object_store import ObjectStore
from portal.errors import PortalError, StoreError
from portal.replays.masked_rendition import INIT, MANIFEST, MaskedManifest, load_manifest, masked_key
from streaming.errors import FaceMaskingError
from streaming.public.masked_segments import TransformFactory, mask_segment

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]  # the name of each masked object, once stored


class MaskingJobError(PortalError):
    """The masked rendition could not be made (an archived segment unreadable or not as journaled,
    or not maskable); nothing incomplete is served."""


@dataclass(frozen=True, slots=True)
class MaskingOutcome:
    """What one run did for one recording: segments masked now, segments reused."""

    recording_id: str
    masked: int
    reused: int


def needs_rendition(manifest: MaskedManifest | None, picture: StreamTrack) -> bool:
    """Whether ``picture``'s allowed segments are not all in the (complete) rendition ``manifest``."""
    return manifest is None or not all(manifest.covers(_name(s), s.sha256) for s in picture.segments)


def make_masked_rendition(
    store: ObjectStore,
    tracks: RecordingTracks,
    picture: StreamTrack,
    transforms: TransformFactory,
    *,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> MaskingOutcome:
    """Mask every segment of ``picture`` (a track of ``tracks``, already cut to what the replay may
    show) into the store, then write the manifest. ``stop`` set: give up before the next segment
    (MaskingJobError; no manifest written). Raises MaskingJobError, StoreError."""
    recording_id, stream = tracks.recording_id, picture.stream
    previous = load_manifest(store, recording_id, stream)
    objects: dict[str, str] = {}
    sources: dict[str, str] = {}
    inits: dict[str, bytes] = {}
    masked_init: bytes | None = None
    masked = reused = 0
    for segment in picture.segments:
        if stop is not None and stop.is_set():
            raise MaskingJobError(f"{recording_id}: stopped before its rendition was complete")
        name = _name(segment)
        key = masked_key(recording_id, stream, name)
        kept = _reusable(store, key, previous.objects.get(name) if previous else None, segment, previous)
        if kept is not None:
            objects[name], sources[name] = kept, segment.sha256
            reused += 1
            continue
        init = inits.get(segment.init)
        if init is None:
            init = inits[segment.init] = _read_archived(store, tracks, segment.init, None)
        source = _read_archived(store, tracks, segment.object, segment.sha256)
        try:
            result = mask_segment(init, source, transforms)
        except FaceMaskingError as exc:
            raise MaskingJobError(f"{recording_id}/{segment.object} cannot be masked: {exc}") from exc
        if masked_init is not None and result.init != masked_init:
            raise MaskingJobError(f"{recording_id}/{segment.object}: the masked picture's set-up changed")
        masked_init = result.init
        objects[name] = _store(store, key, result.fragment)
        sources[name] = segment.sha256
        masked += 1
        if progress is not None:
            progress(name)
    init_key = masked_key(recording_id, stream, INIT)
    if masked_init is not None:
        objects[INIT] = _store(store, init_key, masked_init)
    else:
        stored = _stat(store, init_key)
        if stored is None or stored.sha256 is None:
            raise MaskingJobError(f"{init_key} is missing: the rendition must be made again")
        objects[INIT] = stored.sha256
    manifest = MaskedManifest(recording_id, stream, objects, sources)
    _store(store, masked_key(recording_id, stream, MANIFEST), manifest.to_bytes())
    logger.info("masked rendition of %s/%s: %d masked, %d reused", recording_id, stream, masked, reused)
    return MaskingOutcome(recording_id, masked, reused)


def _name(segment: PlaylistSegment) -> str:
    return segment.object.rsplit("/", 1)[-1]


def _reusable(
    store: ObjectStore,
    key: str,
    listed: str | None,
    segment: PlaylistSegment,
    previous: MaskedManifest | None,
) -> str | None:
    """The SHA-256 of a masked copy of ``segment`` already stored and whole (None: mask it again).

    Listed in a manifest made from the same archived segment: the stored object must still carry
    that hash. Left by a killed run (no manifest lists it): the store's own SHA-256 of it, which the
    PUT had the server check, must match its bytes."""
    stored = _stat(store, key)
    if stored is None or stored.sha256 is None:
        return None
    if previous is not None and listed is not None and previous.covers(_name(segment), segment.sha256):
        return listed if stored.sha256 == listed else None
    try:
        actual = store.sha256_of(key)
    except ArchiveError:
        return None
    return actual if actual == stored.sha256 else None


def _read_archived(store: ObjectStore, tracks: RecordingTracks, relative: str, sha256: str | None) -> bytes:
    """An archived object of the recording, checked against its journaled SHA-256 when given."""
    key = tracks.object_key(relative)
    try:
        data = store.read_bytes(key)
    except ArchiveError as exc:
        raise MaskingJobError(f"the archived {key} cannot be read: {exc}") from exc
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise MaskingJobError(f"the archived {key} does not match its journaled SHA-256: not masked")
    return data


def _store(store: ObjectStore, key: str, data: bytes) -> str:
    """Store ``data`` at ``key`` (replacing what a killed or earlier run left there: a masked copy,
    never evidence); its SHA-256."""
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        try:
            store.put_bytes(key, data, sha256)
        except ObjectConflictError:
            store.replace_bytes(key, data, sha256)
    except ArchiveError as exc:
        raise StoreError(f"{key} could not be stored: {exc}") from exc
    return sha256


def _stat(store: ObjectStore, key: str) -> StoredObject | None:
    try:
        return store.stat(key)
    except ArchiveError as exc:
        raise StoreError(f"{key} cannot be read: {exc}") from exc
