"""Every object of a recording with the SHA-256 its journal gives it, assembled from one or more sites.

"The journal's hashes decide": backup, audit, restore, export and disposal all work from this
manifest, never from sizes, dates or object metadata. The journal is taken chunk by chunk from the
first site whose copy continues the trusted chain (:mod:`archive.journal.signing.trust`), so a chunk damaged
on one site is still read from the other. Expected hashes: media (init and segments) from their
journal lines; each journal chunk from the bytes that passed the chain; the locator object from
:func:`archive.spool.layout.locator_body` of the recording's prefix.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from archive.errors import (
    ArchiveError,
    IntegrityError,
    JournalError,
    ObjectNotFoundError,
    StoreUnavailableError,
)
from archive.formats import check_identifier, sha256_bytes
from archive.journal.events import JournalEvent
from archive.journal.format import JournalLine
from archive.journal.run_events import StartEvent, StopEvent
from archive.journal.segment_events import InitEvent, SegmentEvent
from archive.journal.signing.trust import ChainState
from archive.spool.layout import LOCATOR_PREFIX, locator_body, locator_key
from archive.store.sites import Site

if TYPE_CHECKING:
    from archive.store.object_store import ObjectStore


class EntryKind(StrEnum):
    """What an object of a recording is."""

    LOCATOR = "locator"
    JOURNAL = "journal"
    INIT = "init"
    SEGMENT = "segment"


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One object the recording must have: its key, expected SHA-256 and (when journaled) size."""

    key: str
    sha256: str
    kind: EntryKind
    size: int | None = None


@dataclass(frozen=True, slots=True)
class RecordingManifest:
    """A recording as its trusted journal describes it.

    ``entries`` lists media and journal chunks in journal order and the locator last (so a copy made in
    this order becomes findable only once everything else is in place). ``problems`` names the copies
    found bad or unreadable while assembling the journal; ``lost_chunks`` the chunks no site holds a
    trusted copy of (objects journaled after the first of them are unknown).
    """

    recording_id: str
    prefix: str
    entries: tuple[ManifestEntry, ...]
    lines: tuple[JournalLine, ...]
    events: tuple[JournalEvent, ...]
    chunks: Mapping[str, bytes]
    root: str
    problems: tuple[str, ...] = ()
    lost_chunks: tuple[str, ...] = ()

    @property
    def start(self) -> StartEvent | None:
        """The first start event (court, room, case, device), or None when the journal has none."""
        return next((event for event in self.events if isinstance(event, StartEvent)), None)

    @property
    def case(self) -> str | None:
        """The case number the recording was made for, as journaled at its start."""
        return None if self.start is None else self.start.case

    @property
    def started_at(self) -> str | None:
        """UTC ISO time of the first journal line."""
        return self.lines[0].at if self.lines else None

    @property
    def stopped(self) -> bool:
        """True when the journal records a stop (the hearing closed; more runs may still follow)."""
        return any(isinstance(event, StopEvent) for event in self.events)

    @property
    def media(self) -> list[ManifestEntry]:
        """The init and segment entries, in journal order."""
        return [e for e in self.entries if e.kind in (EntryKind.INIT, EntryKind.SEGMENT)]

    def entry(self, key: str) -> ManifestEntry | None:
        """The entry for ``key``, or None when the journal does not account for it."""
        return next((e for e in self.entries if e.key == key), None)


def recording_ids(store: ObjectStore) -> list[str]:
    """The ids of every recording with a locator object in the bucket, sorted.

    Raises StoreUnavailableError / StoreAuthError.
    """
    ids = []
    for stored in store.list_objects(LOCATOR_PREFIX):
        name = stored.key.removeprefix(LOCATOR_PREFIX)
        if name.endswith(".json"):
            ids.append(name.removesuffix(".json"))
    return sorted(ids)


def load_manifest(sites: Sequence[Site], recording_id: str) -> RecordingManifest:
    """Assemble the trusted manifest of ``recording_id`` from ``sites`` (earlier sites preferred).

    Raises ArchiveError when no site holds a usable locator, JournalError when no site holds even a
    first trusted journal chunk. Sites that cannot be reached are skipped and named in ``problems``.
    """
    check_identifier(recording_id, what="recording id")
    problems: list[str] = []
    failures: list[str] = []
    for prefix in _candidate_prefixes(sites, recording_id, problems):
        try:
            return _assemble(sites, recording_id, prefix, problems)
        except JournalError as exc:
            failures.append(str(exc))
    if failures:
        raise JournalError(
            f"recording {recording_id}: no trusted journal on any site: " + "; ".join(failures)
        )
    raise ArchiveError(
        f"recording {recording_id}: no site holds its locator ({'; '.join(problems) or 'absent'})"
    )


