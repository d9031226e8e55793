"""Verifying an archived recording from the object store alone.

Checks, and reports one line per problem naming the object: the journal's hash chain across its
chunks, every journaled object's presence and SHA-256 (re-read from the store, not taken from
metadata), that a stream declared a CMAF track file is one (its init segment's ``ftyp`` declares
``cmfc`` and its ``moov`` holds one track; each of its media segments starts with a ``styp`` declaring
``cmfs``; streams declared before that format are not held to it), gap-free segment numbering per
stream, every checkpoint's Merkle root and Ed25519 signature, that the journal ends with a signed
checkpoint after the stop event (so a cut tail is caught), and that the prefix holds nothing the
journal does not account for.

A recording still in progress (its journal has no stop event yet) is checked as far as it is sealed:
every uploaded journal chunk ends with a signed checkpoint, so what they cover must be intact;
segments uploaded after the last of them (the recorder journals them in the chunk it is still
writing) are counted as not yet covered, never as verified. The report says "in progress" while the
journal's last line is recent (within IN_PROGRESS_WINDOW of now: a running recorder checkpoints every
minute or so), else "ended without a stop (crashed?)" — a recorder that died and never resumed, or
whose uploads are far behind; either way a finished recording whose end is missing would look the
same (the anchored head catches a cut journal).

Then what the journal cannot prove about itself (:mod:`archive.preservation.verify_trust`): that its
signing key is an approved device key, and that it reaches the latest checkpoint head anchored outside
the recording. Without a registry or an anchor these are warnings, never silently "intact".

An object the store lists but cannot return (bit rot under S3: the store's own CRC check fails, or
the read times out) is a problem named for that object, and verification goes on; only a store that
cannot be reached at all (even a HEAD fails) stops it with StoreUnavailableError.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeAlias

from archive.errors import (
    ArchiveError,
    IntegrityError,
    JournalError,
    ObjectNotFoundError,
    StoreUnavailableError,
)
from archive.formats.cmaf import SEGMENT_HEAD_BYTES, header_problems, segment_problems
from archive.journal.chain import read_chain
from archive.journal.events import JournalEvent, parse_event
from archive.journal.format import JournalLine, checkpoint_message
from archive.journal.run_events import StartEvent, StopEvent
from archive.journal.segment_events import CheckpointEvent, InitEvent, SegmentEvent
from archive.journal.signing.device_key import verify_signature
from archive.journal.signing.merkle import merkle_root
from archive.preservation.verify_trust import TrustAnchors, check_trust
from archive.spool.layout import locator_key

if TYPE_CHECKING:
    from archive.store.object_store import ObjectStore

_ParsedLines: TypeAlias = list[tuple[JournalLine, JournalEvent | None]]

IN_PROGRESS_WINDOW = timedelta(minutes=5)
"""A journal without a stop whose last line is older than this has ended without one (crashed?)."""


@dataclass(slots=True)
class VerifyReport:
    """What verification found: problems (empty when intact) and a summary of what was checked."""

    recording_id: str
    prefix: str = ""
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    objects_checked: int = 0
    segments: int = 0
    streams: set[str] = field(default_factory=set)
    root: str = ""
    in_progress: bool = False  # no stop event yet: only what is sealed so far was checked
    not_yet_covered: list[str] = field(default_factory=list)  # uploaded after the last sealed chunk
    ended_without_stop: bool = False  # no stop, and the journal has been silent too long (crashed?)
    last_line_at: str = ""  # when the journal's last archived line was written (ISO 8601)

    @property
    def intact(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line describing the outcome."""
        state = " (in progress: no stop event yet)" if self.in_progress else ""
        if self.ended_without_stop:
            state = f" (ended without a stop (crashed?): its journal's last line is from {self.last_line_at})"
        if self.intact:
            caveat = f" ({len(self.warnings)} warning(s): see above)" if self.warnings else ""
            sealed = "sealed so far " if self.in_progress else ""
            pending = (
                f"; {len(self.not_yet_covered)} object(s) uploaded after the last sealed journal chunk,"
                " not yet covered"
                if self.not_yet_covered
                else ""
            )
            return (
                f"recording {self.recording_id}{state}: {sealed}intact{caveat}: {self.segments} segments in"
                f" {len(self.streams)} streams, {self.objects_checked} objects checked,"
                f" Merkle root {self.root}{pending}"
            )
        return f"recording {self.recording_id}{state}: {len(self.problems)} problem(s) found"


