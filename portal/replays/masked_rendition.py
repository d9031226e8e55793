"""The masked rendition of a replay's picture, as stored: its objects and their manifest.

A hearing whose faces are to be masked is replayed from a masked copy of its broadcast camera, made
by masking_job.py and stored apart from the recording, under
``replays-masked/{recording_id}/{stream}/`` (the recording's own objects are never touched: they
stay the evidence). Each masked segment keeps the name of the archived segment it was made from
(``00000003.m4s``), so the replay's playlist is the archived one; all share one ``init.mp4``.

``manifest.json`` is written last, once every masked object is stored, and records each object's
SHA-256 (and the SHA-256 of the archived segment it was made from): a rendition without a manifest
is incomplete and never served, and a masked object is served only when its bytes hash to what the
manifest says (:func:`open_masked`).

The copy is not evidence and gets no Object Lock (plain PUTs, no retention headers; the buckets
have no default retention): it lives no longer than the recording, as retention's disposal deletes
every version under ``replays-masked/{recording_id}/`` with it (the prefix is the archive's
``archive.spool.layout.MASKED_REPLAYS_PREFIX`` for that reason).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from archive import ArchiveError, ObjectNotFoundError
from archive.spool.layout import MASKED_REPLAYS_PREFIX
from archive.store.object_store import ObjectStore
from archive.store.verified_stream import VerifiedStream
from portal.errors import NotFoundError, PortalError, StoreError

logger = logging.getLogger(__name__)

PREFIX = MASKED_REPLAYS_PREFIX  # the layout archive disposal deletes with the recording
MANIFEST = "manifest.json"
INIT = "init.mp4"
FORMAT = 1


class MaskedObjectError(PortalError):
    """A masked object is missing, or its bytes do not match the manifest: it is never served."""


@dataclass(frozen=True, slots=True)
class MaskedManifest:
    """A complete masked rendition of one stream of one recording.

    ``objects``: object name (``init.mp4``, ``00000001.m4s``) -> SHA-256 of the masked bytes;
    ``sources``: segment name -> SHA-256 of the archived segment it was masked from.
    """

    recording_id: str
    stream: str
    objects: Mapping[str, str]
    sources: Mapping[str, str]

    def covers(self, name: str, source_sha256: str) -> bool:
        """Whether the rendition holds the masked copy of the archived segment ``name`` whose
        SHA-256 is ``source_sha256``."""
        return name in self.objects and self.sources.get(name) == source_sha256

    def to_bytes(self) -> bytes:
        record = {
            "format": FORMAT,
            "recording_id": self.recording_id,
            "stream": self.stream,
            "objects": dict(sorted(self.objects.items())),
            "sources": dict(sorted(self.sources.items())),
        }
        return (json.dumps(record, ensure_ascii=False, indent=1) + "\n").encode()

    @classmethod
    def parse(cls, data: bytes, *, recording_id: str, stream: str) -> MaskedManifest:
        """The manifest in ``data``; ValueError naming what is wrong (another recording's too)."""
        try:
            record = json.loads(data)
        except ValueError as exc:
            raise ValueError(f"the masked rendition's manifest is not JSON: {exc}") from exc
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            raise ValueError(f"the masked rendition's manifest is not format {FORMAT}")
        if record.get("recording_id") != recording_id or record.get("stream") != stream:
            raise ValueError(f"the manifest is not that of {recording_id}/{stream}")
        objects, sources = _hash_map(record.get("objects")), _hash_map(record.get("sources"))
        if objects is None or sources is None or INIT not in objects:
            raise ValueError("the manifest's objects or sources are not name -> SHA-256 maps")
        return cls(recording_id, stream, objects, sources)


def _hash_map(value: object) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) and len(v) == 64 for k, v in value.items()):
        return None
    return {str(k): str(v) for k, v in value.items()}


def masked_key(recording_id: str, stream: str, name: str) -> str:
    """The object key of the masked ``name`` (or the manifest) of ``recording_id``'s ``stream``."""
    return f"{PREFIX}/{recording_id}/{stream}/{name}"


def load_manifest(store: ObjectStore, recording_id: str, stream: str) -> MaskedManifest | None:
    """The manifest of the masked rendition (None: none is complete yet). Blocking.

    Raises StoreError when the store cannot be read; a manifest that cannot be parsed counts as none
    (logged: the job writes it again)."""
    key = masked_key(recording_id, stream, MANIFEST)
    try:
        if store.stat(key) is None:
            return None
        data = store.read_bytes(key)
    except ArchiveError as exc:
        raise StoreError(f"the masked rendition of {recording_id} cannot be read: {exc}") from exc
    try:
        return MaskedManifest.parse(data, recording_id=recording_id, stream=stream)
    except ValueError as exc:
        logger.error("masked rendition %s: %s", key, exc)
        return None


def open_masked(store: ObjectStore, manifest: MaskedManifest, name: str) -> VerifiedStream:
    """An open GET of the masked ``name``, to be streamed and checked as it goes against the
    manifest's SHA-256 (:mod:`archive.store.verified_stream`: a mismatch found while reading ends the
    stream short of its last chunk). Blocking; the caller closes it.

    Raises NotFoundError (not in the rendition), MaskedObjectError (missing, or stored with another
    SHA-256 than the manifest's: replaced since — logged, never served), StoreError.
    """
    expected = manifest.objects.get(name)
    if expected is None:
        raise NotFoundError(f"{name} is not part of the masked rendition")
    key = masked_key(manifest.recording_id, manifest.stream, name)
    try:
        stream = store.open_verified(key, sha256=expected)
    except ObjectNotFoundError as exc:
        logger.error("masked rendition: %s is listed in its manifest but missing", key)
        raise MaskedObjectError(f"{key} is missing") from exc
    except ArchiveError as exc:
        raise StoreError(f"{key} cannot be read: {exc}") from exc
    stored = stream.stored_sha256
    if stored is not None and stored.lower() != expected:
        stream.close()
        logger.error(
            "masked rendition: %s is stored as %s, its manifest says %s: refused", key, stored, expected
        )
        raise MaskedObjectError(f"{key} does not match its manifest")
    return stream


def rendition_intact(store: ObjectStore, manifest: MaskedManifest) -> bool:
    """Whether every object of the rendition is stored with the SHA-256 its manifest lists, as the
    store reports it (one HEAD each: an object replaced since shows; bytes changed beneath the S3
    interface only show when read, and are then refused by :func:`open_masked`'s stream). Blocking."""
    for name, sha256 in manifest.objects.items():
        try:
            stored = store.stat(masked_key(manifest.recording_id, manifest.stream, name))
        except ArchiveError as exc:
            raise StoreError(
                f"the masked rendition of {manifest.recording_id} cannot be read: {exc}"
            ) from exc
        if stored is None or stored.sha256 != sha256:
            logger.error("masked rendition of %s: %s is missing or replaced", manifest.recording_id, name)
            return False
    return True


def store_missing(store: ObjectStore, key: str) -> bool:
    try:
        return store.stat(key) is None
    except ArchiveError:
        return False