def _candidate_prefixes(sites: Sequence[Site], recording_id: str, problems: list[str]) -> list[str]:
    prefixes: list[str] = []
    key = locator_key(recording_id)
    for site in sites:
        try:
            body = json.loads(site.store.read_bytes(key))
        except (ObjectNotFoundError, StoreUnavailableError, IntegrityError) as exc:
            if not isinstance(exc, ObjectNotFoundError):
                problems.append(f"{site.name}: {key}: {exc}")
            continue
        except (json.JSONDecodeError, UnicodeDecodeError):
            problems.append(f"{site.name}: {key}: not valid JSON")
            continue
        prefix = body.get("prefix") if isinstance(body, dict) else None
        if not _plausible_prefix(prefix, recording_id):
            problems.append(f"{site.name}: {key}: does not name a prefix of this recording")
        elif prefix not in prefixes:
            prefixes.append(str(prefix))
    return prefixes


def _plausible_prefix(prefix: object, recording_id: str) -> bool:
    return (
        isinstance(prefix, str)
        and prefix.startswith("recordings/")
        and prefix.endswith(f"/{recording_id}")
        and ".." not in prefix
    )


def _assemble(
    sites: Sequence[Site], recording_id: str, prefix: str, problems: list[str]
) -> RecordingManifest:
    journal_prefix = f"{prefix}/journal/"
    names = _chunk_names(sites, journal_prefix, problems)
    state = ChainState(recording_id)
    chunks: dict[str, bytes] = {}
    lost: list[str] = []
    for expected, key in enumerate(names, start=1):
        if key != f"{journal_prefix}{expected:06d}.jsonl":
            lost.append(f"{journal_prefix}{expected:06d}.jsonl")
            break
        accepted = _accept_chunk(sites, state, key, problems)
        if accepted is None:
            lost.append(key)
            break
        state, chunks[key] = accepted
    if not chunks:
        raise JournalError(
            f"{journal_prefix}: no trusted first chunk ({'; '.join(problems) or 'none stored'})"
        )
    first = state.events[0]
    announced = first.object_prefix if isinstance(first, StartEvent) else prefix
    if announced != prefix:
        raise JournalError(
            f"{journal_prefix}: the journal names prefix {announced!r}, the locator {prefix!r}"
        )
    entries = _entries(recording_id, prefix, state, chunks, problems)
    return RecordingManifest(
        recording_id=recording_id,
        prefix=prefix,
        entries=tuple(entries),
        lines=state.lines,
        events=state.events,
        chunks=chunks,
        root=state.root,
        problems=tuple(problems),
        lost_chunks=tuple(lost),
    )


def _chunk_names(sites: Sequence[Site], journal_prefix: str, problems: list[str]) -> list[str]:
    names: set[str] = set()
    for site in sites:
        try:
            names.update(o.key for o in site.store.list_objects(journal_prefix) if o.key.endswith(".jsonl"))
        except StoreUnavailableError as exc:
            problems.append(f"{site.name}: cannot list {journal_prefix}: {exc}")
    return sorted(names)


def _accept_chunk(
    sites: Sequence[Site], state: ChainState, key: str, problems: list[str]
) -> tuple[ChainState, bytes] | None:
    name = key.rsplit("/", 1)[-1]
    for site in sites:
        try:
            data = site.store.read_bytes(key)
            return state.advance(name, data), data
        except ObjectNotFoundError:
            problems.append(f"{site.name}: {key}: missing")
        except (StoreUnavailableError, IntegrityError, JournalError) as exc:
            problems.append(f"{site.name}: {key}: {exc}")
    return None


def _entries(
    recording_id: str,
    prefix: str,
    state: ChainState,
    chunks: Mapping[str, bytes],
    problems: list[str],
) -> list[ManifestEntry]:
    entries: dict[str, ManifestEntry] = {}
    for line, event in zip(state.lines, state.events, strict=True):
        if not isinstance(event, InitEvent | SegmentEvent):
            continue
        key = f"{prefix}/{event.object}"
        entry = ManifestEntry(key, event.sha256, EntryKind(event.TYPE), event.size)
        known = entries.setdefault(key, entry)
        if known.sha256 != entry.sha256:
            problems.append(f"{key}: journaled twice with different SHA-256 (seq {line.seq}); first kept")
    for key, data in chunks.items():
        entries[key] = ManifestEntry(key, sha256_bytes(data), EntryKind.JOURNAL, len(data))
    locator = locator_body(recording_id, prefix)
    entries[locator_key(recording_id)] = ManifestEntry(
        locator_key(recording_id), sha256_bytes(locator), EntryKind.LOCATOR, len(locator)
    )
    return list(entries.values())