def find_prefix(store: ObjectStore, recording_id: str) -> str:
    """The object prefix of ``recording_id``, from its locator object. Raises ArchiveError if absent."""
    try:
        body = json.loads(store.read_bytes(locator_key(recording_id)))
    except ObjectNotFoundError as exc:
        raise ArchiveError(f"recording {recording_id} is not in bucket {store.config.bucket}") from exc
    except json.JSONDecodeError as exc:
        raise ArchiveError(f"the locator of recording {recording_id} is not valid JSON") from exc
    return str(body["prefix"])


def verify_recording(
    store: ObjectStore,
    recording_id: str,
    *,
    public_key: str | None = None,
    trust: TrustAnchors | None = None,
    now: datetime | None = None,
) -> VerifyReport:
    """Check everything archived for ``recording_id``; see the module docstring for what.

    ``public_key`` pins the device key (base64 Ed25519) the checkpoints must be signed with; without
    it the key announced in the journal's first start line is used, and checked against
    ``trust.keys``. ``trust.heads`` are the checkpoint heads anchored outside the recording. ``now``
    (default: the wall clock) tells a recording in progress from one that ended without a stop.
    Raises ArchiveError only when the recording cannot be found or the store cannot be reached.
    """
    trust = trust or TrustAnchors()
    report = VerifyReport(recording_id=recording_id, prefix=find_prefix(store, recording_id))
    journal_prefix = f"{report.prefix}/journal/"
    chunk_keys = sorted(o.key for o in store.list_objects(journal_prefix))
    if not chunk_keys:
        report.problems.append(f"{journal_prefix}: no journal chunks in the bucket")
        return report
    chain = read_chain(_read_chunks(store, report, chunk_keys))
    report.problems.extend(chain.problems)
    _check_chunk_numbering(report, chunk_keys, journal_prefix)
    referenced = set(chunk_keys) | {locator_key(recording_id)}
    events = _parse_events(report, chain.lines)
    last_seq = _check_objects(store, report, events, referenced)
    key, device_id = _check_checkpoints(report, chain.lines, events, public_key)
    _check_ending(report, events, now or datetime.now(UTC))
    for stored in store.list_objects(f"{report.prefix}/"):
        if stored.key in referenced:
            continue
        if report.in_progress and _sealed_after_the_journal(report.prefix, stored.key, last_seq):
            report.not_yet_covered.append(stored.key)
        else:
            report.problems.append(f"{stored.key}: object not accounted for by the journal")
    if report.not_yet_covered:
        report.notes.append(
            f"{len(report.not_yet_covered)} object(s) uploaded after the last sealed journal chunk"
            f" (from {report.not_yet_covered[0]}): the recording's next checkpoint will cover them"
        )
    found = check_trust(recording_id, chain.lines, key, device_id, pinned=public_key is not None, trust=trust)
    report.problems.extend(found.problems)
    report.warnings.extend(found.warnings)
    report.notes.extend(found.notes)
    return report


def _read_chunks(store: ObjectStore, report: VerifyReport, keys: list[str]) -> list[tuple[str, bytes]]:
    """Each readable chunk as (name relative to the prefix, bytes); an unreadable one is a problem
    (and the chain then breaks at the chunk after it)."""
    chunks: list[tuple[str, bytes]] = []
    for key in keys:
        try:
            chunks.append((key.removeprefix(f"{report.prefix}/"), store.read_bytes(key)))
        except ObjectNotFoundError:
            report.problems.append(f"{key}: listed, then missing from the bucket")
        except IntegrityError as exc:
            report.problems.append(f"{key}: stored bytes do not match their own SHA-256 ({exc})")
        except StoreUnavailableError as exc:
            _unreadable(store, report, key, key, exc)
    return chunks


def _unreadable(store: ObjectStore, report: VerifyReport, key: str, label: str, exc: Exception) -> None:
    """Report ``key`` as unreadable when the store still answers for it (a HEAD); re-raise ``exc``
    when even that fails: then the store is unreachable, not the object."""
    try:
        present = store.stat(key)
    except StoreUnavailableError:
        raise exc from None
    state = "listed" if present is not None else "listed earlier, now gone,"
    report.problems.append(
        f"{label}: unreadable: the store has it {state} but could not return its bytes ({exc})"
    )


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
) -> dict[str, int]:
    """Check every journaled object; returns the last journaled segment number of each stream."""
    last_seq: dict[str, int] = {}
    cmaf_streams: set[str] = set()  # as the latest start event declared them
    for line, event in events:
        if isinstance(event, StartEvent):
            cmaf_streams = {stream.name for stream in event.streams if stream.is_cmaf_track_file}
        if not isinstance(event, InitEvent | SegmentEvent):
            continue
        key = f"{report.prefix}/{event.object}"
        referenced.add(key)
        label = f"{key} (journal seq {line.seq})"
        if event.stream in cmaf_streams:
            _check_one_object(store, report, key, event.sha256, label, cmaf=type(event))
        else:
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
    return last_seq


