"""A recording with a clerk's journal events, for the portal's timeline, gap and sealed-span tests.

The media are the session's real recording ``rec-a1`` (copied object for object to a new prefix);
its journal is written anew by the real JournalWriter: the same lines (a new prefix in the start
event), with the clerk's events (notes, pauses, gaps, readiness checks, sealed spans) inserted at
their own times. The recording is then indexed into a portal's database like any reported one.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from archive.export import summarize_journal
from archive.journal import (
    CheckpointEvent,
    JournalEvent,
    JournalLine,
    JournalWriter,
    SegmentEvent,
    StartEvent,
    list_chunks,
    load_or_create_device_key,
    parse_event,
    read_chain,
)
from archive.preservation import find_prefix
from archive.spool import locator_body, locator_key
from archive.store import ObjectStore
from portal.db import transaction
from portal.models import Recording
from portal.records.recordings_index import apply_summary
from portal.review.journal_marks import parse_utc
from tests.portal.world import REC_A


@dataclass(frozen=True)
class Segment:
    """One segment of the copied recording: its stream, object, start on the playing time, wall time."""

    stream: str
    object: str
    position: float
    duration: float
    wall_start: datetime


def read_lines(store: ObjectStore, recording_id: str) -> list[JournalLine]:
    prefix = find_prefix(store, recording_id)
    keys = sorted(s.key for s in store.list_objects(f"{prefix}/journal/"))
    return read_chain((k.removeprefix(f"{prefix}/"), store.read_bytes(k)) for k in keys).lines


def source_segments(store: ObjectStore) -> list[Segment]:
    """The segments of ``rec-a1`` in journal order, with their place on each stream's playing time."""
    found: list[Segment] = []
    played: dict[str, float] = {}
    for line in read_lines(store, REC_A):
        event = parse_event(line)
        if isinstance(event, SegmentEvent) and event.duration is not None and event.t_start_utc:
            position = played.get(event.stream, 0.0)
            played[event.stream] = position + event.duration
            found.append(
                Segment(event.stream, event.object, position, event.duration, parse_utc(event.t_start_utc))
            )
    return found


def write_clerk_recording(
    store: ObjectStore,
    recording_id: str,
    extra: Sequence[tuple[datetime, JournalEvent]],
    work_dir: Path,
    *,
    source: str = REC_A,
) -> str:
    """Copy ``source`` (``rec-a1``) to ``recording_id`` with the ``extra`` events inserted at their
    times; return the new prefix. Idempotent for the same arguments (objects are never overwritten)."""
    source_prefix = find_prefix(store, source)
    prefix = source_prefix.replace(source, recording_id)
    for stored in store.list_objects(f"{source_prefix}/"):
        if "/journal/" in stored.key:
            continue
        data = store.read_bytes(stored.key)
        store.put_bytes(stored.key.replace(source_prefix, prefix), data, hashlib.sha256(data).hexdigest())
    originals: list[tuple[datetime, int, JournalEvent]] = []
    for line in read_lines(store, source):
        event = parse_event(line)
        if isinstance(event, CheckpointEvent):
            continue  # the writer signs its own
        if isinstance(event, StartEvent):
            event = dataclasses.replace(event, object_prefix=prefix)
        originals.append((parse_utc(line.at), 0, event))
    inserted = [(at, 1, event) for at, event in extra]
    journal_dir = work_dir / recording_id / "journal"
    key = load_or_create_device_key(work_dir / "device.key")
    with JournalWriter.open(journal_dir, recording_id, key) as writer:
        for at, _, event in sorted(originals + inserted, key=lambda item: (item[0], item[1])):
            writer.append(event, at=at)
        writer.checkpoint()
    for chunk in list_chunks(journal_dir):
        data = chunk.read_bytes()
        store.put_bytes(f"{prefix}/journal/{chunk.name}", data, hashlib.sha256(data).hexdigest())
    body = locator_body(recording_id, prefix)
    store.put_bytes(locator_key(recording_id), body, hashlib.sha256(body).hexdigest())
    return prefix


def index_recording(
    sessions: sessionmaker[Session], store: ObjectStore, recording_id: str, *, now: datetime, hearing_id: int
) -> None:
    """Index the recording in a portal's database and link it to ``hearing_id``."""
    lines = read_lines(store, recording_id)
    summary = summarize_journal(recording_id, find_prefix(store, recording_id), lines)
    with transaction(sessions) as db:
        apply_summary(db, summary, now=now, in_bucket=True)
        recording = db.get(Recording, recording_id)
        assert recording is not None
        recording.hearing_id = hearing_id


def at(segment: Segment, offset: float) -> datetime:
    """The wall time ``offset`` seconds into ``segment``."""
    return segment.wall_start + timedelta(seconds=offset)
