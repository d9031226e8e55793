"""Verifying an archived recording from the object store alone.

Checks, and reports one line per problem naming the object: the journal's hash chain across its
chunks, every journaled object's presence and SHA-256 (re-read from the store, not taken from
metadata), gap-free segment numbering per stream, every checkpoint's Merkle root and Ed25519
signature, that the journal ends with a signed checkpoint after the stop event (so a cut tail is
caught), and that the prefix holds nothing the journal does not account for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TypeAlias

from archive.errors import ArchiveError, JournalError, ObjectNotFoundError
from archive.journal.chain import read_chain
from archive.journal.device_key import verify_signature
from archive.journal.events import (
    CheckpointEvent,
    InitEvent,
    JournalEvent,
    SegmentEvent,
    StartEvent,
    StopEvent,
    parse_event,
)
from archive.journal.format import JournalLine, checkpoint_message
from archive.journal.merkle import merkle_root
from archive.spool.layout import locator_key
from archive.store.object_store import ObjectStore

_ParsedLines: TypeAlias = list[tuple[JournalLine, JournalEvent | None]]


@dataclass(slots=True)
class VerifyReport:
    """What verification found: problems (empty when intact) and a summary of what was checked."""

    recording_id: str
    prefix: str = ""
    problems: list[str] = field(default_factory=list)
    objects_checked: int = 0
    segments: int = 0
    streams: set[str] = field(default_factory=set)
    root: str = ""

    @property
    def intact(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line describing the outcome."""
        if self.intact:
            return (
                f"recording {self.recording_id} intact: {self.segments} segments in"
                f" {len(self.streams)} streams, {self.objects_checked} objects checked,"
                f" Merkle root {self.root}"
            )
        return f"recording {self.recording_id}: {len(self.problems)} problem(s) found"


def find_prefix(store: ObjectStore, recording_id: str) -> str:
    """The object prefix of ``recording_id``, from its locator object. Raises ArchiveError if absent."""
    try:
        body = json.loads(store.read_bytes(locator_key(recording_id)))
    except ObjectNotFoundError as exc:
        raise ArchiveError(f"recording {recording_id} is not in bucket {store.config.bucket}") from exc
    except json.JSONDecodeError as exc:
        raise ArchiveError(f"the locator of recording {recording_id} is not valid JSON") from exc
    return str(body["prefix"])


def verify_recording(store: ObjectStore, recording_id: str, *, public_key: str | None = None) -> VerifyReport:
    """Check everything archived for ``recording_id``; see the module docstring for what.

    ``public_key`` pins the device key (base64 Ed25519) the checkpoints must be signed with; without
    it the key announced in the journal's first line is used.
    Raises ArchiveError only when the recording cannot be found or the store cannot be read.
    """
    report = VerifyReport(recording_id=recording_id, prefix=find_prefix(store, recording_id))
    journal_prefix = f"{report.prefix}/journal/"
    chunk_keys = sorted(o.key for o in store.list_objects(journal_prefix))
    if not chunk_keys:
        report.problems.append(f"{journal_prefix}: no journal chunks in the bucket")
        return report
    chain = read_chain((key.removeprefix(f"{report.prefix}/"), store.read_bytes(key)) for key in chunk_keys)
    report.problems.extend(chain.problems)
    _check_chunk_numbering(report, chunk_keys, journal_prefix)
    referenced = set(chunk_keys) | {locator_key(recording_id)}
    events = _parse_events(report, chain.lines)
    _check_objects(store, report, events, referenced)
    _check_checkpoints(report, chain.lines, events, public_key)
    _check_ending(report, events)
    for stored in store.list_objects(f"{report.prefix}/"):
        if stored.key not in referenced:
            report.problems.append(f"{stored.key}: object not accounted for by the journal")
    return report


def _check_chunk_numbering(report: VerifyReport, chunk_keys: list[str], journal_prefix: str) -> None:
    numbers = [key.removeprefix(journal_prefix).removesuffix(".jsonl") for key in chunk_keys]
    for expected, name in enumerate(numbers, start=1):
        if name != f"{expected:06d}":
            report.problems.append(f"{journal_prefix}{expected:06d}.jsonl: journal chunk missing")
            return


def _parse_events(report: VerifyReport, lines: list[JournalLine]) -> _ParsedLines:
    """Each line with its event; a line that is not a valid event is reported and paired with None."""
    parsed: _ParsedLines = []
    for line in lines:
        try:
            parsed.append((line, parse_event(line)))
        except JournalError as exc:
            report.problems.append(str(exc))
            parsed.append((line, None))
    return parsed


def _check_objects(
    store: ObjectStore,
    report: VerifyReport,
    events: _ParsedLines,
    referenced: set[str],
) -> None:
    last_seq: dict[str, int] = {}
    for line, event in events:
        if not isinstance(event, InitEvent | SegmentEvent):
            continue
        key = f"{report.prefix}/{event.object}"
        referenced.add(key)
        label = f"{key} (journal seq {line.seq})"
        _check_one_object(store, report, key, event.sha256, label)
        if isinstance(event, SegmentEvent):
            stream = event.stream
            report.streams.add(stream)
            report.segments += 1
            expected = last_seq.get(stream, 0) + 1
            if event.segment != expected:
                missing = ", ".join(str(n) for n in range(expected, event.segment))
                report.problems.append(
                    f"{stream}: segment seq {missing or expected} missing from the journal"
                )
            last_seq[stream] = max(last_seq.get(stream, 0), event.segment)


def _check_one_object(store: ObjectStore, report: VerifyReport, key: str, expected: str, label: str) -> None:
    try:
        actual = store.sha256_of(key)
    except ObjectNotFoundError:
        report.problems.append(f"{label}: missing from the bucket")
        return
    report.objects_checked += 1
    if actual != expected:
        report.problems.append(f"{label}: SHA-256 mismatch (journal {expected}, object {actual})")


def _check_checkpoints(
    report: VerifyReport,
    lines: list[JournalLine],
    events: _ParsedLines,
    pinned_key: str | None,
) -> None:
    announced = next((event.public_key for _, event in events if isinstance(event, StartEvent)), None)
    key = pinned_key or announced
    leaves: list[bytes] = []
    for index, (line, event) in enumerate(events):
        if isinstance(event, InitEvent | SegmentEvent):
            leaves.append(bytes.fromhex(event.sha256))
        elif isinstance(event, StartEvent) and pinned_key is None and event.public_key != announced:
            report.problems.append(f"journal seq {line.seq}: device key changed within the recording")
        elif isinstance(event, CheckpointEvent):
            root = merkle_root(leaves).hex()
            report.root = root
            if event.tree_size != len(leaves) or event.root != root:
                report.problems.append(
                    f"journal seq {line.seq}: checkpoint Merkle root does not match the segments"
                )
            prev = lines[index - 1].digest if index else ""
            message = checkpoint_message(
                recording_id=report.recording_id, tree_size=len(leaves), root_hex=root, prev=prev
            )
            if key is None or not verify_signature(key, message, event.signature):
                report.problems.append(f"journal seq {line.seq}: checkpoint signature is not valid")


def _check_ending(report: VerifyReport, events: _ParsedLines) -> None:
    if not events:
        return
    if not isinstance(events[-1][1], CheckpointEvent):
        report.problems.append(
            "journal does not end with a signed checkpoint (truncated, or still recording)"
        )
    if not any(isinstance(event, StopEvent) for _, event in events):
        report.problems.append("journal has no stop event (recording not finished, or its end is missing)")