def _sealed_after_the_journal(prefix: str, key: str, last_seq: dict[str, int]) -> bool:
    """True for a media object a recording in progress may hold beyond its uploaded journal: a
    segment numbered after the stream's last journaled one, or an init segment (a new run's)."""
    stream, _, name = key.removeprefix(f"{prefix}/").partition("/")
    if not stream or "/" in name or stream == "journal":
        return False
    if name.startswith("init") and name.endswith(".mp4"):
        return True
    number = name.removesuffix(".m4s")
    return name.endswith(".m4s") and number.isdigit() and int(number) > last_seq.get(stream, 0)


_INIT_HEAD_BYTES = 1 << 16  # an init segment of one track is about a kilobyte


def _check_one_object(
    store: ObjectStore,
    report: VerifyReport,
    key: str,
    expected: str,
    label: str,
    *,
    cmaf: type[InitEvent | SegmentEvent] | None = None,
) -> None:
    """Check the object's SHA-256 against the journal's; when ``cmaf`` says which kind of object of
    a CMAF track file it is, check its boxes too (read in the same GET)."""
    try:
        if cmaf is None:
            actual = store.sha256_of(key)
        else:
            head_bytes = _INIT_HEAD_BYTES if cmaf is InitEvent else SEGMENT_HEAD_BYTES
            actual, head = store.sha256_and_head(key, head_bytes)
            found = header_problems(head) if cmaf is InitEvent else segment_problems(head)
            what = "CMAF header" if cmaf is InitEvent else "CMAF segment"
            report.problems.extend(f"{label}: not a {what} of a CMAF track file: {p}" for p in found)
    except ObjectNotFoundError:
        report.problems.append(f"{label}: missing from the bucket")
        return
    except StoreUnavailableError as exc:
        _unreadable(store, report, key, label, exc)
        return
    report.objects_checked += 1
    if actual != expected:
        report.problems.append(f"{label}: SHA-256 mismatch (journal {expected}, object {actual})")


def _check_checkpoints(
    report: VerifyReport,
    lines: list[JournalLine],
    events: _ParsedLines,
    pinned_key: str | None,
) -> tuple[str | None, str | None]:
    """Check every checkpoint; return the key they were checked with and the journaled device id."""
    start = next((event for _, event in events if isinstance(event, StartEvent)), None)
    announced = None if start is None else start.public_key
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
    return key, None if start is None else start.device_id


def _check_ending(report: VerifyReport, events: _ParsedLines, now: datetime) -> None:
    if not events:
        return
    if not isinstance(events[-1][1], CheckpointEvent):
        report.problems.append(
            "journal does not end with a signed checkpoint (truncated, or still recording)"
        )
    _in_progress(report, events, now)


def _in_progress(report: VerifyReport, events: _ParsedLines, now: datetime) -> None:
    """No stop after the last start: the recording is still going (or its end is missing)."""
    last_start = max((i for i, (_, e) in enumerate(events) if isinstance(e, StartEvent)), default=-1)
    if any(isinstance(event, StopEvent) for _, event in events[last_start + 1 :]):
        return
    report.in_progress = True
    report.last_line_at = events[-1][0].at
    silent = now - datetime.fromisoformat(report.last_line_at)
    if silent > IN_PROGRESS_WINDOW:
        report.ended_without_stop = True
        report.warnings.append(
            f"ended without a stop (crashed?): no stop event, and the journal's last line is from"
            f" {report.last_line_at}, {silent.total_seconds() / 60:.0f} min ago: the recorder died and never"
            " resumed, or its uploads are that far behind; only what is sealed was checked"
            " (compare with the portal's anchored head)"
        )
        return
    report.warnings.append(
        "in progress: the journal has no stop event yet, so only what is sealed so far was checked"
        " (if this recording has ended, its end is missing: compare with the portal's anchored head)"
    )
